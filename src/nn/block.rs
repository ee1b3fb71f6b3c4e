//! The pre-norm Transformer layer: `x + attn(norm(x))`, then `x + ffn(norm(x))`.
//!
//! Parameters (current scope): `attn_norm.*`, `attn.*` ([`Attention`]), `ffn_norm.*`,
//! `ffn.*` ([`Ffn`] or [`Glu`]).

use super::attention::{Attention, AttentionOptions};
use super::cache::KvCache;
use super::ffn::{Ffn, Glu};
use super::norm::Norm;
use super::params::Params;
use crate::config::{Activation, NormKind};
use crate::dsl::Tensor;

/// The feed-forward half of a Transformer layer.
#[derive(Clone, Debug)]
pub enum FeedForward {
    /// Plain two-layer FFN (Transformer).
    Mlp(Ffn),
    /// SiLU-gated GLU (Transformer++).
    Glu(Glu),
}

/// Which feed-forward network a block uses, and its inner width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedForwardKind {
    /// Plain FFN of inner width `width` with `act`.
    Mlp {
        /// Inner width.
        width: usize,
        /// Activation.
        act: Activation,
    },
    /// SiLU-gated GLU of inner width `width`.
    Glu {
        /// Inner width.
        width: usize,
    },
}

/// One pre-norm Transformer layer.
#[derive(Clone, Debug)]
pub struct TransformerBlock {
    attn_norm: Norm,
    attn: Attention,
    ffn_norm: Norm,
    ffn: FeedForward,
}

impl TransformerBlock {
    /// Creates the layer's parameters for width `d` in the current scope.
    pub fn new(
        p: &Params,
        d: usize,
        norm: NormKind,
        attn: AttentionOptions,
        ffn: FeedForwardKind,
    ) -> Self {
        TransformerBlock {
            attn_norm: p.scope("attn_norm", |p| Norm::new(p, norm, d)),
            attn: p.scope("attn", |p| Attention::new(p, d, attn)),
            ffn_norm: p.scope("ffn_norm", |p| Norm::new(p, norm, d)),
            ffn: p.scope("ffn", |p| match ffn {
                FeedForwardKind::Mlp { width, act } => FeedForward::Mlp(Ffn::new(p, d, width, act)),
                FeedForwardKind::Glu { width } => FeedForward::Glu(Glu::new(p, d, width)),
            }),
        }
    }

    /// The layer applied to `x` (`[B, T, d]`).
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let x = x + self.attn.forward(&self.attn_norm.forward(x));
        self.feed_forward(x)
    }

    /// The layer applied to a prompt `x` (`[B, P, d]`), and its key/value cache of
    /// `capacity` positions.
    pub fn prefill(&self, x: &Tensor, capacity: usize) -> (Tensor, KvCache) {
        let (a, cache) = self.attn.prefill(&self.attn_norm.forward(x), capacity);
        (self.feed_forward(x + a), cache)
    }

    /// One decode step of token `x` (`[B, 1, d]`) at `position` over `cache`.
    pub fn step(&self, x: &Tensor, cache: &KvCache, position: &Tensor) -> (Tensor, KvCache) {
        let (a, cache) = self.attn.step(&self.attn_norm.forward(x), cache, position);
        (self.feed_forward(x + a), cache)
    }

    /// The second half: `x + ffn(norm(x))`.
    fn feed_forward(&self, x: Tensor) -> Tensor {
        let h = self.ffn_norm.forward(&x);
        let y = match &self.ffn {
            FeedForward::Mlp(f) => f.forward(&h),
            FeedForward::Glu(f) => f.forward(&h),
        };
        x + y
    }
}
