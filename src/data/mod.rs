//! Training data: tokenizers ([`Tokenizer`]: raw bytes, or any Hugging Face `tokenizer.json`,
//! and byte-level BPE training), prepared token datasets (`train.bin`, `val.bin`,
//! `meta.json`: [`mod@prepare`], [`meta`]) and the token streams training and evaluation draw
//! windows from ([`Dataset`], memory-mapped from a prepared folder or built in memory from
//! text files).

pub mod byte_level;
pub mod dataset;
mod error;
pub mod folder;
pub mod meta;
pub mod prepare;
pub mod tokenizer;

pub use dataset::{vocab_of, Dataset, Tokens};
pub use error::DataError;
pub use meta::Meta;
pub use prepare::{prepare, PrepareOptions};
pub use tokenizer::Tokenizer;
