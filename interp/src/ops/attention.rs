//! `chunk_attention`, evaluated from the dense `T x T` oracle of FLASH.md section 4 (never from
//! the chunked form its lowering uses, which is what makes this an independent reference):
//!
//! `out_i = sum_j Ahat_ij v_j`, with
//! `Ahat_ij = [j visible from i] * score_ij + W_ij * (q_lin_i . k_lin_j)`,
//! where `j` is visible from `i` if `chunk(j) = chunk(i)` (and `j <= i` when causal),
//! `chunk(i) = floor(i / C)`, and
//! - non-causal: `W_ij = 1 / T` (T the actual, unpadded length);
//! - causal, mean: `W_ij = [chunk(j) < chunk(i)] / (C * max(chunk(i), 1))`;
//! - causal, sum: `W_ij = [chunk(j) < chunk(i)] / C`.
//!
//! Everything is computed in `f64` and each output element rounded once to the dtype.

use crate::array::Array;
use crate::round::round;
use flash_ir::op::{ChunkAttention, LinearNorm, ScoreFn};
use flash_ir::scalar::ieee_max;
use flash_ir::TensorType;

/// The five operands of one batch element, as row accessors.
struct Batch<'a> {
    xs: [&'a Array; 5],
    b: usize,
    t: usize,
}

impl Batch<'_> {
    /// Row `i` of operand `which` (0..4: q_quad, k_quad, q_lin, k_lin, v).
    fn row(&self, which: usize, i: usize) -> &[f64] {
        let x = self.xs[which];
        let w = x.shape()[2];
        let start = (self.b * self.t + i) * w;
        &x.data[start..start + w]
    }
}

/// `chunk_attention` of `xs = [q_quad, k_quad, q_lin, k_lin, v]`.
pub fn chunk_attention(xs: &[&Array], a: &ChunkAttention, ty: &TensorType) -> Array {
    let [bsz, t, e] = [ty.shape[0], ty.shape[1], ty.shape[2]];
    let xs = [xs[0], xs[1], xs[2], xs[3], xs[4]];
    let mut data = Vec::with_capacity(ty.num_elements());
    for b in 0..bsz {
        let batch = Batch { xs, b, t };
        for i in 0..t {
            let weights = ahat_row(&batch, a, i);
            let mut sums = vec![0.0; e];
            for (j, w) in weights.iter().enumerate() {
                sums.iter_mut()
                    .zip(batch.row(4, j))
                    .for_each(|(o, v)| *o += w * v);
            }
            data.extend(sums.iter().map(|&o| round(ty.dtype, o)));
        }
    }
    Array {
        ty: ty.clone(),
        data,
    }
}

/// Row `i` of `Ahat`: the local scores plus the weighted linear term.
fn ahat_row(x: &Batch, a: &ChunkAttention, i: usize) -> Vec<f64> {
    let mut row = local_row(x, a, i);
    for (j, r) in row.iter_mut().enumerate() {
        let w = linear_weight(a, x.t, i, j);
        if w != 0.0 {
            *r += w * dot(x.row(2, i), x.row(3, j));
        }
    }
    row
}

/// Whether key `j` is visible from query `i` in the local (quadratic) part.
fn visible(a: &ChunkAttention, i: usize, j: usize) -> bool {
    i / a.chunk == j / a.chunk && (!a.causal || j <= i)
}

/// `W_ij`, the weight of the linear term.
fn linear_weight(a: &ChunkAttention, t: usize, i: usize, j: usize) -> f64 {
    let (ci, cj, c) = (i / a.chunk, j / a.chunk, a.chunk as f64);
    if !a.causal {
        1.0 / t as f64
    } else if cj >= ci {
        0.0
    } else {
        match a.linear_norm {
            LinearNorm::Mean => 1.0 / (c * ci.max(1) as f64),
            LinearNorm::Sum => 1.0 / c,
        }
    }
}

/// The local scores of query `i` against every key: 0 outside the visible set.
fn local_row(x: &Batch, a: &ChunkAttention, i: usize) -> Vec<f64> {
    let c = a.chunk as f64;
    let qk = |j: usize| dot(x.row(0, i), x.row(1, j));
    let mut row = vec![0.0; x.t];
    let vis = (0..x.t).filter(|&j| visible(a, i, j));
    match a.score {
        ScoreFn::Relu2 => vis.for_each(|j| row[j] = ieee_max(qk(j) / c, 0.0).powi(2)),
        ScoreFn::Laplace => vis.for_each(|j| row[j] = laplace(qk(j) / c)),
        ScoreFn::Softmax => {
            let s = x.xs[0].shape()[2] as f64;
            let logits: Vec<(usize, f64)> = vis.map(|j| (j, qk(j) / s.sqrt())).collect();
            let m = logits.iter().map(|l| l.1).fold(f64::NEG_INFINITY, f64::max);
            let total: f64 = logits.iter().map(|l| (l.1 - m).exp()).sum();
            logits
                .iter()
                .for_each(|&(j, l)| row[j] = (l - m).exp() / total);
        }
    }
    row
}

/// The bounded "laplace" score `0.5 * (1 + erf((x - mu) / (sigma * sqrt 2)))`, with
/// `mu = sqrt(0.5)`, `sigma = sqrt(1 / (4 pi))` and erf by its tanh approximation.
/// The erf constant is written as `ScoreFn::Laplace` documents it (2 / sqrt(pi) to ten
/// digits), so the oracle and the lowering use the same approximation.
#[allow(clippy::approx_constant)]
fn laplace(x: f64) -> f64 {
    let mu = 0.5f64.sqrt();
    let sigma = (1.0 / (4.0 * std::f64::consts::PI)).sqrt();
    let y = (x - mu) / (sigma * std::f64::consts::SQRT_2);
    let erf = (1.1283791671 * (y + 0.08943 * y * y * y)).tanh();
    0.5 * (1.0 + erf)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
