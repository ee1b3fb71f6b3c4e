//! Scalar arithmetic of the folder: one value at a time, in `f64`, with integer ops done in
//! checked `i64` arithmetic. `None` means "do not fold" (overflow, integer division by zero,
//! a float-to-int conversion of a non-integral value, an ambiguous signed-zero max/min).

use flash_ir::{BinaryOp, CmpDir, DType, UnaryOp};

/// `u(x)` for an operand of dtype `dtype`.
pub fn unary(u: UnaryOp, x: f64, dtype: DType) -> Option<f64> {
    if dtype.is_int() {
        return int_unary(u, to_int(x)?).map(|v| v as f64);
    }
    Some(match u {
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
    })
}

fn int_unary(u: UnaryOp, x: i64) -> Option<i64> {
    match u {
        UnaryOp::Neg => x.checked_neg(),
        UnaryOp::Abs => x.checked_abs(),
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

/// `x op y` for operands of dtype `dtype`.
pub fn binary(op: BinaryOp, x: f64, y: f64, dtype: DType) -> Option<f64> {
    if dtype.is_int() {
        return int_binary(op, to_int(x)?, to_int(y)?).map(|v| v as f64);
    }
    match op {
        BinaryOp::Add => Some(x + y),
        BinaryOp::Sub => Some(x - y),
        BinaryOp::Mul => Some(x * y),
        BinaryOp::Div => Some(x / y),
        BinaryOp::Max => max_min(x, y, true),
        BinaryOp::Min => max_min(x, y, false),
        BinaryOp::Pow => Some(x.powf(y)),
    }
}

fn int_binary(op: BinaryOp, x: i64, y: i64) -> Option<i64> {
    match op {
        BinaryOp::Add => x.checked_add(y),
        BinaryOp::Sub => x.checked_sub(y),
        BinaryOp::Mul => x.checked_mul(y),
        BinaryOp::Div => x.checked_div(y),
        BinaryOp::Max => Some(x.max(y)),
        BinaryOp::Min => Some(x.min(y)),
        BinaryOp::Pow => None,
    }
}

/// NaN-propagating max/min; `None` for `max(+0, -0)`-like ties whose sign is unspecified.
fn max_min(x: f64, y: f64, max: bool) -> Option<f64> {
    if x.is_nan() || y.is_nan() {
        return Some(f64::NAN);
    }
    if x == y {
        return (x.to_bits() == y.to_bits()).then_some(x);
    }
    Some(if (x > y) == max { x } else { y })
}

/// The comparison as 1.0 (true) or 0.0 (false); IEEE semantics (NaN is unordered).
pub fn compare(dir: CmpDir, x: f64, y: f64) -> f64 {
    let r = match dir {
        CmpDir::Eq => x == y,
        CmpDir::Ne => x != y,
        CmpDir::Lt => x < y,
        CmpDir::Le => x <= y,
        CmpDir::Gt => x > y,
        CmpDir::Ge => x >= y,
    };
    f64::from(u8::from(r))
}

/// Converts `x` to `to` (the caller rounds to `to` afterwards). Float-to-int conversions fold
/// only for integral values, where every backend agrees.
pub fn convert(x: f64, to: DType) -> Option<f64> {
    match to {
        DType::Bool => Some(f64::from(u8::from(x != 0.0))),
        DType::F32 | DType::F64 | DType::BF16 | DType::F16 => Some(x),
        DType::I32 | DType::I64 => (x.is_finite() && x.fract() == 0.0).then_some(x),
    }
}

fn to_int(x: f64) -> Option<i64> {
    (x.is_finite() && x.fract() == 0.0 && x.abs() <= 9.0e15).then_some(x as i64)
}
