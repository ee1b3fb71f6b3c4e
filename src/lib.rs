//! flash: a compiler for linear-time transformers (FLASH, Hua et al. 2022).
//!
//! A graph built with the DSL ([`dsl`]) becomes IR ([`flash_ir`]), is rewritten by the pass
//! pipeline ([`flash_passes`]), printed as StableHLO text ([`stablehlo`]) and compiled and run
//! by XLA through a PJRT plugin ([`flash_runtime`]).
//!
//! The default feature `cli` adds the command line ([`cli`]) and what only it needs (argument
//! parsing, progress bars, PNG plots: `train::plot`, `bench::plot`); with
//! `default-features = false` the library builds without those crates, and training writes
//! its metrics and checkpoints but no `loss.png`.
#![deny(missing_docs)]

pub mod atomic_write;
pub mod bench;
pub mod chunk_choice;
#[cfg(feature = "cli")]
pub mod cli;
pub mod compiler;
pub mod config;
pub mod cost;
pub mod data;
pub mod decode;
pub mod dsl;
pub mod exec;
pub mod file_lock;
pub mod mlir_signature;
pub mod models;
pub mod nn;
pub mod parallel;
pub mod safetensors_io;
pub mod stablehlo;
pub mod target;
pub mod tensor;
pub mod train;

pub use flash_interp as interp;
pub use flash_ir as ir;
pub use flash_passes as passes;
pub use flash_runtime as runtime;
