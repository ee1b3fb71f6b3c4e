//! The Gated Attention Unit, the layer of FLASH-Quad (FLASH.md section 1):
//!
//! `h = norm(x)`; `[u | v | z] = silu(h W_in + b_in)`; `q, k = z * gamma[0|1] + beta[0|1]`
//! with RoPE; `A = score(q k^T / T + bias)` (relu² by default, causal mask optional);
//! `out = x + (u * (A v)) W_out + b_out`.
//!
//! Parameters (current scope): `norm.*`, `gau.w_in`, `gau.b_in`, `gau.gamma` `[2, s]`,
//! `gau.beta`, `gau.w_out`, `gau.b_out`, and `gau.rel_bias` with the relative-position bias.

use super::gated::{GatedUnit, GatedWidths};
use super::mask::RelPosBias;
use super::norm::Norm;
use super::params::Params;
use super::rope::rope;
use super::score::{attention_matrix, ScoreOptions};
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
        let proj = self.unit.project(&self.norm.forward(x));
        let (q, k) = (rope(&proj.heads[0]), rope(&proj.heads[1]));
        let bias = self.rel.as_ref().map(|r| r.bias(x.dim(1)));
        let score = ScoreOptions {
            score: self.opts.score,
            causal: self.opts.causal,
            bias: bias.as_ref(),
        };
        let a = attention_matrix(&q, &k, score);
        self.unit.output(x, &proj.u, &a.matmul(&proj.v))
    }
}
