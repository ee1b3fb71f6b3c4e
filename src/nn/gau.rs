//! The Gated Attention Unit, the layer of FLASH-Quad (FLASH.md section 1):
//!
//! `h = norm(x)`; `[u | v | z] = silu(h W_in + b_in)`; `q, k = z * gamma[0|1] + beta[0|1]`
//! with RoPE; `A = score(q k^T / T + bias)` (relu² by default, causal mask optional);
//! `out = x + (u * (A v)) W_out + b_out`.
//!
//! Parameters (current scope): `norm.*`, `gau.w_in`, `gau.b_in`, `gau.gamma` `[2, s]`,
//! `gau.beta`, `gau.w_out`, `gau.b_out`, and `gau.rel_bias` with the relative-position bias.

use super::cache::{visible_keys, KvCache};
use super::gated::{GatedUnit, GatedWidths};
use super::mask::RelPosBias;
use super::norm::Norm;
use super::params::Params;
use super::rope::{rope, rope_at};
use super::score::{attention_matrix, KeyMask, ScoreOptions};
use super::ATTENTION_REGION;
use crate::config::NormKind;
use crate::dsl::{ScoreFn, Tensor};

/// How a GAU is configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GauOptions {
    /// Expansion e and shared width s.
    pub widths: GatedWidths,
    /// Mask keys after the query.
    pub causal: bool,
    /// Score function.
    pub score: ScoreFn,
    /// Normalisation before the unit.
    pub norm: NormKind,
    /// `Some(max_len)` adds a learned relative-position bias for up to `max_len` tokens.
    pub rel_pos_max_len: Option<usize>,
}

/// A Gated Attention Unit with pre-norm and residual.
#[derive(Clone, Debug)]
pub struct Gau {
    norm: Norm,
    unit: GatedUnit,
    rel: Option<RelPosBias>,
    opts: GauOptions,
}

impl Gau {
    /// Creates the layer's parameters for width `d` in the current scope.
    pub fn new(p: &Params, d: usize, opts: GauOptions) -> Gau {
        let norm = p.scope("norm", |p| Norm::new(p, opts.norm, d));
        let (unit, rel) = p.scope("gau", |p| {
            let unit = GatedUnit::new(p, d, opts.widths, 2);
            (unit, opts.rel_pos_max_len.map(|n| RelPosBias::new(p, n)))
        });
        Gau {
            norm,
            unit,
            rel,
            opts,
        }
    }

    /// The layer applied to `x` (`[B, T, d]`).
    pub fn forward(&self, x: &Tensor) -> Tensor {
        self.full(x, x.dim(1)).0
    }

    /// The layer applied to a prompt `x` (`[B, P, d]`) scored as in a forward pass over
    /// `capacity` tokens, and the cache of its rotated keys and values (`[B, capacity, s]`,
    /// `[B, capacity, e]`).
    pub fn prefill(&self, x: &Tensor, capacity: usize) -> (Tensor, KvCache) {
        let (y, k, v) = self.full(x, capacity);
        (y, KvCache::from_prompt(&k, &v, 1, capacity))
    }

    /// One decode step: token `x` (`[B, 1, d]`) at `position` (an integer scalar tensor)
    /// attends over the cached tokens `0..=position`; returns the output and the cache with
    /// the token's key and value written. Scores are scaled by the cache capacity.
    pub fn step(&self, x: &Tensor, cache: &KvCache, position: &Tensor) -> (Tensor, KvCache) {
        let proj = self.unit.project(&self.norm.forward(x));
        let (q, k) = (
            rope_at(&proj.heads[0], position),
            rope_at(&proj.heads[1], position),
        );
        let cache = cache.write(&k, &proj.v, 1, position);
        let capacity = cache.k.dim(1);
        let visible = visible_keys(position, capacity);
        let score = ScoreOptions {
            score: self.opts.score,
            mask: KeyMask::Given(&visible),
            bias: None,
            scale_len: capacity,
        };
        let a = attention_matrix(&q, &cache.k, score);
        (self.unit.output(x, &proj.u, &a.matmul(&cache.v)), cache)
    }

    /// The layer's output, its rotated keys and its values, with relu²/laplace scores
    /// scaled by `1 / scale_len`.
    /// Everything between the input and output projections is the layer's
    /// [`ATTENTION_REGION`].
    fn full(&self, x: &Tensor, scale_len: usize) -> (Tensor, Tensor, Tensor) {
        let projected = self.unit.project_in(&self.norm.forward(x));
        let (gated, k, v) = x.ctx().region(ATTENTION_REGION, || {
            let proj = self.unit.activate(&projected);
            let (q, k) = (rope(&proj.heads[0]), rope(&proj.heads[1]));
            let bias = self.rel.as_ref().map(|r| r.bias(x.dim(1)));
            let score = ScoreOptions {
                score: self.opts.score,
                mask: if self.opts.causal {
                    KeyMask::Causal
                } else {
                    KeyMask::All
                },
                bias: bias.as_ref(),
                scale_len,
            };
            let a = attention_matrix(&q, &k, score);
            (&proj.u * a.matmul(&proj.v), k, proj.v)
        });
        (self.unit.output_gated(x, &gated), k, v)
    }
}
