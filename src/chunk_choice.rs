//! The `--chunk` setting of FLASH models ([`ChunkChoice`]): a fixed chunk size C, or `auto`,
//! which picks C for the sequence length, the model's widths and the target with
//! [`choose_chunk`] (its FLOP rule and the CPU measurements behind its floor are documented
//! there). The chunk size changes no parameter: a model trained with one C runs with another.

use crate::config::{ModelConfig, ModelKind};
use crate::passes::choose_chunk;
use crate::target::Target;
use std::fmt;
use std::str::FromStr;

/// A chunk size, fixed or chosen per sequence length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkChoice {
    /// Chosen by [`choose_chunk`] for the sequence length and target.
    Auto,
    /// This chunk size (at least 1).
    Fixed(usize),
}

/// A `--chunk` value that is neither `auto` nor a positive integer.
#[derive(Debug, thiserror::Error)]
#[error("expected `auto` or a positive chunk size, got `{0}`")]
pub struct BadChunk(String);

impl FromStr for ChunkChoice {
    type Err = BadChunk;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("auto") {
            return Ok(ChunkChoice::Auto);
        }
        match s.parse::<usize>() {
            Ok(c) if c > 0 => Ok(ChunkChoice::Fixed(c)),
            _ => Err(BadChunk(s.to_string())),
        }
    }
}

impl fmt::Display for ChunkChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunkChoice::Auto => f.write_str("auto"),
            ChunkChoice::Fixed(c) => write!(f, "{c}"),
        }
    }
}

impl ChunkChoice {
    /// The chunk size for `cfg` at sequence length `seq_len` on `target`.
    pub fn size(self, cfg: &ModelConfig, seq_len: usize, target: Target) -> usize {
        match self {
            ChunkChoice::Fixed(c) => c,
            ChunkChoice::Auto => choose_chunk(seq_len, cfg.shared, cfg.expansion(), target),
        }
    }

    /// `cfg` with its chunk size set by this choice. Only FLASH models have chunks: for any
    /// other kind this is an error naming the kind.
    pub fn apply(
        self,
        cfg: &ModelConfig,
        seq_len: usize,
        target: Target,
    ) -> Result<ModelConfig, String> {
        if cfg.kind != ModelKind::Flash {
            return Err(format!(
                "--chunk applies to flash models only, not {}",
                cfg.kind.name()
            ));
        }
        Ok(ModelConfig {
            chunk: self.size(cfg, seq_len, target),
            ..cfg.clone()
        })
    }
}

/// What a FLASH model's chunk size does at sequence length `seq_len` when that is not
/// plain (C >= T: one chunk of T tokens; T not a multiple of C: padding), for a note to the
/// user; `None` for other kinds and for C dividing T.
pub fn chunk_note(cfg: &ModelConfig, seq_len: usize) -> Option<String> {
    let c = cfg.chunk;
    if cfg.kind != ModelKind::Flash || c == 0 || seq_len == 0 {
        return None;
    }
    if c > seq_len {
        return Some(format!(
            "chunk size C = {c} is larger than the sequence length T = {seq_len}: one chunk \
             of {seq_len} tokens is used (the score scale stays 1/{c})"
        ));
    }
    if !seq_len.is_multiple_of(c) {
        let chunks = seq_len.div_ceil(c);
        return Some(format!(
            "T = {seq_len} is not a multiple of the chunk size C = {c}: T is padded with zero \
             tokens to {} ({chunks} chunks) and the output cropped back",
            chunks * c
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_auto_and_sizes() {
        assert_eq!("auto".parse::<ChunkChoice>().unwrap(), ChunkChoice::Auto);
        assert_eq!(
            " 128".parse::<ChunkChoice>().unwrap(),
            ChunkChoice::Fixed(128)
        );
        for bad in ["0", "-4", "big", ""] {
            let err = bad.parse::<ChunkChoice>().unwrap_err().to_string();
            assert!(
                err.contains("expected `auto` or a positive chunk size"),
                "{err}"
            );
        }
    }

    #[test]
    fn auto_follows_choose_chunk_and_the_target_floor() {
        let cfg = ModelConfig::preset("flash-base").unwrap();
        let auto = ChunkChoice::Auto;
        assert_eq!(auto.size(&cfg, 8192, Target::Cpu), 128);
        assert_eq!(auto.size(&cfg, 8192, Target::Tpu), 256);
        assert_eq!(auto.size(&cfg, 100, Target::Cpu), 100);
        assert_eq!(auto.apply(&cfg, 2048, Target::Cpu).unwrap().chunk, 128);
        assert_eq!(
            ChunkChoice::Fixed(64)
                .apply(&cfg, 2048, Target::Cpu)
                .unwrap()
                .chunk,
            64
        );
    }

    #[test]
    fn other_kinds_have_no_chunks() {
        let cfg = ModelConfig::preset("transformer++-tiny").unwrap();
        let err = ChunkChoice::Auto.apply(&cfg, 256, Target::Cpu).unwrap_err();
        assert!(err.contains("flash models only"), "{err}");
    }
}
