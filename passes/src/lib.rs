//! The pass crate of the flash compiler: rewrites of the IR graph between the DSL and the
//! StableHLO emitter.
//!
//! - [`Pass`] is the interface every pass implements; [`rewrite::rebuild`] is the one graph
//!   walk they all build on (value map, locations and scopes kept, outputs remapped).
//! - [`pipeline::pipeline`] is the ordered, named list of passes and
//!   [`pipeline::run_pipeline`] runs it with verification, IR dumps and timings.
//! - One file per pass: [`lower_cumsum`], [`canonicalize`], [`fold_constants`], [`cse`],
//!   [`dce`].
#![deny(missing_docs)]

pub mod autodiff;
pub mod canonicalize;
pub mod chunk_attention;
pub mod cse;
pub mod dce;
pub mod error;
pub mod fold_constants;
pub mod literal;
pub mod lower_cumsum;
pub mod pass;
pub mod pipeline;
pub mod rewrite;
pub mod upcast_mixed_dots;

pub use canonicalize::Canonicalize;
pub use cse::Cse;
pub use dce::Dce;
pub use error::PassError;
pub use fold_constants::FoldConstants;
pub use lower_cumsum::{CumsumStrategy, LowerCumsum};
pub use pass::{Pass, PassOptions};
pub use pipeline::{
    pass_names, pipeline, run_passes, run_pipeline, PassTiming, PipelineOptions, PipelineReport,
};
