//! [`Tokenizer`]: text to token ids and back. Either raw bytes (ids 0..256, the default,
//! needing no file) or a Hugging Face `tokenizer.json` (any model the `tokenizers` crate
//! reads), and [`Tokenizer::train_bpe`], a byte-level BPE trained offline on text files
//! (no normalizer, no prefix space: decoding the ids gives the text back byte for byte).

use super::byte_level::token_bytes as byte_level_bytes;
use super::error::DataError;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tokenizers::models::bpe::{BpeTrainerBuilder, BPE};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::{DecoderWrapper, NormalizerWrapper, PostProcessorWrapper, PreTokenizerWrapper};
use tokenizers::{TokenizerBuilder, TokenizerImpl};

/// The name meta.json and checkpoints give the byte tokenizer.
pub const BYTES: &str = "bytes";

/// The file name a tokenizer is copied to in a dataset or run folder.
pub const TOKENIZER_FILE: &str = "tokenizer.json";

/// A tokenizer: bytes, or a loaded `tokenizer.json`.
#[derive(Clone)]
pub enum Tokenizer {
    /// Each byte is its own token (vocabulary 256).
    Bytes,
    /// A Hugging Face tokenizer.
    Json {
        /// Where it was read from.
        path: PathBuf,
        /// The file's text (copied into run and dataset folders).
        text: String,
        /// The parsed tokenizer.
        inner: Box<tokenizers::Tokenizer>,
    },
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tokenizer::Bytes => write!(f, "Tokenizer::Bytes"),
            Tokenizer::Json { path, .. } => write!(f, "Tokenizer::Json({})", path.display()),
        }
    }
}

