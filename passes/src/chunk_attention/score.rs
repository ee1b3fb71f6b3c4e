//! The score functions of the local part ([`ScoreFn`], whose docs define them), applied to
//! the chunk scores under an optional mask; masked entries are exactly 0.
//!
//! The scale of each score function (`1/C` for relu2, `k/C` for laplace, `1/sqrt(s)` for
//! softmax) is folded into the queries by the caller ([`query_scale`]): `(c q) k^T` scales a
//! `[B, G, C, s]` tensor where `c (q k^T)` scales a `[B, G, C, C]` one, in the forward pass
//! and again in the backward pass. It is exact for relu2 with a power-of-two C and a
//! reassociation of one scalar product otherwise.

use super::Geometry;
use flash_ir::build::BuildResult;
use flash_ir::{Builder, DType, ScoreFn, UnaryOp, ValueId};

/// The scale of the tanh approximation of erf exactly as [`ScoreFn::Laplace`] writes it
/// (2 / sqrt(pi) to ten decimals), so the lowering computes the documented function.
#[allow(clippy::approx_constant)]
const ERF_TANH_SCALE: f64 = 1.128_379_167_1;

/// The factor the queries are multiplied by, so that `S = (c q) k^T` is the score function's
/// argument: `1/C` (relu2), `k/C` with `k = 1 / (sigma sqrt 2)` (laplace), `1/sqrt(s)`
/// (softmax).
pub(super) fn query_scale(geo: &Geometry, score: ScoreFn) -> f64 {
    let c = geo.scale_chunk as f64;
    match score {
        ScoreFn::Relu2 => 1.0 / c,
        ScoreFn::Laplace => laplace_k() / c,
        ScoreFn::Softmax => 1.0 / (geo.width_qk as f64).sqrt(),
    }
}

/// `P = score(S)` for the scaled scores `S = (c q) k^T` ([`query_scale`]), with the entries
/// outside `mask` (bool `[B, G, C, C]`, true = visible) set to 0.
pub(super) fn probabilities(
    b: &mut Builder<'_>,
    s: ValueId,
    mask: Option<ValueId>,
    geo: &Geometry,
    score: ScoreFn,
) -> BuildResult {
    match score {
        ScoreFn::Relu2 => {
            let p = relu2(b, s)?;
            zero_outside(b, p, mask)
        }
        ScoreFn::Laplace => {
            let p = laplace(b, s)?;
            zero_outside(b, p, mask)
        }
        ScoreFn::Softmax => softmax(b, s, mask, geo),
    }
}

/// `select(mask, p, 0)`, or `p` without a mask.
fn zero_outside(b: &mut Builder<'_>, p: ValueId, mask: Option<ValueId>) -> BuildResult {
    let Some(mask) = mask else { return Ok(p) };
    let zero = b.splat_like(0.0, p)?;
    b.select(mask, p, zero)
}

/// `relu(x)^2` of `x = S / C` (the scale folded into the queries).
fn relu2(b: &mut Builder<'_>, x: ValueId) -> BuildResult {
    let zero = b.splat_like(0.0, x)?;
    let r = b.max(x, zero)?;
    b.mul(r, r)
}

/// `k = 1 / (sigma sqrt 2)` with `sigma = sqrt(1 / (4 pi))`, laplace's inverse width.
fn laplace_k() -> f64 {
    let sigma = (1.0 / (4.0 * std::f64::consts::PI)).sqrt();
    1.0 / (sigma * std::f64::consts::SQRT_2)
}

/// `0.5 * (1 + erf(y))` with `y = (S / C - mu) / (sigma sqrt 2)`, computed as
/// `scaled - mu * k` from `scaled = S * (k / C)` (the scale folded into the queries) for
/// `k = 1 / (sigma sqrt 2)`, and `erf(y) ~ tanh(1.1283791671 * (y + 0.08943 * y^3))`.
fn laplace(b: &mut Builder<'_>, scaled: ValueId) -> BuildResult {
    let mu = 0.5f64.sqrt();
    let k = laplace_k();
    let shift = b.splat_like(mu * k, scaled)?;
    let y = b.sub(scaled, shift)?;
    let y2 = b.mul(y, y)?;
    let y3 = b.mul(y2, y)?;
    let cubic = b.scale(y3, 0.08943)?;
    let inner = b.add(y, cubic)?;
    let inner = b.scale(inner, ERF_TANH_SCALE)?;
    let erf = b.unary(UnaryOp::Tanh, inner)?;
    let one = b.splat_like(1.0, erf)?;
    let sum = b.add(one, erf)?;
    b.scale(sum, 0.5)
}

/// Row softmax of `x = S / sqrt(s)` (the scale folded into the queries) over the visible
/// keys: masked logits are replaced by the dtype's lowest finite value before the row max, so
/// `exp(x - max)` is exactly 0 there (and no infinity enters the graph or its gradient).
fn softmax(b: &mut Builder<'_>, x: ValueId, mask: Option<ValueId>, geo: &Geometry) -> BuildResult {
    let x = match mask {
        Some(mask) => {
            let low = b.splat_like(lowest_finite(geo.dtype), x)?;
            b.select(mask, x, low)?
        }
        None => x,
    };
    let shape = b.shape(x);
    let row_max = b.reduce_max(x, &[3])?;
    let row_max = b.broadcast_in_dim(row_max, &shape, &[0, 1, 2])?;
    let centred = b.sub(x, row_max)?;
    let e = b.unary(UnaryOp::Exp, centred)?;
    let total = b.reduce_sum(e, &[3])?;
    let total = b.broadcast_in_dim(total, &shape, &[0, 1, 2])?;
    b.div(e, total)
}

/// The most negative finite value of a float dtype (`f64::MIN` for the others, which the
/// float-only attention never uses).
fn lowest_finite(dtype: DType) -> f64 {
    match dtype {
        DType::F32 => f64::from(f32::MIN),
        DType::BF16 => half::bf16::MIN.to_f64(),
        DType::F16 => half::f16::MIN.to_f64(),
        DType::F64 | DType::I32 | DType::I64 | DType::Bool => f64::MIN,
    }
}
