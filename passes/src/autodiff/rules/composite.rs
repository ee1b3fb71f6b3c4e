//! VJP rules of the composite ops, kept composite in the reverse pass so their lowering
//! passes still choose how to compute them.
//!
//! - `cumsum`: the cotangent's cumsum in the opposite direction, with the same `exclusive`
//!   flag (`y_i = sum_{j <= i} x_j` gives `dx_j = sum_{i >= j} ct_i`).
//! - `chunk_attention`: not differentiated; the pipeline lowers it first (see
//!   [`chunk_attention`]).

use super::{Ctx, RuleResult};
use flash_ir::ChunkAttention;

/// `cumsum{dim, exclusive, reverse}` -> `cumsum{dim, exclusive, !reverse}` of the cotangent.
pub(super) fn cumsum(
    c: &mut Ctx<'_, '_>,
    dim: usize,
    exclusive: bool,
    reverse: bool,
) -> RuleResult {
    Ok(vec![Some(c.b.cumsum(c.ct, dim, exclusive, !reverse)?)])
}

/// `chunk_attention`: unsupported for now, reported as such.
///
/// The place for a memory-saving custom rule: given the five operands (`q_quad, k_quad,
/// q_lin, k_lin, v`, via `c.x(0..5)`), the cotangent `c.ct` of the `[B, T, e]` result and
/// `attrs`, it would return the five gradients, recomputing the per-chunk `[C, C]` scores in
/// the reverse pass instead of keeping them alive from the forward pass, and running the
/// chunk-level prefix sum of the linear part in reverse (a reverse exclusive cumsum).
pub(super) fn chunk_attention(c: &mut Ctx<'_, '_>, attrs: &ChunkAttention) -> RuleResult {
    Err(c.unsupported(format!(
        "chunk_attention (chunk = {}, causal = {}) has no VJP rule yet; run the \
         lower_chunk_attention pass first (the pipeline lowers it before autodiff) and \
         differentiate the lowered graph",
        attrs.chunk, attrs.causal
    )))
}
