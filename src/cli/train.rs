//! `flash train`: trains a byte-level causal LM on a text file (see [`crate::train`]), with a
//! progress bar, validation bits per byte, checkpoints, `metrics.jsonl` and `loss.png` in the
//! run folder; `--resume DIR` continues a run with the settings stored in its checkpoint.

use super::model_args::ModelArgs;
use crate::chunk_choice::ChunkChoice;
use crate::config::{ModelConfig, ModelKind};
use crate::target::{Target, TargetOf};
use crate::train::options::ScheduleKind;
use crate::train::run::{Observer, RunSettings, RunSpec, StepReport};
use crate::train::{run_training, Checkpoint, TrainOptions};
use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::time::Duration;

/// The learning-rate schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScheduleFlag {
    /// Linear warm-up, cosine decay to --min-lr.
    Cosine,
    /// Linear warm-up, then lr * sqrt(warmup / step).
    InverseSqrt,
    /// Linear warm-up, then constant.
    Constant,
}

impl ScheduleFlag {
    fn kind(self) -> ScheduleKind {
        match self {
            ScheduleFlag::Cosine => ScheduleKind::Cosine,
            ScheduleFlag::InverseSqrt => ScheduleKind::InverseSqrt,
            ScheduleFlag::Constant => ScheduleKind::Constant,
        }
    }
}

