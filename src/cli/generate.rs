//! `flash generate`: samples bytes from a trained checkpoint and prints the prompt followed by
//! them (invalid UTF-8 shown lossily).

use crate::passes::PipelineOptions;
use crate::target::{Target, TargetOf};
use crate::train::{Checkpoint, Generator, Sampling};
use anyhow::bail;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `flash generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The run folder holding checkpoint.safetensors.
    #[arg(long, value_name = "DIR")]
    pub checkpoint: PathBuf,
    /// The text to continue (cropped to the model's context window from the end).
    #[arg(long, default_value = "")]
    pub prompt: String,
    /// How many bytes to generate.
    #[arg(long, default_value_t = 200)]
    pub tokens: usize,
    /// Softmax temperature (0: always the most likely byte).
    #[arg(long, default_value_t = 0.8, allow_negative_numbers = true)]
    pub temperature: f64,
    /// Sample among the k most likely bytes only (0: all).
    #[arg(long, default_value_t = 0)]
    pub top_k: usize,
    /// Seed of the draws.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// PJRT plugin: `cpu`, `cuda`, `tpu` or a path (default: FLASH_PJRT_PLUGIN, else cpu).
    #[arg(long)]
    pub plugin: Option<String>,
}

/// Runs `flash generate`.
pub fn run(args: GenerateArgs) -> anyhow::Result<()> {
    if !args.temperature.is_finite() || args.temperature < 0.0 {
        bail!("--temperature {}: must be 0 or more", args.temperature);
    }
    let ckpt = Checkpoint::load(&args.checkpoint)?;
    let tokenizer = ckpt.tokenizer(&args.checkpoint)?;
    if !matches!(tokenizer, crate::data::Tokenizer::Bytes) {
        bail!(
            "{}: this run's model uses a subword tokenizer ({} tokens); `flash generate` samples \
             byte-level models only so far (use `flash eval` to measure it)",
            args.checkpoint.display(),
            tokenizer.vocab_size()
        );
    }
    let client = crate::runtime::shared_client(args.plugin.as_deref())?;
    let target = Target::of(&client);
    let generator = Generator::new(client, &ckpt, &PipelineOptions::for_target(target))?;
    let sampling = Sampling {
        temperature: args.temperature,
        top_k: args.top_k,
        seed: args.seed,
    };
    let bytes = generator.generate(args.prompt.as_bytes(), args.tokens, &sampling)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}{}", args.prompt, String::from_utf8_lossy(&bytes))?;
    Ok(())
}
