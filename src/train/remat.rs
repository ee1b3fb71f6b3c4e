//! [`Remat`]: what the train step's backward pass recomputes instead of keeping from the
//! forward pass (`--remat none|attention|layer`).

use crate::config::names::{display_and_from_str_by_name, Named};

/// Rematerialisation of the train step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Remat {
    /// Keep every intermediate (chunk attention is lowered before autodiff).
    #[default]
    None,
    /// Recompute chunk attention (its per-chunk `[C, C]` scores included) in the backward
    /// pass: the composite's own VJP rule, tied to the cotangent so XLA cannot merge the
    /// recomputation into the forward.
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
