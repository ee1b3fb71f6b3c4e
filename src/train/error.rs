//! [`TrainError`]: why a train step could not be built, or a run could not start or go on.
//! Each variant names what is wrong (the option, the file, the checkpoint) so the CLI can
//! print it as one line.

use crate::compiler::CompileError;
use crate::ir::IrError;
use crate::models::ModelError;
use crate::passes::autodiff::AutodiffError;
use crate::passes::PassError;
use crate::runtime::RuntimeError;
use crate::safetensors_io::TensorFileError;
use std::path::PathBuf;
use thiserror::Error;

/// A training problem.
#[derive(Debug, Error)]
pub enum TrainError {
    /// The model configuration or its graph.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The mesh or sharding strategy.
    #[error(transparent)]
    Parallel(Box<crate::parallel::ParallelError>),
    /// A training option is out of range.
    #[error("--{option}: {message}")]
    Option {
        /// The option, as the command line spells it.
        option: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A setting given on resuming differs from the checkpoint's.
    #[error("--{option} {given} differs from the checkpoint's {stored}; a resumed run keeps its settings")]
    Kept {
        /// The option, as the command line spells it.
        option: &'static str,
        /// The value given.
        given: String,
        /// The checkpoint's value.
        stored: String,
    },
    /// Lowering the model graph before differentiation failed.
    #[error("lowering the model graph: {0}")]
    Lower(#[from] PassError),
    /// Differentiating the loss failed.
    #[error("differentiating the loss: {0}")]
    Autodiff(#[from] AutodiffError),
    /// Appending the optimizer to the graph failed.
    #[error("building the optimizer update: {0}")]
    Ir(#[from] IrError),
    /// Compiling a program to StableHLO failed.
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// XLA could not compile or run a program, or move a buffer.
    #[error("XLA: {0}")]
    Runtime(#[from] RuntimeError),
    /// The training data cannot be used.
    #[error("{path}: {message}")]
    Data {
        /// The data file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A checkpoint cannot be used.
    #[error("{path}: {message}")]
    Checkpoint {
        /// The checkpoint file or folder.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A tensor file could not be read or written.
    #[error(transparent)]
    TensorFile(#[from] TensorFileError),
    /// A host allocation, or the memory a compiled program needs, is more than the system has.
    #[error(transparent)]
    Memory(Box<crate::tensor::TensorError>),
    /// A run file (metrics, plot) could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The loss plot could not be drawn.
    #[error("{path}: cannot draw the plot: {message}")]
    Plot {
        /// The PNG file.
        path: PathBuf,
        /// What the plotting library said.
        message: String,
    },
    /// A program returned something other than what its graph declares (a bug).
    #[error("program output: {0}")]
    Output(String),
}

/// A [`TrainError::Checkpoint`] for `path`.
pub(crate) fn checkpoint_error(path: &std::path::Path, message: impl Into<String>) -> TrainError {
    TrainError::Checkpoint {
        path: path.into(),
        message: message.into(),
    }
}

impl From<crate::data::DataError> for TrainError {
    fn from(e: crate::data::DataError) -> Self {
        TrainError::Data {
            path: e.path,
            message: e.message,
        }
    }
}

impl From<crate::parallel::ParallelError> for TrainError {
    fn from(e: crate::parallel::ParallelError) -> Self {
        TrainError::Parallel(Box::new(e))
    }
}

impl From<crate::tensor::TensorError> for TrainError {
    fn from(e: crate::tensor::TensorError) -> Self {
        TrainError::Memory(Box::new(e))
    }
}
