//! The FLASH layer: a GAU with mixed-chunk attention (FLASH.md section 2).
//!
//! `h = norm(x)`; `[u | v | z] = silu(h W_in + b_in)`; four affine heads of z give `q_quad,
//! k_quad, q_lin, k_lin`, each with RoPE at its global position; the attention is the DSL's
//! `chunk_attention` composite (chunk C, causal flag, linear norm, score function); then
//! `out = x + (u * attention) W_out + b_out`. For generation, [`Flash::prefill`] also returns
//! the layer's constant-size [`FlashState`] and [`Flash::step`] advances it by one token.
//!
//! Parameters (current scope): `norm.*`, `flash.w_in`, `flash.b_in`, `flash.gamma` `[4, s]`,
//! `flash.beta`, `flash.w_out`, `flash.b_out`.

use super::cache::{visible_keys, write_at};
use super::gated::{GatedUnit, GatedWidths};
use super::norm::Norm;
use super::params::Params;
use super::rope::{rope, rope_at};
use super::score::{attention_matrix, KeyMask, ScoreOptions};
use super::ATTENTION_REGION;
use crate::config::NormKind;
use crate::dsl::{chunk_attention, ChunkAttention, LinearNorm, Tensor};

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
        self.full(x).0
    }
}

/// The decode state of one causal FLASH layer (FLASH.md section 4), of constant size: the
/// running sum over finished chunks of `k_lin^T v` (unnormalised, as the lowering keeps it),
/// the current chunk's partial sum, and the current chunk's quadratic keys and values. A
/// step writes its row of the buffers at its offset in the chunk and never clears them: rows
/// past the current token still hold the previous chunk's (zeros in the first chunk), which
/// the local attention masks out. So a step touches only its own rows of the buffers.
#[derive(Clone, Debug)]
pub struct FlashState {
    /// `sum over finished chunks h of k_lin_h^T v_h`, `[B, s, e]`.
    pub memory: Tensor,
    /// `sum over the current chunk's tokens of k_lin_t^T v_t`, `[B, s, e]`.
    pub partial: Tensor,
    /// The current chunk's rotated `k_quad` rows, `[B, C, s]`.
    pub k_quad: Tensor,
    /// The current chunk's `v` rows, `[B, C, e]`.
    pub v: Tensor,
}

impl Flash {
    /// The layer applied to a prompt `x` (`[B, P, d]`, any P), and the state the decode
    /// steps continue from (the same state `P` steps from the empty one build).
    pub fn prefill(&self, x: &Tensor) -> (Tensor, FlashState) {
        let (y, h, v) = self.full(x);
        let c = self.attention.chunk;
        let p = x.dim(1);
        let finished = p / c * c;
        let products = |from: usize, to: usize| {
            let (kl, vs) = (h[3].slice(1, from, to), v.slice(1, from, to));
            kl.t().matmul(&vs)
        };
        let buffer = |t: &Tensor| current_chunk_rows(t, finished, p, c);
        let state = FlashState {
            memory: products(0, finished),
            partial: products(finished, p),
            k_quad: buffer(&h[1]),
            v: buffer(&v),
        };
        (y, state)
    }

    /// One decode step of token `x` (`[B, 1, d]`) at `position` (an i32 scalar): exact
    /// attention over the current chunk's keys so far plus the linear attention over the
    /// finished chunks; returns the output and the updated state (at a chunk's last token
    /// the chunk's partial sum is folded into the memory).
    pub fn step(&self, x: &Tensor, state: &FlashState, position: &Tensor) -> (Tensor, FlashState) {
        let c = self.attention.chunk;
        let proj = self.unit.project(&self.norm.forward(x));
        let h: Vec<Tensor> = proj.heads.iter().map(|t| rope_at(t, position)).collect();
        let chunk = position / c as f64;
        let offset = position - &chunk * c as f64;
        let k_quad = write_at(&state.k_quad, &h[1], 1, &offset);
        let v = write_at(&state.v, &proj.v, 1, &offset);
        let visible = visible_keys(&offset, c);
        let local = ScoreOptions {
            score: self.attention.score,
            mask: KeyMask::Given(&visible),
            bias: None,
            scale_len: c,
        };
        let local = attention_matrix(&h[0], &k_quad, local).matmul(&v);
        let global = self.linear_queries(&h[2], &chunk).matmul(&state.memory);
        let y = self.unit.output(x, &proj.u, &(local + global));
        let partial = &state.partial + h[3].t().matmul(&proj.v);
        let last = offset.eq(c as f64 - 1.0);
        let next = FlashState {
            memory: last.select(&state.memory + &partial, &state.memory),
            partial: last.select(0.0, &partial),
            k_quad,
            v,
        };
        (y, next)
    }

    /// The layer's output, its rotated heads and its values over the whole of `x`. Everything
    /// between the input and output projections is the layer's [`ATTENTION_REGION`].
    fn full(&self, x: &Tensor) -> (Tensor, Vec<Tensor>, Tensor) {
        let projected = self.unit.project_in(&self.norm.forward(x));
        let (gated, h, v) = x.ctx().region(ATTENTION_REGION, || {
            let proj = self.unit.activate(&projected);
            let h: Vec<Tensor> = proj.heads.iter().map(rope).collect();
            let y = chunk_attention(&h[0], &h[1], &h[2], &h[3], &proj.v, self.attention.clone());
            (&proj.u * &y, h, proj.v)
        });
        (self.unit.output_gated(x, &gated), h, v)
    }

    /// `q_lin` divided by the linear part's normaliser for a token in chunk `chunk` (an i32
    /// scalar): `C * max(chunk, 1)` (mean) or `C` (sum), as the lowering does.
    fn linear_queries(&self, q_lin: &Tensor, chunk: &Tensor) -> Tensor {
        let c = self.attention.chunk as f64;
        match self.attention.linear_norm {
            LinearNorm::Sum => q_lin * (1.0 / c),
            LinearNorm::Mean => {
                let chunks = chunk.cast(q_lin.dtype()).maximum(1.0);
                q_lin / (chunks * c)
            }
        }
    }
}

/// The `[B, C, x]` buffer that steps over tokens `0..p` leave from `t` (`[B, p, x]`): the
/// current chunk's rows `finished..p` first, then the previous chunk's rows after them (zeros
/// when there is no previous chunk).
fn current_chunk_rows(t: &Tensor, finished: usize, p: usize, c: usize) -> Tensor {
    let current = t.slice(1, finished, p);
    let filled = p - finished;
    if finished == 0 {
        return current.pad_axis(1, 0, (c - filled) as i64, 0.0);
    }
    let stale = t.slice(1, finished - c + filled, finished);
    t.ctx().concat(&[current, stale], 1)
}
