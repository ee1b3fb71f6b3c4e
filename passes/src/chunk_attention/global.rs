//! The global (linear) part: `vl_g = q_lin_g Mbar_g` (`[B, G, C, e]`), where the memory
//! `Mbar` summarises the keys and values of other chunks in an `s x e` matrix.
//!
//! - Non-causal: `Mbar = k_lin^T v / T` for every chunk (T unpadded). This is the mean over
//!   chunks of `M_g = k_lin_g^T v_g / C`, computed as one `dot_general` contracting the
//!   (padded) token axis, so the `[B, G, s, e]` per-chunk products are never materialised;
//!   padded tokens have zero `k_lin` and `v` rows and add nothing.
//! - Causal: `M_g = k_lin_g^T v_g` (`[B, G, s, e]`), an exclusive `cumsum` over the chunk axis
//!   (chunk 0 gets zero; `lower_cumsum` chooses how to compute it), divided by
//!   `C * max(g, 1)` (mean norm) or by C (sum norm). With one chunk the term is zero and
//!   [`linear_term`] emits nothing. The division is a per-chunk scalar, so it is applied to
//!   the `[B, G, C, s]` queries, `vl_g = (q_lin_g / d_g) Mbar'_g`, rather than to the
//!   `[B, G, s, e]` memory (e = 4s here): half the elements, in the forward and the backward
//!   pass, and the division fuses into the queries' producer. A reassociation of
//!   `q (M / d) = (q / d) M`.

use super::{dims, Chunked, Geometry};
use flash_ir::build::BuildResult;
use flash_ir::{Builder, ChunkAttention, IrError, LinearNorm, TensorType, ValueId};

/// The linear term `vl` (`[B, G, C, e]`), or `None` when it is zero (causal, one chunk).
/// `padded` are the five `[B, Tp, x]` operands; `x` holds the chunked `v`.
pub(super) fn linear_term(
    b: &mut Builder<'_>,
    padded: [ValueId; 5],
    x: &Chunked,
    geo: &Geometry,
    attrs: &ChunkAttention,
) -> Result<Option<ValueId>, IrError> {
    if attrs.causal && geo.chunks <= 1 {
        return Ok(None);
    }
    let q_lin = b.reshape(padded[2], &geo.chunked_shape(geo.width_qk))?;
    let vl = if attrs.causal {
        let k_lin = b.reshape(padded[3], &geo.chunked_shape(geo.width_qk))?;
        let memory = causal_memory(b, k_lin, x.v, geo)?;
        let q_lin = normalise_queries(b, q_lin, geo, attrs.linear_norm)?;
        b.matmul_batched(q_lin, memory, 2)?
    } else {
        let memory = global_memory(b, padded[3], padded[4], geo)?;
        b.dot_general(q_lin, memory, dims(&[0], &[3], &[1], geo))?
    };
    Ok(Some(vl))
}

/// `k_lin^T v / T` (`[B, s, e]`) from the `[B, Tp, x]` operands.
fn global_memory(b: &mut Builder<'_>, k_lin: ValueId, v: ValueId, geo: &Geometry) -> BuildResult {
    let kv = b.dot_general(k_lin, v, dims(&[0], &[1], &[1], geo))?;
    b.scale(kv, 1.0 / geo.tokens as f64)
}

/// The unnormalised memory (`[B, G, s, e]`): the exclusive prefix sum over chunks of
/// `k_lin_g^T v_g`.
fn causal_memory(b: &mut Builder<'_>, k_lin: ValueId, v: ValueId, geo: &Geometry) -> BuildResult {
    let kv = b.dot_general(k_lin, v, dims(&[0, 1], &[2], &[2], geo))?;
    b.cumsum(kv, 1, true, false)
}

/// The chunked `q_lin` (`[B, G, C, s]`) divided by the memory's normaliser of its chunk:
/// `C * max(g, 1)` (mean norm) or C (sum norm, as a scale by `1 / C`).
fn normalise_queries(
    b: &mut Builder<'_>,
    q_lin: ValueId,
    geo: &Geometry,
    norm: LinearNorm,
) -> BuildResult {
    match norm {
        LinearNorm::Sum => b.scale(q_lin, 1.0 / geo.scale_chunk as f64),
        LinearNorm::Mean => {
            let denominators = chunk_denominators(b, geo)?;
            let shape = b.shape(q_lin);
            let denominators = b.broadcast_in_dim(denominators, &shape, &[1])?;
            b.div(q_lin, denominators)
        }
    }
}

/// `C * max(g, 1)` for `g = 0..G` (`[G]`, the operands' dtype), from an iota.
fn chunk_denominators(b: &mut Builder<'_>, geo: &Geometry) -> BuildResult {
    let g = b.iota(0, TensorType::new(geo.dtype, vec![geo.chunks]))?;
    let one = b.splat_like(1.0, g)?;
    let at_least_one = b.max(g, one)?;
    b.scale(at_least_one, geo.scale_chunk as f64)
}