impl Tokenizer {
    /// Reads a `tokenizer.json`.
    pub fn load(path: &Path) -> Result<Tokenizer, DataError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| DataError::new(path, format!("cannot read the tokenizer: {e}")))?;
        Tokenizer::from_json(path, text)
    }

    /// Parses `text`, the contents of the tokenizer file `path`.
    pub fn from_json(path: &Path, text: String) -> Result<Tokenizer, DataError> {
        let inner: tokenizers::Tokenizer = text
            .parse()
            .map_err(|e| DataError::new(path, format!("not a valid tokenizer.json: {e}")))?;
        if inner.get_vocab_size(true) == 0 {
            return Err(DataError::new(
                path,
                "the tokenizer has an empty vocabulary",
            ));
        }
        Ok(Tokenizer::Json {
            path: path.into(),
            text,
            inner: Box::new(inner),
        })
    }

    /// `None`: bytes; `Some(path)`: the `tokenizer.json` at `path`.
    pub fn from_option(path: Option<&Path>) -> Result<Tokenizer, DataError> {
        path.map_or(Ok(Tokenizer::Bytes), Tokenizer::load)
    }

    /// Trains a byte-level BPE of `vocab` tokens on `files` and returns it (`out` is the path
    /// it is meant to be saved at, used in its errors and in [`Tokenizer::Json::path`]).
    pub fn train_bpe(files: &[PathBuf], vocab: usize, out: &Path) -> Result<Tokenizer, DataError> {
        let alphabet = ByteLevel::alphabet();
        if vocab < alphabet.len() {
            let message = format!(
                "--vocab {vocab} is too small: a byte-level BPE needs at least {} tokens \
                 (one per byte)",
                alphabet.len()
            );
            return Err(DataError::new(out, message));
        }
        check_training_texts(files, vocab)?;
        if let Some(why) = crate::config::limits::dim_too_large(vocab) {
            return Err(DataError::new(out, format!("--vocab {why}")));
        }
        let mut trainer = BpeTrainerBuilder::new()
            .vocab_size(vocab)
            .min_frequency(0)
            .show_progress(false)
            .initial_alphabet(alphabet.into_iter().collect())
            .build();
        let byte_level = ByteLevel::new(false, true, true);
        let mut tk: TokenizerImpl<
            BPE,
            NormalizerWrapper,
            PreTokenizerWrapper,
            PostProcessorWrapper,
            DecoderWrapper,
        > = TokenizerBuilder::new()
            .with_model(BPE::default())
            .with_normalizer(None)
            .with_pre_tokenizer(Some(byte_level.into()))
            .with_post_processor(None)
            .with_decoder(Some(byte_level.into()))
            .build()
            .map_err(|e| DataError::new(out, e.to_string()))?;
        let names = files.iter().map(|f| f.display().to_string()).collect();
        tk.train_from_files(&mut trainer, names)
            .map_err(|e| DataError::new(&files[0], format!("training the tokenizer: {e}")))?;
        let text = tk
            .to_string(false)
            .map_err(|e| DataError::new(out, e.to_string()))?;
        Tokenizer::from_json(out, text)
    }

    /// Writes the tokenizer's JSON to `path` (nothing for bytes).
    pub fn save(&self, path: &Path) -> Result<(), DataError> {
        if let Tokenizer::Json { text, .. } = self {
            crate::atomic_write::write_atomically(path, text.as_bytes())
                .map_err(|e| DataError::new(path, e.to_string()))?;
        }
        Ok(())
    }

    /// The number of token ids (added tokens included).
    pub fn vocab_size(&self) -> usize {
        match self {
            Tokenizer::Bytes => 256,
            Tokenizer::Json { inner, .. } => inner.get_vocab_size(true),
        }
    }

    /// `"bytes"`, or the tokenizer file's path.
    pub fn name(&self) -> String {
        match self {
            Tokenizer::Bytes => BYTES.into(),
            Tokenizer::Json { path, .. } => path.display().to_string(),
        }
    }

    /// The SHA-256 of the tokenizer file, hex (`"bytes"` for bytes).
    pub fn hash(&self) -> String {
        match self {
            Tokenizer::Bytes => BYTES.into(),
            Tokenizer::Json { text, .. } => sha256_hex(text.as_bytes()),
        }
    }

    /// The ids of `bytes` (text from `path`; a JSON tokenizer needs UTF-8).
    pub fn encode(&self, bytes: &[u8], path: &Path) -> Result<Vec<u32>, DataError> {
        match self {
            Tokenizer::Bytes => Ok(bytes.iter().map(|&b| u32::from(b)).collect()),
            Tokenizer::Json { inner, .. } => {
                let text = std::str::from_utf8(bytes).map_err(|e| {
                    DataError::new(
                        path,
                        format!("not UTF-8 text (a tokenizer.json needs it): {e}"),
                    )
                })?;
                let enc = inner
                    .encode_fast(text, false)
                    .map_err(|e| DataError::new(path, format!("encoding: {e}")))?;
                Ok(enc.get_ids().to_vec())
            }
        }
    }

    /// The bytes of `ids` (invalid UTF-8 across a cut is replaced, as `from_utf8_lossy` does).
    pub fn decode(&self, ids: &[u32]) -> Result<Vec<u8>, DataError> {
        match self {
            Tokenizer::Bytes => Ok(ids.iter().map(|&i| i.min(255) as u8).collect()),
            Tokenizer::Json { inner, path, .. } => inner
                .decode(ids, false)
                .map(String::into_bytes)
                .map_err(|e| DataError::new(path, format!("decoding: {e}"))),
        }
    }

    /// The raw bytes of the token `id`: a byte-level BPE token's own bytes (a part of a
    /// UTF-8 character stays that part, so tokens written one after another give the text
    /// byte for byte); other tokenizers' tokens decoded one at a time.
    pub fn token_bytes(&self, id: u32) -> Result<Vec<u8>, DataError> {
        if let Tokenizer::Json { inner, .. } = self {
            let byte_level = matches!(inner.get_decoder(), Some(DecoderWrapper::ByteLevel(_)));
            let raw = inner.id_to_token(id).and_then(|t| byte_level_bytes(&t));
            if let Some(bytes) = raw.filter(|_| byte_level) {
                return Ok(bytes);
            }
        }
        self.decode(&[id])
    }

    /// How many bytes of text each id stands for (for bits per byte): a byte-level token's
    /// characters are one byte each; other tokens count their decoded UTF-8 bytes.
    pub fn byte_lengths(&self) -> Vec<u32> {
        match self {
            Tokenizer::Bytes => vec![1; 256],
            Tokenizer::Json { inner, .. } => {
                let alphabet = ByteLevel::alphabet();
                (0..self.vocab_size() as u32)
                    .map(|id| match inner.id_to_token(id) {
                        Some(t) if t.chars().all(|c| alphabet.contains(&c)) => {
                            t.chars().count() as u32
                        }
                        _ => inner.decode(&[id], false).map_or(0, |s| s.len() as u32),
                    })
                    .collect()
            }
        }
    }
}

