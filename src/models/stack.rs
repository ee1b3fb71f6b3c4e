//! [`LanguageModel`]: the token embedding, (for the plain Transformer) learned absolute
//! positions, the layer stack, the final norm and the output layer tied to the embedding.

use super::layers::Layer;
use crate::config::{ModelConfig, ModelKind};
use crate::dsl::{DType, Tensor};
use crate::nn::{Embedding, Norm, Params};

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

    /// The f32 logits `[B, T, vocab]` for integer token ids `[B, T]`.
    pub fn logits(&self, ids: &Tensor) -> Tensor {
        let mut x = self.embed.lookup(ids);
        if let Some(pos) = &self.positions {
            x = &x + pos.first_rows(ids.dim(1));
        }
        for layer in &self.layers {
            x = layer.forward(&x);
        }
        self.embed.attend(&self.final_norm.forward(&x), DType::F32)
    }
}
