//! [`DataError`]: a tokenizer, text or token file that cannot be used, always naming the file.

use std::path::PathBuf;
use thiserror::Error;

/// A data problem, naming the file (or folder) it is about.
#[derive(Debug, Error)]
#[error("{path}: {message}")]
pub struct DataError {
    /// The file or folder.
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
}

impl DataError {
    /// An error about `path`.
    pub fn new(path: impl Into<PathBuf>, message: impl Into<String>) -> DataError {
        DataError {
            path: path.into(),
            message: message.into(),
        }
    }
}
