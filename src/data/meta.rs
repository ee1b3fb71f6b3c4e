//! `meta.json` of a prepared dataset folder ([`Meta`]) and the checks that the folder's
//! files agree with it.

use super::error::DataError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The meta file's name inside a dataset folder.
pub const META_FILE: &str = "meta.json";
/// The training split's token file.
pub const TRAIN_FILE: &str = "train.bin";
/// The validation split's token file.
pub const VAL_FILE: &str = "val.bin";
/// The `format` this version writes and reads.
pub const FORMAT: &str = "flash-tokens/1";

/// One source text file of a dataset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// The path it was read from.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
}

/// What `meta.json` says about a prepared dataset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// [`FORMAT`].
    pub format: String,
    /// `"u16"` or `"u32"`: little-endian token ids.
    pub dtype: String,
    /// The tokenizer's vocabulary size; every id is below it.
    pub vocab_size: usize,
    /// `"bytes"`, or the file name of the tokenizer copied into the folder.
    pub tokenizer: String,
    /// The tokenizer file's SHA-256 (`"bytes"` for bytes).
    pub tokenizer_sha256: String,
    /// Tokens in `train.bin`.
    pub train_tokens: u64,
    /// Tokens in `val.bin`.
    pub val_tokens: u64,
    /// Bytes of text the training tokens cover.
    pub train_bytes: u64,
    /// Bytes of text the validation tokens cover.
    pub val_bytes: u64,
    /// The source files, in order.
    pub sources: Vec<Source>,
}

impl Meta {
    /// The id width in bytes for a vocabulary of `vocab` ids: 2 when they fit in u16, else 4.
    pub fn width_for(vocab: usize) -> usize {
        if vocab <= 1 << 16 {
            2
        } else {
            4
        }
    }

    /// The dtype name of a width.
    pub fn dtype_for(width: usize) -> &'static str {
        if width == 2 {
            "u16"
        } else {
            "u32"
        }
    }

    /// Reads and checks `dir/meta.json`.
    pub fn load(dir: &Path) -> Result<Meta, DataError> {
        let path = dir.join(META_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            DataError::new(&path, format!("cannot read (is {} a prepared dataset folder? `flash data prepare` writes one): {e}", dir.display()))
        })?;
        let meta: Meta = serde_json::from_str(&text)
            .map_err(|e| DataError::new(&path, format!("corrupt meta.json: {e}")))?;
        if meta.format != FORMAT {
            let msg = format!("format {:?} is not {FORMAT:?}", meta.format);
            return Err(DataError::new(&path, msg));
        }
        let want = Meta::dtype_for(Meta::width_for(meta.vocab_size));
        if meta.dtype != "u16" && meta.dtype != "u32" {
            let msg = format!("dtype {:?} is neither \"u16\" nor \"u32\"", meta.dtype);
            return Err(DataError::new(&path, msg));
        }
        if meta.dtype == "u16" && want == "u32" {
            let msg = format!(
                "dtype u16 cannot hold ids of a vocabulary of {}",
                meta.vocab_size
            );
            return Err(DataError::new(&path, msg));
        }
        Ok(meta)
    }

    /// The id width of the files, in bytes.
    pub fn width(&self) -> usize {
        if self.dtype == "u16" {
            2
        } else {
            4
        }
    }

    /// Writes `dir/meta.json`.
    pub fn save(&self, dir: &Path) -> Result<(), DataError> {
        let path = dir.join(META_FILE);
        let text =
            serde_json::to_string_pretty(self).map_err(|e| DataError::new(&path, e.to_string()))?;
        crate::atomic_write::write_atomically(&path, (text + "\n").as_bytes())
            .map_err(|e| DataError::new(&path, e.to_string()))
    }
}
