//! `flash eval`: a checkpoint's loss per token, perplexity and bits per byte on a text file or
//! a prepared dataset (see [`crate::train::eval`]); `--json` prints the report as JSON.

use super::output::outln;
use crate::train::eval::{evaluate, EvalSpec};
use clap::Args;
use std::path::PathBuf;

/// Arguments of `flash eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The run folder holding checkpoint.safetensors (and tokenizer.json).
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// A text file (evaluated whole) or a prepared folder (its val.bin).
    #[arg(long)]
    pub data: PathBuf,
    /// Tokens per window [default: the checkpoint's].
    #[arg(long)]
    pub seq_len: Option<usize>,
    /// Batches of windows, spread evenly over the data.
    #[arg(long, default_value_t = 8)]
    pub batches: usize,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// PJRT plugin: cpu, cuda, tpu or a path.
    #[arg(long)]
    pub plugin: Option<String>,
}

/// Runs `flash eval`.
pub fn run(a: EvalArgs) -> anyhow::Result<()> {
    let report = evaluate(&EvalSpec {
        checkpoint: a.checkpoint,
        data: a.data,
        seq_len: a.seq_len,
        batches: a.batches,
        plugin: a.plugin,
    })?;
    if a.json {
        outln!("{}", serde_json::to_string(&report)?);
    } else {
        outln!(
            "loss {:.4} nats/token | perplexity {:.3} | {:.4} bits per byte ({} tokens, {} bytes)",
            report.loss_per_token,
            report.perplexity,
            report.bits_per_byte,
            report.tokens,
            report.bytes
        );
    }
    Ok(())
}
