//! One layer of each model kind, configured from a [`ModelConfig`]: the Transformer layer
//! (absolute positions, biased MHSA, FFN), the Transformer++ layer (RoPE MHSA without biases,
//! GLU), the GAU (FLASH-Quad) and the FLASH layer.

use crate::config::{ModelConfig, ModelKind};
use crate::dsl::{ChunkAttention, Tensor};
use crate::nn::{
    AttentionOptions, FeedForwardKind, Flash, FlashOptions, GatedWidths, Gau, GauOptions, Params,
    TransformerBlock,
};

/// One layer of the stack.
#[derive(Clone, Debug)]
pub enum Layer {
    /// A Transformer or Transformer++ layer.
    Transformer(TransformerBlock),
    /// A Gated Attention Unit.
    Gau(Gau),
    /// A FLASH layer.
    Flash(Flash),
}

impl Layer {
    /// Creates one layer of `cfg.kind` in the current scope.
    pub fn new(p: &Params, cfg: &ModelConfig, causal: bool) -> Layer {
        let d = cfg.width;
        let widths = GatedWidths {
            expansion: cfg.expansion(),
            shared: cfg.shared,
        };
        match cfg.kind {
            ModelKind::Transformer | ModelKind::TransformerPlusPlus => {
                let (attn, ffn) = transformer_options(cfg, causal);
                Layer::Transformer(TransformerBlock::new(p, d, cfg.norm, attn, ffn))
            }
            ModelKind::FlashQuad => {
                let score = cfg.score;
                let rel_pos_max_len = cfg.rel_pos_bias.then_some(cfg.max_len);
                let opts = GauOptions {
                    widths,
                    causal,
                    score,
                    norm: cfg.norm,
                    rel_pos_max_len,
                };
                Layer::Gau(Gau::new(p, d, opts))
            }
            ModelKind::Flash => {
                let attention = ChunkAttention {
                    chunk: cfg.chunk,
                    causal,
                    linear_norm: cfg.linear_norm,
                    score: cfg.score,
                };
                Layer::Flash(Flash::new(
                    p,
                    d,
                    &FlashOptions {
                        widths,
                        attention,
                        norm: cfg.norm,
                    },
                ))
            }
        }
    }

    /// The layer applied to `x` (`[B, T, d]`).
    pub fn forward(&self, x: &Tensor) -> Tensor {
        match self {
            Layer::Transformer(l) => l.forward(x),
            Layer::Gau(l) => l.forward(x),
            Layer::Flash(l) => l.forward(x),
        }
    }
}

/// Attention and feed-forward options of the two Transformer kinds.
fn transformer_options(cfg: &ModelConfig, causal: bool) -> (AttentionOptions, FeedForwardKind) {
    let plus = cfg.kind == ModelKind::TransformerPlusPlus;
    let attn = AttentionOptions {
        heads: cfg.heads,
        causal,
        rope: plus,
        bias: !plus,
    };
    let width = cfg.ffn_width();
    let ffn = if plus {
        FeedForwardKind::Glu { width }
    } else {
        FeedForwardKind::Mlp {
            width,
            act: cfg.activation,
        }
    };
    (attn, ffn)
}
