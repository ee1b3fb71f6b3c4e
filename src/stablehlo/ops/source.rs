//! Ops without operands: `stablehlo.constant` and `stablehlo.iota`.

use flash_ir::{DType, Literal, Location, TensorType};

use crate::stablehlo::body::Body;
use crate::stablehlo::error::EmitError;
use crate::stablehlo::literal;
use crate::stablehlo::types::tensor_type;

/// `%N = stablehlo.constant dense<...> : tensor<...>`.
pub fn constant(
    b: &mut Body<'_>,
    value: &Literal,
    ty: &TensorType,
    loc: &Location,
) -> Result<(), EmitError> {
    let payload = literal::dense(value, ty).map_err(|bad| EmitError::Literal {
        node: b.node_id(),
        loc: loc.clone(),
        value: bad.0,
        dtype: ty.dtype,
    })?;
    b.def_result(&format!("stablehlo.constant dense<{payload}> : {}", tensor_type(ty)));
    Ok(())
}

/// `%N = stablehlo.iota dim = D : tensor<...>`. StableHLO's iota takes no `i1` result, so a
/// bool iota counts in `i32` and compares with zero (i\[dim\] != 0, as a conversion would).
pub fn iota(b: &mut Body<'_>, dim: usize, ty: &TensorType) {
    if ty.dtype != DType::Bool {
        b.def_result(&format!("stablehlo.iota dim = {dim} : {}", tensor_type(ty)));
        return;
    }
    let counted = ty.with_dtype(DType::I32);
    let (count, zero) = (b.helper("iota"), b.helper("zero"));
    b.def(&count, &format!("stablehlo.iota dim = {dim} : {}", tensor_type(&counted)));
    b.def(&zero, &format!("stablehlo.constant dense<0> : {}", tensor_type(&counted)));
    b.def_result(&format!(
        "stablehlo.compare  NE, {count}, {zero},  SIGNED : ({t}, {t}) -> {}",
        tensor_type(ty),
        t = tensor_type(&counted)
    ));
}
