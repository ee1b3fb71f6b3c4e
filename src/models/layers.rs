//! One layer of each model kind, configured from a [`ModelConfig`]: the Transformer layer
//! (absolute positions, biased MHSA, FFN), the Transformer++ layer (RoPE MHSA without biases,
//! GLU), the GAU (FLASH-Quad) and the FLASH layer.

use crate::config::{ModelConfig, ModelKind};
use crate::dsl::{ChunkAttention, Tensor};
use crate::nn::flash::FlashState;
use crate::nn::{
    AttentionOptions, FeedForwardKind, Flash, FlashOptions, GatedWidths, Gau, GauOptions, KvCache,
    Params, TransformerBlock,
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

    /// The layer applied to a prompt `x` (`[B, P, d]`), and the state decode steps continue
    /// from (key/value caches hold `capacity` positions).
    pub fn prefill(&self, x: &Tensor, capacity: usize) -> (Tensor, LayerState) {
        match self {
            Layer::Transformer(l) => kv(l.prefill(x, capacity)),
            Layer::Gau(l) => kv(l.prefill(x, capacity)),
            Layer::Flash(l) => {
                let (y, state) = l.prefill(x);
                (y, LayerState::Flash(state))
            }
        }
    }

    /// One decode step of token `x` (`[B, 1, d]`) at `position` (an i32 scalar).
    pub fn step(
        &self,
        x: &Tensor,
        state: &LayerState,
        position: &Tensor,
    ) -> Result<(Tensor, LayerState), LayerStateMismatch> {
        Ok(match (self, state) {
            (Layer::Transformer(l), LayerState::Kv(c)) => kv(l.step(x, c, position)),
            (Layer::Gau(l), LayerState::Kv(c)) => kv(l.step(x, c, position)),
            (Layer::Flash(l), LayerState::Flash(s)) => {
                let (y, state) = l.step(x, s, position);
                (y, LayerState::Flash(state))
            }
            _ => return Err(LayerStateMismatch),
        })
    }
}

/// The decode state of one layer.
#[derive(Clone, Debug)]
pub enum LayerState {
    /// The key/value cache of a softmax-attention or GAU layer.
    Kv(KvCache),
    /// The constant-size state of a FLASH layer.
    Flash(FlashState),
}

impl LayerState {
    /// The state's tensors in their fixed order, with their names.
    pub fn tensors(&self) -> Vec<(&'static str, &Tensor)> {
        match self {
            LayerState::Kv(c) => vec![("k", &c.k), ("v", &c.v)],
            LayerState::Flash(s) => vec![
                ("sum", &s.sum),
                ("k_lin", &s.k_lin),
                ("k_quad", &s.k_quad),
                ("v", &s.v),
            ],
        }
    }
}

/// A layer was given the state of another kind of layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerStateMismatch;

fn kv((y, cache): (Tensor, KvCache)) -> (Tensor, LayerState) {
    (y, LayerState::Kv(cache))
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
