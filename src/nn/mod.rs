//! Layers built with the DSL: a parameter registry with initialisers, and the building blocks
//! of the four model kinds.
//!
//! Every layer is a small struct: `new(&Params, ..)` creates its parameters in the current
//! scope (recording each one's [`ParamSpec`]), and `forward(&Tensor)` adds its ops to the
//! graph. Creating all parameters before the inputs keeps them first among the graph's
//! parameters, in the order [`Params::specs`] lists them.
//!
//! - [`params`]: [`Params`], [`ParamSpec`], [`Init`]; [`init`]: host-side initial values.
//! - [`dense`], [`norm`], [`mod@rope`], [`mask`]: dense layers, embeddings, ScaleNorm / RMSNorm /
//!   LayerNorm, rotary positions, the causal mask and the relative-position bias.
//! - [`attention`], [`ffn`], [`block`]: softmax MHSA, FFN and GLU, the Transformer layer.
//! - [`cache`]: key/value caches and position-indexed writes for decode steps.
//! - [`gated`], [`score`], [`gau`], [`flash`]: the Gated Attention Unit and the FLASH layer.
//!
//! Initialisation: weight matrices, embeddings and the GAU/FLASH gammas are N(0, 0.02);
//! biases, betas and relative-position biases are zero; norm gains are one.

pub mod attention;
pub mod block;
pub mod cache;
pub mod dense;
pub mod ffn;
pub mod flash;
pub mod gated;
pub mod gau;
pub mod init;
pub mod mask;
pub mod norm;
pub mod params;
pub mod rope;
pub mod score;

/// The [`Region`](crate::dsl::Region) name of each layer's forward pass (what `--remat
/// layer` recomputes).
pub const LAYER_REGION: &str = "layer";

/// The [`Region`](crate::dsl::Region) name of each layer's attention core: everything
/// between its input projections and its output projection (what `--remat attention`
/// recomputes).
pub const ATTENTION_REGION: &str = "attention";

pub use attention::{Attention, AttentionOptions};
pub use block::{FeedForwardKind, TransformerBlock};
pub use cache::KvCache;
pub use dense::{Dense, Embedding};
pub use ffn::{Ffn, Glu};
pub use flash::{Flash, FlashOptions};
pub use gated::GatedWidths;
pub use gau::{Gau, GauOptions};
pub use init::{count_params, init_params};
pub use mask::{causal_mask, RelPosBias};
pub use norm::Norm;
pub use params::{Init, ParamSpec, Params};
pub use rope::{rope, rope_at, rope_from};
