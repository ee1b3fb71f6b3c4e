//! [`Dataset`]: the training and validation token streams with their tokenizer, and
//! [`Tokens`], one stream: ids in memory, or a memory-mapped `.bin` file of little-endian
//! u16/u32 ids (so a corpus larger than memory trains: only the windows drawn are read).
//! Text from a stream that can be read only once (a pipe, `/dev/stdin`) is read whole and
//! its size and SHA-256 kept ([`StreamRead`]), so the data's identity is what was read.

use super::error::DataError;
use super::meta::{Meta, TRAIN_FILE, VAL_FILE};
use super::prepare::encode_file;
use super::tokenizer::{Tokenizer, BYTES, TOKENIZER_FILE};
use memmap2::Mmap;
use std::fs::File;
use std::path::{Path, PathBuf};

/// The validation fraction of `--data FILE.txt` (the last 10% of its tokens).
pub const DEFAULT_VAL_FRACTION: f64 = 0.1;

/// One token stream.
#[derive(Debug)]
pub enum Tokens {
    /// Ids in memory.
    Memory(Vec<u32>),
    /// A memory-mapped file of `width`-byte little-endian ids.
    Mapped {
        /// The file.
        path: PathBuf,
        /// Its mapping.
        map: Mmap,
        /// 2 (u16) or 4 (u32).
        width: usize,
    },
}

impl Tokens {
    /// Maps `path`, a file of `width`-byte ids that must hold `expected` of them.
    pub fn map(path: &Path, width: usize, expected: u64) -> Result<Tokens, DataError> {
        let file =
            File::open(path).map_err(|e| DataError::new(path, format!("cannot open: {e}")))?;
        let len = file
            .metadata()
            .map_err(|e| DataError::new(path, e.to_string()))?
            .len();
        if len % width as u64 != 0 {
            let msg = format!(
                "corrupt or truncated: {len} bytes is not a whole number of {}-byte ids",
                width
            );
            return Err(DataError::new(path, msg));
        }
        if len / width as u64 != expected {
            let msg = format!(
                "holds {} ids but meta.json says {expected}; the folder's files disagree (prepare it again)",
                len / width as u64
            );
            return Err(DataError::new(path, msg));
        }
        // SAFETY: the file is opened read-only; a dataset is not written while training reads it
        // (if it were truncated, reads past its end would fault, as with any mapped file).
        let map = unsafe { Mmap::map(&file) }.map_err(|e| DataError::new(path, e.to_string()))?;
        Ok(Tokens::Mapped {
            path: path.into(),
            map,
            width,
        })
    }

    /// The number of ids.
    pub fn len(&self) -> usize {
        match self {
            Tokens::Memory(v) => v.len(),
            Tokens::Mapped { map, width, .. } => map.len() / width,
        }
    }

    /// True when there are no ids.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Id number `i` (`i < len`).
    pub fn get(&self, i: usize) -> u32 {
        match self {
            Tokens::Memory(v) => v[i],
            Tokens::Mapped { map, width: 2, .. } => {
                u32::from(u16::from_le_bytes([map[2 * i], map[2 * i + 1]]))
            }
            Tokens::Mapped { map, .. } => {
                let b = &map[4 * i..4 * i + 4];
                u32::from_le_bytes([b[0], b[1], b[2], b[3]])
            }
        }
    }

    /// Where the ids came from (for errors).
    pub fn origin(&self) -> Option<&Path> {
        match self {
            Tokens::Memory(_) => None,
            Tokens::Mapped { path, .. } => Some(path),
        }
    }
}

/// Training and validation tokens, the tokenizer that made them, and how many text bytes each
/// id stands for.
#[derive(Debug)]
pub struct Dataset {
    /// The `--data` path: a text file or a prepared folder.
    pub source: PathBuf,
    /// The training split.
    pub train: Tokens,
    /// The validation split.
    pub val: Tokens,
    /// The tokenizer.
    pub tokenizer: Tokenizer,
    /// Text bytes per id, for bits per byte.
    pub byte_lens: Vec<u32>,
    /// The size and SHA-256 of the text when `source` is a stream read once (`None` for a
    /// regular file or a prepared folder, which can be measured again).
    pub streamed: Option<StreamRead>,
}

/// What was read from a stream: its size and SHA-256 (hex).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamRead {
    /// Bytes read.
    pub bytes: u64,
    /// Their SHA-256, in hex.
    pub sha256: String,
}

