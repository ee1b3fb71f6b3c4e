//! Neural-network functions built from primitive ops: activations (relu, relu², silu, gelu)
//! and numerically stable softmax, log-softmax and log-sum-exp (the max is subtracted first).
//!
//! Each is emitted under one DSL op name, so a failure reads `softmax: exp: C1: ...`.

use super::error::ErrorKind;
use super::tensor::{DimArg, Tensor};
use flash_ir::build::BuildResult;
use flash_ir::{Builder, Location, UnaryOp, ValueId};

/// `sqrt(2 / pi)`, the scale of the tanh approximation of GELU.
const GELU_SCALE: f64 = 0.797_884_560_802_865_4;

impl Tensor {
    /// `max(x, 0)`.
    #[track_caller]
    pub fn relu(&self) -> Tensor {
        let loc = Location::caller();
        self.apply(&loc, "relu", |b, v| Ok(relu(b, v)?))
    }

    /// `relu(x)^2`, the score function of GAU and FLASH.
    #[track_caller]
    pub fn relu2(&self) -> Tensor {
        let loc = Location::caller();
        self.apply(&loc, "relu2", |b, v| {
            let r = relu(b, v)?;
            Ok(b.mul(r, r)?)
        })
    }

    /// `x * sigmoid(x)`.
    #[track_caller]
    pub fn silu(&self) -> Tensor {
        let loc = Location::caller();
        self.apply(&loc, "silu", |b, v| {
            let s = b.unary(UnaryOp::Logistic, v)?;
            Ok(b.mul(v, s)?)
        })
    }

    /// GELU, tanh approximation: `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`.
    #[track_caller]
    pub fn gelu(&self) -> Tensor {
        let loc = Location::caller();
        self.apply(&loc, "gelu", |b, v| Ok(gelu(b, v)?))
    }

    /// Softmax along `axis`: `exp(x - max) / sum(exp(x - max))`.
    #[track_caller]
    pub fn softmax(&self, axis: impl DimArg) -> Tensor {
        let loc = Location::caller();
        self.along(&loc, "softmax", axis, |b, v, a| {
            let e = shifted_exp(b, v, a)?.1;
            let s = b.reduce_sum(e, &[a])?;
            let s = restore_axis(b, s, &b.shape(v), a)?;
            b.div(e, s)
        })
    }

    /// Log-softmax along `axis`: `(x - max) - log(sum(exp(x - max)))`.
    #[track_caller]
    pub fn log_softmax(&self, axis: impl DimArg) -> Tensor {
        let loc = Location::caller();
        self.along(&loc, "log_softmax", axis, |b, v, a| {
            let (z, e) = shifted_exp(b, v, a)?;
            let s = b.reduce_sum(e, &[a])?;
            let l = b.unary(UnaryOp::Log, s)?;
            let l = restore_axis(b, l, &b.shape(v), a)?;
            b.sub(z, l)
        })
    }

    /// `log(sum(exp(x)))` along `axis`, computed as `max + log(sum(exp(x - max)))`.
    #[track_caller]
    pub fn logsumexp(&self, axis: impl DimArg, keepdim: bool) -> Tensor {
        let loc = Location::caller();
        self.along(&loc, "logsumexp", axis, |b, v, a| {
            let m = b.reduce_max(v, &[a])?;
            let e = shifted_exp(b, v, a)?.1;
            let s = b.reduce_sum(e, &[a])?;
            let l = b.unary(UnaryOp::Log, s)?;
            let r = b.add(m, l)?;
            if !keepdim {
                return Ok(r);
            }
            let mut shape = b.shape(v);
            shape[a] = 1;
            b.reshape(r, &shape)
        })
    }

    /// Emits `f` with `axis` normalised against this tensor's rank.
    fn along(
        &self,
        loc: &Location,
        op: &'static str,
        axis: impl DimArg,
        f: impl FnOnce(&mut Builder<'_>, ValueId, usize) -> BuildResult,
    ) -> Tensor {
        let Some(a) = self.norm_axis(loc, op, axis) else {
            return self.poisoned();
        };
        self.apply(loc, op, |b, v| f(b, v, a).map_err(ErrorKind::from))
    }
}

fn relu(b: &mut Builder<'_>, v: ValueId) -> BuildResult {
    let zero = b.splat_like(0.0, v)?;
    b.max(v, zero)
}

fn gelu(b: &mut Builder<'_>, v: ValueId) -> BuildResult {
    let sq = b.mul(v, v)?;
    let cube = b.mul(sq, v)?;
    let c = b.scale(cube, 0.044_715)?;
    let inner = b.add(v, c)?;
    let inner = b.scale(inner, GELU_SCALE)?;
    let t = b.unary(UnaryOp::Tanh, inner)?;
    let one = b.splat_like(1.0, t)?;
    let t1 = b.add(one, t)?;
    let half = b.scale(v, 0.5)?;
    b.mul(half, t1)
}

/// `(x - max, exp(x - max))` with the max over `axis` broadcast back.
fn shifted_exp(
    b: &mut Builder<'_>,
    v: ValueId,
    axis: usize,
) -> Result<(ValueId, ValueId), flash_ir::IrError> {
    let m = b.reduce_max(v, &[axis])?;
    let m = restore_axis(b, m, &b.shape(v), axis)?;
    let z = b.sub(v, m)?;
    Ok((z, b.unary(UnaryOp::Exp, z)?))
}

/// Broadcasts `r` (reduced over `axis`) back to `shape`.
fn restore_axis(b: &mut Builder<'_>, r: ValueId, shape: &[usize], axis: usize) -> BuildResult {
    let dims: Vec<usize> = (0..shape.len()).filter(|&d| d != axis).collect();
    b.broadcast_in_dim(r, shape, &dims)
}
