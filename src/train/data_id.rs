//! [`DataIdentity`]: which data a run trained on (its path, size and SHA-256), stored in the
//! checkpoint so `--resume` with another `--data` is refused (or, with `--new-data`, allowed on
//! purpose). A text file is identified by its bytes; a prepared folder by its `meta.json`
//! (which records the sources, the tokenizer and the token counts) and the size of its token
//! files, so resuming never re-reads a corpus larger than memory.

use super::error::TrainError;
use crate::data::meta::{META_FILE, TRAIN_FILE, VAL_FILE};
use crate::data::tokenizer::sha256_hex;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The identity of a `--data` path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataIdentity {
    /// The path, absolute where it could be resolved (older checkpoints: as given), so that
    /// `flash train --resume DIR` finds the data from any working directory.
    pub path: String,
    /// Bytes of the text file, or of the folder's token files.
    pub bytes: u64,
    /// SHA-256 (hex) of the text file, or of the folder's meta.json.
    pub sha256: String,
}

impl DataIdentity {
    /// Measures the text file or prepared folder `path`.
    pub fn of(path: &Path) -> Result<DataIdentity, TrainError> {
        let (bytes, sha256) = if path.is_dir() {
            let size = |f: &str| file_size(&path.join(f));
            (
                size(TRAIN_FILE)? + size(VAL_FILE)?,
                sha256_of(&path.join(META_FILE))?,
            )
        } else {
            (file_size(path)?, sha256_of(path)?)
        };
        let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        Ok(DataIdentity {
            path: absolute.display().to_string(),
            bytes,
            sha256,
        })
    }

    /// Whether both name the same data (the paths may differ: a moved file is the same data).
    pub fn same_data(&self, other: &DataIdentity) -> bool {
        self.bytes == other.bytes && self.sha256 == other.sha256
    }
}

fn data_error(path: &Path, source: std::io::Error) -> TrainError {
    TrainError::Data {
        path: path.into(),
        message: source.to_string(),
    }
}

fn file_size(path: &Path) -> Result<u64, TrainError> {
    Ok(std::fs::metadata(path)
        .map_err(|e| data_error(path, e))?
        .len())
}

/// The SHA-256 of the file at `path` (a text file is read whole to train on it anyway).
fn sha256_of(path: &Path) -> Result<String, TrainError> {
    let bytes = std::fs::read(path).map_err(|e| data_error(path, e))?;
    Ok(sha256_hex(&bytes))
}
