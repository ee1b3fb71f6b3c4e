//! [`Remat`]: what the train step's backward pass recomputes instead of keeping from the
//! forward pass (`--remat none|attention|layer`).

use crate::config::names::{display_and_from_str_by_name, Named};

/// Rematerialisation of the train step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Remat {
    /// Keep every intermediate (chunk attention is lowered before autodiff).
    #[default]
    None,
    /// Keep each layer's projections (the input, output and q/k/v matrix products with
    /// the weights) and recompute everything between them in the backward pass: the
    /// activations, heads, RoPE, the attention scores (FLASH's per-chunk `[C, C]` scores,
    /// the quadratic `[T, T]` ones) and the gating (`jax.checkpoint` around each layer's
    /// attention core, as JAX's "dots with no batch dimensions saveable" policy).
    Attention,
    /// Keep only each layer's input and recompute the rest of the layer in the backward
    /// pass (`jax.checkpoint` around every layer; attention inside is recomputed with it).
    Layer,
}

impl Named for Remat {
    const WHAT: &'static str = "remat setting";
    const ALL: &'static [Remat] = &[Remat::None, Remat::Attention, Remat::Layer];
    fn name(self) -> &'static str {
        match self {
            Remat::None => "none",
            Remat::Attention => "attention",
            Remat::Layer => "layer",
        }
    }
}

display_and_from_str_by_name!(Remat);
