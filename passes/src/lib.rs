//! The pass crate of the flash compiler: rewrites of the IR graph between the DSL and the
//! StableHLO emitter.
//!
//! - [`Pass`] is the interface every pass implements; [`rewrite::rebuild`] is the one graph
//!   walk they all build on (value map, locations and scopes kept, outputs remapped).
//! - [`Target`] is the machine a program is for, an input of the pipeline;
//!   [`chunk_size::choose_chunk`] picks FLASH's chunk size for it (`--chunk auto`).
//! - [`pipeline::pipeline`] is the ordered, named list of passes for a target's
//!   [`pipeline::Tuning`] (which target-dependent passes run, and the values the passes
//!   read) and [`pipeline::run_pipeline`] runs it with verification, IR dumps and timings.
//! - One file per pass: [`lower_cumsum`], [`canonicalize`], [`fold_into_dot`],
//!   [`collapse_contracting_dims`], [`fold_constants`], [`cse`], [`materialize_tables`],
//!   [`dce`].
#![deny(missing_docs)]

pub mod autodiff;
pub mod canonicalize;
pub mod chunk_attention;
pub mod chunk_size;
pub mod collapse_contracting_dims;
pub mod cse;
pub mod dce;
pub mod error;
pub mod fold_constants;
pub mod fold_into_dot;
pub mod literal;
pub mod lower_cumsum;
pub mod materialize_tables;
pub mod pass;
pub mod pipeline;
pub mod rewrite;
pub mod target;
pub mod upcast_mixed_dots;

pub use canonicalize::Canonicalize;
pub use chunk_size::{choose_chunk, min_chunk};
pub use collapse_contracting_dims::CollapseContractingDims;
pub use cse::Cse;
pub use dce::Dce;
pub use error::PassError;
pub use fold_constants::FoldConstants;
pub use fold_into_dot::FoldIntoDot;
pub use lower_cumsum::{CumsumAuto, CumsumStrategy, LowerCumsum};
pub use materialize_tables::MaterializeTables;
pub use pass::{Pass, PassOptions};
pub use pipeline::{
    pass_names, pipeline, run_passes, run_pipeline, PassTiming, PipelineOptions, PipelineReport,
    Tuning,
};
pub use target::{Target, UnknownTarget};
