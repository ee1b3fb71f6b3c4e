//! The folder's scalar arithmetic: the one definition in [`flash_ir::scalar`], declined where
//! the result is backend-defined. `None` means "do not fold": integer overflow (integer results
//! are exact and [`round_to`](crate::literal::round_to) rejects those out of range), integer
//! division by zero, a float-to-int conversion of a non-integral or out-of-range value, and a
//! max/min of two zeros of different signs.

use flash_ir::{round, scalar, BinaryOp, CmpDir, DType, UnaryOp};

/// Largest integer operand magnitude the folder computes with.
const MAX_INT_OPERAND: f64 = 9.0e15;

/// `u(x)` for an operand of dtype `dtype`.
pub fn unary(u: UnaryOp, x: f64, dtype: DType) -> Option<f64> {
    if dtype.is_int() {
        return scalar::int_unary(u, to_int(x)?).map(|v| v as f64);
    }
    Some(scalar::float_unary(u, x))
}

/// `x op y` for operands of dtype `dtype`.
pub fn binary(op: BinaryOp, x: f64, y: f64, dtype: DType) -> Option<f64> {
    if dtype.is_int() {
        return scalar::int_binary(op, to_int(x)?, to_int(y)?).map(|v| v as f64);
    }
    match op {
        BinaryOp::Max | BinaryOp::Min if x.is_nan() || y.is_nan() => Some(f64::NAN),
        BinaryOp::Max | BinaryOp::Min if x == y && x.to_bits() != y.to_bits() => None,
        _ => Some(scalar::float_binary(op, x, y)),
    }
}

/// The comparison as 1.0 (true) or 0.0 (false).
pub fn compare(dir: CmpDir, x: f64, y: f64) -> f64 {
    round::bool_value(scalar::compare(dir, x, y))
}

/// Converts `x` from `from` to `to`. Integer results fold only when exact (no truncation,
/// saturation or wrapping), keeping `x` itself.
pub fn convert(x: f64, from: DType, to: DType) -> Option<f64> {
    let converted = round::convert(from, to, x);
    if to.is_int() {
        return (converted == x).then_some(x);
    }
    Some(converted)
}

fn to_int(x: f64) -> Option<i64> {
    (x.is_finite() && x.fract() == 0.0 && x.abs() <= MAX_INT_OPERAND).then_some(x as i64)
}
