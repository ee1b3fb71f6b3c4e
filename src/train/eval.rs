//! [`evaluate`]: a checkpoint's loss per token, perplexity and bits per byte on a text file or
//! a prepared dataset's validation split, tokenized with the checkpoint's own tokenizer. Bits
//! per byte divide the total loss (in bits) by the UTF-8 bytes the predicted tokens cover,
//! so models with different tokenizers compare.
//!
//! All of the text is scored: every token but the first is predicted exactly once, in
//! consecutive windows of `seq_len` targets ([`super::scoring`]) batched by the checkpoint's
//! batch size; `batches` caps the count to the first batches, and the report says which
//! part was scored. When the text is the run's own training data (the identity the
//! checkpoint records, [`super::data_id`]), the report carries a warning.

use super::checkpoint::Checkpoint;
use super::data_id::DataIdentity;
use super::error::TrainError;
use super::scoring::{scored_batch, scored_bytes, scoring_windows, ScoredWindow};
use super::session::{compile_graph, scalar_of, upload_all};
use crate::data::dataset::DEFAULT_VAL_FRACTION;
use crate::data::meta::VAL_FILE;
use crate::data::{Dataset, Meta, Tokenizer};
use crate::models::build_lm_scored;
use crate::passes::PipelineOptions;
use crate::runtime::Buffer;
use crate::target::{Target, TargetOf};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What [`evaluate`] measures.
#[derive(Clone, Debug)]
pub struct EvalSpec {
    /// The run folder holding the checkpoint (and its tokenizer).
    pub checkpoint: PathBuf,
    /// A text file (all of it is evaluated) or a prepared folder (its `val.bin`).
    pub data: PathBuf,
    /// Targets per window [default: the checkpoint's sequence length].
    pub seq_len: Option<usize>,
    /// Score only the first this many batches of windows (`None`: all of the data).
    pub batches: Option<usize>,
    /// The PJRT plugin.
    pub plugin: Option<String>,
}

/// What [`evaluate`] reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EvalReport {
    /// Mean loss per predicted token (nats).
    pub loss_per_token: f64,
    /// `exp(loss_per_token)`.
    pub perplexity: f64,
    /// Total loss in bits over the UTF-8 bytes the predicted tokens cover.
    pub bits_per_byte: f64,
    /// Tokens predicted (scored), each once.
    pub tokens: u64,
    /// Bytes those tokens cover.
    pub bytes: u64,
    /// The tokens the evaluated text holds to predict: all but its first. `tokens` equals it
    /// unless `batches` capped the evaluation.
    pub of_tokens: u64,
    /// Windows scored.
    pub windows: u64,
    /// Targets per window.
    pub seq_len: usize,
    /// The text evaluated: the text file, or the prepared folder's `val.bin`.
    pub source: PathBuf,
    /// Set when the text includes text the run trained on: why.
    pub warning: Option<String>,
}

impl EvalReport {
    /// Which part of the data was scored, e.g. `all 99 predicted tokens of data.txt in 4
    /// windows of 32`.
    pub fn scored_part(&self) -> String {
        let part = if self.tokens == self.of_tokens {
            format!("all {} predicted tokens", self.of_tokens)
        } else {
            format!(
                "the first {} of {} predicted tokens",
                self.tokens, self.of_tokens
            )
        };
        let s = if self.windows == 1 { "" } else { "s" };
        format!(
            "{part} of {} in {} window{s} of {}",
            self.source.display(),
            self.windows,
            self.seq_len
        )
    }
}

/// Evaluates `spec.checkpoint` on `spec.data`.
pub fn evaluate(spec: &EvalSpec) -> Result<EvalReport, TrainError> {
    let ckpt = Checkpoint::load(&spec.checkpoint)?;
    let tk = ckpt.tokenizer(&spec.checkpoint)?;
    let (data, source) = open_data(&spec.data, tk)?;
    let t = &ckpt.settings.train;
    let seq_len = spec.seq_len.unwrap_or(t.seq_len);
    if seq_len == 0 {
        return Err(option_error(
            "seq-len",
            "0: give at least 1 token per window",
        ));
    }
    let all = scoring_windows(data.val.len(), seq_len);
    if all.is_empty() {
        let msg = format!(
            "holds {} token(s); evaluating needs at least 2 (a token and the next to predict)",
            data.val.len()
        );
        return Err(crate::data::DataError::new(&source, msg).into());
    }
    let windows = match spec.batches {
        Some(0) => return Err(option_error("batches", "0: score at least 1 batch")),
        Some(n) => &all[..all.len().min(n.saturating_mul(t.batch))],
        None => &all[..],
    };
    let warning = training_overlap(&ckpt, &spec.checkpoint, &spec.data, &data)?;
    let total = score(spec, &ckpt, &data, windows, seq_len)?;
    let tokens: u64 = windows.iter().map(|w| w.count as u64).sum();
    let bytes = scored_bytes(&data, &data.val, windows);
    let loss = total / tokens as f64;
    Ok(EvalReport {
        loss_per_token: loss,
        perplexity: loss.exp(),
        bits_per_byte: super::data::bits_per_byte(loss, tokens, bytes),
        tokens,
        bytes,
        of_tokens: data.val.len() as u64 - 1,
        windows: windows.len() as u64,
        seq_len,
        source,
        warning,
    })
}

