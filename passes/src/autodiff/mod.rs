//! Reverse-mode automatic differentiation as an IR -> IR transform ([`grad`]).
//!
//! Needs: a graph that verifies, whose output 0 is a float scalar (the loss). Guarantees: the
//! result is the input graph with every node unchanged (same [`ValueId`]s), followed by the
//! reverse pass; its outputs are the input's outputs followed by `d(output 0) / d(param i)`
//! for each `i` in `wrt`, each of its parameter's type (and its parameter's sharding as a
//! result sharding, when the parameter has one; the mesh and the input's parameter and result
//! shardings are kept). It verifies, so the pipeline and the
//! emitter treat it like any other graph.
//!
//! How (DESIGN.md, point 9):
//! - `active.rs` marks the values on a float path from a `wrt` parameter to the loss; only
//!   they get adjoints.
//! - The loss is seeded with 1, then the nodes are walked backwards (reverse topological
//!   order: every use of a value is visited before the value itself). Each active node's
//!   cotangent is pushed to its operands by its op's VJP rule (`rules::vjp`, one exhaustive
//!   match over the op enum, rules grouped by op family under `rules/`); `accumulate.rs` sums
//!   the contributions a value receives from several uses with `add`.
//! - Reverse-pass nodes carry the location and scope of the forward node they differentiate.
//! - A `wrt` parameter the loss does not depend on (or an integer one) gets zeros.
//!
//! Rule decisions: `max`/`min` ties send the cotangent to the first operand; `reduce max`
//! splits it evenly among tied maxima; `abs` has gradient 0 at 0; `pow`'s exponent gradient
//! uses `log(a)` only where `a > 0` (0 elsewhere); `gather` scatter-adds its cotangent rows
//! (`scatter_add`; [`GatherVjp::OneHot`] selects the old one-hot `dot_general`); `cumsum`
//! stays a composite (direction flipped). `chunk_attention`'s rule recomputes the lowered
//! attention in the reverse pass (tied to the cotangent, so CSE keeps it apart from the
//! forward). Unsupported, as [`AutodiffError::Unsupported`]: `reduce_window max`.
//!
//! ```text
//! before:
//!   %0 = parameter {index = 0, name = "x"} : f32[]
//!   %1 = mul(%0, %0) : f32[]
//!   return %1
//! after grad(g, &[0]):
//!   %0 = parameter {index = 0, name = "x"} : f32[]
//!   %1 = mul(%0, %0) : f32[]
//!   %2 = constant {value = splat(1.0)} : f32[]     (the seed: d loss / d loss)
//!   %3 = mul(%2, %0) : f32[]                       (through operand 0 of %1)
//!   %4 = mul(%2, %0) : f32[]                       (through operand 1 of %1)
//!   %5 = add(%3, %4) : f32[]                       (accumulated: 2x)
//!   return %1, %5
//! ```

mod accumulate;
mod active;
mod checkpoint;
mod error;
mod recompute;
mod rules;

pub use error::AutodiffError;
pub use rules::gather::GatherVjp;

use accumulate::Adjoints;
use flash_ir::verify::verify;
use flash_ir::{Builder, Graph, ValueId};
use rules::Ctx;
use std::ops::Range;

/// The gradient graph of `g`'s loss (output 0) with respect to the parameters with indices
/// `wrt` (see the [module docs](self) for the result's layout).
pub fn grad(g: &Graph, wrt: &[usize]) -> Result<Graph, AutodiffError> {
    grad_checkpointed(g, wrt, &[])
}

/// [`grad`], with the forward nodes of each of `regions` (contiguous, ascending,
/// non-overlapping index ranges) recomputed in the reverse pass instead of kept: only the
/// values each region reads from before it stay alive for the backward pass
/// (`--remat attention|layer`; see `checkpoint.rs`).
pub fn grad_checkpointed(
    g: &Graph,
    wrt: &[usize],
    regions: &[Range<usize>],
) -> Result<Graph, AutodiffError> {
    verify(g).map_err(AutodiffError::InvalidInput)?;
    check_regions(regions, g.nodes.len())?;
    let loss = loss_value(g)?;
    let params = wrt_params(g, wrt)?;
    let active = active::active_values(g, loss, &params);
    let mut out = g.clone();
    let mut adjoints = Adjoints::new(g.nodes.len());
    if active[loss.index()] {
        seed(&mut out, g, &mut adjoints, loss)?;
    }
    let mut regions = regions.iter().rev().peekable();
    let mut i = g.nodes.len();
    while i > 0 {
        if let Some(r) = regions.next_if(|r| r.end == i) {
            checkpoint::backprop_region(&mut out, g, &active, &mut adjoints, r.clone())?;
            i = r.start;
            continue;
        }
        i -= 1;
        if active[i] {
            backprop(&mut out, g, &active, &mut adjoints, ValueId(i as u32))?;
        }
    }
    for (&index, p) in wrt.iter().zip(params) {
        let gp = match adjoints.get(p) {
            Some(v) => v,
            None => zeros_for(&mut out, g, p)?,
        };
        if let Some(s) = g.param_sharding(index) {
            out.shard_result(out.outputs.len(), s.clone());
        }
        out.outputs.push(gp);
    }
    Ok(out)
}

