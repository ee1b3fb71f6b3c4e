//! VJP rule of `dot_general`, for any batch, contracting and free dims.
//!
//! The result's dims are `[batch, lhs free, rhs free]`. Each operand's gradient is a
//! `dot_general` of the cotangent with the other operand that contracts the other operand's
//! free dims and batches the batch dims, then a transpose back to the operand's dim order:
//! - lhs: `dot(ct, rhs)` gives `[batch, lhs free, lhs contract]`, the layout of an `[M, K]`
//!   matrix, so a plain matmul needs no transpose;
//! - rhs: `dot(lhs, ct)` gives `[batch, rhs contract, rhs free]`, the layout of a `[K, N]`
//!   matrix, likewise.
//!
//! The contracting dims come out in the order of the other operand's (sorted) contracting
//! dims. Dtypes: the cotangent (of the result dtype `out`) is converted to the operands'
//! dtype, the product accumulates in `out` like the forward one, and the result is converted
//! back to the operand dtype. Integer operands get no gradient.

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

    /// Where each of this side's contracting dims lands when the partner's remaining
    /// (contracting) dims come out sorted, counted from `at`.
    fn contract_positions(&self, partner: &Side, at: usize) -> Vec<usize> {
        partner
            .contract
            .iter()
            .map(|&p| at + partner.contract.iter().filter(|&&e| e < p).count())
            .collect()
    }
}

/// The two transposed products.
pub(super) fn dot_general(c: &mut Ctx<'_, '_>, dims: &DotDims) -> RuleResult {
    let (l, r, ct) = (c.x(0), c.x(1), c.ct);
    let lhs = Side::new(c.b.ty(l).rank(), &dims.lhs_batch, &dims.lhs_contract);
    let rhs = Side::new(c.b.ty(r).rank(), &dims.rhs_batch, &dims.rhs_contract);
    let out = dims.out;
    let gl = c.when(0, |b| lhs_grad(b, ct, r, &lhs, &rhs, out))?;
    let gr = c.when(1, |b| rhs_grad(b, ct, l, &lhs, &rhs, out))?;
    Ok(vec![gl, gr])
}

/// `dot(ct, rhs)`: `[batch, lhs free, lhs contract]`, transposed into lhs's order.
fn lhs_grad(
    b: &mut Builder<'_>,
    ct: ValueId,
    r: ValueId,
    lhs: &Side,
    rhs: &Side,
    out: DType,
) -> BuildResult {
    let dtype = b.dtype(r);
    let ct = b.convert(ct, dtype)?;
    let (nb, rhs_free_at) = (lhs.batch.len(), lhs.batch.len() + lhs.free.len());
    let dims = DotDims {
        lhs_batch: (0..nb).collect(),
        rhs_batch: rhs.batch.clone(),
        lhs_contract: (rhs_free_at..rhs_free_at + rhs.free.len()).collect(),
        rhs_contract: rhs.free.clone(),
        out,
    };
    let g = b.dot_general(ct, r, dims)?;
    let free_at = (nb..nb + lhs.free.len()).collect::<Vec<_>>();
    let contract_at = lhs.contract_positions(rhs, rhs_free_at);
    let g = b.transpose(g, &perm(lhs, &free_at, &contract_at))?;
    b.convert(g, dtype)
}

/// `dot(lhs, ct)`: `[batch, rhs contract, rhs free]`, transposed into rhs's order.
fn rhs_grad(
    b: &mut Builder<'_>,
    ct: ValueId,
    l: ValueId,
    lhs: &Side,
    rhs: &Side,
    out: DType,
) -> BuildResult {
    let dtype = b.dtype(l);
    let ct = b.convert(ct, dtype)?;
    let nb = lhs.batch.len();
    let dims = DotDims {
        lhs_batch: lhs.batch.clone(),
        rhs_batch: (0..nb).collect(),
        lhs_contract: lhs.free.clone(),
        rhs_contract: (nb..nb + lhs.free.len()).collect(),
        out,
    };
    let g = b.dot_general(l, ct, dims)?;
    let contract_at = rhs.contract_positions(lhs, nb);
    let free_at = nb + rhs.contract.len();
    let free_at = (free_at..free_at + rhs.free.len()).collect::<Vec<_>>();
    let g = b.transpose(g, &perm(rhs, &free_at, &contract_at))?;
    b.convert(g, dtype)
}

/// The transpose taking the product's dims to `side`'s order: `perm[d]` is the product dim
/// holding `side`'s dim `d` (batch dims lead, in order).
fn perm(side: &Side, free_at: &[usize], contract_at: &[usize]) -> Vec<usize> {
    let mut perm = vec![0; side.batch.len() + side.contract.len() + side.free.len()];
    for (i, &d) in side.batch.iter().enumerate() {
        perm[d] = i;
    }
    for (&d, &at) in side.free.iter().zip(free_at) {
        perm[d] = at;
    }
    for (&d, &at) in side.contract.iter().zip(contract_at) {
        perm[d] = at;
    }
    perm
}
