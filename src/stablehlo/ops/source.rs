//! Ops without operands: `stablehlo.constant` and `stablehlo.iota`.

use flash_ir::{DType, Literal, Location, TensorType};

use crate::stablehlo::body::Body;
use crate::stablehlo::error::EmitError;
use crate::stablehlo::literal;
use crate::stablehlo::types::{function_type, tensor_type};

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
    b.def_result(&format!(
        "stablehlo.constant dense<{payload}> : {}",
        tensor_type(ty)
    ));
    Ok(())
}

/// `%N = stablehlo.iota dim = D : tensor<...>`. StableHLO's iota has no `i1` result (the
/// plugin rejects it), so a bool iota counts in `i32` and converts (`i[dim] != 0`).
pub fn iota(b: &mut Body<'_>, dim: usize, ty: &TensorType) {
    if ty.dtype != DType::Bool {
        b.def_result(&format!("stablehlo.iota dim = {dim} : {}", tensor_type(ty)));
        return;
    }
    let counted = ty.with_dtype(DType::I32);
    let count = b.helper("iota");
    b.def(
        &count,
        &format!("stablehlo.iota dim = {dim} : {}", tensor_type(&counted)),
    );
    b.def_result(&format!(
        "stablehlo.convert {count} : {}",
        function_type(&[&counted], ty)
    ));
}
