//! `flash train`: trains a causal LM on a text file or a prepared token dataset, its
//! vocabulary the tokenizer's (see [`crate::train`]), with a
//! progress bar, validation bits per byte, checkpoints, `metrics.jsonl` and `loss.png` in the
//! run folder; `--resume DIR` continues a run with the settings stored in its checkpoint. The
//! first SIGINT/SIGTERM stops the run after its step with a checkpoint (exit 128 + the
//! signal's number, with a line saying how to resume); a second one exits at once.

use super::device_args::{DeviceArgs, MeshArgs};
use super::model_args::{ModelArgs, OptimizerArgs};
use super::output::{note, outln};
use super::progress::PlainProgress;
use crate::chunk_choice::ChunkChoice;
use crate::config::ModelConfig;
use crate::target::{Target, TargetOf};
use crate::train::options::check_kept;
use crate::train::run::{Observer, RunSettings, RunSpec, RunSummary, StepReport};
use crate::train::{run_training, Checkpoint, StopRequest, TrainOverrides};
use anyhow::{bail, Context};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
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
    /// validation), or a folder written by `flash data prepare` (memory-mapped).
    #[arg(long)]
    pub data: PathBuf,
    /// The tokenizer.json for a text file [default: bytes; a prepared folder's own].
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
    #[arg(long, value_name = "MINUTES")]
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
    /// Start afresh even if the run folder already holds a checkpoint (its files are
    /// replaced once the new run's first checkpoint exists).
    #[arg(long, conflicts_with = "resume")]
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
    if a.time_limit.is_some_and(|m| !(m > 0.0 && m.is_finite())) {
        bail!("--time-limit must be a positive number of minutes");
    }
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
    let mut config = match a.chunk {
        Some(choice) => with_chunk(a, choice, &config, &settings, resume.as_ref())?,
        None => config,
    };
    if resume.is_none() {
        config.vocab = crate::data::vocab_of(&a.data, a.tokenizer.as_deref())?;
    }
    let pipeline = crate::passes::PipelineOptions {
        verify_each: cfg!(debug_assertions),
        ..Default::default()
    };
    Ok(RunSpec {
        config,
        model_name,
        settings,
        data: a.data.clone(),
        tokenizer: a.tokenizer.clone(),
        steps: a.steps,
        eval_every: a.eval_every,
        log_every: a.log_every,
        out,
        resume,
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

/// Draws the progress bar (loss, tokens/s, learning rate, last validation, time left),
/// created once the programs are compiled so its clock counts training only.
struct Bar {
    style: ProgressStyle,
    bar: Option<ProgressBar>,
    last: Option<StepReport>,
    val: Option<f64>,
    plain: PlainProgress,
    /// What the chunk size does at this sequence length, said once training starts.
    chunk_note: Option<String>,
}

impl Bar {
    fn refresh(&self) {
        let (Some(bar), Some(r)) = (&self.bar, &self.last) else {
            return;
        };
        let val = self
            .val
            .map(|v| format!(" | val {v:.3} bpb"))
            .unwrap_or_default();
        bar.set_message(format!(
            "loss {:.4} | {:.0} tok/s | lr {:.2e}{val}",
            r.loss, r.tokens_per_s, r.lr
        ));
        bar.set_position(r.step);
    }
}

impl Observer for Bar {
    fn started(&mut self, first: u64, total: u64, compile: Duration) {
        note!(
            "compiled the train and eval programs in {:.1} s",
            compile.as_secs_f64()
        );
        if let Some(n) = self.chunk_note.take() {
            note!("note: {n}");
        }
        let bar = ProgressBar::new(total).with_style(self.style.clone());
        bar.set_position(first);
        bar.reset_eta();
        self.bar = Some(bar);
        self.plain.started(total);
    }

    fn stepped(&mut self, r: &StepReport) {
        self.last = Some(r.clone());
        self.plain.stepped(r);
        self.refresh();
    }

    fn evaluated(&mut self, step: u64, val_bpb: f64) {
        self.val = Some(val_bpb);
        self.plain.evaluated(step, val_bpb);
        if let Some(bar) = &self.bar {
            bar.println(format!(
                "step {step}: validation {val_bpb:.4} bits per byte"
            ));
        }
        self.refresh();
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
fn exit_stopped(args: &TrainArgs, spec: &RunSpec, summary: &RunSummary, signal: i32) -> ! {
    let out = spec.out.display();
    let saved = match summary.checkpoint_step {
        Some(step) => format!("checkpoint (step {step}) and metrics saved in {out}"),
        None => format!("stopped before its first step; nothing new saved in {out}"),
    };
    let tokenizer = args
        .tokenizer
        .as_ref()
        .map(|t| format!(" --tokenizer {}", t.display()))
        .unwrap_or_default();
    let can_resume = summary.checkpoint_step.is_some() || spec.resume.is_some();
    let how = if can_resume {
        format!(
            "; continue with: flash train --resume {out} --data {}{tokenizer} --steps {}",
            spec.data.display(),
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
    let style = ProgressStyle::with_template(
        "{bar:30} {pos}/{len} [{elapsed_precise} < {eta_precise}] {msg}",
    )
    .context("progress bar template")?;
    let mut bar = Bar {
        style,
        bar: None,
        last: None,
        val: None,
        plain: PlainProgress::for_stderr(),
        chunk_note: crate::chunk_choice::chunk_note(&spec.config, spec.settings.train.seq_len),
    };
    let summary = run_training(&spec, &mut bar)?;
    if let Some(b) = &bar.bar {
        b.finish();
    }
    if let (Some(signal), None) = (summary.stopped_by, summary.checkpoint_step) {
        exit_stopped(&args, &spec, &summary, signal);
    }
    let t = &spec.settings.train;
    let ms = summary.step_time.as_secs_f64() * 1e3;
    let tok_s = (t.batch * t.seq_len) as f64 / summary.step_time.as_secs_f64().max(1e-9);
    let val = summary
        .val_bpb
        .map(|v| format!(", validation {v:.4} bits per byte"))
        .unwrap_or_default();
    outln!(
        "step {}: train loss {:.4} (first {:.4}){val}; {ms:.1} ms/step ({tok_s:.0} tokens/s), compile {:.1} s; run folder {}",
        summary.step,
        summary.last_loss,
        summary.first_loss,
        summary.compile_time.as_secs_f64(),
        spec.out.display()
    );
    if let Some(signal) = summary.stopped_by {
        exit_stopped(&args, &spec, &summary, signal);
    }
    Ok(())
}
