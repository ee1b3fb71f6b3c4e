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
//! Arguments come in parameter-index order and carry their IR name (`flash.name`) and any
//! input/output alias (`tf.aliasing_output`). Every op carries its node's call site and scope
//! as a location ([`locations`]). The printing is deterministic: the same graph always gives
//! the same text. Composite ops must be lowered first ([`EmitError::Composite`]).
//!
//! Files: `module.rs` (module, signature, return), `body.rs` (SSA names and lines), `ops/`
//! (one printer per op family), `types.rs`, `literal.rs`, `locations.rs`, `syntax.rs`,
//! `error.rs`.

mod body;
mod error;
mod literal;
pub mod locations;
mod module;
mod ops;
mod syntax;
pub mod types;

pub use error::EmitError;

use flash_ir::Graph;

/// Prints `g` as a StableHLO module. Fails on composite ops, on malformed graphs (operands
/// used before definition, bad parameter indices, outputs or aliases) and on constants whose
/// values their dtype cannot hold; it never panics.
pub fn emit(g: &Graph) -> Result<String, EmitError> {
    module::emit_module(g)
}
