//! The parameter list of a model without building its graph: [`param_specs`], the
//! [`ModelSpec`] wrapper, and re-exported counting and initialisation.

use super::build::check_config;
use super::error::{ModelError, ParamTotal};
use super::stack::LanguageModel;
use crate::config::ModelConfig;
use crate::dsl::{Ctx, DType};
use crate::ir::MAX_TENSOR_BYTES;
use crate::nn::{count_params, init_params, ParamSpec, Params};
use crate::tensor::HostTensor;

/// Every parameter of a model, in the order they are program inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelSpec {
    /// Name, type (always f32) and initialiser of each parameter.
    pub params: Vec<ParamSpec>,
}

impl ModelSpec {
    /// The spec of `cfg`'s model.
    pub fn new(cfg: &ModelConfig) -> Result<ModelSpec, ModelError> {
        Ok(ModelSpec {
            params: param_specs(cfg)?,
        })
    }

    /// The total number of parameter elements.
    pub fn count(&self) -> usize {
        count_params(&self.params)
    }

    /// Initial values, deterministic per `seed`.
    pub fn init(&self, seed: u64) -> Vec<(String, HostTensor)> {
        init_params(&self.params, seed)
    }
}

/// Every parameter's name, type and initialiser for `cfg`, in program-input order (the same
/// order [`super::build_lm`] creates them in, whatever the mode and sizes).
///
/// A model whose parameters alone would be more bytes than XLA's largest size (2^63 - 1) is
/// refused before its layers are built ([`ModelError::TooManyParameters`]).
pub fn param_specs(cfg: &ModelConfig) -> Result<Vec<ParamSpec>, ModelError> {
    check_config(cfg)?;
    check_param_total(cfg)?;
    build_specs(cfg)
}

/// Refuses a model whose parameter bytes exceed [`MAX_TENSOR_BYTES`], from the specs of its
/// one- and two-layer versions (its layers are alike), in exact 128-bit arithmetic.
fn check_param_total(cfg: &ModelConfig) -> Result<(), ModelError> {
    if cfg.layers <= 2 {
        return Ok(());
    }
    let total_of = |layers| -> Result<u128, ModelError> {
        let specs = build_specs(&ModelConfig {
            layers,
            ..cfg.clone()
        })?;
        Ok(specs.iter().map(|s| s.ty.num_elements() as u128).sum())
    };
    let (one, two) = (total_of(1)?, total_of(2)?);
    let total = one + (cfg.layers as u128 - 1) * (two - one);
    let bytes = total * DType::F32.size_bytes() as u128;
    if bytes > MAX_TENSOR_BYTES {
        return Err(ModelError::TooManyParameters(Box::new(ParamTotal {
            total,
            layers: cfg.layers,
            bytes,
        })));
    }
    Ok(())
}

/// The specs, by creating the parameters in a scratch context.
fn build_specs(cfg: &ModelConfig) -> Result<Vec<ParamSpec>, ModelError> {
    let ctx = Ctx::new("param_specs");
    let p = Params::new(&ctx, DType::F32, cfg.precision.dtype());
    let _model = LanguageModel::new(&p, cfg, true);
    match ctx.error() {
        Some(e) => Err(e.into()),
        None => Ok(p.specs()),
    }
}
