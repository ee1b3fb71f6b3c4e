//! Helpers on constant values shared by `fold_constants` and `canonicalize`: rounding a value
//! to a dtype, reading a constant operand, and recognising splats.

use flash_ir::round::round;
use flash_ir::{DType, Graph, Literal, Op, ValueId};

/// Largest integer magnitude an `f64` holds exactly (2^53); larger `i64` results are not
/// folded.
const EXACT_INT: f64 = 9_007_199_254_740_992.0;

/// `v` rounded to `dtype` ([`round`]), or `None` if it is not representable: integers must
/// be integral and in range (i64 within +-2^53, where `f64` is exact), so they never wrap;
/// bool is `v != 0`.
pub fn round_to(v: f64, dtype: DType) -> Option<f64> {
    let rounded = round(dtype, v);
    if !dtype.is_int() {
        return Some(rounded);
    }
    (rounded == v && v.abs() <= EXACT_INT).then_some(v)
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
