//! `flash tokenizer train` (a byte-level BPE from text files) and `flash data prepare` (text
//! files to a memory-mappable token dataset folder, with a progress bar).

use super::output::outln;
use super::paths::{check_not_an_input, check_output_dir, check_output_file};
use crate::data::{prepare, PrepareOptions, Tokenizer};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;

/// `flash tokenizer ...`.
#[derive(Debug, Subcommand)]
pub enum TokenizerCommand {
    /// Train a byte-level BPE tokenizer on text files and write its tokenizer.json.
    Train(TrainTokenizerArgs),
}

/// Arguments of `flash tokenizer train`.
#[derive(Debug, Args)]
pub struct TrainTokenizerArgs {
    /// The text files to learn merges from.
    #[arg(long, num_args = 1.., required = true)]
    pub data: Vec<PathBuf>,
    /// The vocabulary size (at least 256: one token per byte, then merges).
    #[arg(long)]
    pub vocab: usize,
    /// Where to write the tokenizer.json.
    #[arg(short, long)]
    pub out: PathBuf,
}

/// `flash data ...`.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Tokenize text files into DIR/train.bin, DIR/val.bin and DIR/meta.json.
    Prepare(PrepareArgs),
}

/// Arguments of `flash data prepare`.
#[derive(Debug, Args)]
pub struct PrepareArgs {
    /// The text files, concatenated in order.
    #[arg(long, num_args = 1.., required = true)]
    pub data: Vec<PathBuf>,
    /// A tokenizer.json [default: bytes].
    #[arg(long)]
    pub tokenizer: Option<PathBuf>,
    /// The fraction of the tokens (at the end) held out for validation.
    #[arg(long, default_value_t = 0.1)]
    pub val_fraction: f64,
    /// The dataset folder to write.
    #[arg(short, long)]
    pub out: PathBuf,
}

/// Runs `flash tokenizer ...`.
pub fn run_tokenizer(cmd: TokenizerCommand) -> anyhow::Result<()> {
    let TokenizerCommand::Train(a) = cmd;
    check_output_file("--out", &a.out)?;
    check_not_an_input("--out", &a.out, &data_inputs(&a.data))?;
    let tk = Tokenizer::train_bpe(&a.data, a.vocab, &a.out)?;
    tk.save(&a.out)?;
    outln!(
        "wrote {} (byte-level BPE, {} tokens)",
        a.out.display(),
        tk.vocab_size()
    );
    Ok(())
}

/// The `--data` files as inputs of [`check_not_an_input`].
fn data_inputs(files: &[PathBuf]) -> Vec<(&'static str, &std::path::Path)> {
    files.iter().map(|f| ("--data", f.as_path())).collect()
}

/// Runs `flash data ...`.
pub fn run_data(cmd: DataCommand) -> anyhow::Result<()> {
    let DataCommand::Prepare(a) = cmd;
    check_output_dir("--out", &a.out)?;
    check_not_an_input("--out", &a.out, &data_inputs(&a.data))?;
    let opts = PrepareOptions {
        files: a.data,
        tokenizer: Tokenizer::from_option(a.tokenizer.as_deref())?,
        val_fraction: a.val_fraction,
        out: a.out,
    };
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let meta = prepare(&opts, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    outln!(
        "wrote {}: {} training and {} validation tokens ({}, vocabulary {}, {} bytes of text)",
        opts.out.display(),
        meta.train_tokens,
        meta.val_tokens,
        meta.dtype,
        meta.vocab_size,
        meta.train_bytes + meta.val_bytes
    );
    Ok(())
}