/// Arguments of `flash train`. Training settings left out take their defaults on a new run
/// and the checkpoint's values on `--resume` (giving a different value there is an error).
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The model (optional with --resume, which must then name the checkpoint's model).
    #[command(flatten)]
    pub model: ModelArgs,
    /// The text file to train on (bytes; the last 10% is held out for validation).
    #[arg(long)]
    pub data: PathBuf,
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
    /// Peak learning rate [default: 1e-2 for flash and flash-quad, 3e-3 for the Transformers].
    #[arg(long, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// Learning-rate floor of the cosine schedule [default: lr / 10].
    #[arg(long, allow_negative_numbers = true)]
    pub min_lr: Option<f64>,
    /// Linear warm-up steps [default: steps / 10, at most 100].
    #[arg(long)]
    pub warmup: Option<u64>,
    /// Learning-rate schedule [default: cosine].
    #[arg(long, value_enum)]
    pub schedule: Option<ScheduleFlag>,
    /// Steps over which the cosine decays [default: --steps].
    #[arg(long)]
    pub schedule_steps: Option<u64>,
    /// AdamW decoupled weight decay (matrices only) [default: 0.1].
    #[arg(long, allow_negative_numbers = true)]
    pub weight_decay: Option<f64>,
    /// Clip the gradients' global norm to this (0: off) [default: 1.0].
    #[arg(long, allow_negative_numbers = true)]
    pub clip: Option<f64>,
    /// Stop after this many minutes of training (evaluating and checkpointing first); the
    /// learning-rate schedule still spans --steps.
    #[arg(long, value_name = "MINUTES")]
    pub time_limit: Option<f64>,
    /// AdamW's epsilon, added to sqrt(v_hat) [default: 1e-12].
    #[arg(long, allow_negative_numbers = true)]
    pub adam_eps: Option<f64>,
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
    /// Start afresh even if the run folder already holds a checkpoint.
    #[arg(long, conflicts_with = "resume")]
    pub overwrite: bool,
    /// PJRT plugin: `cpu`, `cuda`, `tpu` or a path (default: FLASH_PJRT_PLUGIN, else cpu).
    #[arg(long)]
    pub plugin: Option<String>,
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

/// The default peak learning rate of a model kind. The GAU kinds start with tiny attention
/// scores (gamma ~ N(0, 0.02) enters relu(q.k / C)^2 to the fourth power), so they want a
/// larger step than the softmax Transformers; measured on tinyshakespeare (BENCHMARKS.md).
fn default_lr(kind: ModelKind) -> f64 {
    match kind {
        ModelKind::Flash | ModelKind::FlashQuad => 1e-2,
        ModelKind::Transformer | ModelKind::TransformerPlusPlus => 3e-3,
    }
}

/// AdamW's default epsilon here: small enough not to damp the GAU kinds' tiny early
/// gradients (about 1e-9 for gamma at initialisation).
const DEFAULT_ADAM_EPS: f64 = 1e-12;

/// The settings of a new run from the flags and defaults.
fn new_settings(a: &TrainArgs, config: &ModelConfig) -> RunSettings {
    let mut t = TrainOptions::new(a.batch.unwrap_or(16), a.seq_len.unwrap_or(256), a.steps);
    let s = &mut t.schedule;
    s.lr = a.lr.unwrap_or(default_lr(config.kind));
    s.min_lr = a.min_lr.unwrap_or(s.lr / 10.0);
    s.warmup = a.warmup.unwrap_or(s.warmup);
    s.kind = a.schedule.map_or(s.kind, ScheduleFlag::kind);
    s.total_steps = a.schedule_steps.unwrap_or(a.steps);
    t.adamw.weight_decay = a.weight_decay.unwrap_or(t.adamw.weight_decay);
    t.adamw.clip_norm = a.clip.unwrap_or(t.adamw.clip_norm);
    t.adamw.eps = a.adam_eps.unwrap_or(DEFAULT_ADAM_EPS);
    RunSettings {
        train: t,
        seed: a.seed.unwrap_or(0),
        eval_batches: a.eval_batches.unwrap_or(4),
    }
}

/// Fails if a flag given on `--resume` differs from the checkpoint's setting.
fn check_same<T: PartialEq + std::fmt::Display>(
    flag: &str,
    given: Option<T>,
    stored: T,
) -> anyhow::Result<()> {
    match given {
        Some(v) if v != stored => {
            bail!("--{flag} {v} differs from the checkpoint's {stored}; a resumed run keeps its settings")
        }
        _ => Ok(()),
    }
}

/// Checks every training flag given on `--resume` against the checkpoint's settings.
fn check_resumed_flags(a: &TrainArgs, s: &RunSettings) -> anyhow::Result<()> {
    let (t, sc) = (&s.train, &s.train.schedule);
    check_same("batch", a.batch, t.batch)?;
    check_same("seq-len", a.seq_len, t.seq_len)?;
    check_same("lr", a.lr, sc.lr)?;
    check_same("min-lr", a.min_lr, sc.min_lr)?;
    check_same("warmup", a.warmup, sc.warmup)?;
    check_same("schedule-steps", a.schedule_steps, sc.total_steps)?;
    check_same("weight-decay", a.weight_decay, t.adamw.weight_decay)?;
    check_same("clip", a.clip, t.adamw.clip_norm)?;
    check_same("adam-eps", a.adam_eps, t.adamw.eps)?;
    check_same("seed", a.seed, s.seed)?;
    check_same("eval-batches", a.eval_batches, s.eval_batches)?;
    if a.schedule.is_some_and(|k| k.kind() != sc.kind) {
        bail!(
            "--schedule differs from the checkpoint's {:?}; a resumed run keeps its settings",
            sc.kind
        );
    }
    Ok(())
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
            check_resumed_flags(a, &ckpt.settings)?;
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
            let settings = new_settings(a, &config);
            (config, name, settings, None, out)
        }
    };
    let config = match a.chunk {
        Some(choice) => with_chunk(a, choice, &config, &settings, resume.as_ref())?,
        None => config,
    };
    let pipeline = crate::passes::PipelineOptions {
        verify_each: cfg!(debug_assertions),
        ..Default::default()
    };
    Ok(RunSpec {
        config,
        model_name,
        settings,
        data: a.data.clone(),
        steps: a.steps,
        eval_every: a.eval_every,
        log_every: a.log_every,
        out,
        resume,
        overwrite: a.overwrite,
        plugin: a.plugin.clone(),
        pipeline,
        time_limit: a.time_limit.map(|m| Duration::from_secs_f64(m * 60.0)),
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
            let client = crate::runtime::shared_client(a.plugin.as_deref())?;
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
        eprintln!(
            "compiled the train and eval programs in {:.1} s",
            compile.as_secs_f64()
        );
        let bar = ProgressBar::new(total).with_style(self.style.clone());
        bar.set_position(first);
        bar.reset_eta();
        self.bar = Some(bar);
    }

    fn stepped(&mut self, r: &StepReport) {
        self.last = Some(r.clone());
        self.refresh();
    }

    fn evaluated(&mut self, step: u64, val_bpb: f64) {
        self.val = Some(val_bpb);
        if let Some(bar) = &self.bar {
            bar.println(format!(
                "step {step}: validation {val_bpb:.4} bits per byte"
            ));
        }
        self.refresh();
    }
}

/// Runs `flash train`.
pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    let spec = run_spec(&args)?;
    let style = ProgressStyle::with_template(
        "{bar:30} {pos}/{len} [{elapsed_precise} < {eta_precise}] {msg}",
    )
    .context("progress bar template")?;
    let mut bar = Bar {
        style,
        bar: None,
        last: None,
        val: None,
    };
    let summary = run_training(&spec, &mut bar)?;
    if let Some(b) = &bar.bar {
        b.finish();
    }
    let t = &spec.settings.train;
    let ms = summary.step_time.as_secs_f64() * 1e3;
    let tok_s = (t.batch * t.seq_len) as f64 / summary.step_time.as_secs_f64().max(1e-9);
    let val = summary
        .val_bpb
        .map(|v| format!(", validation {v:.4} bits per byte"))
        .unwrap_or_default();
    println!(
        "step {}: train loss {:.4} (first {:.4}){val}; {ms:.1} ms/step ({tok_s:.0} tokens/s), compile {:.1} s; run folder {}",
        summary.step,
        summary.last_loss,
        summary.first_loss,
        summary.compile_time.as_secs_f64(),
        spec.out.display()
    );
    Ok(())
}
