//! The parameter list of a model without building its graph: [`param_specs`], the
//! [`ModelSpec`] wrapper, and re-exported counting and initialisation.

use super::build::check_config;
use super::error::ModelError;
use super::stack::LanguageModel;
use crate::config::ModelConfig;
use crate::dsl::{Ctx, DType};
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
pub fn param_specs(cfg: &ModelConfig) -> Result<Vec<ParamSpec>, ModelError> {
    check_config(cfg)?;
    let ctx = Ctx::new("param_specs");
    let p = Params::new(&ctx, DType::F32, cfg.precision.dtype());
    let _model = LanguageModel::new(&p, cfg, true);
    match ctx.error() {
        Some(e) => Err(e.into()),
        None => Ok(p.specs()),
    }
}
