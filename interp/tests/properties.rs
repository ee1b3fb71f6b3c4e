//! Property tests: rounding picks the nearest representable value (ties to even), and layout
//! ops compose as their definitions say.

mod common;
use common::*;
use flash_interp::round::round;
use flash_interp::Array;
use flash_ir::{DType, Op};
use half::{bf16, f16};
use proptest::prelude::*;

/// The representable neighbours just below and above `r` (a value of the 16-bit format).
fn neighbours(dtype: DType, r: f64) -> (f64, f64) {
    let step = |d: i32| match dtype {
        DType::BF16 => {
            let b = bf16::from_f64(r).to_bits() as i32;
            bf16::from_bits((b + if r < 0.0 { -d } else { d }) as u16).to_f64()
        }
        _ => {
            let b = f16::from_f64(r).to_bits() as i32;
            f16::from_bits((b + if r < 0.0 { -d } else { d }) as u16).to_f64()
        }
    };
    (step(-1), step(1))
}

fn check_nearest(dtype: DType, x: f64) -> Result<(), TestCaseError> {
    let r = round(dtype, x);
    prop_assume!(r.is_finite() && r != 0.0);
    let (lo, hi) = neighbours(dtype, r);
    let d = (x - r).abs();
    for n in [lo, hi] {
        let dn = (x - n).abs();
        prop_assert!(d <= dn, "{x} -> {r}, but {n} is nearer");
        if d == dn {
            let even = match dtype {
                DType::BF16 => bf16::from_f64(r).to_bits().is_multiple_of(2),
                _ => f16::from_f64(r).to_bits().is_multiple_of(2),
            };
            prop_assert!(even, "{x} is a tie and {r} is not even");
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn bf16_rounding_is_nearest_even(m in -1.0e6f64..1.0e6, e in -40i32..40) {
        check_nearest(DType::BF16, m * 2f64.powi(e))?;
    }

    #[test]
    fn f16_rounding_is_nearest_even(x in -60000.0f64..60000.0, e in -10i32..1) {
        check_nearest(DType::F16, x * 2f64.powi(e))?;
    }

    #[test]
    fn bf16_ties_with_low_sticky_bits(k in 1u32..127, low in 1u64..(1 << 20)) {
        // (1 + k/128) + half an ulp, plus a few bits far below f32's reach: rounds up.
        let x = 1.0 + k as f64 / 128.0 + 2f64.powi(-8) + low as f64 * 2f64.powi(-60);
        prop_assert_eq!(round(DType::BF16, x), 1.0 + (k + 1) as f64 / 128.0);
    }

    #[test]
    fn transpose_then_inverse_is_identity(a in 1usize..4, b in 1usize..4, c in 1usize..4) {
        let x = Array::from_fn(t(DType::F64, &[a, b, c]), |i| (i[0] * 16 + i[1] * 4 + i[2]) as f64);
        let y = apply(Op::Transpose { perm: vec![1, 2, 0] }, std::slice::from_ref(&x));
        let z = apply(Op::Transpose { perm: vec![2, 0, 1] }, &[y]);
        prop_assert_eq!(z, x);
    }

    #[test]
    fn exclusive_plus_element_is_inclusive(v in proptest::collection::vec(-1000i32..1000, 1..20), rev: bool) {
        let x = arr(DType::I32, &[v.len()], &v.iter().map(|&i| i as f64).collect::<Vec<_>>());
        let ex = apply(Op::Cumsum { dim: 0, exclusive: true, reverse: rev }, std::slice::from_ref(&x));
        let inc = apply(Op::Cumsum { dim: 0, exclusive: false, reverse: rev }, std::slice::from_ref(&x));
        let sum: Vec<f64> = ex.data.iter().zip(&x.data).map(|(a, b)| a + b).collect();
        prop_assert_eq!(sum, inc.data);
    }
}
