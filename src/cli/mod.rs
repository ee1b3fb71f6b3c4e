//! The `flash` command line: argument definitions (clap) and dispatch to one module per
//! subcommand. Each subcommand returns `anyhow::Result`; [`main`] prints one message (see
//! `message::render`) and exits non-zero on error, or quietly with 0 when standard output
//! was closed by its reader ([`output`]).

mod bench;
mod bench_decode;
mod compile;
mod data;
mod device_args;
mod eval;
mod generate;
mod info;
mod message;
mod model_args;
pub mod output;
mod params;
mod paths;
mod progress;
mod run;
mod sample_files;
mod setup;
mod train;
mod train_bar;
mod xla_flags;

use clap::{Parser, Subcommand};
use output::note;
use std::process::ExitCode;

/// A compiler for linear-time transformers: builds FLASH models, lowers them to StableHLO and
/// runs them on XLA through a PJRT plugin.
#[derive(Debug, Parser)]
#[command(name = "flash", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compile a graph (IR text) or a model (--preset/--config) to StableHLO.
    Compile(compile::CompileArgs),
    /// List a model's parameters: name, shape, dtype, and the total count.
    Params(params::ParamsArgs),
    /// Write a model's initial parameters as safetensors (keys = parameter names).
    Init(params::InitArgs),
    /// Run a StableHLO program on a PJRT plugin.
    Run(run::RunArgs),
    /// Time models across context lengths at constant tokens per batch (table, JSON, PNG).
    Bench(bench::BenchArgs),
    /// Show the PJRT plugin: path, platform, API version, attributes, devices.
    Info(info::InfoArgs),
    /// Install a PJRT plugin into the per-user cache (`cpu` or `cuda`).
    Setup(setup::SetupArgs),
    /// Train a language model on a text file or a prepared token dataset.
    Train(train::TrainArgs),
    /// Evaluate a checkpoint: loss per token, perplexity, bits per byte.
    Eval(eval::EvalArgs),
    /// Tokenizers: `flash tokenizer train` (byte-level BPE).
    #[command(subcommand)]
    Tokenizer(data::TokenizerCommand),
    /// Token datasets: `flash data prepare`.
    #[command(subcommand)]
    Data(data::DataCommand),
    /// Continue a prompt with a trained checkpoint (raw bytes to a pipe or file).
    Generate(generate::GenerateArgs),
    /// (Internal) create a client, which makes XLA read `XLA_FLAGS`; see `xla_flags`.
    #[command(name = xla_flags::CHECK_SUBCOMMAND, hide = true)]
    CheckXlaFlags,
}

impl Command {
    /// The `--no-cache` flag of a command that compiles programs on a plugin (`None` for the
    /// others, which do not offer it).
    fn cache_args(&self) -> Option<&device_args::CacheArgs> {
        match self {
            Command::Run(a) => Some(&a.cache),
            Command::Bench(a) => Some(&a.devices.cache),
            Command::Info(a) => Some(&a.devices.cache),
            Command::Train(a) => Some(&a.devices.cache),
            Command::Eval(a) => Some(&a.cache),
            Command::Generate(a) => Some(&a.cache),
            Command::Compile(_)
            | Command::Params(_)
            | Command::Init(_)
            | Command::Setup(_)
            | Command::Tokenizer(_)
            | Command::Data(_)
            | Command::CheckXlaFlags => None,
        }
    }
}

/// Parses the process's arguments, runs the command and gives the exit status.
pub fn main() -> ExitCode {
    // Every variable flash takes, read once up front: a value one does not take is one
    // error line before any work (the same readers serve the library's later reads).
    if let Err(e) = crate::runtime::check_environment() {
        note!("error: {e}");
        return ExitCode::FAILURE;
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_exit(&e),
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if output::is_closed_output(&e) => ExitCode::SUCCESS,
        Err(e) => {
            note!("error: {}", message::render(&e));
            ExitCode::FAILURE
        }
    }
}

/// Prints clap's help, version or usage error (help and version through [`output`], so a
/// full standard output is reported) and gives clap's exit status.
fn clap_exit(e: &clap::Error) -> ExitCode {
    let code = ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
    if e.use_stderr() {
        note!("{}", e.to_string().trim_end());
        return code;
    }
    match output::text(&e.to_string()) {
        Ok(()) | Err(output::OutputError::Closed) => code,
        Err(write) => {
            note!("error: {write}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    // XLA's own log lines stay off stderr unless FLASH_XLA_LOG asks (set before any thread
    // or plugin; an unknown value is refused here, before the work starts).
    crate::runtime::apply_xla_log_setting()?;
    if let Some(cache) = cli.command.cache_args() {
        // The commands that load the plugin: XLA_FLAGS first, in a child process.
        cache.apply();
        xla_flags::check()?;
    }
    match cli.command {
        Command::Compile(a) => compile::run(a),
        Command::Params(a) => params::run_params(a),
        Command::Init(a) => params::run_init(a),
        Command::Run(a) => run::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Info(a) => info::run(a),
        Command::Setup(a) => setup::run(a),
        Command::Train(a) => train::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Tokenizer(c) => data::run_tokenizer(c),
        Command::Data(c) => data::run_data(c),
        Command::Generate(a) => generate::run(a),
        Command::CheckXlaFlags => xla_flags::run_check(),
    }
}
