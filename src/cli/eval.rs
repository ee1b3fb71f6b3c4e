//! `flash eval`: a checkpoint's loss per token, perplexity and bits per byte on a text file or
//! a prepared dataset (see [`crate::train::eval`]): every token of the text is scored once
//! unless `--batches` caps it, and the report says which part was scored; `--json` prints
//! the report as JSON. Text the run trained on is scored with a warning on stderr.

use super::device_args::CacheArgs;
use super::output::{note, outln};
use crate::train::eval::{evaluate, EvalSpec};
use clap::Args;
use std::path::PathBuf;

/// Arguments of `flash eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The run folder holding checkpoint.safetensors (and tokenizer.json).
    #[arg(long, value_name = "DIR")]
    pub checkpoint: PathBuf,
    /// A text file (all of it is scored) or a prepared folder (its val.bin, all of it).
    #[arg(long, value_name = "FILE|DIR")]
    pub data: PathBuf,
    /// Tokens predicted per window [default: the checkpoint's sequence length].
    #[arg(long)]
    pub seq_len: Option<usize>,
    /// Score only the first N batches of consecutive windows (the checkpoint's batch size
    /// each) [default: all of the data].
    #[arg(long, value_name = "N")]
    pub batches: Option<usize>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// PJRT plugin: cpu, cuda, tpu or a path.
    #[arg(long)]
    pub plugin: Option<String>,
    /// The executable cache.
    #[command(flatten)]
    pub cache: CacheArgs,
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
    if let Some(warning) = &report.warning {
        note!("warning: {warning}");
    }
    if a.json {
        outln!("{}", serde_json::to_string(&report)?);
    } else {
        outln!(
            "loss {:.4} nats/token | perplexity {:.3} | {:.4} bits per byte ({} tokens, {} bytes: {})",
            report.loss_per_token,
            report.perplexity,
            report.bits_per_byte,
            report.tokens,
            report.bytes,
            report.scored_part()
        );
    }
    Ok(())
}
