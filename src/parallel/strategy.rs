//! The sharding strategies of the language models, as shardings of the train step's and the
//! evaluation program's inputs and outputs:
//! - **data parallel** over `data`: the token batch is split by rows; parameters and
//!   optimizer state are replicated (XLA all-reduces the gradients);
//! - **ZeRO-1** (`shard_optimizer`): the optimizer moments are also split over `data`, on
//!   their first dimension that `data` divides (replicated when none does);
//! - **tensor parallel** over `model` (Megatron style): the projections into the wide
//!   feature space (`w_in` of GAU and FLASH, attention `w_q`/`w_k`/`w_v`, FFN
//!   `w_gate`/`w_up`/`w_1`, and their biases) are split by output columns, the projections
//!   back (`w_out`, `w_o`, `w_down`, `w_2`) by input rows; everything else is replicated.
//!
//! Both axes may be used at once on a 2-D mesh. A split dimension that the axis does not
//! divide is an error naming the parameter, never a silent fallback.

use super::error::ParallelError;
use super::mesh_flag::{DATA, MODEL};
use crate::ir::{Graph, Mesh, Sharding, TensorType};
use crate::models::ParamSpec;
use crate::train::StepLayout;

/// Parameters split by output columns (dimension 1) over `model`.
const COLUMN_WEIGHTS: [&str; 7] = ["w_in", "w_q", "w_k", "w_v", "w_gate", "w_up", "w_1"];

/// Biases of the column-split weights (dimension 0 over `model`).
const COLUMN_BIASES: [&str; 5] = ["b_in", "b_q", "b_k", "b_v", "b_1"];

/// Parameters split by input rows (dimension 0) over `model`.
const ROW_WEIGHTS: [&str; 4] = ["w_out", "w_o", "w_down", "w_2"];

/// How a training run is spread over a mesh.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parallelism {
    /// The device mesh (axes `data` and/or `model`).
    pub mesh: Mesh,
    /// Split the optimizer moments over `data` too (ZeRO-1).
    pub shard_optimizer: bool,
}

impl Parallelism {
    /// The sharding of parameter `p` (tensor parallel over `model` where it applies).
    pub fn param_sharding(&self, p: &ParamSpec) -> Result<Sharding, ParallelError> {
        let rank = p.ty.shape.len();
        let role = p.name.rsplit('.').next().unwrap_or(&p.name);
        let dim = if COLUMN_WEIGHTS.contains(&role) && rank == 2 {
            Some(1)
        } else if (ROW_WEIGHTS.contains(&role) && rank == 2)
            || (COLUMN_BIASES.contains(&role) && rank == 1)
        {
            Some(0)
        } else {
            None
        };
        let mut s = Sharding::replicated(rank);
        if let Some(dim) = dim {
            self.split(&mut s, &p.ty, dim, MODEL, &p.name)?;
        }
        Ok(s)
    }

    /// The sharding of an optimizer moment of `p`: the parameter's, plus `data` on the first
    /// free dimension it divides when the optimizer state is sharded.
    pub fn moment_sharding(&self, p: &ParamSpec) -> Result<Sharding, ParallelError> {
        let mut s = self.param_sharding(p)?;
        let parts = self.mesh.size_of(DATA);
        if self.shard_optimizer && parts > 1 {
            let free = (0..s.dims.len()).find(|&d| {
                s.dims[d].is_empty() && p.ty.shape[d].is_multiple_of(parts * s.parts(&self.mesh, d))
            });
            if let Some(d) = free {
                s.dims[d].push(DATA.to_string());
            }
        }
        Ok(s)
    }

    /// The sharding of a token batch `[B, T+1]`: rows over `data`.
    pub fn tokens_sharding(&self, tokens: &TensorType) -> Result<Sharding, ParallelError> {
        self.batch_sharding(tokens, "tokens")
    }

    /// The sharding of a per-sequence input `[B, ...]` called `name`: rows over `data`.
    fn batch_sharding(&self, ty: &TensorType, name: &str) -> Result<Sharding, ParallelError> {
        let mut s = Sharding::replicated(ty.shape.len());
        self.split(
            &mut s,
            ty,
            0,
            DATA,
            &format!("the batch of `{name}` (--batch)"),
        )?;
        Ok(s)
    }

    /// The shardings of a train step's state (parameters, then both moments), in
    /// [`StepLayout::state_names`] order.
    pub fn state_shardings(&self, layout: &StepLayout) -> Result<Vec<Sharding>, ParallelError> {
        let params = layout.params.iter().map(|p| self.param_sharding(p));
        let moments = layout.params.iter().map(|p| self.moment_sharding(p));
        let moments: Vec<_> = moments.collect::<Result<_, _>>()?;
        let mut all: Vec<Sharding> = params.collect::<Result<_, _>>()?;
        all.extend(moments.iter().cloned());
        all.extend(moments);
        Ok(all)
    }

    /// Annotates a train step built for `layout` (inputs: state, `step`, tokens; outputs:
    /// new state, loss, gradient norm) with this strategy's mesh and shardings.
    pub fn annotate_step(&self, g: &mut Graph, layout: &StepLayout) -> Result<(), ParallelError> {
        let state = self.state_shardings(layout)?;
        let tokens = self.tokens_sharding(g.ty(g.params()[layout.tokens_index()]))?;
        let mut inputs = state.clone();
        inputs.extend([Sharding::replicated(0), tokens]);
        let mut outputs = state;
        outputs.extend([Sharding::replicated(0), Sharding::replicated(0)]);
        self.annotate(g, inputs, outputs);
        Ok(())
    }

