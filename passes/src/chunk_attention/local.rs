//! The local (quadratic) part: exact attention inside each chunk,
//! `vq_g = score(q_quad_g k_quad_g^T) v_g` with the causal or padded-key mask.

use super::{dims, pad, score, Chunked, Geometry};
use flash_ir::build::BuildResult;
use flash_ir::{Builder, ChunkAttention, CmpDir, DType, IrError, TensorType, ValueId};

/// `vq = P v_g` (`[B, G, C, e]`), with `P = score(S)` for `S = (c q_quad_g) k_quad_g^T`
/// (`[B, G, C, C]`, one batched `dot_general` over B and G contracting s), where `c` is the
/// score function's scale ([`score::query_scale`]), applied to the `[B, G, C, s]` queries
/// rather than to the `[B, G, C, C]` scores.
pub(super) fn local_term(
    b: &mut Builder<'_>,
    x: &Chunked,
    geo: &Geometry,
    attrs: &ChunkAttention,
) -> BuildResult {
    let q = b.scale(x.q_quad, score::query_scale(geo, attrs.score))?;
    let s = b.dot_general(q, x.k_quad, dims(&[0, 1], &[3], &[3], geo))?;
    let mask = visible_mask(b, geo, attrs)?;
    let p = score::probabilities(b, s, mask, geo, attrs.score)?;
    b.matmul_batched(p, x.v, 2)
}

/// The `[B, G, C, C]` bool mask of the keys each query may see, or `None` if it sees all of
/// its chunk: causal, else the padded-key mask where [`pad::key_mask_needed`].
fn visible_mask(
    b: &mut Builder<'_>,
    geo: &Geometry,
    attrs: &ChunkAttention,
) -> Result<Option<ValueId>, IrError> {
    if attrs.causal {
        return causal_mask(b, geo).map(Some);
    }
    if pad::key_mask_needed(geo, attrs) {
        return pad::key_mask(b, geo).map(Some);
    }
    Ok(None)
}

/// The lower-triangular `j <= i` mask of one chunk from two iotas and a compare (no dense
/// literal), broadcast to `[B, G, C, C]`.
fn causal_mask(b: &mut Builder<'_>, geo: &Geometry) -> BuildResult {
    let ty = TensorType::new(DType::I32, vec![geo.chunk, geo.chunk]);
    let query = b.iota(0, ty.clone())?;
    let key = b.iota(1, ty)?;
    let keep = b.compare(CmpDir::Le, key, query)?;
    let shape = [geo.batch, geo.chunks, geo.chunk, geo.chunk];
    b.broadcast_in_dim(keep, &shape, &[2, 3])
}
