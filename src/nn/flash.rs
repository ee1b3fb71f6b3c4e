//! The FLASH layer: a GAU with mixed-chunk attention (FLASH.md section 2).
//!
//! `h = norm(x)`; `[u | v | z] = silu(h W_in + b_in)`; four affine heads of z give `q_quad,
//! k_quad, q_lin, k_lin`, each with RoPE at its global position; the attention is the DSL's
//! `chunk_attention` composite (chunk C, causal flag, linear norm, score function); then
//! `out = x + (u * attention) W_out + b_out`.
//!
//! Parameters (current scope): `norm.*`, `flash.w_in`, `flash.b_in`, `flash.gamma` `[4, s]`,
//! `flash.beta`, `flash.w_out`, `flash.b_out`.

use super::gated::{GatedUnit, GatedWidths};
use super::norm::Norm;
use super::params::Params;
use super::rope::rope;
use crate::config::NormKind;
use crate::dsl::{chunk_attention, ChunkAttention, Tensor};

/// How a FLASH layer is configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlashOptions {
    /// Expansion e and shared width s.
    pub widths: GatedWidths,
    /// Chunk size, causal flag, linear-part normalisation and score function.
    pub attention: ChunkAttention,
    /// Normalisation before the unit.
    pub norm: NormKind,
}

/// A FLASH layer with pre-norm and residual.
#[derive(Clone, Debug)]
pub struct Flash {
    norm: Norm,
    unit: GatedUnit,
    attention: ChunkAttention,
}

impl Flash {
    /// Creates the layer's parameters for width `d` in the current scope.
    pub fn new(p: &Params, d: usize, opts: &FlashOptions) -> Flash {
        Flash {
            norm: p.scope("norm", |p| Norm::new(p, opts.norm, d)),
            unit: p.scope("flash", |p| GatedUnit::new(p, d, opts.widths, 4)),
            attention: opts.attention.clone(),
        }
    }

    /// The layer applied to `x` (`[B, T, d]`).
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let proj = self.unit.project(&self.norm.forward(x));
        let h: Vec<Tensor> = proj.heads.iter().map(rope).collect();
        let y = chunk_attention(&h[0], &h[1], &h[2], &h[3], &proj.v, self.attention.clone());
        self.unit.output(x, &proj.u, &y)
    }
}
