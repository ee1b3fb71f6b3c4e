//! What a benchmark measures ([`BenchOptions`]), its validation, and the model configs it
//! derives from the presets ([`bench_config`]).
//!
//! # Model configs
//! Each model starts from its preset: the `base` one (s = 128, C = 256, as in the paper) at
//! width 256 and above, the `tiny` one (s = 64, C = 64) below; kinds without a preset of that
//! size (the plain Transformer at base size) start from [`ModelConfig::new`]. Then the width
//! is set to `--width` with the default expansion e = 2d and FFN width, heads of width 64 (one
//! head below width 128), `max_len` large enough for the longest sequence, and the layers: L
//! for the Transformers and 2L for FLASH-Quad and FLASH, since two GAUs cost about one
//! Transformer layer (FLASH.md section 1). Vocabulary: bytes (256).

use super::error::{option, BenchError};
use crate::chunk_choice::ChunkChoice;
use crate::config::{ModelConfig, ModelKind, Precision};
use crate::parallel::Parallelism;
use crate::passes::CumsumStrategy;
use crate::train::Remat;
use std::path::PathBuf;

/// Which program is timed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// The LM loss (forward only): parameters and tokens in, loss out.
    Forward,
    /// One training step: forward, backward and the AdamW update, state threaded between
    /// executions.
    Train,
}

impl Workload {
    /// `forward` or `train`.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Forward => "forward",
            Workload::Train => "train",
        }
    }
}

/// A benchmark: every model at every sequence length, at a constant number of tokens per
/// batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BenchOptions {
    /// The model kinds, in table order.
    pub models: Vec<ModelKind>,
    /// The sequence lengths T.
    pub seq_lens: Vec<usize>,
    /// Tokens per batch; the batch is this divided by T.
    pub tokens_per_batch: usize,
    /// Forward or train step.
    pub workload: Workload,
    /// Model width d.
    pub width: usize,
    /// Transformer layers L (the GAU models get 2L).
    pub layers: usize,
    /// Timed executions per case.
    pub reps: usize,
    /// Untimed executions before them.
    pub warmup: usize,
    /// How compiled cumsums are lowered.
    pub cumsum: CumsumStrategy,
    /// FLASH's chunk size (`None`: the preset's); the other kinds have no chunks.
    pub chunk: Option<ChunkChoice>,
    /// Seed of the random parameters and tokens.
    pub seed: u64,
    /// Size n of the `n x n x n` matmul (in the compute dtype) that measures the peak (0
    /// skips it).
    pub peak_size: usize,
    /// Write each case's StableHLO into this folder as `MODEL-T.WORKLOAD.mlir`.
    pub dump_mlir: Option<PathBuf>,
    /// What the train step's backward pass recomputes.
    pub remat: Remat,
    /// The models' compute precision (and the peak matmul's dtype).
    pub precision: Precision,
    /// Spread each program over a device mesh (`None`: one device).
    pub parallel: Option<Parallelism>,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            models: vec![
                ModelKind::TransformerPlusPlus,
                ModelKind::FlashQuad,
                ModelKind::Flash,
            ],
            seq_lens: vec![512, 1024, 2048, 4096, 8192],
            tokens_per_batch: 8192,
            workload: Workload::Train,
            width: 256,
            layers: 2,
            reps: 3,
            warmup: 2,
            cumsum: CumsumStrategy::Auto,
            chunk: None,
            seed: 0,
            peak_size: 2048,
            dump_mlir: None,
            remat: Remat::None,
            precision: Precision::F32,
            parallel: None,
        }
    }
}

/// The largest `--peak-size`: its three f32 matrices take 3 GiB and its `2 n^3` FLOPs a few
/// seconds on a fast CPU.
pub const MAX_PEAK_SIZE: usize = 16384;

/// Every model kind the benchmark knows.
pub const MODEL_KINDS: [ModelKind; 4] = [
    ModelKind::Transformer,
    ModelKind::TransformerPlusPlus,
    ModelKind::FlashQuad,
    ModelKind::Flash,
];

/// The model kind called `name` (`transformer`, `transformer++`, `flash-quad`, `flash`).
pub fn parse_model(name: &str) -> Result<ModelKind, BenchError> {
    MODEL_KINDS
        .into_iter()
        .find(|k| k.name() == name.trim())
        .ok_or_else(|| BenchError::UnknownModel {
            name: name.to_string(),
            known: MODEL_KINDS.map(|k| k.name()).join(", "),
        })
}

impl BenchOptions {
    /// Checks every option; the first problem names it.
    pub fn validate(&self) -> Result<(), BenchError> {
        if self.models.is_empty() {
            return Err(option("models", "give at least one model"));
        }
        if self.seq_lens.is_empty() {
            return Err(option("seq-lens", "give at least one sequence length"));
        }
        let positive = [
            ("width", self.width),
            ("layers", self.layers),
            ("reps", self.reps),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(option(name, "must be at least 1"));
        }
        if self.peak_size > MAX_PEAK_SIZE {
            let msg = format!(
                "{} is larger than {MAX_PEAK_SIZE} (three {MAX_PEAK_SIZE} x {MAX_PEAK_SIZE} f32 \
                 matrices are 3 GiB; 0 skips the peak)",
                self.peak_size
            );
            return Err(option("peak-size", msg));
        }
        for &t in &self.seq_lens {
            self.batch(t)?;
        }
        Ok(())
    }

    /// The batch size at sequence length `t`: tokens per batch / t, which must divide.
    pub fn batch(&self, t: usize) -> Result<usize, BenchError> {
        if t == 0 {
            return Err(option("seq-lens", "sequence lengths must be at least 1"));
        }
        if self.tokens_per_batch < t || !self.tokens_per_batch.is_multiple_of(t) {
            let msg = format!(
                "{} tokens per batch is not a multiple of sequence length {t}",
                self.tokens_per_batch
            );
            return Err(option("tokens-per-batch", msg));
        }
        Ok(self.tokens_per_batch / t)
    }

    /// The config of `kind` this benchmark times.
    pub fn config(&self, kind: ModelKind) -> Result<ModelConfig, BenchError> {
        let (width, layers) = (self.width, self.layers);
        bench_config(kind, width, layers, self.max_len(), self.precision)
    }

    /// The longest sequence length.
    pub fn max_len(&self) -> usize {
        self.seq_lens.iter().copied().max().unwrap_or(1)
    }
}

/// The config of `kind` benchmarked at width `width` with `layers` Transformer layers in
/// `precision` (see the module docs).
pub fn bench_config(
    kind: ModelKind,
    width: usize,
    layers: usize,
    max_len: usize,
    precision: Precision,
) -> Result<ModelConfig, BenchError> {
    let size = if width >= 256 { "base" } else { "tiny" };
    let preset = ModelConfig::preset(&format!("{}-{size}", kind.name()));
    let mut cfg = preset.unwrap_or_else(|_| ModelConfig::new(kind, width, layers));
    let gau = matches!(kind, ModelKind::FlashQuad | ModelKind::Flash);
    cfg.width = width;
    cfg.expansion = 0;
    cfg.ffn = 0;
    cfg.heads = (width / 64).max(1);
    cfg.layers = if gau { 2 * layers } else { layers };
    cfg.max_len = cfg.max_len.max(max_len);
    cfg.vocab = 256;
    cfg.precision = precision;
    cfg.validate()
        .map_err(|e| option("width", format!("{} at width {width}: {e}", kind.name())))?;
    Ok(cfg)
}
