//! `flash train`: trains a causal LM on a text file or a prepared token dataset, its
//! vocabulary the tokenizer's (see [`crate::train`]), with a
//! progress bar, validation bits per byte, checkpoints, `metrics.jsonl` and `loss.png` in the
//! run folder; `--resume DIR` continues a run with the settings stored in its checkpoint. The
//! first SIGINT/SIGTERM stops the run after its step with a checkpoint (exit 128 + the
//! signal's number, with a line saying how to resume); a second one exits at once.

use super::device_args::{DeviceArgs, MeshArgs};
use super::model_args::{ModelArgs, OptimizerArgs};
use super::output::{note, outln};
use super::train_bar::TrainBar;
use crate::chunk_choice::ChunkChoice;
use crate::config::ModelConfig;
use crate::target::{Target, TargetOf};
use crate::train::options::check_kept;
use crate::train::run::{RunSettings, RunSpec, RunSummary};
use crate::train::{run_training, Checkpoint, StopRequest, TrainOverrides};
use anyhow::{bail, Context};
use clap::Args;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `flash train`. Training settings left out take their defaults on a new run
/// and the checkpoint's values on `--resume` (giving a different value there is an error).
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The model (optional with --resume, which must then name the checkpoint's model).
    #[command(flatten)]
    pub model: ModelArgs,
    /// The data: a text file (tokenized in memory, the last 10% of its tokens held out for
    /// validation), or a folder written by `flash data prepare` (memory-mapped) [with
    /// --resume: the data the run recorded].
    #[arg(long, required_unless_present = "resume")]
    pub data: Option<PathBuf>,
    /// The tokenizer.json for a text file [default: bytes; a prepared folder's own; with
    /// --resume, the run's own].
    #[arg(long)]
    pub tokenizer: Option<PathBuf>,
    /// Tokens (bytes) per sequence T [default: 256].
    #[arg(long)]
    pub seq_len: Option<usize>,
    /// FLASH chunk size: a number, or `auto` to choose it for the sequence length and the
    /// plugin's machine [default: the model config's].
    #[arg(long, value_name = "auto|C")]
    pub chunk: Option<ChunkChoice>,
    /// Sequences per step B [default: 16].
    #[arg(long)]
    pub batch: Option<usize>,
    /// Train until this many steps have been taken in total.
    #[arg(long)]
    pub steps: u64,
    /// The optimizer and schedule.
    #[command(flatten)]
    pub optimizer: OptimizerArgs,
    /// Stop after this many minutes of training (evaluating and checkpointing first); the
    /// learning-rate schedule still spans --steps.
    #[arg(long, value_name = "MINUTES", value_parser = minutes_flag)]
    pub time_limit: Option<f64>,
    /// Seed of the initial parameters and of every step's batch [default: 0].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Validation batches measured at each evaluation [default: 4].
    #[arg(long)]
    pub eval_batches: Option<usize>,
    /// Evaluate and checkpoint every K steps (and at the end).
    #[arg(long, value_name = "K", default_value_t = 100)]
    pub eval_every: u64,
    /// Log a metrics record every K steps.
    #[arg(long, value_name = "K", default_value_t = 10)]
    pub log_every: u64,
    /// The run folder [default: the --resume folder, else runs/<model>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Continue the run saved in this folder.
    #[arg(long, value_name = "DIR")]
    pub resume: Option<PathBuf>,
    /// Replace the checkpoint the run folder already holds (its files are replaced once the
    /// new run's first checkpoint exists): start afresh, or with --resume continue that run
    /// into this --out.
    #[arg(long)]
    pub overwrite: bool,
    /// With --resume: continue on a --data other than the one the checkpoint was trained on
    /// (refused without this flag).
    #[arg(long, requires = "resume")]
    pub new_data: bool,
    /// The plugin and its devices.
    #[command(flatten)]
    pub devices: DeviceArgs,
    /// The device mesh (a checkpoint does not depend on it: resume on any mesh).
    #[command(flatten)]
    pub mesh: MeshArgs,
}

/// The longest `--time-limit`, in minutes: ten years (a deadline this far off is still a
/// point in time the clock can hold).
pub const MAX_TIME_LIMIT_MINUTES: f64 = 10.0 * 366.0 * 24.0 * 60.0;

/// Parses `--time-limit`: a number of minutes above 0 and at most
/// [`MAX_TIME_LIMIT_MINUTES`].
fn minutes_flag(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(m) if m > 0.0 && m <= MAX_TIME_LIMIT_MINUTES => Ok(m),
        _ => Err(format!(
            "give a number of minutes above 0 and at most {MAX_TIME_LIMIT_MINUTES} (ten years)"
        )),
    }
}

/// The model named on the command line: `(config, name)`, if any.
fn model_from_flags(m: &ModelArgs) -> anyhow::Result<Option<(ModelConfig, String)>> {
    if !m.given() {
        return Ok(None);
    }
    let name = match (&m.preset, &m.config) {
        (Some(p), _) => p.clone(),
        (None, Some(path)) => path.display().to_string(),
        (None, None) => String::new(),
    };
    Ok(Some((m.load()?, name)))
}

