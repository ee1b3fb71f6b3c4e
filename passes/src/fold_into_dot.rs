//! `fold_into_dot`: layout ops around a `dot_general` become its dimension numbers, so the
//! backend sees one contraction instead of a contraction plus a materialised copy (on XLA's
//! CPU runtime every transpose that survives next to a dot is a full, cache-hostile copy).
//!
//! Needs: a graph that verifies. Guarantees: the same values, bit for bit (the same products
//! are summed in the same order; only which buffer is read how changes); no new nodes other
//! than the rewritten dots; bypassed transposes and broadcasts are left for `dce`. Rules:
//! 1. Operand transpose: `dot(transpose(x, p), y)` -> `dot(x, y)` with the operand's batch and
//!    contracting dims mapped through `p`, when `p` keeps that operand's free dims in
//!    increasing order (so the result's dim order is unchanged) and its batch dims leading
//!    and in order (XLA canonicalises a dot with inner batch dims by transposing both
//!    operands, which can copy a far larger other operand). Either side. MHSA's `k^T` folds;
//!    its head transposes `[B, T, H, D] -> [B, H, T, D]` do not.
//! 2. Result transpose: `transpose(dot(a, b), p)` where `p` only swaps the block of lhs free
//!    dims with the block of rhs free dims -> `dot(b, a)` with the dims swapped, when the dot
//!    has no other use (autodiff's `(a b)^T = b^T a^T` produces these) and the swap does not
//!    move more data out of the matmul kernels' natural layout than the result transpose
//!    costs: an lhs is natural as `[batch, free, contract]`, an rhs as `[batch, contract,
//!    free]`; swapping is done when the elements of the operands that are not natural
//!    afterwards are at most those before plus the result's. Without the bound, the swap of
//!    Transformer++'s `dV = P^T dO` at T = 8192 made XLA copy the `[4, T, T]` probabilities
//!    and slowed its train step from 16.6 s to 22.7 s. Tuned on XLA's CPU runtime: applied
//!    where the target's tuning says so ([`crate::pipeline::Tuning::swap_dot_results`]).
//! 3. Broadcast batch: `dot(x, broadcast_in_dim(w))` whose rhs broadcast only adds dims, all
//!    of them batch dims paired with x's leading dims `0..k` in order, and none of w's own dims
//!    a batch dim -> `dot(x, w)`: the former batch dims become free dims of x, in the same
//!    result position. One larger matmul, and the broadcast is never materialised.
//!
//! ```text
//! before:
//!   %0 = parameter {index = 0, name = "q"} : f32[2,4,3]
//!   %1 = parameter {index = 1, name = "k"} : f32[2,5,3]
//!   %2 = transpose(%1) {perm = [0, 2, 1]} : f32[2,3,5]
//!   %3 = dot_general(%0, %2) {lhs_batch = [0], rhs_batch = [0], lhs_contract = [2],
//!          rhs_contract = [1], out = f32} : f32[2,4,5]
//!   %4 = transpose(%3) {perm = [0, 2, 1]} : f32[2,5,4]
//!   return %4
//! after (%2 and %3 are now dead):
//!   %5 = dot_general(%1, %0) {lhs_batch = [0], rhs_batch = [0], lhs_contract = [2],
//!          rhs_contract = [2], out = f32} : f32[2,5,4]
//!   return %5
//! ```

use crate::error::PassError;
use crate::pass::{Pass, PassOptions};
use crate::rewrite::{rebuild, Action};
use flash_ir::{DotDims, Graph, Node, Op, ValueId};

/// The dot-folding pass.
#[derive(Clone, Copy, Debug, Default)]
pub struct FoldIntoDot;

impl Pass for FoldIntoDot {
    fn name(&self) -> &'static str {
        "fold_into_dot"
    }

    fn run(&self, g: Graph, opts: &PassOptions) -> Result<Graph, PassError> {
        let uses = g.use_counts();
        let swap = opts.tuning.swap_dot_results;
        rebuild(&g, |b, _, node, ops| {
            let new = match visit(b.graph, node, ops, (&uses, swap)) {
                Some((dims, lhs, rhs)) => b.dot_general(lhs, rhs, dims)?,
                None => return Ok(Action::Keep),
            };
            Ok(Action::Replace(new))
        })
    }
}

/// The dot (dims, lhs, rhs) that `node` (with new operands `ops`) becomes, if a rule applies
/// (rule 2 only when `swap`).
fn visit(
    g: &Graph,
    node: &Node,
    ops: &[ValueId],
    (uses, swap): (&[usize], bool),
) -> Option<(DotDims, ValueId, ValueId)> {
    match &node.op {
        Op::DotGeneral(dims) => fold_operands(g, dims, ops[0], ops[1]),
        Op::Transpose { perm } => {
            let single_use = uses.get(node.operands[0].index()) == Some(&1);
            (swap && single_use)
                .then(|| swap_result(g, perm, ops[0]))
                .flatten()
        }
        _ => None,
    }
}

/// Rules 1 and 3 on the operands of one dot; `None` if neither changes anything.
fn fold_operands(
    g: &Graph,
    dims: &DotDims,
    lhs: ValueId,
    rhs: ValueId,
) -> Option<(DotDims, ValueId, ValueId)> {
    let mut d = dims.clone();
    let mut changed = false;
    let (lhs, rhs) = (
        untranspose(g, lhs, &mut d.lhs_batch, &mut d.lhs_contract, &mut changed),
        untranspose(g, rhs, &mut d.rhs_batch, &mut d.rhs_contract, &mut changed),
    );
    let (d, rhs) = match unbroadcast_rhs(g, &d, rhs) {
        Some((d, w)) => (d, w),
        None if changed => (d, rhs),
        None => return None,
    };
    Some((d, lhs, rhs))
}

