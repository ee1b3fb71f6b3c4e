//! Rounding to a dtype, conversions, and the accumulator every summing op uses.
//!
//! Every op computes in `f64` and rounds its result once with [`round`]. Floats round to
//! nearest, ties to even; bf16 and f16 go through an f32 rounded to odd, so the result is the
//! correctly rounded one (rounding to f32 first with ties to even could round twice).

use flash_ir::DType;
use half::{bf16, f16};

/// Rounds `x` to the nearest value of `dtype` (returned as `f64`).
///
/// Floats: round to nearest, ties to even, overflowing to infinity. Integers: truncate toward
/// zero, then wrap as two's complement (NaN gives 0; magnitudes beyond `i64` saturate before
/// wrapping). Bool: 1 if `x != 0` (so NaN gives 1), else 0.
pub fn round(dtype: DType, x: f64) -> f64 {
    match dtype {
        DType::F64 => x,
        DType::F32 => x as f32 as f64,
        DType::BF16 => bf16::from_f32(round_to_odd_f32(x)).to_f64(),
        DType::F16 => f16::from_f32(round_to_odd_f32(x)).to_f64(),
        DType::I32 => x as i64 as i32 as f64,
        DType::I64 => x as i64 as f64,
        DType::Bool => bool_value(x != 0.0),
    }
}

/// The value of an element converted from `from` to `to` (the `convert` op).
///
/// Float to integer truncates toward zero and saturates at the integer's range, NaN giving 0
/// (StableHLO leaves this implementation-defined; it is what XLA's backends do). Every other
/// pair follows [`round`]: integers wrap, bools become 0 or 1, floats round to nearest even.
pub fn convert(from: DType, to: DType, x: f64) -> f64 {
    match to {
        DType::I32 if from.is_float() => x as i32 as f64,
        DType::I64 if from.is_float() => x as i64 as f64,
        _ => round(to, x),
    }
}

/// A bool as the stored value 1.0 or 0.0.
pub fn bool_value(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// `x` rounded to f32 with round-to-odd: an inexact result gets an odd last mantissa bit.
/// Rounding that to any format at least two bits narrower gives the correctly rounded value.
fn round_to_odd_f32(x: f64) -> f32 {
    let r = x as f32;
    if x.is_nan() || r.is_infinite() || r as f64 == x || r.to_bits() & 1 == 1 {
        return r;
    }
    // Inexact with an even last bit: step one ulp from r toward x (sign-magnitude bits).
    let away_from_zero = x.abs() > (r as f64).abs();
    let bits = r.to_bits();
    f32::from_bits(if away_from_zero { bits + 1 } else { bits - 1 })
}

/// A running sum: exact wrapping `i128` arithmetic for integer operands, `f64` for floats.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Acc {
    /// Sum of integer values (wraps modulo 2^128, so it wraps correctly modulo 2^32 and 2^64).
    Int(i128),
    /// Sum of float values.
    Float(f64),
}

impl Acc {
    /// A zero sum of operands of dtype `operand`.
    pub fn zero(operand: DType) -> Acc {
        if operand.is_int() {
            Acc::Int(0)
        } else {
            Acc::Float(0.0)
        }
    }

    /// Adds `x`.
    pub fn add(&mut self, x: f64) {
        match self {
            Acc::Int(s) => *s = s.wrapping_add(x as i128),
            Acc::Float(s) => *s += x,
        }
    }

    /// Adds `a * b`.
    pub fn add_product(&mut self, a: f64, b: f64) {
        match self {
            Acc::Int(s) => *s = s.wrapping_add((a as i128).wrapping_mul(b as i128)),
            Acc::Float(s) => *s += a * b,
        }
    }

    /// The sum rounded to `out`: integers wrap to the result width; a float sum is rounded.
    pub fn value(self, out: DType) -> f64 {
        match (self, out) {
            (Acc::Int(s), DType::I32) => s as i32 as f64,
            (Acc::Int(s), DType::I64) => s as i64 as f64,
            (Acc::Int(s), DType::Bool) => bool_value(s != 0),
            (Acc::Int(s), float) => round(float, s as f64),
            (Acc::Float(s), _) => round(out, s),
        }
    }
}