impl TrainArgs {
    /// The training settings given on the command line.
    pub fn overrides(&self) -> TrainOverrides {
        self.optimizer.overrides(self.batch, self.seq_len)
    }

    /// The settings of a new run of `config`'s model: the flags, and defaults for the rest.
    pub fn new_settings(&self, config: &ModelConfig) -> RunSettings {
        RunSettings {
            train: self.overrides().options(config, self.steps),
            seed: self.seed.unwrap_or(0),
            eval_batches: self.eval_batches.unwrap_or(4),
        }
    }

    /// Checks every training flag given on `--resume` against the checkpoint's settings.
    fn check_resumed(&self, s: &RunSettings) -> anyhow::Result<()> {
        self.overrides().check_kept(&s.train)?;
        check_kept("seed", self.seed, s.seed)?;
        check_kept("eval-batches", self.eval_batches, s.eval_batches)?;
        Ok(())
    }
}

/// The run the flags describe (loading and checking the checkpoint on `--resume`).
fn run_spec(a: &TrainArgs) -> anyhow::Result<RunSpec> {
    let model = model_from_flags(&a.model)?;
    let (config, model_name, settings, resume, out) = match &a.resume {
        Some(dir) => {
            let ckpt = Checkpoint::load(dir)?;
            a.check_resumed(&ckpt.settings)?;
            let (config, name) =
                model.unwrap_or_else(|| (ckpt.config.clone(), ckpt.model_name.clone()));
            let out = a.out.clone().unwrap_or_else(|| dir.clone());
            (config, name, ckpt.settings.clone(), Some(ckpt), out)
        }
        None => {
            let Some((config, name)) = model else {
                bail!(
                    "name a model with --preset or --config (or continue a run with --resume DIR)"
                );
            };
            let stem = std::path::Path::new(&name)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let out = a
                .out
                .clone()
                .unwrap_or_else(|| PathBuf::from("runs").join(stem));
            let settings = a.new_settings(&config);
            (config, name, settings, None, out)
        }
    };
    let (data, tokenizer) = data_of(a, resume.as_ref())?;
    let mut config = match a.chunk {
        Some(choice) => with_chunk(a, choice, &config, &settings, resume.as_ref())?,
        None => config,
    };
    if resume.is_none() {
        config.vocab = crate::data::vocab_of(&data, tokenizer.as_deref())?;
    }
    let pipeline = crate::passes::PipelineOptions {
        verify_each: cfg!(debug_assertions),
        ..Default::default()
    };
    Ok(RunSpec {
        config,
        model_name,
        settings,
        data,
        tokenizer,
        steps: a.steps,
        eval_every: a.eval_every,
        log_every: a.log_every,
        out,
        resume,
        resumed_from: a.resume.clone(),
        overwrite: a.overwrite,
        plugin: a.devices.plugin.clone(),
        client_options: a.devices.client_options()?,
        pipeline,
        time_limit: a.time_limit.map(|m| Duration::from_secs_f64(m * 60.0)),
        stop: StopRequest::new(),
        new_data: a.new_data,
        parallel: a.mesh.parallelism(),
    })
}

/// The data and tokenizer of the run: the flags, else (on `--resume`) the data the checkpoint
/// recorded and the run folder's own tokenizer for a text file.
fn data_of(
    a: &TrainArgs,
    resume: Option<&Checkpoint>,
) -> anyhow::Result<(PathBuf, Option<PathBuf>)> {
    let (Some(ckpt), Some(dir)) = (resume, &a.resume) else {
        let data = a.data.clone().context("--data is required for a new run")?;
        return Ok((data, a.tokenizer.clone()));
    };
    let data = match (&a.data, &ckpt.data) {
        (Some(data), _) => data.clone(),
        (None, Some(recorded)) => {
            let path = PathBuf::from(&recorded.path);
            if !path.exists() {
                bail!(
                    "{}: the run trained on {}, which no longer exists; give its new place with                      --data (or other data with --data PATH --new-data)",
                    dir.display(),
                    path.display()
                );
            }
            path
        }
        (None, None) => bail!(
            "{}: the checkpoint does not record its data (written by an older flash); give it              with --data",
            dir.display()
        ),
    };
    let tokenizer = match &a.tokenizer {
        Some(t) => Some(t.clone()),
        None if data.is_dir() => None,
        None => ckpt.tokenizer_file(dir),
    };
    Ok((data, tokenizer))
}

