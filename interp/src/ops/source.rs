//! Ops with no operands that make values: `constant` and `iota`.

use crate::array::Array;
use crate::round::round;
use flash_ir::{Literal, TensorType};

/// A constant: a splat or dense literal, each value rounded (ints truncated and wrapped) to
/// the dtype.
pub fn constant(value: &Literal, ty: &TensorType) -> Array {
    let data = match value {
        Literal::Splat(v) => vec![round(ty.dtype, *v); ty.num_elements()],
        Literal::Dense(vs) => vs.iter().map(|&v| round(ty.dtype, v)).collect(),
    };
    Array {
        ty: ty.clone(),
        data,
    }
}

/// `iota`: element `idx` holds `idx[dim]` converted to the dtype.
pub fn iota(dim: usize, ty: &TensorType) -> Array {
    Array::from_fn(ty.clone(), |idx| idx[dim] as f64)
}
