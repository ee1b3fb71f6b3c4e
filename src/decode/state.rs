//! The decode state of a model as program inputs and outputs: its tensors' names, types and
//! order, derived from the configuration alone (so a runtime can create the empty state, all
//! zeros, without building a graph).
//!
//! Per layer `i`, in this order (`B` batch, `L` cache capacity, `h` heads of width `d/h`, `e`
//! expansion, `s` shared width, `C` chunk):
//!
//! | kind | tensors |
//! |---|---|
//! | transformer, transformer++ | `state.layers.i.k`, `.v`: `[B h, L, d/h]` (batch and heads as one axis) |
//! | flash-quad | `state.layers.i.k` `[B, L, s]`, `.v` `[B, L, e]` |
//! | flash | `state.layers.i.sum` `[B, s, e]`, `.k_lin`, `.k_quad` `[B, C, s]`, `.v` `[B, C, e]` |
//!
//! All in the model's compute dtype. FLASH's state does not depend on `L`.

use crate::config::{ModelConfig, ModelKind};
use crate::dsl::{Ctx, Tensor};
use crate::ir::TensorType;
use crate::models::LayerState;
use crate::nn::flash::FlashState;
use crate::nn::KvCache;

/// One state tensor of a decode program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateSpec {
    /// Input and output name, e.g. `state.layers.0.sum`.
    pub name: String,
    /// Its type.
    pub ty: TensorType,
}

/// The state tensors of `cfg`'s model for `batch` sequences and key/value caches of
/// `capacity` positions, in program order.
pub fn state_specs(cfg: &ModelConfig, batch: usize, capacity: usize) -> Vec<StateSpec> {
    let dtype = cfg.precision.dtype();
    let shapes = layer_shapes(cfg, batch, capacity);
    (0..cfg.layers)
        .flat_map(|i| {
            shapes.iter().map(move |(name, shape)| StateSpec {
                name: format!("state.layers.{i}.{name}"),
                ty: TensorType::new(dtype, shape.clone()),
            })
        })
        .collect()
}

/// The names and shapes of one layer's state tensors.
fn layer_shapes(cfg: &ModelConfig, b: usize, l: usize) -> Vec<(&'static str, Vec<usize>)> {
    let (d, e, s, c) = (cfg.width, cfg.expansion(), cfg.shared, cfg.chunk);
    match cfg.kind {
        ModelKind::Transformer | ModelKind::TransformerPlusPlus => {
            let h = cfg.heads.max(1);
            let kv = vec![b * h, l, d / h];
            vec![("k", kv.clone()), ("v", kv)]
        }
        ModelKind::FlashQuad => vec![("k", vec![b, l, s]), ("v", vec![b, l, e])],
        ModelKind::Flash => vec![
            ("sum", vec![b, s, e]),
            ("k_lin", vec![b, c, s]),
            ("k_quad", vec![b, c, s]),
            ("v", vec![b, c, e]),
        ],
    }
}

/// Declares the state inputs of `specs` in `ctx` and groups them into layer states.
pub(crate) fn state_inputs(ctx: &Ctx, cfg: &ModelConfig, specs: &[StateSpec]) -> Vec<LayerState> {
    let tensors: Vec<Tensor> = specs
        .iter()
        .map(|s| ctx.input(&s.name, s.ty.dtype, &s.ty.shape))
        .collect();
    let per_layer = tensors.len() / cfg.layers.max(1);
    tensors
        .chunks(per_layer.max(1))
        .map(|t| match cfg.kind {
            ModelKind::Flash => LayerState::Flash(FlashState {
                sum: t[0].clone(),
                k_lin: t[1].clone(),
                k_quad: t[2].clone(),
                v: t[3].clone(),
            }),
            _ => LayerState::Kv(KvCache {
                k: t[0].clone(),
                v: t[1].clone(),
            }),
        })
        .collect()
}

/// The tensors of `states`, in program order (the order of [`state_specs`]).
pub(crate) fn state_outputs(states: &[LayerState]) -> Vec<Tensor> {
    states
        .iter()
        .flat_map(|s| s.tensors().into_iter().map(|(_, t)| t.clone()))
        .collect()
}
