//! Build options of a language-model graph: batch size, sequence length, training objective
//! ([`Mode`], named `lm` and `mlm`) and whether the logits are an output.

use crate::config::names::{display_and_from_str_by_name, Named};

/// The training objective, which also decides the attention masking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Causal language modelling: input `tokens` i32 `[B, T+1]`; the model reads
    /// `tokens[:, :T]` and predicts `tokens[:, 1:]`; the loss is the mean next-token cross
    /// entropy.
    Lm,
    /// Bidirectional masked language modelling: inputs `tokens` i32 `[B, T]` (already
    /// masked, see [`mask_token`]), `targets` i32 `[B, T]` and `loss_mask` f32 `[B, T]`; the
    /// loss is `sum(loss_mask * CE) / max(sum(loss_mask), 1)`.
    Mlm,
}

impl Mode {
    /// True when attention may only look back (LM).
    pub fn causal(self) -> bool {
        self == Mode::Lm
    }
}

impl Named for Mode {
    const WHAT: &'static str = "mode";
    const ALL: &'static [Mode] = &[Mode::Lm, Mode::Mlm];
    fn name(self) -> &'static str {
        match self {
            Mode::Lm => "lm",
            Mode::Mlm => "mlm",
        }
    }
}

display_and_from_str_by_name!(Mode);

/// What graph [`super::build_lm`] builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuildOptions {
    /// Batch size B.
    pub batch: usize,
    /// Sequence length T (tokens the model reads).
    pub seq_len: usize,
    /// Objective and masking.
    pub mode: Mode,
    /// Also output the logits `[B, T, vocab]` (f32).
    pub forward: bool,
}

/// The token id that stands for a masked token in MLM inputs: the last id, `vocab - 1`.
/// The model treats it like any other token; data pipelines replace the selected inputs by
/// it and set `loss_mask` to 1 there.
pub fn mask_token(vocab: usize) -> usize {
    vocab.saturating_sub(1)
}
