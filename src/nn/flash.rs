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
/// running sum over every token so far of `k_lin^T v` (unnormalised, as the lowering keeps
/// it), and the current chunk's rotated `k_lin` and `k_quad` rows and its `v` rows. A step
/// writes its row of the buffers at its offset in the chunk and never clears them: rows past
/// the current token still hold the previous chunk's (zeros in the first chunk), which the
/// attention masks out.
///
/// The linear part of a token reads the sum over the *finished* chunks, which is the running
/// sum less the current chunk's rows so far: `q (S - K_c^T V_c) = q S - (q K_c^T) V_c`. So a
/// step only adds its own `k_lin^T v` to the sum and writes its rows into the buffers (all
/// in place in the donated buffers, every read after the write), and its product with the
/// chunk's values is one `[C] x [C, e]` product for the local and linear parts together.
#[derive(Clone, Debug)]
pub struct FlashState {
    /// `sum over every token so far of k_lin_t^T v_t`, `[B, s, e]`.
    pub sum: Tensor,
    /// The current chunk's rotated `k_lin` rows, `[B, C, s]`.
    pub k_lin: Tensor,
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
        let buffer = |t: &Tensor| current_chunk_rows(t, finished, p, c);
        let state = FlashState {
            sum: h[3].t().matmul(&v),
            k_lin: buffer(&h[3]),
            k_quad: buffer(&h[1]),
            v: buffer(&v),
        };
        (y, state)
    }

    /// One decode step of token `x` (`[B, 1, d]`) at `position` (an i32 scalar): exact
    /// attention over the current chunk's keys so far plus the linear attention over the
    /// finished chunks (see [`FlashState`]); returns the output and the updated state.
    pub fn step(&self, x: &Tensor, state: &FlashState, position: &Tensor) -> (Tensor, FlashState) {
        let c = self.attention.chunk;
        let proj = self.unit.project(&self.norm.forward(x));
        let h: Vec<Tensor> = proj.heads.iter().map(|t| rope_at(t, position)).collect();
        let chunk = position / c as f64;
        let offset = position - &chunk * c as f64;
        let next = FlashState {
            sum: &state.sum + h[3].t().matmul(&proj.v),
            k_lin: write_at(&state.k_lin, &h[3], 1, &offset),
            k_quad: write_at(&state.k_quad, &h[1], 1, &offset),
            v: write_at(&state.v, &proj.v, 1, &offset),
        };
        let visible = visible_keys(&offset, c);
        let local = ScoreOptions {
            score: self.attention.score,
            mask: KeyMask::Given(&visible),
            bias: None,
            scale_len: c,
        };
        let local = attention_matrix(&h[0], &next.k_quad, local);
        let q_lin = self.linear_queries(&h[2], &chunk);
        let current = visible.select(q_lin.matmul(&next.k_lin.t()), 0.0);
        let attended = (local - current).matmul(&next.v) + q_lin.matmul(&next.sum);
        let y = self.unit.output(x, &proj.u, &attended);
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
