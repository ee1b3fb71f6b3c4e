//! [`DataIdentity`]: which data a run trained on (its path, size and SHA-256), stored in the
//! checkpoint so `--resume` with another `--data`, or with the same data edited, is refused
//! (or, with `--new-data`, allowed on purpose).
//!
//! - A text file is identified by its bytes.
//! - Text read from a stream (`--data /dev/stdin`, a pipe) is identified by what was read
//!   ([`crate::data::dataset::StreamRead`]): it cannot be read a second time to measure it.
//! - A prepared folder is identified by its `meta.json` (the sources, the tokenizer and the
//!   token counts), the size of its token files, and the SHA-256 of their contents
//!   (`train.bin` then `val.bin`, `content_sha256`), so a token file edited in place is
//!   noticed. Decided: the token files are hashed whole at each start of a run (read in
//!   pieces, so memory stays flat; SHA-256 runs at about 0.5-2 GB/s, a few seconds per GB of
//!   tokens), rather than trusting sizes and times or a sample: only the content says the
//!   data is the same, and `flash data prepare` (which could record a hash) is not the only
//!   writer of a folder. Checkpoints written before `content_sha256` compare without it.

use super::error::TrainError;
use crate::data::dataset::{is_stream, Dataset};
use crate::data::meta::{META_FILE, TRAIN_FILE, VAL_FILE};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
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
    /// SHA-256 (hex) of a folder's token files, `train.bin` then `val.bin` (`None` for a
    /// text file, and in checkpoints written before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_sha256: Option<String>,
}

impl DataIdentity {
    /// Measures the text file or prepared folder `path`. A stream cannot be measured after
    /// it was read: use [`DataIdentity::of_dataset`].
    pub fn of(path: &Path) -> Result<DataIdentity, TrainError> {
        if is_stream(path) {
            let msg = "is a stream (a pipe or a device): it can be read only once, so its \
                       identity is the text read from it";
            return Err(data_error(path, msg));
        }
        let (bytes, sha256, content_sha256) = if path.is_dir() {
            let size = |f: &str| file_size(&path.join(f));
            let tokens = [path.join(TRAIN_FILE), path.join(VAL_FILE)];
            (
                size(TRAIN_FILE)? + size(VAL_FILE)?,
                sha256_of(&[path.join(META_FILE)])?,
                Some(sha256_of(&tokens)?),
            )
        } else {
            (file_size(path)?, sha256_of(&[path.to_path_buf()])?, None)
        };
        Ok(DataIdentity {
            path: absolute(path),
            bytes,
            sha256,
            content_sha256,
        })
    }

    /// The identity of `data`, opened from `path`: what was read for a stream, else
    /// [`DataIdentity::of`] `path`.
    pub fn of_dataset(path: &Path, data: &Dataset) -> Result<DataIdentity, TrainError> {
        let Some(read) = &data.streamed else {
            return DataIdentity::of(path);
        };
        Ok(DataIdentity {
            path: absolute(path),
            bytes: read.bytes,
            sha256: read.sha256.clone(),
            content_sha256: None,
        })
    }

    /// Whether both name the same data (the paths may differ: a moved file is the same data).
    /// The token files' hash counts where both record one.
    pub fn same_data(&self, other: &DataIdentity) -> bool {
        let content = match (&self.content_sha256, &other.content_sha256) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        self.bytes == other.bytes && self.sha256 == other.sha256 && content
    }

    /// Size and hashes in words, e.g. `4096 bytes, sha256 ab12..., token files sha256 cd34...`.
    pub fn describe(&self) -> String {
        let content = self
            .content_sha256
            .as_ref()
            .map_or(String::new(), |c| format!(", token files sha256 {c}"));
        format!("{} bytes, sha256 {}{content}", self.bytes, self.sha256)
    }
}

/// `path` made absolute where it can be (else as given).
fn absolute(path: &Path) -> String {
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    absolute.display().to_string()
}

fn data_error(path: &Path, message: impl ToString) -> TrainError {
    TrainError::Data {
        path: path.into(),
        message: message.to_string(),
    }
}

fn file_size(path: &Path) -> Result<u64, TrainError> {
    Ok(std::fs::metadata(path)
        .map_err(|e| data_error(path, e))?
        .len())
}

/// The SHA-256 (hex) of the files at `paths`, one after the other, streamed.
fn sha256_of(paths: &[std::path::PathBuf]) -> Result<String, TrainError> {
    let mut hash = Sha256::new();
    for path in paths {
        let file = std::fs::File::open(path).map_err(|e| data_error(path, e))?;
        let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
        std::io::copy(&mut reader, &mut hash).map_err(|e| data_error(path, e))?;
    }
    Ok(hash.finalize().iter().map(|b| format!("{b:02x}")).collect())
}