/// Whether `path` can be read only once (it exists and is neither a regular file nor a
/// folder: a pipe, a socket or a device such as `/dev/stdin`).
pub fn is_stream(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Reads the stream `path` whole and tokenizes it: its ids and what was read.
fn encode_stream(path: &Path, tokenizer: &Tokenizer) -> Result<(Vec<u32>, StreamRead), DataError> {
    let bytes = std::fs::read(path)
        .map_err(|e| DataError::new(path, format!("cannot read the data file: {e}")))?;
    let read = StreamRead {
        bytes: bytes.len() as u64,
        sha256: super::tokenizer::sha256_hex(&bytes),
    };
    Ok((tokenizer.encode(&bytes, path)?, read))
}

impl Dataset {
    /// `--data PATH [--tokenizer T]`: a prepared folder (memory-mapped; `tokenizer`, if given,
    /// must be the folder's), or a text file tokenized in memory (last 10% held out).
    pub fn open(path: &Path, tokenizer: Option<&Path>) -> Result<Dataset, DataError> {
        if path.is_dir() {
            return Dataset::open_prepared(path, tokenizer);
        }
        let tk = Tokenizer::from_option(tokenizer)?;
        Dataset::from_text(&[path.to_path_buf()], tk, DEFAULT_VAL_FRACTION)
    }

    /// Tokenizes `files` in memory and holds out the last `val_fraction` of the ids.
    pub fn from_text(
        files: &[PathBuf],
        tokenizer: Tokenizer,
        val_fraction: f64,
    ) -> Result<Dataset, DataError> {
        let mut ids = Vec::new();
        let mut streamed = None;
        for f in files {
            if is_stream(f) {
                let (more, read) = encode_stream(f, &tokenizer)?;
                ids.extend_from_slice(&more);
                streamed = streamed.or((Some(f) == files.first()).then_some(read));
                continue;
            }
            encode_file(
                f,
                &tokenizer,
                &mut |chunk| {
                    ids.extend_from_slice(chunk);
                    Ok(())
                },
                &mut |_| {},
            )?;
        }
        let source = files.first().cloned().unwrap_or_default();
        if ids.is_empty() {
            return Err(DataError::new(
                &source,
                "the data file is empty (it holds no tokens)",
            ));
        }
        let split = ids.len() - val_count(ids.len() as u64, val_fraction) as usize;
        let val = ids.split_off(split);
        Ok(Dataset {
            source,
            train: Tokens::Memory(ids),
            val: Tokens::Memory(val),
            byte_lens: tokenizer.byte_lengths(),
            tokenizer,
            streamed,
        })
    }

    /// Opens a folder written by `flash data prepare`, checking it against its meta.json.
    pub fn open_prepared(dir: &Path, tokenizer: Option<&Path>) -> Result<Dataset, DataError> {
        let meta = Meta::load(dir)?;
        let stored = if meta.tokenizer == BYTES {
            Tokenizer::Bytes
        } else {
            Tokenizer::load(&dir.join(&meta.tokenizer))?
        };
        let tk_path = dir.join(if meta.tokenizer == BYTES {
            "meta.json"
        } else {
            TOKENIZER_FILE
        });
        if stored.hash() != meta.tokenizer_sha256 || stored.vocab_size() != meta.vocab_size {
            let msg = format!(
                "the tokenizer (vocabulary {}, sha256 {}) is not the one meta.json records \
                 (vocabulary {}, sha256 {})",
                stored.vocab_size(),
                stored.hash(),
                meta.vocab_size,
                meta.tokenizer_sha256
            );
            return Err(DataError::new(tk_path, msg));
        }
        if let Some(given) = tokenizer {
            let given_tk = Tokenizer::load(given)?;
            if given_tk.hash() != stored.hash() {
                let msg = format!(
                    "is not the tokenizer {} was prepared with ({}); leave --tokenizer out to use the folder's",
                    dir.display(),
                    meta.tokenizer
                );
                return Err(DataError::new(given, msg));
            }
        }
        let width = meta.width();
        let train = Tokens::map(&dir.join(TRAIN_FILE), width, meta.train_tokens)?;
        let val = Tokens::map(&dir.join(VAL_FILE), width, meta.val_tokens)?;
        if train.is_empty() && val.is_empty() {
            return Err(DataError::new(dir, "the dataset is empty (no tokens)"));
        }
        Ok(Dataset {
            source: dir.into(),
            train,
            val,
            byte_lens: stored.byte_lengths(),
            tokenizer: stored,
            streamed: None,
        })
    }

    /// The vocabulary size (every id is below it).
    pub fn vocab_size(&self) -> usize {
        self.byte_lens.len()
    }

    /// Checks that each split holds at least `seq_len + 2` ids.
    pub fn check_len(&self, seq_len: usize) -> Result<(), DataError> {
        let need = seq_len + 2;
        let (n_train, n_val) = (self.train.len(), self.val.len());
        if n_train < need || n_val < need {
            let msg = format!(
                "too short for --seq-len {seq_len}: {n_train} tokens for training and {n_val} for \
                 validation, and each split needs at least {need} (seq-len + 2); use more text or a \
                 shorter --seq-len"
            );
            return Err(DataError::new(&self.source, msg));
        }
        Ok(())
    }

    /// The text bytes the ids `tokens[start..start + n]` cover.
    pub fn bytes_of(&self, tokens: &Tokens, start: usize, n: usize) -> u64 {
        (start..start + n)
            .map(|i| {
                let id = tokens.get(i) as usize;
                u64::from(self.byte_lens.get(id).copied().unwrap_or(0))
            })
            .sum()
    }
}

/// The vocabulary size `--data PATH [--tokenizer T]` trains with, without reading the data:
/// a prepared folder's meta.json, else the tokenizer's (256 for bytes).
pub fn vocab_of(path: &Path, tokenizer: Option<&Path>) -> Result<usize, DataError> {
    if path.is_dir() {
        return Ok(Meta::load(path)?.vocab_size);
    }
    Ok(Tokenizer::from_option(tokenizer)?.vocab_size())
}

/// The validation ids of `total` at `fraction` (rounded).
pub fn val_count(total: u64, fraction: f64) -> u64 {
    ((total as f64) * fraction).round() as u64
}
