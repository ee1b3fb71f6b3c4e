//! Checkpointed regions (`jax.checkpoint` for a contiguous range of forward nodes): the
//! reverse pass keeps only the region's inputs and recomputes its interior from them.
//!
//! When the reverse walk reaches the last node of a region, every use of the region's
//! values outside it has been visited, so the cotangents of its outputs are complete. The
//! region is then cut out as a graph of its own (parameters: the values it reads from
//! before it, and the parameter nodes inside it; outputs: the values used after it, or
//! returned), lowered (its composites, chunk attention included, are computed directly),
//! differentiated with [`grad`](super::grad) through `sum_k sum(out_k * ct_k)`, and inlined
//! with its inputs tied to a cotangent ([`tie`]), so the recomputation runs in the reverse
//! pass and XLA frees the forward's interior values after their forward uses.

use super::accumulate::Adjoints;
use super::recompute::{cotangent_term, inline, parameter, tie};
use super::AutodiffError;
use crate::chunk_attention::lower_all;
use flash_ir::{Builder, Graph, Op, ValueId};
use std::ops::Range;

/// A region's boundary: the values it reads and the values read after it.
struct Boundary {
    /// Values defined before the region (or parameter nodes inside it) that it uses.
    inputs: Vec<ValueId>,
    /// Values of the region used after it (or returned), with their cotangents.
    outputs: Vec<(ValueId, ValueId)>,
}

/// Applies the reverse pass of the forward nodes `range` of `g` as one recomputed region,
/// accumulating the gradients of its active inputs into `adjoints`.
pub(super) fn backprop_region(
    out: &mut Graph,
    g: &Graph,
    active: &[bool],
    adjoints: &mut Adjoints,
    range: Range<usize>,
) -> Result<(), AutodiffError> {
    let boundary = boundary(g, adjoints, &range);
    let Some(&(_, first_ct)) = boundary.outputs.first() else {
        return Ok(());
    };
    let wanted: Vec<usize> = (0..boundary.inputs.len())
        .filter(|&k| {
            let x = boundary.inputs[k];
            active[x.index()] && g.ty(x).dtype.is_float()
        })
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let vjp = region_vjp(g, &range, &boundary, &wanted)?;
    let last = g.node(ValueId(range.end as u32 - 1));
    let mut b = Builder::at(out, last.loc.clone(), last.scope.clone());
    let mut inputs = Vec::with_capacity(boundary.inputs.len() + boundary.outputs.len());
    for &x in &boundary.inputs {
        inputs.push(tie(&mut b, x, first_ct)?);
    }
    inputs.extend(boundary.outputs.iter().map(|&(_, ct)| ct));
    let grads = inline(&mut b, &vjp, &inputs)?;
    for (&k, gx) in wanted.iter().zip(grads) {
        adjoints.accumulate(&mut b, boundary.inputs[k], gx)?;
    }
    Ok(())
}

/// The inputs and the outputs (with cotangents) of region `range`.
fn boundary(g: &Graph, adjoints: &Adjoints, range: &Range<usize>) -> Boundary {
    let inside = |v: ValueId| range.contains(&v.index());
    let mut inputs = Vec::new();
    for i in range.clone() {
        let node = &g.nodes[i];
        let reads = node.operands.iter().copied().filter(|&o| !inside(o));
        let own = matches!(node.op, Op::Parameter { .. }).then_some(ValueId(i as u32));
        for x in reads.chain(own) {
            if !inputs.contains(&x) {
                inputs.push(x);
            }
        }
    }
    let mut used_after = vec![false; range.len()];
    let later = g.nodes[range.end..].iter().flat_map(|n| n.operands.iter());
    for &v in later.chain(&g.outputs) {
        if inside(v) {
            used_after[v.index() - range.start] = true;
        }
    }
    let outputs = range
        .clone()
        .map(|i| ValueId(i as u32))
        .filter(|v| used_after[v.index() - range.start] && g.ty(*v).dtype.is_float())
        .filter(|v| !matches!(g.node(*v).op, Op::Parameter { .. }))
        .filter_map(|v| adjoints.get(v).map(|ct| (v, ct)))
        .collect();
    Boundary { inputs, outputs }
}

/// The region as a graph of its own, with parameters `inputs..., cotangents...` and outputs
/// `sum_k sum(out_k * ct_k)`, then the gradients of the `wanted` inputs.
fn region_vjp(
    g: &Graph,
    range: &Range<usize>,
    boundary: &Boundary,
    wanted: &[usize],
) -> Result<Graph, AutodiffError> {
    let mut sub = Graph::new("checkpoint_vjp");
    let last = g.node(ValueId(range.end as u32 - 1));
    let mut b = Builder::at(&mut sub, last.loc.clone(), last.scope.clone());
    let mut map: Vec<Option<ValueId>> = vec![None; range.end];
    for (k, &x) in boundary.inputs.iter().enumerate() {
        map[x.index()] = Some(parameter(&mut b, k, g.ty(x).clone())?);
    }
    for i in range.clone() {
        if map[i].is_some() {
            continue;
        }
        let node = &g.nodes[i];
        let operands = node
            .operands
            .iter()
            .map(|o| map[o.index()].expect("defined before use"));
        map[i] = Some(b.op(node.op.clone(), operands.collect())?);
    }
    let n_in = boundary.inputs.len();
    let mut total = None;
    for (k, &(y, _)) in boundary.outputs.iter().enumerate() {
        let ct = parameter(&mut b, n_in + k, g.ty(y).clone())?;
        let inside = map[y.index()].expect("inside the region");
        let mut term = cotangent_term(&mut b, inside, ct)?;
        total = Some(match total {
            None => term,
            Some(t) => {
                if b.dtype(term) != b.dtype(t) {
                    term = b.convert(term, b.dtype(t))?;
                }
                b.add(t, term)?
            }
        });
    }
    sub.outputs = total.into_iter().collect();
    let lowered = lower_all(sub).map_err(|e| AutodiffError::Unsupported {
        node: range.end as u32 - 1,
        op: last.op.name(),
        loc: last.loc.clone(),
        message: format!("lowering a checkpointed region for its VJP: {e}"),
    })?;
    super::grad(&lowered, wanted)
}
