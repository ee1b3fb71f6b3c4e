//! Normalisation layers over the last axis, all with eps = 1e-5:
//!
//! - ScaleNorm: `x * rsqrt(mean(x^2) + eps) * g`, `g` a learned scalar (shape `[]`), init 1;
//! - RMSNorm: the same with `g` a learned vector `[d]`, init 1;
//! - LayerNorm: `(x - mean) * rsqrt(var + eps) * g + b`, `g` `[d]` init 1, `b` `[d]` init 0
//!   (biased variance, as in PyTorch).
//!
//! The statistics of 16-bit float inputs are computed in f32 (the normalised values are
//! converted back before the gain is applied).

use super::params::{Init, Params};
use crate::config::NormKind;
use crate::dsl::{DType, Tensor};

/// The epsilon added to the mean square or variance.
pub const NORM_EPS: f64 = 1e-5;

/// A normalisation layer with its parameters (`g`, and `b` for LayerNorm).
#[derive(Clone, Debug)]
pub enum Norm {
    /// ScaleNorm with a scalar gain.
    Scale {
        /// Gain, shape `[]`.
        g: Tensor,
    },
    /// RMSNorm with a vector gain.
    Rms {
        /// Gain, shape `[d]`.
        g: Tensor,
    },
    /// LayerNorm with gain and bias.
    Layer {
        /// Gain, shape `[d]`.
        g: Tensor,
        /// Bias, shape `[d]`.
        b: Tensor,
    },
}

impl Norm {
    /// Creates the parameters of a `kind` norm over width `d` in the current scope.
    pub fn new(p: &Params, kind: NormKind, d: usize) -> Norm {
        match kind {
            NormKind::ScaleNorm => Norm::Scale {
                g: p.param("g", &[], Init::Ones),
            },
            NormKind::RmsNorm => Norm::Rms {
                g: p.param("g", &[d], Init::Ones),
            },
            NormKind::LayerNorm => Norm::Layer {
                g: p.param("g", &[d], Init::Ones),
                b: p.param("b", &[d], Init::Zeros),
            },
        }
    }

    /// Normalises the last axis of `x`.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let dtype = x.dtype();
        let stats = if matches!(dtype, DType::BF16 | DType::F16) {
            DType::F32
        } else {
            dtype
        };
        let x = x.cast(stats);
        match self {
            Norm::Scale { g } | Norm::Rms { g } => rms_normalize(&x).cast(dtype) * g,
            Norm::Layer { g, b } => {
                let centred = &x - x.mean(&[-1], true);
                let var = centred.square().mean(&[-1], true);
                (centred * (var + NORM_EPS).rsqrt()).cast(dtype) * g + b
            }
        }
    }
}

/// `x * rsqrt(mean(x^2, last axis) + eps)`.
fn rms_normalize(x: &Tensor) -> Tensor {
    x * (x.square().mean(&[-1], true) + NORM_EPS).rsqrt()
}
