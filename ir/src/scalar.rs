//! Elementwise semantics on one value at a time, in `f64`: the one definition of every
//! [`UnaryOp`], [`BinaryOp`] and [`CmpDir`], used by the interpreter and the constant folder.
//!
//! Operands are values of their dtype (already rounded, see [`crate::round`]). Float results
//! are exact `f64` results that the caller rounds to the dtype once. Integer `neg`, `abs` and
//! the binary arithmetic are computed exactly ([`int_unary`], [`int_binary`]) and wrapped to
//! the dtype's width as two's complement, with XLA's `x / 0 = -1`. The float-only functions
//! (which the verifier rejects on integers) are applied to integers as floats.

use crate::dtype::DType;
use crate::op::{BinaryOp, CmpDir, UnaryOp};

/// `op(x)` for an operand of dtype `dtype`.
pub fn unary(op: UnaryOp, dtype: DType, x: f64) -> f64 {
    match int_unary(op, x as i64) {
        Some(exact) if dtype.is_int() => wrap(dtype, exact),
        Some(_) | None => float_unary(op, x),
    }
}

/// `x op y` for operands of dtype `dtype`.
pub fn binary(op: BinaryOp, dtype: DType, x: f64, y: f64) -> f64 {
    if !dtype.is_int() {
        return float_binary(op, x, y);
    }
    match int_binary(op, x as i64, y as i64) {
        Some(exact) => wrap(dtype, exact),
        None if op == BinaryOp::Div => -1.0,
        None => float_binary(op, x, y),
    }
}

/// The comparison; IEEE semantics (NaN is unordered, so only `ne` holds).
pub fn compare(dir: CmpDir, x: f64, y: f64) -> bool {
    match dir {
        CmpDir::Eq => x == y,
        CmpDir::Ne => x != y,
        CmpDir::Lt => x < y,
        CmpDir::Le => x <= y,
        CmpDir::Gt => x > y,
        CmpDir::Ge => x >= y,
    }
}

/// A unary function on a float, unrounded.
pub fn float_unary(op: UnaryOp, x: f64) -> f64 {
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

/// A binary function on floats, unrounded. `max` and `min` are IEEE 754-2019 `maximum` and
/// `minimum`: NaN if either operand is NaN, and `+0` above `-0`.
pub fn float_binary(op: BinaryOp, x: f64, y: f64) -> f64 {
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

/// The exact value of an integer unary op (no overflow in `i128`); `None` for the float-only
/// functions.
pub fn int_unary(op: UnaryOp, x: i64) -> Option<i128> {
    let x = i128::from(x);
    match op {
        UnaryOp::Neg => Some(-x),
        UnaryOp::Abs => Some(x.abs()),
        UnaryOp::Exp
        | UnaryOp::Log
        | UnaryOp::Tanh
        | UnaryOp::Logistic
        | UnaryOp::Sqrt
        | UnaryOp::Rsqrt
        | UnaryOp::Sin
        | UnaryOp::Cos => None,
    }
}

/// The exact value of integer arithmetic (no overflow in `i128`; division truncates toward
/// zero); `None` for division by zero and for `pow`, which is float-only.
pub fn int_binary(op: BinaryOp, x: i64, y: i64) -> Option<i128> {
    let (a, b) = (i128::from(x), i128::from(y));
    match op {
        BinaryOp::Add => Some(a + b),
        BinaryOp::Sub => Some(a - b),
        BinaryOp::Mul => Some(a * b),
        BinaryOp::Div => a.checked_div(b),
        BinaryOp::Max => Some(a.max(b)),
        BinaryOp::Min => Some(a.min(b)),
        BinaryOp::Pow => None,
    }
}

/// An exact integer wrapped (two's complement) to the width of the integer dtype `dtype`.
fn wrap(dtype: DType, v: i128) -> f64 {
    match dtype {
        DType::I32 => f64::from(v as i32),
        _ => v as i64 as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_arithmetic_wraps_to_the_dtype() {
        let (min32, max32) = (f64::from(i32::MIN), f64::from(i32::MAX));
        assert_eq!(binary(BinaryOp::Add, DType::I32, max32, 1.0), min32);
        assert_eq!(unary(UnaryOp::Neg, DType::I32, min32), min32);
        assert_eq!(
            unary(UnaryOp::Abs, DType::I64, i64::MIN as f64),
            i64::MIN as f64
        );
        assert_eq!(binary(BinaryOp::Div, DType::I32, min32, -1.0), min32);
        assert_eq!(binary(BinaryOp::Div, DType::I64, 7.0, 0.0), -1.0);
        assert_eq!(binary(BinaryOp::Div, DType::I32, -7.0, 2.0), -3.0);
    }

    #[test]
    fn float_only_functions_on_integers_are_float() {
        assert_eq!(unary(UnaryOp::Sqrt, DType::I32, 4.0), 2.0);
        assert_eq!(binary(BinaryOp::Pow, DType::I64, 2.0, 10.0), 1024.0);
    }

    #[test]
    fn max_and_min_order_signed_zeros_and_propagate_nan() {
        assert!(float_binary(BinaryOp::Max, 0.0, -0.0).is_sign_positive());
        assert!(float_binary(BinaryOp::Min, 0.0, -0.0).is_sign_negative());
        assert!(float_binary(BinaryOp::Min, f64::NAN, 1.0).is_nan());
        assert!(compare(CmpDir::Ne, f64::NAN, f64::NAN));
        assert!(!compare(CmpDir::Eq, f64::NAN, f64::NAN));
    }
}
