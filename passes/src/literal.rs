//! Helpers on constant values shared by `fold_constants` and `canonicalize`: rounding a value
//! to a dtype, reading a constant operand, and recognising splats.

use flash_ir::{DType, Graph, Literal, Op, ValueId};

/// Largest integer magnitude an `f64` holds exactly (2^53); larger `i64` results are not
/// folded.
const EXACT_INT: f64 = 9_007_199_254_740_992.0;

/// `v` rounded to `dtype`, or `None` if it is not representable: integers must be integral
/// and in range (i64 within +-2^53, where `f64` is exact); bool is `v != 0`. Floats round to
/// nearest, ties to even; bf16 and f16 via an f32 rounded to odd, which makes the result
/// correctly rounded (`half`'s own `from_f64` truncates or rounds twice).
pub fn round_to(v: f64, dtype: DType) -> Option<f64> {
    match dtype {
        DType::F64 => Some(v),
        DType::F32 => Some(f64::from(v as f32)),
        DType::BF16 => Some(half::bf16::from_f32(round_to_odd_f32(v)).to_f64()),
        DType::F16 => Some(half::f16::from_f32(round_to_odd_f32(v)).to_f64()),
        DType::I32 => int_in(v, f64::from(i32::MIN), f64::from(i32::MAX)),
        DType::I64 => int_in(v, -EXACT_INT, EXACT_INT),
        DType::Bool => Some(if v != 0.0 { 1.0 } else { 0.0 }),
    }
}

/// `v` as f32 rounded to odd: an inexact result gets an odd last mantissa bit, so rounding it
/// again to a format at least two bits narrower is correct.
fn round_to_odd_f32(v: f64) -> f32 {
    let r = v as f32;
    if v.is_nan() || r.is_infinite() || f64::from(r) == v || r.to_bits() & 1 == 1 {
        return r;
    }
    // Inexact with an even last bit: step one ulp from r towards v.
    let bits = r.to_bits();
    f32::from_bits(if v.abs() > f64::from(r).abs() {
        bits + 1
    } else {
        bits - 1
    })
}

fn int_in(v: f64, lo: f64, hi: f64) -> Option<f64> {
    (v.fract() == 0.0 && v >= lo && v <= hi).then_some(v)
}

/// The literal of `v` if a constant defines it.
pub fn constant(g: &Graph, v: ValueId) -> Option<&Literal> {
    match &g.nodes.get(v.index())?.op {
        Op::Constant { value, .. } => Some(value),
        _ => None,
    }
}

/// The one value of a literal whose elements are all bitwise equal (a splat, or a non-empty
/// dense literal of equal values).
pub fn literal_splat(lit: &Literal) -> Option<f64> {
    match lit {
        Literal::Splat(v) => Some(*v),
        Literal::Dense(vs) => {
            let first = *vs.first()?;
            vs.iter()
                .all(|x| x.to_bits() == first.to_bits())
                .then_some(first)
        }
    }
}

/// The value every element of `v` has, when `v` is a splat constant, possibly behind
/// shape-only ops (broadcast_in_dim, reshape, transpose).
pub fn splat_value(g: &Graph, mut v: ValueId) -> Option<f64> {
    loop {
        let node = g.nodes.get(v.index())?;
        match &node.op {
            Op::Constant { value, .. } => return literal_splat(value),
            Op::BroadcastInDim { .. } | Op::Reshape { .. } | Op::Transpose { .. } => {
                v = *node.operands.first()?;
            }
            _ => return None,
        }
    }
}

/// Element `i` of a literal (row-major).
pub fn element(lit: &Literal, i: usize) -> Option<f64> {
    match lit {
        Literal::Splat(v) => Some(*v),
        Literal::Dense(vs) => vs.get(i).copied(),
    }
}
