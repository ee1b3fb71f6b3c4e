//! Softmax multi-head self-attention (without the norm and residual, see
//! [`super::block`]): h heads of width d/h, scores `q k^T / sqrt(d/h)`, optional RoPE on q and
//! k, causal masking by an iota-built mask and a select with [`MASK_VALUE`]. For decoding,
//! [`Attention::prefill`] also returns the key/value cache and [`Attention::step`] attends one
//! token over it.
//!
//! Parameters (current scope): `w_q`, `w_k`, `w_v`, `w_o` `[d, d]`, and `b_q`, `b_k`, `b_v`,
//! `b_o` `[d]` when biased.

use super::cache::{visible_keys, KvCache};
use super::dense::Dense;
use super::mask::causal_mask;
use super::params::Params;
use super::rope::{rope, rope_at};
use super::ATTENTION_REGION;
use crate::dsl::Tensor;

/// The score given to masked positions before the softmax.
pub const MASK_VALUE: f64 = -1e9;

/// How an attention layer is shaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttentionOptions {
    /// Number of heads (divides the width).
    pub heads: usize,
    /// Mask keys after the query.
    pub causal: bool,
    /// Rotary positions on q and k.
    pub rope: bool,
    /// Biases on the four projections.
    pub bias: bool,
}

/// Multi-head self-attention.
#[derive(Clone, Debug)]
pub struct Attention {
    q: Dense,
    k: Dense,
    v: Dense,
    o: Dense,
    opts: AttentionOptions,
}

impl Attention {
    /// Creates the projections for width `d` in the current scope.
    pub fn new(p: &Params, d: usize, opts: AttentionOptions) -> Attention {
        if opts.heads == 0 || !d.is_multiple_of(opts.heads) {
            p.ctx().fail(
                "attention",
                format!("width {d} is not divisible by {} heads", opts.heads),
            );
        }
        let proj = |name| Dense::new(p, name, d, d, opts.bias);
        Attention {
            q: proj("q"),
            k: proj("k"),
            v: proj("v"),
            o: proj("o"),
            opts,
        }
    }

    /// Attention of `x` (`[B, T, d]`) over itself.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        self.full(x).0
    }

    /// Attention of a prompt `x` (`[B, P, d]`, positions `0..P`) over itself, and the cache
    /// of its keys and values (`[B h, capacity, d/h]`, rotated when RoPE is on).
    pub fn prefill(&self, x: &Tensor, capacity: usize) -> (Tensor, KvCache) {
        let (y, k, v) = self.full(x);
        let (k, v) = (merge_batch_and_heads(&k), merge_batch_and_heads(&v));
        (y, KvCache::from_prompt(&k, &v, 1, capacity))
    }

    /// One decode step: the attention of token `x` (`[B, 1, d]`) at `position` (an integer
    /// scalar tensor) over the cached tokens `0..=position`, and the cache with its key and
    /// value written.
    ///
    /// The cache keeps batch and heads as one axis, `[B h, capacity, d/h]`: the layout of
    /// XLA's batched dot, so the attention reads the cache buffer the step updated in place
    /// (with `[B, h, ...]` XLA fused the update into a relayout for the dot too, and copied
    /// the whole cache twice per step to do so).
    pub fn step(&self, x: &Tensor, cache: &KvCache, position: &Tensor) -> (Tensor, KvCache) {
        let (q, k, v) = self.project(x);
        let (q, k, v) = self.heads(x, [q, k, v], |h| rope_at(h, position));
        let [q, k, v] = [q, k, v].map(|t| merge_batch_and_heads(&t));
        let cache = cache.write(&k, &v, 1, position);
        let mask = visible_keys(position, cache.k.dim(1));
        let y = self.mix(x, &q, &cache.k, &cache.v, Some(mask));
        (self.o.forward(&y), cache)
    }

    /// The attention of `x` over itself, with its (rotated) keys and values. Everything
    /// between the q/k/v projections and the output projection is the layer's
    /// [`ATTENTION_REGION`].
    fn full(&self, x: &Tensor) -> (Tensor, Tensor, Tensor) {
        let (q, k, v) = self.project(x);
        let (y, k, v) = x.ctx().region(ATTENTION_REGION, || {
            let (q, k, v) = self.heads(x, [q, k, v], rope);
            let mask = self.opts.causal.then(|| causal_mask(x.ctx(), x.dim(1)));
            (self.mix(x, &q, &k, &v, mask), k, v)
        });
        (self.o.forward(&y), k, v)
    }

    /// The q, k and v projections of `x` (`[B, T, d]` each).
    fn project(&self, x: &Tensor) -> (Tensor, Tensor, Tensor) {
        (self.q.forward(x), self.k.forward(x), self.v.forward(x))
    }

    /// Projections `[q, k, v]` split into heads (`[B, h, T, d/h]`), q and k rotated by
    /// `rotate` when RoPE is on.
    fn heads(
        &self,
        x: &Tensor,
        [q, k, v]: [Tensor; 3],
        rotate: impl Fn(&Tensor) -> Tensor,
    ) -> (Tensor, Tensor, Tensor) {
        let (q, k, v) = (self.split(x, q), self.split(x, k), self.split(x, v));
        if self.opts.rope {
            (rotate(&q), rotate(&k), v)
        } else {
            (q, k, v)
        }
    }

    /// `[B, T, d]` to `[B, h, T, d/h]` for `x`'s shape.
    fn split(&self, x: &Tensor, y: Tensor) -> Tensor {
        let (b, t, d) = (x.dim(0), x.dim(1), x.dim(2));
        let heads = self.opts.heads.max(1);
        y.reshape(&[b, t, heads, d / heads]).permute(&[0, 2, 1, 3])
    }

    /// `softmax(q k^T / sqrt(d/h))` over the keys `mask` keeps, applied to `v`, heads merged:
    /// `[B, T, d]` for queries of `x`'s `T` tokens (before the output projection). The heads
    /// come as `[B, h, T, d/h]`, or as `[B h, T, d/h]` (a decode step's).
    fn mix(&self, x: &Tensor, q: &Tensor, k: &Tensor, v: &Tensor, mask: Option<Tensor>) -> Tensor {
        let (b, t, d) = (x.dim(0), x.dim(1), x.dim(2));
        let heads = self.opts.heads.max(1);
        let mut scores = q.matmul(&k.t()) * (1.0 / ((d / heads) as f64).sqrt());
        if let Some(mask) = mask {
            scores = mask.select(&scores, MASK_VALUE);
        }
        let mut heads_out = scores.softmax(-1).matmul(v);
        if heads_out.rank() == 3 {
            heads_out = heads_out.reshape(&[b, heads, t, d / heads]);
        }
        heads_out.permute(&[0, 2, 1, 3]).reshape(&[b, t, d])
    }
}

/// `[B, h, T, d/h]` heads as `[B h, T, d/h]`.
fn merge_batch_and_heads(t: &Tensor) -> Tensor {
    t.reshape(&[t.dim(0) * t.dim(1), t.dim(2), t.dim(3)])
}
