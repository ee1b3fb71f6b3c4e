//! The StableHLO emitter: prints a (lowered, verified) IR graph as StableHLO MLIR text that
//! XLA's PJRT plugins parse.
//!
//! The output is one module with one public `@main` function:
//!
//! ```text
//! module @mlp attributes {mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32} {
//!   func.func public @main(%arg0: tensor<2x3xf32> {flash.name = "x"} loc("x")) -> (tensor<2x3xf32>) {
//!     %1 = stablehlo.tanh %arg0 : tensor<2x3xf32> loc(#loc1)
//!     return %1 : tensor<2x3xf32>
//!   }
//! }
//! #loc1 = loc("src/nn/mlp.rs":12:5)
//! ```
//!
//! Arguments come in parameter-index order and carry their IR name (`flash.name`), any
//! input/output alias (`tf.aliasing_output`) and any sharding (`sharding.rs`: Shardy's
//! `sdy.sharding` or GSPMD's `mhlo.sharding`, chosen by [`EmitOptions`]). Every op carries
//! its node's call site and scope as a location ([`locations`]). The printing is deterministic: the same graph always gives
//! the same text. Composite ops must be lowered first ([`EmitError::Composite`]).
//!
//! Files: `module.rs` (module, signature, return), `body.rs` (SSA names and lines), `ops/`
//! (one printer per op family), `sharding.rs`, `types.rs`, `literal.rs`, `locations.rs`,
//! `syntax.rs`, `error.rs`.

mod body;
mod error;
mod literal;
pub mod locations;
mod module;
mod ops;
pub mod sharding;
mod syntax;
pub mod types;

pub use error::EmitError;
pub use sharding::{EmitOptions, ShardingFormat, DEFAULT_SHARDING_FORMAT};

use flash_ir::Graph;

/// Prints `g` as a StableHLO module with the default [`EmitOptions`]. Fails on composite
/// ops, on malformed graphs (operands used before definition, bad parameter indices, outputs
/// or aliases, shardings that do not fit the mesh) and on constants whose values their dtype
/// cannot hold; it never panics.
pub fn emit(g: &Graph) -> Result<String, EmitError> {
    emit_with(g, &EmitOptions::default())
}

/// Prints `g` as a StableHLO module, with shardings spelled as `opts` says. A graph with a
/// mesh gets `mhlo.num_partitions` = the mesh's device count and its shardings as argument,
/// result and constraint attributes; a graph without one prints as a one-device program.
pub fn emit_with(g: &Graph, opts: &EmitOptions) -> Result<String, EmitError> {
    module::emit_module(g, opts)
}
