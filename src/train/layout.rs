//! [`StepLayout`]: the one description of a training state and of the train step's
//! signature. The state is the `n` model parameters (in [`crate::models::param_specs`]
//! order), then the first moments `opt.m.<param>`, then the second moments `opt.v.<param>`;
//! the step program takes the state, `step` and `tokens`, and returns the new state, the loss
//! and the gradient norm. Computed once per run ([`StepLayout::of`]) and passed to the step
//! builder, the trainer and the checkpoint.

use crate::config::ModelConfig;
use crate::ir::TensorType;
use crate::models::{init_params, param_specs, ModelError, ParamSpec};
use crate::tensor::HostTensor;

/// The name prefix of the first moments.
pub const M_PREFIX: &str = "opt.m.";

/// The name prefix of the second moments.
pub const V_PREFIX: &str = "opt.v.";

/// Where each input and output of a train-step program sits, for `n` parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct StepLayout {
    /// The model parameters, in input order.
    pub params: Vec<ParamSpec>,
}

impl StepLayout {
    /// The layout of `cfg`'s model.
    pub fn of(cfg: &ModelConfig) -> Result<StepLayout, ModelError> {
        Ok(StepLayout {
            params: param_specs(cfg)?,
        })
    }

    /// The number of model parameters `n`.
    pub fn n(&self) -> usize {
        self.params.len()
    }

    /// The number of donated state inputs (parameters, m, v): `3n`.
    pub fn state_len(&self) -> usize {
        3 * self.n()
    }

    /// The input (and output) index of the `step` scalar, and of the loss output: `3n`.
    pub fn step_index(&self) -> usize {
        self.state_len()
    }

    /// The input index of `tokens`, and of the gradient-norm output: `3n + 1`.
    pub fn tokens_index(&self) -> usize {
        self.state_len() + 1
    }

    /// The moments: each one's first state index and name prefix (`opt.m.`, then `opt.v.`).
    pub fn moments(&self) -> [(usize, &'static str); 2] {
        [(self.n(), M_PREFIX), (2 * self.n(), V_PREFIX)]
    }

    /// The names of the state inputs: parameters, `opt.m.<p>`, `opt.v.<p>`.
    pub fn state_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.params.iter().map(|p| p.name.clone()).collect();
        for (_, prefix) in self.moments() {
            names.extend(self.params.iter().map(|p| format!("{prefix}{}", p.name)));
        }
        names
    }

    /// The type of each state input, in [`StepLayout::state_names`] order.
    pub fn state_types(&self) -> impl Iterator<Item = &TensorType> {
        self.params
            .iter()
            .map(|p| &p.ty)
            .cycle()
            .take(self.state_len())
    }

    /// The state of a fresh run: parameters initialised from `seed`, zero moments.
    pub fn initial_state(&self, seed: u64) -> Vec<HostTensor> {
        let params = init_params(&self.params, seed).into_iter().map(|(_, t)| t);
        let zeros = self.params.iter().map(|s| HostTensor {
            ty: s.ty.clone(),
            bytes: vec![0; s.ty.num_elements() * 4],
        });
        let moments: Vec<HostTensor> = zeros.collect();
        params.chain(moments.clone()).chain(moments).collect()
    }

    /// The parameters of a state (its first `n` entries), or `None` if `state` is not `3n`
    /// long.
    pub fn params_of<'a, T>(&self, state: &'a [T]) -> Option<&'a [T]> {
        (state.len() == self.state_len()).then(|| &state[..self.n()])
    }
}
