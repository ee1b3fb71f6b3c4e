//! The attention matrix of the (quadratic) Gated Attention Unit, for each score function:
//!
//! - relu²: `relu(q k^T / T + bias)^2`, zeroed above the diagonal when causal;
//! - laplace: `0.5 * (1 + erf((x - mu) / (sigma sqrt 2)))` of `x = q k^T / T + bias`, with
//!   `mu = sqrt(1/2)`, `sigma = sqrt(1 / (4 pi))` and erf by the tanh approximation of
//!   [`crate::dsl::ScoreFn::Laplace`], zeroed above the diagonal when causal;
//! - softmax: row softmax of `q k^T / sqrt(s) + bias` over the visible keys.
//!
//! The scales match the local part of the FLASH composite with C = T.

use super::attention::MASK_VALUE;
use super::mask::causal_mask;
use crate::dsl::{ScoreFn, Tensor};

/// The erf approximation's constant (2 / sqrt(pi) to ten digits, as the IR documents it).
#[allow(clippy::approx_constant)]
const ERF_SCALE: f64 = 1.128_379_167_1;

/// Which keys each query sees.
#[derive(Clone, Copy, Debug)]
pub enum KeyMask<'a> {
    /// Every key.
    All,
    /// Keys `j <= i` (queries and keys are the same `T` tokens).
    Causal,
    /// The keys where this bool tensor (broadcastable to `[B, Tq, Tk]`) is true.
    Given(&'a Tensor),
}

/// The score function, masking and optional additive bias of a GAU attention matrix.
#[derive(Clone, Copy, Debug)]
pub struct ScoreOptions<'a> {
    /// The score function.
    pub score: ScoreFn,
    /// Which keys each query sees.
    pub mask: KeyMask<'a>,
    /// An additive `[T, T]` bias (relative positions).
    pub bias: Option<&'a Tensor>,
    /// The `T` of relu² and laplace's `1 / T` scale: the sequence length the model is run at
    /// (a decode step passes its cache capacity, so it scores as the forward pass over that
    /// many tokens does).
    pub scale_len: usize,
}

/// The `[B, Tq, Tk]` attention matrix of queries `q` (`[B, Tq, s]`) and keys `k`
/// (`[B, Tk, s]`).
pub fn attention_matrix(q: &Tensor, k: &Tensor, opts: ScoreOptions<'_>) -> Tensor {
    let (t, s) = (q.dim(-2), q.dim(-1));
    let logits = q.matmul(&k.t());
    let scale = match opts.score {
        ScoreFn::Softmax => 1.0 / (s as f64).sqrt(),
        ScoreFn::Relu2 | ScoreFn::Laplace => 1.0 / opts.scale_len as f64,
    };
    let mut x = logits * scale;
    if let Some(b) = opts.bias {
        x = x + b;
    }
    let mask = match opts.mask {
        KeyMask::All => None,
        KeyMask::Causal => Some(causal_mask(q.ctx(), t)),
        KeyMask::Given(m) => Some(m.clone()),
    };
    match (opts.score, mask) {
        (ScoreFn::Softmax, Some(m)) => m.select(&x, MASK_VALUE).softmax(-1),
        (ScoreFn::Softmax, None) => x.softmax(-1),
        (ScoreFn::Relu2, m) => zero_masked(x.relu2(), m),
        (ScoreFn::Laplace, m) => zero_masked(laplace(&x), m),
    }
}

/// `a` with the positions where `mask` is false set to zero.
fn zero_masked(a: Tensor, mask: Option<Tensor>) -> Tensor {
    match mask {
        Some(m) => m.select(&a, 0.0),
        None => a,
    }
}

/// The bounded laplace score function.
fn laplace(x: &Tensor) -> Tensor {
    let mu = 0.5f64.sqrt();
    let sigma = (1.0 / (4.0 * std::f64::consts::PI)).sqrt();
    let y = (x - mu) * (1.0 / (sigma * std::f64::consts::SQRT_2));
    let erf = ((&y + y.square() * &y * 0.08943) * ERF_SCALE).tanh();
    (erf + 1.0) * 0.5
}
