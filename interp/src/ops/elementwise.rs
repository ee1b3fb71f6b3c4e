//! Elementwise ops: unary and binary functions, `compare`, `select` and `convert`.
//!
//! Each element is computed by the one scalar definition in [`flash_ir::scalar`] (floats in
//! `f64` on the already rounded operands, integers exactly and then wrapped to the dtype's
//! width) and rounded once to the result dtype.

use crate::array::Array;
use crate::round::{bool_value, convert as convert_value, round};
use flash_ir::{scalar, BinaryOp, CmpDir, DType, UnaryOp};

/// A unary function applied to every element, see [`scalar::unary`].
pub fn unary(op: UnaryOp, x: &Array) -> Array {
    let dt = x.dtype();
    map(x, dt, |v| round(dt, scalar::unary(op, dt, v)))
}

/// A binary function applied to every pair of elements, see [`scalar::binary`].
pub fn binary(op: BinaryOp, a: &Array, b: &Array) -> Array {
    let dt = a.dtype();
    zip(a, b, dt, |x, y| round(dt, scalar::binary(op, dt, x, y)))
}

/// Elementwise comparison; NaN compares unequal to everything (so only `ne` holds).
pub fn compare(dir: CmpDir, a: &Array, b: &Array) -> Array {
    zip(a, b, DType::Bool, |x, y| {
        bool_value(scalar::compare(dir, x, y))
    })
}

/// `select(pred, on_true, on_false)`.
pub fn select(pred: &Array, on_true: &Array, on_false: &Array) -> Array {
    let data = pred
        .data
        .iter()
        .zip(on_true.data.iter().zip(&on_false.data))
        .map(|(&p, (&t, &f))| if p != 0.0 { t } else { f })
        .collect();
    Array {
        ty: on_true.ty.clone(),
        data,
    }
}

/// Conversion to `to`, see [`crate::round::convert`].
pub fn convert(x: &Array, to: DType) -> Array {
    let from = x.dtype();
    map(x, to, |v| convert_value(from, to, v))
}

fn map(x: &Array, out: DType, f: impl Fn(f64) -> f64) -> Array {
    Array {
        ty: x.ty.with_dtype(out),
        data: x.data.iter().map(|&v| f(v)).collect(),
    }
}

fn zip(a: &Array, b: &Array, out: DType, f: impl Fn(f64, f64) -> f64) -> Array {
    let data = a.data.iter().zip(&b.data).map(|(&x, &y)| f(x, y)).collect();
    Array {
        ty: a.ty.with_dtype(out),
        data,
    }
}