/// Checks that `regions` are non-empty, ascending, disjoint ranges of the `n` nodes.
fn check_regions(regions: &[Range<usize>], n: usize) -> Result<(), AutodiffError> {
    let mut end = 0;
    for r in regions {
        if r.start < end || r.start >= r.end || r.end > n {
            return Err(AutodiffError::BadRegion {
                start: r.start,
                end: r.end,
                nodes: n,
            });
        }
        end = r.end;
    }
    Ok(())
}

/// Output 0, checked to be a float scalar.
fn loss_value(g: &Graph) -> Result<ValueId, AutodiffError> {
    let loss = *g.outputs.first().ok_or(AutodiffError::NoOutputs)?;
    let ty = g.ty(loss);
    if ty.rank() != 0 || !ty.dtype.is_float() {
        return Err(AutodiffError::NonScalarLoss {
            value: loss.0,
            ty: ty.to_string(),
        });
    }
    Ok(loss)
}

/// The parameter values named by `wrt`.
fn wrt_params(g: &Graph, wrt: &[usize]) -> Result<Vec<ValueId>, AutodiffError> {
    let params = g.params();
    wrt.iter()
        .map(|&index| {
            params
                .get(index)
                .copied()
                .ok_or(AutodiffError::NotAParameter {
                    index,
                    count: params.len(),
                })
        })
        .collect()
}

/// Seeds the loss's cotangent with 1.
fn seed(
    out: &mut Graph,
    g: &Graph,
    adjoints: &mut Adjoints,
    loss: ValueId,
) -> Result<(), AutodiffError> {
    let node = g.node(loss);
    let mut b = Builder::at(out, node.loc.clone(), node.scope.clone());
    let one = b.splat(1.0, node.ty.clone())?;
    adjoints.accumulate(&mut b, loss, one)?;
    Ok(())
}

/// Zeros of parameter `p`'s type, stamped with its location.
fn zeros_for(out: &mut Graph, g: &Graph, p: ValueId) -> Result<ValueId, AutodiffError> {
    let node = g.node(p);
    let mut b = Builder::at(out, node.loc.clone(), node.scope.clone());
    Ok(b.splat(0.0, node.ty.clone())?)
}

/// Pushes the cotangent of `y` to the active operands of its node.
fn backprop(
    out: &mut Graph,
    g: &Graph,
    active: &[bool],
    adjoints: &mut Adjoints,
    y: ValueId,
) -> Result<(), AutodiffError> {
    let Some(ct) = adjoints.get(y) else {
        return Ok(());
    };
    let node = g.node(y);
    let wants: Vec<bool> = node.operands.iter().map(|o| active[o.index()]).collect();
    if !wants.contains(&true) {
        return Ok(());
    }
    let b = Builder::at(out, node.loc.clone(), node.scope.clone());
    let mut ctx = Ctx {
        b,
        node,
        y,
        ct,
        wants: &wants,
    };
    let grads = rules::vjp(&mut ctx)?;
    for (k, (&x, gx)) in node.operands.iter().zip(grads).enumerate() {
        let Some(gx) = gx.filter(|_| wants[k]) else {
            continue;
        };
        check_type(&ctx, k, x, gx)?;
        adjoints.accumulate(&mut ctx.b, x, gx)?;
    }
    Ok(())
}

/// Checks that a rule's gradient for operand `k` has the operand's type.
fn check_type(ctx: &Ctx<'_, '_>, k: usize, x: ValueId, gx: ValueId) -> Result<(), AutodiffError> {
    let (expected, got) = (ctx.b.ty(x), ctx.b.ty(gx));
    if expected == got {
        return Ok(());
    }
    Err(AutodiffError::GradientType {
        node: ctx.y.0,
        op: ctx.node.op.name(),
        operand: k,
        expected: expected.to_string(),
        got: got.to_string(),
    })
}
