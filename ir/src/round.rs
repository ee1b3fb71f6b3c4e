//! Rounding `f64` values to a dtype, and the `convert` op on one value: the one definition
//! used by the interpreter, the constant folder and the StableHLO literal printer.
//!
//! Floats round to nearest, ties to even; bf16 and f16 go through an f32 rounded to odd, so
//! the result is the correctly rounded one (rounding to f32 with ties to even first could round
//! twice, and `half`'s own `from_f64` truncates first). This is also what MLIR's
//! `APFloat::convert` does when it reads a decimal literal.

use crate::dtype::DType;
use half::{bf16, f16};

/// Rounds `x` to the nearest value of `dtype` (returned as `f64`).
///
/// Floats: round to nearest, ties to even, overflowing to infinity. Integers: truncate toward
/// zero, then wrap as two's complement (NaN gives 0; magnitudes beyond `i64` saturate before
/// wrapping). Bool: 1 if `x != 0` (so NaN gives 1), else 0.
pub fn round(dtype: DType, x: f64) -> f64 {
    match dtype {
        DType::F64 => x,
        DType::F32 => f64::from(x as f32),
        DType::BF16 => to_bf16(x).to_f64(),
        DType::F16 => to_f16(x).to_f64(),
        DType::I32 => f64::from(x as i64 as i32),
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
        DType::I32 if from.is_float() => f64::from(x as i32),
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

/// `x` rounded to bf16, to nearest with ties to even.
pub fn to_bf16(x: f64) -> bf16 {
    bf16::from_f32(round_to_odd_f32(x))
}

/// `x` rounded to f16, to nearest with ties to even.
pub fn to_f16(x: f64) -> f16 {
    f16::from_f32(round_to_odd_f32(x))
}

/// `x` rounded to f32 with round-to-odd: an inexact result gets an odd last mantissa bit.
/// Rounding that to any format at least two bits narrower gives the correctly rounded value.
fn round_to_odd_f32(x: f64) -> f32 {
    let r = x as f32;
    if x.is_nan() || r.is_infinite() || f64::from(r) == x || r.to_bits() & 1 == 1 {
        return r;
    }
    // Inexact with an even last bit: step one ulp from r toward x (sign-magnitude bits).
    let away_from_zero = x.abs() > f64::from(r).abs();
    let bits = r.to_bits();
    f32::from_bits(if away_from_zero { bits + 1 } else { bits - 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteen_bit_floats_round_once_to_nearest_even() {
        // 1 + 2^-8 + 2^-30 is just above the bf16 tie 1 + 2^-8: it rounds up, although
        // rounding to f32 first (ties to even) would give the tie and then round down.
        let x = 1.0 + 2f64.powi(-8) + 2f64.powi(-30);
        assert_eq!(to_bf16(x).to_f64(), 1.0 + 2f64.powi(-7));
        assert_eq!(to_bf16(1.0 + 2f64.powi(-8)).to_f64(), 1.0);
        assert_eq!(
            to_f16(1.0 + 2f64.powi(-11) + 2f64.powi(-40)).to_f64(),
            1.0 + 2f64.powi(-10)
        );
    }

    #[test]
    fn overflow_and_nan() {
        assert_eq!(round(DType::BF16, 3.5e38), f64::INFINITY);
        assert_eq!(round(DType::F16, -7.0e4), f64::NEG_INFINITY);
        assert_eq!(round(DType::F16, f64::MIN), f64::NEG_INFINITY);
        assert!(round(DType::BF16, f64::NAN).is_nan());
        assert_eq!(round(DType::I32, f64::NAN), 0.0);
        assert_eq!(round(DType::Bool, f64::NAN), 1.0);
    }

    #[test]
    fn rounding_a_rounded_value_changes_no_bit() {
        let signalling_nan = f64::from_bits(0x7FF0_0000_0000_0001);
        let values = [
            0.1,
            -1e-40,
            3.5e38,
            65519.0,
            -0.0,
            1e300,
            -f64::NAN,
            signalling_nan,
        ];
        for dtype in DType::ALL {
            for x in values {
                let once = round(dtype, x);
                assert_eq!(round(dtype, once).to_bits(), once.to_bits(), "{dtype} {x}");
            }
        }
    }

    #[test]
    fn integers_wrap_but_float_conversions_saturate() {
        assert_eq!(round(DType::I32, 2f64.powi(31)), -(2f64.powi(31)));
        assert_eq!(
            convert(DType::F64, DType::I32, 2f64.powi(31)),
            2f64.powi(31) - 1.0
        );
        assert_eq!(
            convert(DType::I64, DType::I32, 2f64.powi(31)),
            -(2f64.powi(31))
        );
        assert_eq!(convert(DType::F32, DType::I64, -2.7), -2.0);
    }
}
