//! Softmax multi-head self-attention (without the norm and residual, see
//! [`super::block`]): h heads of width d/h, scores `q k^T / sqrt(d/h)`, optional RoPE on q and
//! k, causal masking by an iota-built mask and a select with [`MASK_VALUE`].
//!
//! Parameters (current scope): `w_q`, `w_k`, `w_v`, `w_o` `[d, d]`, and `b_q`, `b_k`, `b_v`,
//! `b_o` `[d]` when biased.

use super::dense::Dense;
use super::mask::causal_mask;
use super::params::Params;
use super::rope::rope;
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
        let (b, t, d) = (x.dim(0), x.dim(1), x.dim(2));
        let heads = self.opts.heads.max(1);
        let split = |y: Tensor| y.reshape(&[b, t, heads, d / heads]).permute(&[0, 2, 1, 3]);
        let (mut q, mut k) = (split(self.q.forward(x)), split(self.k.forward(x)));
        if self.opts.rope {
            (q, k) = (rope(&q), rope(&k));
        }
        let v = split(self.v.forward(x));
        let mut scores = q.matmul(&k.t()) * (1.0 / ((d / heads) as f64).sqrt());
        if self.opts.causal {
            scores = causal_mask(x.ctx(), t).select(&scores, MASK_VALUE);
        }
        let heads_out = scores.softmax(-1).matmul(&v);
        self.o
            .forward(&heads_out.permute(&[0, 2, 1, 3]).reshape(&[b, t, d]))
    }
}
