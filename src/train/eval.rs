//! [`evaluate`]: a checkpoint's loss per token, perplexity and bits per byte on a text file or
//! a prepared dataset's validation split, tokenized with the checkpoint's own tokenizer. Bits
//! per byte divide the total loss (in bits) by the UTF-8 bytes the predicted tokens cover,
//! so models with different tokenizers compare.

use super::checkpoint::Checkpoint;
use super::data::validation_batches;
use super::error::TrainError;
use super::session::{compile_graph, scalar_of, upload_all};
use crate::data::Dataset;
use crate::models::{build_lm, BuildOptions, Mode};
use crate::passes::PipelineOptions;
use crate::runtime::Buffer;
use crate::target::{Target, TargetOf};
use serde::Serialize;
use std::path::PathBuf;

/// What [`evaluate`] measures.
#[derive(Clone, Debug)]
pub struct EvalSpec {
    /// The run folder holding the checkpoint (and its tokenizer).
    pub checkpoint: PathBuf,
    /// A text file (all of it is evaluated) or a prepared folder (its `val.bin`).
    pub data: PathBuf,
    /// Tokens per window [default: the checkpoint's].
    pub seq_len: Option<usize>,
    /// Batches of windows, spread evenly over the data.
    pub batches: usize,
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
    /// Tokens predicted.
    pub tokens: u64,
    /// Bytes those tokens cover.
    pub bytes: u64,
}

/// Evaluates `spec.checkpoint` on `spec.data`.
pub fn evaluate(spec: &EvalSpec) -> Result<EvalReport, TrainError> {
    let ckpt = Checkpoint::load(&spec.checkpoint)?;
    let tk = ckpt.tokenizer(&spec.checkpoint)?;
    let data = if spec.data.is_dir() {
        let d = Dataset::open_prepared(&spec.data, None)?;
        if d.tokenizer.hash() != tk.hash() {
            let msg = format!(
                "was tokenized with {} but the checkpoint's tokenizer is {}; evaluate it on data of its own tokenizer",
                d.tokenizer.name(),
                tk.name()
            );
            return Err(crate::data::DataError::new(&spec.data, msg).into());
        }
        d
    } else {
        Dataset::from_text(std::slice::from_ref(&spec.data), tk, 1.0)?
    };
    let t = &ckpt.settings.train;
    let seq_len = spec.seq_len.unwrap_or(t.seq_len);
    if data.val.len() < seq_len + 2 || spec.batches == 0 {
        let msg = format!(
            "{} tokens to evaluate; --seq-len {seq_len} needs at least {} and --batches at least 1",
            data.val.len(),
            seq_len + 2
        );
        return Err(crate::data::DataError::new(&spec.data, msg).into());
    }
    let val = validation_batches(&data, &data.val, spec.batches, t.batch, seq_len)?;
    let client = crate::runtime::shared_client(spec.plugin.as_deref())?;
    let pipeline = PipelineOptions {
        target: Target::of(&client),
        ..PipelineOptions::default()
    };
    let opts = BuildOptions {
        batch: t.batch,
        seq_len,
        mode: Mode::Lm,
        forward: false,
    };
    let (exe, _) = compile_graph(&client, build_lm(&ckpt.config, &opts)?, &pipeline)?;
    let params = upload_all(&client, ckpt.params()?)?;
    let mut total = 0.0;
    for tokens in &val.batches {
        let uploaded = upload_all(&client, std::slice::from_ref(tokens))?;
        let mut args: Vec<&Buffer> = params.iter().collect();
        args.extend(uploaded.iter());
        let out = exe.execute(&args)?;
        total += f64::from(out.first().map(scalar_of).transpose()?.unwrap_or(f32::NAN));
    }
    let loss = total / val.batches.len().max(1) as f64;
    Ok(EvalReport {
        loss_per_token: loss,
        perplexity: loss.exp(),
        bits_per_byte: val.bits_per_byte(loss),
        tokens: val.tokens,
        bytes: val.bytes,
    })
}
