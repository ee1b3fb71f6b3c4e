//! VJP rules of the composite ops, kept composite in the reverse pass so their lowering
//! passes still choose how to compute them.
//!
//! - `cumsum`: the cotangent's cumsum in the opposite direction, with the same `exclusive`
//!   flag (`y_i = sum_{j <= i} x_j` gives `dx_j = sum_{i >= j} ct_i`).
//! - `chunk_attention`: the lowered forward recomputed in the backward pass and
//!   differentiated there (see [`chunk_attention`]), for graphs differentiated with the
//!   composite kept; the train step lowers before autodiff (`--remat none`) or recomputes
//!   whole regions around it (`--remat attention|layer`, see `checkpoint.rs`).

use super::{Ctx, RuleResult};
use crate::autodiff::recompute::{cotangent_term, inline, parameter, tie};
use crate::autodiff::AutodiffError;
use crate::chunk_attention::lower_all;
use flash_ir::{Builder, ChunkAttention, Graph, Op};

/// `cumsum{dim, exclusive, reverse}` -> `cumsum{dim, exclusive, !reverse}` of the cotangent.
pub(super) fn cumsum(
    c: &mut Ctx<'_, '_>,
    dim: usize,
    exclusive: bool,
    reverse: bool,
) -> RuleResult {
    Ok(vec![Some(c.b.cumsum(c.ct, dim, exclusive, !reverse)?)])
}

/// `chunk_attention`: the memory-saving rule. The backward pass recomputes the lowered
/// forward (the per-chunk `[C, C]` scores included) from the five operands and applies the
/// VJP of that recomputation, so nothing of the forward's lowering needs to stay alive for
/// the backward pass. The rule is the lowered forward differentiated in a graph of its own
/// (`vjp_graph`), inlined here; its inputs are the operands plus a zero that depends on the
/// cotangent ([`tie`]), so neither our CSE nor XLA's can merge the recomputation
/// into the forward: it can only run once the cotangent exists.
pub(super) fn chunk_attention(c: &mut Ctx<'_, '_>, attrs: &ChunkAttention) -> RuleResult {
    let vjp = vjp_graph(c, attrs)?;
    let mut inputs = Vec::with_capacity(c.node.operands.len() + 1);
    for i in 0..c.node.operands.len() {
        let x = c.x(i);
        inputs.push(tie(&mut c.b, x, c.ct)?);
    }
    inputs.push(c.ct);
    let grads = inline(&mut c.b, &vjp, &inputs)?;
    Ok(grads
        .into_iter()
        .enumerate()
        .map(|(i, g)| c.want(i).then_some(g))
        .collect())
}

/// A graph with parameters `operands..., ct` and outputs `sum(y * ct), d/d operand_i`:
/// the lowered chunk attention and its reverse pass.
fn vjp_graph(c: &Ctx<'_, '_>, attrs: &ChunkAttention) -> Result<Graph, AutodiffError> {
    let mut g = Graph::new("chunk_attention_vjp");
    let mut b = Builder::at(&mut g, c.node.loc.clone(), c.node.scope.clone());
    let n = c.node.operands.len();
    let mut params = Vec::with_capacity(n + 1);
    for i in 0..=n {
        let ty = if i < n {
            c.b.ty(c.x(i)).clone()
        } else {
            c.b.ty(c.ct).clone()
        };
        params.push(parameter(&mut b, i, ty)?);
    }
    let y = b.op(Op::ChunkAttention(attrs.clone()), params[..n].to_vec())?;
    let loss = cotangent_term(&mut b, y, params[n])?;
    g.outputs = vec![loss];
    let lowered = lower_all(g).map_err(|e| c.unsupported(format!("lowering for the VJP: {e}")))?;
    let wrt: Vec<usize> = (0..n).collect();
    super::super::grad(&lowered, &wrt)
}