/// Checks the training texts before the trainer reads them: each is readable UTF-8 (the
/// error names the file and the byte offset), and together they can give `vocab` tokens:
/// each merge joins a pair of tokens the text holds, so `n` bytes give at most `256 + n`
/// tokens (a larger vocabulary would only size the trainer's tables beyond memory).
fn check_training_texts(files: &[PathBuf], vocab: usize) -> Result<(), DataError> {
    let mut total = 0u64;
    for f in files {
        total = total.saturating_add(check_utf8_file(f)?);
    }
    let most = (ByteLevel::alphabet().len() as u64).saturating_add(total);
    if vocab as u64 > most {
        let which = files.first().map_or(Path::new(""), |f| f.as_path());
        let message =
            format!(
            "the training text{} ({total} bytes in all) can give at most {most} tokens (one per \
             byte, then one per merge), but --vocab asks for {vocab}",
            if files.len() > 1 { "s from here on" } else { "" }
        );
        return Err(DataError::new(which, message));
    }
    Ok(())
}

/// Reads `path` through, checking it is UTF-8; gives its length in bytes.
fn check_utf8_file(path: &Path) -> Result<u64, DataError> {
    use std::io::Read;
    let cannot = |e: std::io::Error| DataError::new(path, format!("cannot read: {e}"));
    let mut file = std::fs::File::open(path).map_err(cannot)?;
    let (mut buf, mut carry, mut offset) = (vec![0u8; 1 << 20], Vec::new(), 0u64);
    loop {
        let n = file.read(&mut buf).map_err(cannot)?;
        carry.extend_from_slice(&buf[..n]);
        let valid = match std::str::from_utf8(&carry) {
            Ok(_) => carry.len(),
            Err(e) if e.error_len().is_none() && n > 0 => e.valid_up_to(),
            Err(e) => {
                let at = offset + e.valid_up_to() as u64;
                let message = format!("is not UTF-8 text (an invalid byte at offset {at})");
                return Err(DataError::new(path, message));
            }
        };
        offset += valid as u64;
        carry.drain(..valid);
        if n == 0 {
            return Ok(offset);
        }
    }
}

/// The SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_bytes_of_a_byte_level_bpe_give_the_text_back_without_replacement_characters() {
        let dir = std::env::temp_dir().join(format!("flash-token-bytes-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text = "café naïve 日本 café\n".repeat(20);
        let file = dir.join("text.txt");
        std::fs::write(&file, &text).unwrap();
        // 256 tokens: the byte alphabet only, so every multi-byte character is split.
        let tk =
            Tokenizer::train_bpe(std::slice::from_ref(&file), 256, &dir.join("t.json")).unwrap();
        let ids = tk.encode(text.as_bytes(), &file).unwrap();
        let mut joined = Vec::new();
        for &id in &ids {
            let one = tk.token_bytes(id).unwrap();
            assert!(!String::from_utf8_lossy(&one).contains('\u{FFFD}') || one.len() == 1);
            joined.extend(one);
        }
        assert_eq!(joined, text.as_bytes());
        let lone = ids
            .iter()
            .find(|&&id| std::str::from_utf8(&tk.token_bytes(id).unwrap()).is_err());
        let lone = lone.expect("a token holding part of a character");
        assert!(tk.decode(&[*lone]).unwrap() != tk.token_bytes(*lone).unwrap());
    }
}