/// `config` with the chunk size `--chunk` asks for (`auto` loads the plugin to learn the
/// machine); a resumed run must keep its checkpoint's chunk size.
fn with_chunk(
    a: &TrainArgs,
    choice: ChunkChoice,
    config: &ModelConfig,
    settings: &RunSettings,
    resume: Option<&Checkpoint>,
) -> anyhow::Result<ModelConfig> {
    let target = match choice {
        ChunkChoice::Auto => {
            let client = a.devices.client()?;
            Target::of(&client)
        }
        ChunkChoice::Fixed(_) => Target::Cpu,
    };
    let chosen = choice
        .apply(config, settings.train.seq_len, target)
        .map_err(anyhow::Error::msg)?;
    match resume {
        Some(ckpt) if chosen.chunk != ckpt.config.chunk => bail!(
            "--chunk {choice} (C = {}) differs from the checkpoint's {}; a resumed run keeps its settings",
            chosen.chunk,
            ckpt.config.chunk
        ),
        _ => Ok(chosen),
    }
}

/// Makes the first SIGINT or SIGTERM ask `stop` to end the run cleanly, and a second one exit
/// at once with status 128 + its number; a file-size limit becomes an error.
fn stop_on_signals(stop: &StopRequest) -> anyhow::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let armed = Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM] {
        // In this order: the shutdown checks the flag the first signal then sets.
        signal_hook::flag::register_conditional_shutdown(signal, 128 + signal, Arc::clone(&armed))
            .and_then(|_| signal_hook::flag::register_usize(signal, stop.cell(), signal as usize))
            .and_then(|_| signal_hook::flag::register(signal, Arc::clone(&armed)))
            .context("installing the SIGINT/SIGTERM handlers")?;
    }
    // Caught, SIGXFSZ (a file-size limit, `ulimit -f`) no longer kills the process: the write
    // fails with EFBIG and is reported, naming the file, like a full disk.
    #[cfg(unix)]
    signal_hook::flag::register(
        signal_hook::consts::SIGXFSZ,
        Arc::new(AtomicBool::new(false)),
    )
    .context("installing the SIGXFSZ handler")?;
    Ok(())
}

/// The name of signal `n`.
fn signal_name(n: i32) -> String {
    match n {
        signal_hook::consts::SIGINT => "SIGINT".into(),
        signal_hook::consts::SIGTERM => "SIGTERM".into(),
        _ => format!("signal {n}"),
    }
}

/// Says what a run stopped by `signal` saved and how to continue it; exits 128 + `signal`.
fn exit_stopped(spec: &RunSpec, summary: &RunSummary, signal: i32) -> ! {
    let out = spec.out.display();
    let saved = match summary.checkpoint_step {
        Some(step) => format!("checkpoint (step {step}) and metrics saved in {out}"),
        None => format!("stopped before its first step; nothing new saved in {out}"),
    };
    let can_resume = summary.checkpoint_step.is_some() || spec.resume.is_some();
    let how = if can_resume {
        format!(
            "; continue with: flash train --resume {out} --steps {}",
            spec.steps
        )
    } else {
        String::new()
    };
    note!(
        "stopped by {} after step {} of {}: {saved}{how}",
        signal_name(signal),
        summary.step,
        spec.steps
    );
    let _ = std::io::Write::flush(&mut std::io::stdout());
    std::process::exit(128 + signal)
}

/// Runs `flash train`.
pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    let spec = run_spec(&args)?;
    super::paths::check_output_dir("--out", &spec.out)?;
    stop_on_signals(&spec.stop)?;
    let chunk_note = crate::chunk_choice::chunk_note(&spec.config, spec.settings.train.seq_len);
    let mut bar = TrainBar::new(spec.time_limit, chunk_note)?;
    let summary = run_training(&spec, &mut bar)?;
    bar.finish(summary.step);
    if let (Some(signal), None) = (summary.stopped_by, summary.checkpoint_step) {
        exit_stopped(&spec, &summary, signal);
    }
    outln!("{}", summary_line(&spec, args.time_limit, &summary));
    if let Some(signal) = summary.stopped_by {
        exit_stopped(&spec, &summary, signal);
    }
    Ok(())
}

/// The line that ends a run: where it stopped and why (`time_limit`: `--time-limit` in
/// minutes), its losses in bits per byte (the raw loss too), its speed, and the run folder.
fn summary_line(spec: &RunSpec, time_limit: Option<f64>, summary: &RunSummary) -> String {
    let ms = summary.step_time.as_secs_f64() * 1e3;
    let val = summary
        .val_bpb
        .map(|v| format!(", validation {v:.4}"))
        .unwrap_or_default();
    let stopped_early = summary.step < spec.steps && summary.stopped_by.is_none();
    let why = match time_limit {
        Some(minutes) if stopped_early => {
            format!(" of {} (the {minutes} min time limit)", spec.steps)
        }
        _ => String::new(),
    };
    format!(
        "step {}{why}: bits per byte: train {:.4} (first {:.4}){val}; train loss {:.4} nats/token; \
         {ms:.1} ms/step ({:.0} tokens/s), compile {:.1} s; run folder {}",
        summary.step,
        summary.last_bpb,
        summary.first_bpb,
        summary.last_loss,
        summary.tokens_per_s,
        summary.compile_time.as_secs_f64(),
        spec.out.display()
    )
}
