//! [`LanguageModel`]: the token embedding, (for the plain Transformer) learned absolute
//! positions, the layer stack, the final norm and the output layer tied to the embedding;
//! the full forward pass, and for generation the prefill of a prompt and one decode step.

use super::layers::{Layer, LayerState, LayerStateMismatch};
use crate::config::{ModelConfig, ModelKind};
use crate::dsl::{DType, Tensor};
use crate::nn::{Embedding, Norm, Params, LAYER_REGION};

/// The parameters of a language model, ready to run on token ids.
#[derive(Clone, Debug)]
pub struct LanguageModel {
    embed: Embedding,
    positions: Option<Embedding>,
    layers: Vec<Layer>,
    final_norm: Norm,
}

impl LanguageModel {
    /// Creates every parameter of `cfg`'s model, in the order of
    /// [`super::param_specs`]: `embed`, `pos_embed` (Transformer), `layers.0`, `layers.1`,
    /// ..., `final_norm`.
    pub fn new(p: &Params, cfg: &ModelConfig, causal: bool) -> LanguageModel {
        let d = cfg.width;
        let embed = p.scope("embed", |p| Embedding::new(p, cfg.vocab, d));
        let positions = (cfg.kind == ModelKind::Transformer)
            .then(|| p.scope("pos_embed", |p| Embedding::new(p, cfg.max_len, d)));
        let layers = (0..cfg.layers)
            .map(|i| p.scope(&format!("layers.{i}"), |p| Layer::new(p, cfg, causal)))
            .collect();
        let final_norm = p.scope("final_norm", |p| Norm::new(p, cfg.norm, d));
        LanguageModel {
            embed,
            positions,
            layers,
            final_norm,
        }
    }

    /// The f32 logits `[B, T, vocab]` for integer token ids `[B, T]`. Each layer's forward
    /// pass is recorded as a [`LAYER_REGION`] (and, inside it, the layer's
    /// [`ATTENTION_REGION`](crate::nn::ATTENTION_REGION)) of the graph.
    pub fn logits(&self, ids: &Tensor) -> Tensor {
        let mut x = self.embed.lookup(ids);
        if let Some(pos) = &self.positions {
            x = &x + pos.first_rows(ids.dim(1));
        }
        for layer in &self.layers {
            x = x.ctx().region(LAYER_REGION, || layer.forward(&x));
        }
        self.embed.attend(&self.final_norm.forward(&x), DType::F32)
    }

    /// Prefill: the f32 logits `[B, vocab]` after a prompt `ids` (`[B, P]`, P >= 1) and each
    /// layer's decode state (key/value caches of `capacity` positions).
    pub fn prefill(&self, ids: &Tensor, capacity: usize) -> (Tensor, Vec<LayerState>) {
        let p = ids.dim(1);
        let mut x = self.embed.lookup(ids);
        if let Some(pos) = &self.positions {
            x = &x + pos.first_rows(p);
        }
        let mut states = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            let (y, state) = layer.prefill(&x, capacity);
            x = y;
            states.push(state);
        }
        (self.last_logits(&x.slice(1, p - 1, p)), states)
    }

    /// One decode step: the f32 logits `[B, vocab]` after token ids `token` (`[B]`) at
    /// `position` (an i32 scalar), and the layers' updated states.
    pub fn step(
        &self,
        token: &Tensor,
        position: &Tensor,
        states: &[LayerState],
    ) -> Result<(Tensor, Vec<LayerState>), LayerStateMismatch> {
        if states.len() != self.layers.len() {
            return Err(LayerStateMismatch);
        }
        let mut x = self.embed.lookup(&token.unsqueeze(1));
        if let Some(pos) = &self.positions {
            let zero = position.ctx().scalar(0.0, position.dtype());
            x = &x
                + pos
                    .table()
                    .dynamic_slice(&[position, &zero], &[1, x.dim(2)]);
        }
        let mut next = Vec::with_capacity(states.len());
        for (layer, state) in self.layers.iter().zip(states) {
            let (y, state) = layer.step(&x, state, position)?;
            x = y;
            next.push(state);
        }
        Ok((self.last_logits(&x), next))
    }

    /// The logits `[B, vocab]` of the hidden states `[B, 1, d]`.
    fn last_logits(&self, x: &Tensor) -> Tensor {
        let logits = self.embed.attend(&self.final_norm.forward(x), DType::F32);
        logits.squeeze(1)
    }
}