/// A [`TrainError::Option`] of `flash eval`.
fn option_error(option: &'static str, message: &str) -> TrainError {
    TrainError::Option {
        option,
        message: message.into(),
    }
}

/// The data to evaluate (all of a text file, or a prepared folder's validation split, of
/// the checkpoint's tokenizer `tk`) and the file those tokens are from.
fn open_data(path: &Path, tk: Tokenizer) -> Result<(Dataset, PathBuf), TrainError> {
    if !path.is_dir() {
        let data = Dataset::from_text(&[path.to_path_buf()], tk, 1.0)?;
        return Ok((data, path.to_path_buf()));
    }
    let d = Dataset::open_prepared(path, None)?;
    if d.tokenizer.hash() != tk.hash() {
        let msg = format!(
            "was tokenized with {} but the checkpoint's tokenizer is {}; evaluate it on data of its own tokenizer",
            d.tokenizer.name(),
            tk.name()
        );
        return Err(crate::data::DataError::new(path, msg).into());
    }
    Ok((d, path.join(VAL_FILE)))
}

/// The summed loss (nats) of the scored targets of `windows` of `data`'s evaluated split.
fn score(
    spec: &EvalSpec,
    ckpt: &Checkpoint,
    data: &Dataset,
    windows: &[ScoredWindow],
    seq_len: usize,
) -> Result<f64, TrainError> {
    let batch = ckpt.settings.train.batch;
    let client = crate::runtime::shared_client(spec.plugin.as_deref())?;
    let pipeline = PipelineOptions {
        target: Target::of(&client),
        ..PipelineOptions::default()
    };
    let graph = build_lm_scored(&ckpt.config, batch, seq_len)?;
    let (exe, _) = compile_graph(&client, graph, &pipeline)?;
    let params = upload_all(&client, ckpt.params()?)?;
    let mut total = 0.0;
    for chunk in windows.chunks(batch) {
        let inputs = scored_batch(&data.val, chunk, batch, seq_len, data.vocab_size())?;
        let uploaded = upload_all(&client, &inputs)?;
        let mut args: Vec<&Buffer> = params.iter().collect();
        args.extend(uploaded.iter());
        let out = exe.execute(&args)?;
        total += f64::from(out.first().map(scalar_of).transpose()?.unwrap_or(f32::NAN));
    }
    Ok(total)
}

/// Why the text at `data` (read as `read`) includes text the run in `run` trained on, if it
/// does: the same text file (of which the run held out only the end), or a source file of
/// the prepared folder whose `train.bin` it trained on. A prepared folder is scored on its `val.bin`,
/// which its own runs hold out.
fn training_overlap(
    ckpt: &Checkpoint,
    run: &Path,
    data: &Path,
    read: &Dataset,
) -> Result<Option<String>, TrainError> {
    let Some(trained) = ckpt.data.as_ref() else {
        return Ok(None);
    };
    if data.is_dir() {
        return Ok(None);
    }
    let includes = "so the score includes text the model was trained on; evaluate held-out text \
         (e.g. the val.bin of a folder from `flash data prepare`) for a fair score";
    if DataIdentity::of_dataset(data, read)?.same_data(trained) {
        return Ok(Some(format!(
            "{} is the text the run in {} trained on (all but its last {}%), {includes}",
            data.display(),
            run.display(),
            DEFAULT_VAL_FRACTION * 100.0
        )));
    }
    Ok(source_of_trained_folder(trained, data).map(|dir| {
        format!(
            "{} is a source of {}, whose train.bin the run in {} trained on, {includes}",
            data.display(),
            dir.display(),
            run.display()
        )
    }))
}

/// The prepared folder the run trained on (`trained`, still as it was) when the text file
/// `file` is one of its sources.
fn source_of_trained_folder(trained: &DataIdentity, file: &Path) -> Option<PathBuf> {
    let dir = Path::new(&trained.path);
    if !dir.is_dir() || !DataIdentity::of(dir).ok()?.same_data(trained) {
        return None;
    }
    let meta = Meta::load(dir).ok()?;
    let file = file.canonicalize().ok()?;
    let size = std::fs::metadata(&file).ok()?.len();
    meta.sources
        .iter()
        .any(|s| s.bytes == size && s.path.canonicalize().ok().as_ref() == Some(&file))
        .then(|| dir.to_path_buf())
}
