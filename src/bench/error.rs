//! [`BenchError`]: why a benchmark could not be set up or run. Argument problems name the
//! option and the value, so the CLI can print them as one line.

use crate::compiler::CompileError;
use crate::cost::CostError;
use crate::dsl::DslError;
use crate::models::ModelError;
use crate::runtime::RuntimeError;
use std::path::PathBuf;
use thiserror::Error;

/// A benchmark problem.
#[derive(Debug, Error)]
pub enum BenchError {
    /// A model name that is not one of the known kinds.
    #[error("unknown model {name:?}; models are: {known}")]
    UnknownModel {
        /// The name given.
        name: String,
        /// The names accepted.
        known: String,
    },
    /// An option's value is not allowed.
    #[error("--{option}: {message}")]
    Option {
        /// The option, as spelt on the command line.
        option: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The model could not be built.
    #[error("building {model} at T = {seq_len}: {source}")]
    Model {
        /// The model kind.
        model: &'static str,
        /// The sequence length.
        seq_len: usize,
        /// The model error.
        source: ModelError,
    },
    /// The train-step program could not be built.
    #[error("building the {model} train step at T = {seq_len}: {message}")]
    TrainStep {
        /// The model kind.
        model: &'static str,
        /// The sequence length.
        seq_len: usize,
        /// The train module's error, rendered.
        message: String,
    },
    /// The program cannot be spread over `--mesh` (e.g. a batch the `data` axis does not
    /// divide).
    #[error("{model} at T = {seq_len} on --mesh: {message}")]
    Parallel {
        /// The model kind.
        model: &'static str,
        /// The sequence length.
        seq_len: usize,
        /// What does not fit.
        message: String,
    },
    /// `--mesh` does not fit the client's devices.
    #[error(transparent)]
    Mesh(#[from] crate::parallel::ParallelError),
    /// A graph built with the DSL was invalid (a bug in the benchmark's own programs).
    #[error(transparent)]
    Dsl(#[from] DslError),
    /// Our compiler failed.
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// The cost model failed.
    #[error(transparent)]
    Cost(#[from] CostError),
    /// XLA or the PJRT runtime failed.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// A host input could not be allocated.
    #[error(transparent)]
    Tensor(#[from] crate::tensor::TensorError),
    /// A file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A records file (`--from-json`) that cannot be read or shown.
    #[error("{}: {message}", path.display())]
    Records {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the record.
        message: String,
    },
    /// The plot could not be drawn or written.
    #[error("cannot draw the plot: {0}")]
    Plot(String),
}

/// An option error.
pub(crate) fn option(option: &'static str, message: impl Into<String>) -> BenchError {
    BenchError::Option {
        option,
        message: message.into(),
    }
}
