//! Reductions: `stablehlo.reduce` (pretty `applies` form) and `stablehlo.reduce_window`
//! (generic form with a region), each with its identity as the init constant.

use flash_ir::{DType, Node, ReduceKind, TensorType};

use crate::stablehlo::body::Body;
use crate::stablehlo::error::EmitError;
use crate::stablehlo::literal;
use crate::stablehlo::syntax::{i64_array, list};
use crate::stablehlo::types::{function_type, scalar_type, tensor_type};

/// The combining op of a reduction.
fn combiner(kind: ReduceKind) -> &'static str {
    match kind {
        ReduceKind::Sum => "stablehlo.add",
        ReduceKind::Max => "stablehlo.maximum",
    }
}

/// The identity of a reduction: 0 for sum; -inf for a float max, the dtype's minimum for
/// an integer max (and `false` for a bool max).
fn identity(kind: ReduceKind, dtype: DType) -> f64 {
    match (kind, dtype) {
        (ReduceKind::Sum, _) | (ReduceKind::Max, DType::Bool) => 0.0,
        (ReduceKind::Max, DType::F32 | DType::F64 | DType::BF16 | DType::F16) => f64::NEG_INFINITY,
        (ReduceKind::Max, DType::I32) => i32::MIN.into(),
        (ReduceKind::Max, DType::I64) => i64::MIN as f64,
    }
}

/// Prints `%initN = stablehlo.constant <identity>` and returns its name.
fn init_constant(
    b: &mut Body<'_>,
    node: &Node,
    kind: ReduceKind,
    dtype: DType,
) -> Result<String, EmitError> {
    let value = identity(kind, dtype);
    let text = literal::scalar(value, dtype).map_err(|bad| EmitError::Literal {
        node: b.node_id(),
        loc: node.loc.clone(),
        value: bad.0,
        dtype,
    })?;
    let name = b.helper("init");
    b.def(
        &name,
        &format!("stablehlo.constant dense<{text}> : {}", scalar_type(dtype)),
    );
    Ok(name)
}

/// `%N = stablehlo.reduce(%x init: %initN) applies stablehlo.add across dimensions = [..]
/// : (tensor<..>, tensor<..>) -> tensor<..>`.
pub fn reduce(
    b: &mut Body<'_>,
    node: &Node,
    kind: ReduceKind,
    dims: &[usize],
) -> Result<(), EmitError> {
    let x = b.operand(node, 0);
    let operand = b.operand_ty(node, 0).clone();
    let init = init_constant(b, node, kind, operand.dtype)?;
    let init_ty = TensorType::scalar(operand.dtype);
    let ty = function_type(&[&operand, &init_ty], &node.ty);
    b.def_result(&format!(
        "stablehlo.reduce({x} init: {init}) applies {} across dimensions = {} : {ty}",
        combiner(kind),
        list(dims)
    ));
    Ok(())
}

/// The generic `"stablehlo.reduce_window"` op with a two-argument combining region.
pub fn reduce_window(
    b: &mut Body<'_>,
    node: &Node,
    kind: ReduceKind,
    window: &[usize],
    strides: &[usize],
    padding: &[(usize, usize)],
) -> Result<(), EmitError> {
    let x = b.operand(node, 0);
    let operand = b.operand_ty(node, 0).clone();
    let init = init_constant(b, node, kind, operand.dtype)?;
    let loc = b.loc().to_string();
    let head = format!("\"stablehlo.reduce_window\"({x}, {init})");
    region(b, &head, combiner(kind), operand.dtype);
    let init_ty = TensorType::scalar(operand.dtype);
    b.raw(&format!(
        "}}) {{padding = {}, window_dimensions = {}, window_strides = {}}} : {} {loc}",
        padding_attr(padding),
        i64_array(window),
        i64_array(strides),
        function_type(&[&operand, &init_ty], &node.ty)
    ));
    Ok(())
}

/// Prints `%N = HEAD ({` and a region combining two scalars of `dtype` with `combiner`
/// (`acc = combiner(lhs, rhs)`, returned); the caller closes it with `}) {attrs} : type`.
pub(super) fn region(b: &mut Body<'_>, head: &str, combiner: &str, dtype: DType) {
    let scalar = scalar_type(dtype);
    let (lhs, rhs, out) = (b.helper("lhs"), b.helper("rhs"), b.helper("acc"));
    let loc = b.loc().to_string();
    let name = b.result();
    b.raw(&format!("{name} = {head} ({{"));
    b.raw(&format!("^bb0({lhs}: {scalar}, {rhs}: {scalar}):"));
    b.raw(&format!(
        "  {out} = {combiner} {lhs}, {rhs} : {scalar} {loc}"
    ));
    b.raw(&format!("  stablehlo.return {out} : {scalar} {loc}"));
}

/// The `padding` attribute: `dense<[[lo, hi], ...]> : tensor<Rx2xi64>` (for rank 0 the
/// splat `dense<0> : tensor<0x2xi64>`, since MLIR reads `[]` as shape `[0]`).
fn padding_attr(padding: &[(usize, usize)]) -> String {
    let ty = tensor_type(&TensorType::new(DType::I64, [padding.len(), 2]));
    if padding.is_empty() {
        return format!("dense<0> : {ty}");
    }
    let pairs: Vec<String> = padding
        .iter()
        .map(|(lo, hi)| format!("[{lo}, {hi}]"))
        .collect();
    format!("dense<[{}]> : {ty}", pairs.join(", "))
}
