//! VJP rule of `dot_general`, for any batch, contracting and free dims.
//!
//! The result's dims are `[batch, lhs free, rhs free]`. The gradient of one side ("self") is
//! the `dot_general` of the cotangent with the other side, contracting the cotangent's dims
//! of the other side's free dims with those free dims and batching the batch dims. Its dims
//! come out as `[batch, self free, self contracting (in the other side's contracting dim
//! order)]`, so a transpose restores self's dim order.
//!
//! Dtypes: the cotangent (of the result dtype `out`) is converted to the operands' dtype,
//! the transposed product accumulates in `out` like the forward one, and the result is
//! converted back to the operand dtype. Integer operands get no gradient.

use super::{Ctx, RuleResult};
use flash_ir::build::BuildResult;
use flash_ir::{Builder, DType, DotDims, ValueId};

/// The dims of one operand of a `dot_general`.
struct Side {
    batch: Vec<usize>,
    contract: Vec<usize>,
    free: Vec<usize>,
}

impl Side {
    fn new(rank: usize, batch: &[usize], contract: &[usize]) -> Side {
        let free = (0..rank)
            .filter(|d| !batch.contains(d) && !contract.contains(d))
            .collect();
        Side {
            batch: batch.to_vec(),
            contract: contract.to_vec(),
            free,
        }
    }
}

/// The two transposed products.
pub(super) fn dot_general(c: &mut Ctx<'_, '_>, dims: &DotDims) -> RuleResult {
    let (l, r, ct) = (c.x(0), c.x(1), c.ct);
    let lhs = Side::new(c.b.ty(l).rank(), &dims.lhs_batch, &dims.lhs_contract);
    let rhs = Side::new(c.b.ty(r).rank(), &dims.rhs_batch, &dims.rhs_contract);
    let nb = lhs.batch.len();
    let (lhs_at, rhs_at) = (nb, nb + lhs.free.len());
    let out = dims.out;
    let gl = c.when(0, |b| side_grad(b, ct, r, &lhs, &rhs, rhs_at, out))?;
    let gr = c.when(1, |b| side_grad(b, ct, l, &rhs, &lhs, lhs_at, out))?;
    Ok(vec![gl, gr])
}

/// The gradient of the side `me`, whose partner operand is `other`; `them_at` is where
/// `other`'s free dims start among the cotangent's dims.
fn side_grad(
    b: &mut Builder<'_>,
    ct: ValueId,
    other: ValueId,
    me: &Side,
    them: &Side,
    them_at: usize,
    out: DType,
) -> BuildResult {
    let dtype = b.dtype(other);
    let ct = b.convert(ct, dtype)?;
    let nb = me.batch.len();
    let dims = DotDims {
        lhs_batch: (0..nb).collect(),
        rhs_batch: them.batch.clone(),
        lhs_contract: (them_at..them_at + them.free.len()).collect(),
        rhs_contract: them.free.clone(),
        out,
    };
    let g = b.dot_general(ct, other, dims)?;
    let g = b.transpose(g, &restore_perm(me, them))?;
    b.convert(g, dtype)
}

/// `perm[d]` = position of `me`'s dim `d` in `[batch, me free, me contract in the order of
/// them's sorted contracting dims]`.
fn restore_perm(me: &Side, them: &Side) -> Vec<usize> {
    let rank = me.batch.len() + me.contract.len() + me.free.len();
    let mut perm = vec![0; rank];
    for (i, &d) in me.batch.iter().enumerate() {
        perm[d] = i;
    }
    let free_at = me.batch.len();
    for (k, &d) in me.free.iter().enumerate() {
        perm[d] = free_at + k;
    }
    let contract_at = free_at + me.free.len();
    for (i, &d) in me.contract.iter().enumerate() {
        let partner = them.contract[i];
        let rank_among = them.contract.iter().filter(|&&e| e < partner).count();
        perm[d] = contract_at + rank_among;
    }
    perm
}
