//! Rounding to a dtype, conversions, and the accumulator every summing op uses.
//!
//! Every op computes in `f64` and rounds its result once with [`round`]. Rounding and
//! conversion are defined once, in [`flash_ir::round`] (re-exported here); floats round to
//! nearest, ties to even, correctly rounded for bf16 and f16 too.

pub use flash_ir::round::{bool_value, convert, round};
use flash_ir::DType;

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
