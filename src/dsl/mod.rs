//! The Rust DSL: build IR graphs with tensor handles, operators and scoped parameters.
//!
//! ```
//! use flash::dsl::{Ctx, DType};
//! let ctx = Ctx::new("mlp");
//! let x = ctx.input("x", DType::F32, &[8, 16]);
//! let h = ctx.scope("layer", |ctx| {
//!     let w = ctx.param("w", DType::F32, &[16, 4]);
//!     let b = ctx.param("b", DType::F32, &[4]);
//!     (x.matmul(&w) + &b).relu()
//! });
//! let graph = ctx.finish(&[h]).unwrap();
//! assert_eq!(graph.param_name(graph.params()[1]), Some("layer.w"));
//! ```
//!
//! - [`Ctx`] holds the graph, the scope stack and the first error; [`Tensor`]s are cheap
//!   handles into it.
//! - Every node records the user's call site (`#[track_caller]` throughout) and scope path.
//! - [`Ctx::region`] records the nodes a closure adds as a named [`Region`] (the models mark
//!   each layer and each layer's attention core; `--remat` recomputes them in the backward
//!   pass).
//! - Broadcasting follows NumPy but is explicit in the IR (`broadcast_in_dim`); scalars become
//!   splat constants of the tensor's dtype; dtypes are never promoted implicitly.
//! - Misuse never panics: the first error is kept (later ops return poisoned tensors and add
//!   nothing) and [`Ctx::finish`] returns it as a [`DslError`].

mod context;
mod error;
mod index;
mod linalg;
mod math;
mod nn_fns;
mod ops;
mod reduce;
mod shape;
mod tensor;

pub use context::{Ctx, Region, ScopeGuard};
pub use error::{DslError, ErrorKind};
pub use flash_ir::{ChunkAttention, DType, DotDims, LinearNorm, ScoreFn};
pub use index::embedding;
pub use linalg::chunk_attention;
pub use math::where_;
pub use tensor::{DimArg, Operand, Tensor};