    /// Annotates a loss graph of [`crate::models::build_lm`] (evaluation, or `flash compile`
    /// of a model): the parameters as in training, every later input (tokens, targets, loss
    /// mask) split by rows over `data`, the loss replicated; other outputs (the logits) are
    /// left to XLA's propagation.
    pub fn annotate_lm(&self, g: &mut Graph, layout: &StepLayout) -> Result<(), ParallelError> {
        let params = layout.params.iter().map(|p| self.param_sharding(p));
        let mut inputs: Vec<Sharding> = params.collect::<Result<_, _>>()?;
        for &v in &g.params()[layout.n()..] {
            inputs.push(self.batch_sharding(g.ty(v), g.param_name(v).unwrap_or("an input"))?);
        }
        self.annotate(g, inputs, vec![Sharding::replicated(0)]);
        Ok(())
    }

    /// Sets the mesh and the shardings of every input and output of `g`.
    fn annotate(&self, g: &mut Graph, inputs: Vec<Sharding>, outputs: Vec<Sharding>) {
        g.mesh = Some(self.mesh.clone());
        g.param_shardings = inputs.into_iter().enumerate().collect();
        g.result_shardings = outputs.into_iter().enumerate().collect();
    }

    /// Splits dimension `dim` of `s` (for a value of type `ty` called `what`) over `axis`
    /// when the mesh has it; errors when the axis does not divide the dimension.
    fn split(
        &self,
        s: &mut Sharding,
        ty: &TensorType,
        dim: usize,
        axis: &'static str,
        what: &str,
    ) -> Result<(), ParallelError> {
        let parts = self.mesh.size_of(axis);
        if parts == 1 || self.mesh.axis(axis).is_none() {
            return Ok(());
        }
        let size = ty.shape[dim];
        if !size.is_multiple_of(parts) {
            return Err(ParallelError::Indivisible {
                what: what.to_string(),
                dim,
                size,
                axis,
                parts,
            });
        }
        s.dims[dim].push(axis.to_string());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ModelConfig;
    use crate::parallel::parse_mesh;

    fn layout(preset: &str) -> StepLayout {
        StepLayout::of(&ModelConfig::preset(preset).unwrap()).unwrap()
    }

    fn sharding_of(par: &Parallelism, l: &StepLayout, name: &str) -> String {
        let p = l.params.iter().find(|p| p.name == name).unwrap();
        par.param_sharding(p).unwrap().to_string()
    }

    #[test]
    fn tensor_parallel_splits_projections_megatron_style() {
        let par = Parallelism {
            mesh: parse_mesh("data=2,model=2").unwrap(),
            shard_optimizer: false,
        };
        let l = layout("flash-tiny");
        assert_eq!(
            sharding_of(&par, &l, "layers.0.flash.w_in"),
            "[{}, {model}]"
        );
        assert_eq!(sharding_of(&par, &l, "layers.0.flash.b_in"), "[{model}]");
        assert_eq!(
            sharding_of(&par, &l, "layers.0.flash.w_out"),
            "[{model}, {}]"
        );
        assert_eq!(sharding_of(&par, &l, "layers.0.flash.gamma"), "[{}, {}]");
        assert_eq!(sharding_of(&par, &l, "embed.table"), "[{}, {}]");
        let l = layout("transformer++-tiny");
        assert_eq!(sharding_of(&par, &l, "layers.0.attn.w_k"), "[{}, {model}]");
        assert_eq!(
            sharding_of(&par, &l, "layers.0.ffn.w_down"),
            "[{model}, {}]"
        );
    }

    #[test]
    fn zero_one_adds_data_to_the_moments_only() {
        let mesh = parse_mesh("data=4").unwrap();
        let l = layout("flash-tiny");
        let plain = Parallelism {
            mesh: mesh.clone(),
            shard_optimizer: false,
        };
        assert!(plain
            .state_shardings(&l)
            .unwrap()
            .iter()
            .all(Sharding::is_replicated));
        let zero = Parallelism {
            mesh,
            shard_optimizer: true,
        };
        let all = zero.state_shardings(&l).unwrap();
        let w_in = l
            .params
            .iter()
            .position(|p| p.name.ends_with("0.flash.w_in"))
            .unwrap();
        assert!(all[w_in].is_replicated());
        assert_eq!(all[l.n() + w_in].to_string(), "[{data}, {}]");
        assert_eq!(all[2 * l.n() + w_in].to_string(), "[{data}, {}]");
        let g = l
            .params
            .iter()
            .position(|p| p.name.ends_with("norm.g"))
            .unwrap();
        assert!(all[l.n() + g].is_replicated(), "scalars stay replicated");
    }

    #[test]
    fn indivisible_splits_name_the_value() {
        let par = Parallelism {
            mesh: parse_mesh("data=4").unwrap(),
            shard_optimizer: false,
        };
        let tokens = TensorType::new(crate::ir::DType::I32, vec![6, 65]);
        let err = par.tokens_sharding(&tokens).unwrap_err().to_string();
        assert!(
            err.contains("batch of `tokens`") && err.contains("size 6"),
            "{err}"
        );
        let par = Parallelism {
            mesh: parse_mesh("model=7").unwrap(),
            shard_optimizer: false,
        };
        let err = par
            .state_shardings(&layout("flash-tiny"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("w_in") && err.contains("model=7"), "{err}");
    }
}