/// Rule 1 for one operand: if `x` is a transpose whose permutation keeps the operand's free
/// dims in order, maps `batch` and `contract` into its input's dims and returns the input.
fn untranspose(
    g: &Graph,
    x: ValueId,
    batch: &mut Vec<usize>,
    contract: &mut [usize],
    changed: &mut bool,
) -> ValueId {
    let node = g.node(x);
    let (Op::Transpose { perm }, [input]) = (&node.op, node.operands.as_slice()) else {
        return x;
    };
    let free: Vec<usize> = (0..perm.len())
        .filter(|d| !batch.contains(d) && !contract.contains(d))
        .map(|d| perm[d])
        .collect();
    let new_batch: Vec<usize> = batch.iter().map(|&d| perm[d]).collect();
    let leading = new_batch.iter().enumerate().all(|(i, &d)| i == d);
    if !free.windows(2).all(|w| w[0] < w[1]) || !leading {
        return x;
    }
    *batch = new_batch;
    contract.iter_mut().for_each(|d| *d = perm[*d]);
    *changed = true;
    *input
}

/// The elements of `x` if, as a dot operand with these `batch` and `contract` dims, it is not
/// in the matmul kernels' natural layout (`[batch, free, contract]` for an lhs, `[batch,
/// contract, free]` for an rhs), else 0.
fn unnatural(g: &Graph, x: ValueId, batch: &[usize], contract: &[usize], lhs: bool) -> usize {
    let ty = g.ty(x);
    let free: Vec<usize> = (0..ty.rank())
        .filter(|d| !batch.contains(d) && !contract.contains(d))
        .collect();
    let leading = batch.iter().enumerate().all(|(i, &d)| i == d);
    let (first, second): (&[usize], &[usize]) = if lhs {
        (&free, contract)
    } else {
        (contract, &free)
    };
    let ordered = first.iter().all(|a| second.iter().all(|b| a < b));
    if leading && ordered {
        0
    } else {
        ty.num_elements()
    }
}

/// Rule 3: `rhs = broadcast_in_dim(w)` adding exactly the batch dims, paired with lhs dims
/// `0..k` in order; returns the unbatched dims and `w`.
fn unbroadcast_rhs(g: &Graph, d: &DotDims, rhs: ValueId) -> Option<(DotDims, ValueId)> {
    let node = g.node(rhs);
    let (Op::BroadcastInDim { shape, dims: kept }, [w]) = (&node.op, node.operands.as_slice())
    else {
        return None;
    };
    let w_shape = &g.ty(*w).shape;
    let pure = kept.iter().zip(w_shape).all(|(&k, &n)| shape[k] == n);
    let increasing = kept.windows(2).all(|p| p[0] < p[1]);
    let added: Vec<usize> = (0..shape.len()).filter(|k| !kept.contains(k)).collect();
    let mut batch = d.rhs_batch.clone();
    batch.sort_unstable();
    let leading = d.lhs_batch.iter().enumerate().all(|(i, &l)| i == l);
    if d.rhs_batch.is_empty() || !pure || !increasing || batch != added || !leading {
        return None;
    }
    // Result: [batch (lhs 0..k), lhs free, rhs free] before; [lhs free incl. 0..k, w free] after.
    let to_w = |dim: usize| kept.iter().position(|&k| k == dim);
    let rhs_contract: Option<Vec<usize>> = d.rhs_contract.iter().map(|&c| to_w(c)).collect();
    Some((
        DotDims {
            lhs_batch: vec![],
            rhs_batch: vec![],
            lhs_contract: d.lhs_contract.clone(),
            rhs_contract: rhs_contract?,
            out: d.out,
        },
        *w,
    ))
}

/// Rule 2: `transpose(dot(a, b), perm)` with `perm` swapping the free-dim blocks.
fn swap_result(g: &Graph, perm: &[usize], x: ValueId) -> Option<(DotDims, ValueId, ValueId)> {
    let node = g.node(x);
    let (Op::DotGeneral(d), [a, b]) = (&node.op, node.operands.as_slice()) else {
        return None;
    };
    let nb = d.lhs_batch.len();
    let nl = g.ty(*a).rank() - nb - d.lhs_contract.len();
    let nr = g.ty(*b).rank() - nb - d.rhs_contract.len();
    let want: Vec<usize> = (0..nb)
        .chain(nb + nl..nb + nl + nr)
        .chain(nb..nb + nl)
        .collect();
    if nl == 0 || nr == 0 || perm != want.as_slice() {
        return None;
    }
    let before = unnatural(g, *a, &d.lhs_batch, &d.lhs_contract, true)
        + unnatural(g, *b, &d.rhs_batch, &d.rhs_contract, false)
        + node.ty.num_elements();
    let after = unnatural(g, *b, &d.rhs_batch, &d.rhs_contract, true)
        + unnatural(g, *a, &d.lhs_batch, &d.lhs_contract, false);
    if after > before {
        return None;
    }
    let swapped = DotDims {
        lhs_batch: d.rhs_batch.clone(),
        rhs_batch: d.lhs_batch.clone(),
        lhs_contract: d.rhs_contract.clone(),
        rhs_contract: d.lhs_contract.clone(),
        out: d.out,
    };
    Some((swapped, *b, *a))
}
