//! Language models around each layer kind (FLASH.md section 3): Transformer, Transformer++,
//! FLASH-Quad and FLASH, trained as causal LMs or bidirectional MLMs.
//!
//! A model is `embed` (token embedding `[vocab, d]`), `pos_embed` (learned absolute
//! positions `[max_len, d]`, plain Transformer only), the layers `layers.0 .. layers.{L-1}`,
//! `final_norm`, and an output layer tied to the embedding (`logits = h @ embed.table^T`).
//!
//! # Parameter names
//!
//! Parameters appear in this order, which is the order of the program inputs (then come the
//! token inputs `tokens`, and for MLM `targets` and `loss_mask`). Every parameter is f32.
//!
//! | name | shape | init | kinds |
//! |---|---|---|---|
//! | `embed.table` | `[vocab, d]` | N(0, 0.02) | all |
//! | `pos_embed.table` | `[max_len, d]` | N(0, 0.02) | transformer |
//! | `layers.i.attn_norm.{g,b}` | norm | 1, 0 | transformer, transformer++ |
//! | `layers.i.attn.w_{q,k,v,o}` | `[d, d]` | N(0, 0.02) | transformer, transformer++ |
//! | `layers.i.attn.b_{q,k,v,o}` | `[d]` | 0 | transformer |
//! | `layers.i.ffn_norm.{g,b}` | norm | 1, 0 | transformer, transformer++ |
//! | `layers.i.ffn.w_1`, `b_1`, `w_2`, `b_2` | `[d,f]`, `[f]`, `[f,d]`, `[d]` | N(0, 0.02), 0 | transformer |
//! | `layers.i.ffn.w_gate`, `w_up`, `w_down` | `[d,f]`, `[d,f]`, `[f,d]` | N(0, 0.02) | transformer++ |
//! | `layers.i.norm.{g,b}` | norm | 1, 0 | flash-quad, flash |
//! | `layers.i.gau.w_in`, `b_in` | `[d, 2e+s]`, `[2e+s]` | N(0, 0.02), 0 | flash-quad |
//! | `layers.i.gau.gamma`, `beta` | `[2, s]` | N(0, 0.02), 0 | flash-quad |
//! | `layers.i.gau.w_out`, `b_out` | `[e, d]`, `[d]` | N(0, 0.02), 0 | flash-quad |
//! | `layers.i.gau.rel_bias` | `[2 max_len - 1]` | 0 | flash-quad with `rel_pos_bias` |
//! | `layers.i.flash.*` | as `gau.*`, `gamma`/`beta` `[4, s]` | | flash |
//! | `final_norm.{g,b}` | norm | 1, 0 | all |
//!
//! Norm parameters: ScaleNorm has `g` `[]` (a scalar), RMSNorm `g` `[d]`, LayerNorm `g` and
//! `b` `[d]`. The FLASH gamma/beta rows are `q_quad, k_quad, q_lin, k_lin`; GAU's are `q, k`.
//!
//! # Graphs
//!
//! [`build_lm`] builds the loss graph; [`Mode`] documents the inputs; [`build_lm_scored`]
//! the summed loss of masked targets that `flash eval` runs. Under
//! `Precision::Bf16` parameters stay f32 and are converted to bf16 for compute; the tied
//! output layer accumulates into f32 and the loss is f32.

mod build;
mod error;
mod layers;
mod loss;
mod options;
mod spec;
mod stack;

pub use crate::nn::{count_params, init_params, Init, ParamSpec};
pub(crate) use build::check_config;
pub use build::{build_lm, build_lm_scored, build_lm_with_regions, ModelRegions};
pub use error::{ModelError, ParamTotal};
pub use layers::{Layer, LayerState, LayerStateMismatch};
pub use loss::{cross_entropy, masked_mean_loss, mean_loss};
pub use options::{mask_token, BuildOptions, Mode};
pub use spec::{param_specs, ModelSpec};
pub use stack::LanguageModel;
