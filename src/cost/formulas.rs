//! Closed-form forward FLOPs per sequence (FLASH.md section 5), for checking the op-by-op
//! count of [`super::graph_cost`] and for reports. Matmul FLOPs only (2 per multiply-add);
//! elementwise work is ignored, as in the paper.

use crate::config::{ModelConfig, ModelKind};

/// The sizes the per-layer formulas use. `chunk` is FLASH's C; `ffn` the Transformer++
/// GLU's inner width f.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerDims {
    /// Sequence length T.
    pub tokens: u64,
    /// Model width d.
    pub width: u64,
    /// Expansion e of GAU/FLASH.
    pub expansion: u64,
    /// Shared attention width s of GAU/FLASH.
    pub shared: u64,
    /// Chunk size C of FLASH.
    pub chunk: u64,
    /// FFN inner width f of Transformer++.
    pub ffn: u64,
}

impl LayerDims {
    /// The sizes of `cfg` at sequence length `tokens`.
    pub fn of(cfg: &ModelConfig, tokens: usize) -> LayerDims {
        LayerDims {
            tokens: tokens as u64,
            width: cfg.width as u64,
            expansion: cfg.expansion() as u64,
            shared: cfg.shared as u64,
            chunk: cfg.chunk as u64,
            ffn: cfg.ffn_width() as u64,
        }
    }
}

/// The projections GAU and FLASH share: `2Td(3e+s)` (`W_in: d x (2e+s)`, `W_o: e x d`).
pub fn gated_projections(x: &LayerDims) -> u64 {
    2 * x.tokens * x.width * (3 * x.expansion + x.shared)
}

/// One GAU layer: `2Td(3e+s) + 2T^2(s+e)`.
pub fn gau_layer(x: &LayerDims) -> u64 {
    gated_projections(x) + 2 * x.tokens * x.tokens * (x.shared + x.expansion)
}

/// One causal FLASH layer without the prefix sum: `2Td(3e+s) + 2TC(s+e) + 4Tse`, for T a
/// multiple of C. When `C >= T` the compiler uses one chunk of T tokens, whose causal linear
/// term vanishes: `2Td(3e+s) + 2T^2(s+e)`.
pub fn flash_layer(x: &LayerDims) -> u64 {
    let (t, s, e) = (x.tokens, x.shared, x.expansion);
    let c = x.chunk.min(t);
    let linear = if chunks(x) > 1 { 4 * t * s * e } else { 0 };
    gated_projections(x) + 2 * t * c * (s + e) + linear
}

/// The chunk-level exclusive prefix sum of causal FLASH as the compiler lowers it for up to
/// 256 chunks: one matmul of the `[G, s*e]` chunk memories with a `G x G` triangle,
/// `2 G^2 s e` for `G = T / C` chunks (0 with one chunk).
pub fn flash_prefix_sum(x: &LayerDims) -> u64 {
    let g = chunks(x);
    if g <= 1 {
        return 0;
    }
    2 * g * g * x.shared * x.expansion
}

/// G = ceil(T / C), at least 1.
fn chunks(x: &LayerDims) -> u64 {
    x.tokens.div_ceil(x.chunk.max(1)).max(1)
}

/// One Transformer++ layer (MHSA + GLU of inner width f): `8Td^2 + 6Tdf + 4T^2 d`.
pub fn transformer_pp_layer(x: &LayerDims) -> u64 {
    let (t, d) = (x.tokens, x.width);
    8 * t * d * d + 6 * t * d * x.ffn + 4 * t * t * d
}

/// The output layer tied to the embedding: `2TdV`.
pub fn lm_head(x: &LayerDims, vocab: u64) -> u64 {
    2 * x.tokens * x.width * vocab
}

/// Forward matmul FLOPs of one sequence of `tokens` through the language model `cfg`:
/// its layers (with FLASH's causal prefix sum) plus the output layer. The plain Transformer
/// is costed as Transformer++ with its own FFN width (two matrices, so `4Tdf` instead of
/// `6Tdf`).
pub fn lm_forward(cfg: &ModelConfig, tokens: usize) -> u64 {
    let x = LayerDims::of(cfg, tokens);
    let layer = match cfg.kind {
        ModelKind::TransformerPlusPlus => transformer_pp_layer(&x),
        ModelKind::Transformer => transformer_pp_layer(&x) - 2 * x.tokens * x.width * x.ffn,
        ModelKind::FlashQuad => gau_layer(&x),
        ModelKind::Flash => flash_layer(&x) + flash_prefix_sum(&x),
    };
    cfg.layers as u64 * layer + lm_head(&x, cfg.vocab as u64)
}
