//! Elementwise ops: unary and binary functions, `compare`, `select` and `convert`.
//!
//! Float functions are computed in `f64` on the (already rounded) operands and rounded once.
//! Integer arithmetic is done in `i64` with wrapping and then wrapped to the dtype's width.

use crate::array::Array;
use crate::round::{bool_value, convert as convert_value, round};
use flash_ir::{BinaryOp, CmpDir, DType, UnaryOp};

/// A unary function applied to every element.
pub fn unary(op: UnaryOp, x: &Array) -> Array {
    let dt = x.dtype();
    map(x, dt, |v| {
        if dt.is_int() {
            unary_int(op, dt, v)
        } else {
            round(dt, unary_float(op, v))
        }
    })
}

fn unary_float(op: UnaryOp, x: f64) -> f64 {
    match op {
        UnaryOp::Neg => -x,
        UnaryOp::Abs => x.abs(),
        UnaryOp::Exp => x.exp(),
        UnaryOp::Log => x.ln(),
        UnaryOp::Tanh => x.tanh(),
        UnaryOp::Logistic => 1.0 / (1.0 + (-x).exp()),
        UnaryOp::Sqrt => x.sqrt(),
        UnaryOp::Rsqrt => 1.0 / x.sqrt(),
        UnaryOp::Sin => x.sin(),
        UnaryOp::Cos => x.cos(),
    }
}

/// Integer `neg` and `abs` wrap (`-MIN = MIN`, `|MIN| = MIN`); the float-only functions,
/// which the verifier rejects on integers, are applied as floats and rounded.
fn unary_int(op: UnaryOp, dt: DType, x: f64) -> f64 {
    let i = x as i64;
    match op {
        UnaryOp::Neg => wrap(dt, i.wrapping_neg()),
        UnaryOp::Abs => wrap(dt, i.wrapping_abs()),
        UnaryOp::Exp
        | UnaryOp::Log
        | UnaryOp::Tanh
        | UnaryOp::Logistic
        | UnaryOp::Sqrt
        | UnaryOp::Rsqrt
        | UnaryOp::Sin
        | UnaryOp::Cos => round(dt, unary_float(op, x)),
    }
}

/// A binary function applied to every pair of elements.
pub fn binary(op: BinaryOp, a: &Array, b: &Array) -> Array {
    let dt = a.dtype();
    zip(a, b, dt, |x, y| {
        if dt.is_int() {
            binary_int(op, dt, x, y)
        } else {
            round(dt, binary_float(op, x, y))
        }
    })
}

fn binary_float(op: BinaryOp, x: f64, y: f64) -> f64 {
    match op {
        BinaryOp::Add => x + y,
        BinaryOp::Sub => x - y,
        BinaryOp::Mul => x * y,
        BinaryOp::Div => x / y,
        BinaryOp::Max => ieee_max(x, y),
        BinaryOp::Min => -ieee_max(-x, -y),
        BinaryOp::Pow => x.powf(y),
    }
}

/// IEEE 754-2019 `maximum`: NaN if either is NaN, and `+0` above `-0`.
pub fn ieee_max(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else if x == y {
        if x.is_sign_negative() {
            y
        } else {
            x
        }
    } else if x > y {
        x
    } else {
        y
    }
}

/// Integer arithmetic in `i64`, wrapped to the dtype. Division truncates toward zero, with
/// `x / 0 = -1` and `MIN / -1 = MIN` (XLA's definition). `pow`, which the verifier rejects on
/// integers, is applied as floats and rounded.
fn binary_int(op: BinaryOp, dt: DType, x: f64, y: f64) -> f64 {
    let (a, b) = (x as i64, y as i64);
    match op {
        BinaryOp::Add => wrap(dt, a.wrapping_add(b)),
        BinaryOp::Sub => wrap(dt, a.wrapping_sub(b)),
        BinaryOp::Mul => wrap(dt, a.wrapping_mul(b)),
        BinaryOp::Div if b == 0 => -1.0,
        BinaryOp::Div => wrap(dt, a.wrapping_div(b)),
        BinaryOp::Max => wrap(dt, a.max(b)),
        BinaryOp::Min => wrap(dt, a.min(b)),
        BinaryOp::Pow => round(dt, x.powf(y)),
    }
}

/// An `i64` wrapped to the width of the integer dtype `dt`.
fn wrap(dt: DType, v: i64) -> f64 {
    match dt {
        DType::I32 => v as i32 as f64,
        _ => v as f64,
    }
}

/// Elementwise comparison; NaN compares unequal to everything (so only `ne` holds).
pub fn compare(dir: CmpDir, a: &Array, b: &Array) -> Array {
    zip(a, b, DType::Bool, |x, y| {
        bool_value(match dir {
            CmpDir::Eq => x == y,
            CmpDir::Ne => x != y,
            CmpDir::Lt => x < y,
            CmpDir::Le => x <= y,
            CmpDir::Gt => x > y,
            CmpDir::Ge => x >= y,
        })
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
