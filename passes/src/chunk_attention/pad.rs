//! Sequence lengths that are not a multiple of the chunk size: zero-padding the tokens up to
//! `Tp = G * C`, the mask of the padded key columns, and cropping the output back to T.
//!
//! Padded tokens are all zero (their `k_lin` and `v` rows included), so they add nothing to
//! the linear part, and their zero `v` rows cancel whatever local score they get in `P v`.
//! The local part still masks their key columns where a zero key does not already give the
//! score 0, so that `P` itself matches the definition (see [`key_mask_needed`]).

use super::Geometry;
use flash_ir::build::BuildResult;
use flash_ir::{Builder, ChunkAttention, CmpDir, DType, IrError, ScoreFn, TensorType, ValueId};

/// Pads the token axis (dim 1) of every operand with zeros from T to Tp; unchanged when
/// `Tp = T`.
pub(super) fn pad_tokens(
    b: &mut Builder<'_>,
    xs: [ValueId; 5],
    geo: &Geometry,
) -> Result<[ValueId; 5], IrError> {
    let extra = (geo.padded - geo.tokens) as i64;
    if extra == 0 {
        return Ok(xs);
    }
    let mut out = xs;
    for x in &mut out {
        *x = b.pad_dim(*x, 1, 0, extra, 0.0)?;
    }
    Ok(out)
}

/// Crops `[B, Tp, e]` back to `[B, T, e]`; unchanged when `Tp = T`.
pub(super) fn crop(b: &mut Builder<'_>, x: ValueId, geo: &Geometry) -> BuildResult {
    if geo.padded == geo.tokens {
        return Ok(x);
    }
    b.slice_dim(x, 1, 0, geo.tokens)
}

/// Whether the local part must mask the padded key columns.
///
/// Not when there is no padding. Not in causal mode: a padded key comes after every real
/// query, so the causal mask already hides it (padded query rows are cropped). Not for relu2:
/// a zero key gives `relu(0)^2 = 0`, the same as the mask. Softmax needs it, or its
/// normaliser would count `exp(0 - m)` for every padded key. Laplace gets it too: `laplace(0)`
/// is about 0.023, not 0; the zero `v` rows would cancel it in `P v`, but the mask keeps `P`
/// exactly as defined (masked entries 0) for one select in this rare case.
pub(super) fn key_mask_needed(geo: &Geometry, attrs: &ChunkAttention) -> bool {
    let score_needs = match attrs.score {
        ScoreFn::Relu2 => false,
        ScoreFn::Softmax | ScoreFn::Laplace => true,
    };
    geo.padded > geo.tokens && !attrs.causal && score_needs
}

/// `[B, G, C, C]` bool: true where the key column `(g, j)` is a real token (`g * C + j < T`).
/// Built from an iota over `Tp` and one compare, then reshaped and broadcast.
pub(super) fn key_mask(b: &mut Builder<'_>, geo: &Geometry) -> BuildResult {
    let positions = b.iota(0, TensorType::new(DType::I32, vec![geo.padded]))?;
    let limit = b.splat_like(geo.tokens as f64, positions)?;
    let real = b.compare(CmpDir::Lt, positions, limit)?;
    let real = b.reshape(real, &[geo.chunks, geo.chunk])?;
    let shape = [geo.batch, geo.chunks, geo.chunk, geo.chunk];
    b.broadcast_in_dim(real, &shape, &[1, 3])
}
