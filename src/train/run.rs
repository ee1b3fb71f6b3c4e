//! [`run_training`]: a whole training run. Checks every input before writing anything, locks
//! the run folder ([`RunFolder`]), then steps the [`Trainer`], logs `metrics.jsonl`, measures
//! validation bits per byte and saves a checkpoint every `eval_every` steps, at the end and
//! when a [`StopRequest`] comes, and draws `loss.png` (with the `cli` feature, which brings
//! the plotting crates). An `--overwrite` run writes aside until its first checkpoint.

use super::checkpoint::check_vocab;
use super::checkpoint::{checkpoint_path, Checkpoint};
use super::data::{bits_per_byte, train_batch, validation_batches, ValidationSet};
use super::data_id::DataIdentity;
use super::error::{checkpoint_error, TrainError};
use super::folder::RunFolder;
use super::layout::StepLayout;
use super::metrics::{MetricsWriter, Record, METRICS_FILE};
use super::options::TrainOptions;
use super::session::{StepSpec, Trainer};
use super::stop::StopRequest;
use crate::config::ModelConfig;
use crate::data::tokenizer::TOKENIZER_FILE;
use crate::data::{Dataset, Tokenizer};
use crate::parallel::Parallelism;
use crate::passes::PipelineOptions;
use crate::runtime::ClientOptions;
use crate::target::{Target, TargetOf};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How a run trains; stored in its checkpoint, so a resumed run trains the same way.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    /// Batch shape, optimizer and schedule.
    pub train: TrainOptions,
    /// Seeds the initial parameters and every step's batch.
    pub seed: u64,
    /// Validation batches (of `batch` windows each) measured at every evaluation.
    pub eval_batches: usize,
}

/// Everything [`run_training`] needs.
#[derive(Clone, Debug)]
pub struct RunSpec {
    /// The model.
    pub config: ModelConfig,
    /// The model's name (preset, or config file).
    pub model_name: String,
    /// How to train.
    pub settings: RunSettings,
    /// The data: a text file, or a folder written by `flash data prepare`.
    pub data: PathBuf,
    /// The `tokenizer.json` for a text file (`None`: bytes, or a prepared folder's own).
    pub tokenizer: Option<PathBuf>,
    /// Train until this many steps have been taken in total.
    pub steps: u64,
    /// Evaluate and checkpoint every this many steps (0: only at the end).
    pub eval_every: u64,
    /// Append a metrics record every this many steps (and at every evaluation).
    pub log_every: u64,
    /// The run folder (checkpoint, metrics, plot).
    pub out: PathBuf,
    /// The checkpoint to continue from.
    pub resume: Option<Checkpoint>,
    /// The run folder `resume` was loaded from (continued in place when it is `out`).
    pub resumed_from: Option<PathBuf>,
    /// Replace the checkpoint `out` already holds: start afresh, or (with `resume` from
    /// another folder) continue that run into `out`.
    pub overwrite: bool,
    /// The PJRT plugin (`None`: FLASH_PJRT_PLUGIN, else cpu).
    pub plugin: Option<String>,
    /// How to create its client (the CPU plugin's device count).
    pub client_options: ClientOptions,
    /// Our compiler's pipeline options (their `target` is replaced by the plugin's machine:
    /// see [`TargetOf::of`]).
    pub pipeline: PipelineOptions,
    /// Stop (with a final evaluation and checkpoint) once training has taken this long.
    pub time_limit: Option<Duration>,
    /// Stop (the same way) once this is requested, e.g. by a signal.
    pub stop: StopRequest,
    /// On resuming, accept data other than the checkpoint's (refused otherwise).
    pub new_data: bool,
    /// Spread the run over a device mesh (`None`: one device).
    pub parallel: Option<Parallelism>,
}

/// One step, as reported to an [`Observer`].
#[derive(Clone, Debug, PartialEq)]
pub struct StepReport {
    /// Steps taken, this one included.
    pub step: u64,
    /// The run's last step.
    pub total: u64,
    /// This step's training loss (nats per token).
    pub loss: f32,
    /// The same loss in bits per byte of the text the step predicted (the unit of
    /// validation).
    pub bits_per_byte: f64,
    /// Training throughput of this invocation so far (compilation and evaluation excluded;
    /// after the last step, the summary's [`RunSummary::tokens_per_s`]).
    pub tokens_per_s: f64,
    /// This step's learning rate.
    pub lr: f64,
}

/// Receives progress (the CLI draws a progress bar from it). Every method defaults to nothing.
pub trait Observer {
    /// The programs are compiled; training goes from step `first` to `total`.
    fn started(&mut self, _first: u64, _total: u64, _compile: Duration) {}
    /// A step finished.
    fn stepped(&mut self, _report: &StepReport) {}
    /// Validation was measured after `step` steps.
    fn evaluated(&mut self, _step: u64, _val_bpb: f64) {}
}

/// An observer that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct Quiet;

impl Observer for Quiet {}

/// What a finished run reports.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSummary {
    /// Steps taken in total.
    pub step: u64,
    /// The first training loss of this invocation (nats per token).
    pub first_loss: f64,
    /// The last training loss (nats per token).
    pub last_loss: f64,
    /// The first training loss of this invocation in bits per byte.
    pub first_bpb: f64,
    /// The last training loss in bits per byte.
    pub last_bpb: f64,
    /// The last validation loss in bits per byte.
    pub val_bpb: Option<f64>,
    /// Mean wall time of a train step (compilation excluded).
    pub step_time: Duration,
    /// Training throughput of this invocation (compilation and evaluation excluded).
    pub tokens_per_s: f64,
    /// Our compile time plus XLA's, for the train and evaluation programs.
    pub compile_time: Duration,
    /// The signal of the [`StopRequest`] that ended the run before its last step, if one did.
    pub stopped_by: Option<i32>,
    /// The step of the last checkpoint this invocation wrote (`None`: it wrote none).
    pub checkpoint_step: Option<u64>,
}

/// Checks that `ckpt` belongs to the run `spec` describes.
pub fn check_resume(spec: &RunSpec, ckpt: &Checkpoint) -> Result<(), TrainError> {
    let path = checkpoint_path(&spec.out);
    if ckpt.config != spec.config {
        let msg = format!(
            "the checkpoint is of model {} ({:?}, width {}, {} layers), not {} ({:?}, width {}, {} layers); \
             resume with the same preset or config",
            ckpt.model_name, ckpt.config.kind, ckpt.config.width, ckpt.config.layers,
            spec.model_name, spec.config.kind, spec.config.width, spec.config.layers
        );
        return Err(checkpoint_error(&path, msg));
    }
    if ckpt.settings != spec.settings {
        return Err(checkpoint_error(
            &path,
            "the run settings differ from the checkpoint's",
        ));
    }
    if spec.steps <= ckpt.step {
        let msg = format!(
            "the checkpoint is at step {}; --steps {} leaves nothing to train",
            ckpt.step, spec.steps
        );
        return Err(checkpoint_error(&path, msg));
    }
    Ok(())
}

/// Checks that the data is the checkpoint's (unless `spec.new_data` allows other data).
fn check_resumed_data(
    spec: &RunSpec,
    ckpt: &Checkpoint,
    data: &DataIdentity,
) -> Result<(), TrainError> {
    match &ckpt.data {
        Some(trained) if !spec.new_data && !trained.same_data(data) => {
            let msg = format!(
                "is not the data the checkpoint was trained on ({}: {}; this one: {}); resume \
                 with that --data, or pass --new-data to continue on this one",
                trained.path,
                trained.describe(),
                data.describe()
            );
            Err(TrainError::Data {
                path: spec.data.clone(),
                message: msg,
            })
        }
        _ => Ok(()),
    }
}

/// Checks the inputs that need no compilation; returns the data and its identity.
fn check_inputs(spec: &RunSpec) -> Result<(Dataset, DataIdentity), TrainError> {
    let t = &spec.settings.train;
    t.validate()?;
    let bad = |option, message: &str| {
        Err(TrainError::Option {
            option,
            message: message.into(),
        })
    };
    if spec.steps == 0 {
        return bad("steps", "must be at least 1");
    }
    if spec.settings.eval_batches == 0 {
        return bad("eval-batches", "must be at least 1");
    }
    if spec.log_every == 0 {
        return bad("log-every", "must be at least 1");
    }
    let data = Dataset::open(&spec.data, spec.tokenizer.as_deref())?;
    data.check_len(t.seq_len)?;
    let tk_path = spec.tokenizer.clone().unwrap_or_else(|| spec.data.clone());
    check_vocab(&data.tokenizer, spec.config.vocab, &tk_path)?;
    if let Some(ckpt) = &spec.resume {
        if ckpt.tokenizer_sha256 != data.tokenizer.hash() {
            let msg = "the data's tokenizer is not the one the checkpoint was trained with";
            return Err(checkpoint_error(&tk_path, msg));
        }
    }
    let data_id = DataIdentity::of_dataset(&spec.data, &data)?;
    if let Some(ckpt) = &spec.resume {
        check_resume(spec, ckpt)?;
        check_resumed_data(spec, ckpt, &data_id)?;
    }
    Ok((data, data_id))
}

/// Locks the run folder (refusing one that holds a checkpoint, unless resuming it in place or
/// overwriting); returns it and where this run writes its files until its first checkpoint.
fn open_folder(spec: &RunSpec) -> Result<(RunFolder, Option<PathBuf>), TrainError> {
    let folder = RunFolder::lock(&spec.out)?;
    let holds_checkpoint = checkpoint_path(&spec.out).exists();
    let in_place = spec
        .resumed_from
        .as_deref()
        .is_some_and(|dir| crate::atomic_write::same_file(dir, &spec.out));
    if in_place && spec.overwrite {
        let msg = "is the folder --resume continues in place; --overwrite replaces another \
                   folder's run (give that folder as --out), so drop it here";
        return Err(checkpoint_error(&spec.out, msg));
    }
    if holds_checkpoint && !in_place && !spec.overwrite {
        let msg = match &spec.resumed_from {
            Some(dir) => format!(
                "already holds a checkpoint of another run than --resume {}: pass --overwrite \
                 to replace it, or choose another --out",
                dir.display()
            ),
            None => "already holds a checkpoint: continue it with --resume, or pass --overwrite \
                     to start afresh"
                .into(),
        };
        return Err(checkpoint_error(&spec.out, msg));
    }
    let staging = if spec.overwrite {
        Some(folder.stage()?)
    } else {
        None
    };
    Ok((folder, staging))
}

/// Runs training as `spec` says, reporting to `obs`.
pub fn run_training(spec: &RunSpec, obs: &mut dyn Observer) -> Result<RunSummary, TrainError> {
    let (data, data_id) = check_inputs(spec)?;
    let (folder, staging) = open_folder(spec)?;
    let (layout, state, start) = match &spec.resume {
        Some(c) => (c.layout.clone(), c.state.clone(), c.step),
        None => {
            let layout = StepLayout::of(&spec.config)?;
            let state = layout.initial_state(spec.settings.seed);
            (layout, state, 0)
        }
    };
    let client = crate::runtime::shared_client_with(spec.plugin.as_deref(), &spec.client_options)?;
    let t = &spec.settings.train;
    let pipeline = PipelineOptions {
        target: Target::of(&client),
        ..spec.pipeline.clone()
    };
    let (cfg, layout) = (&spec.config, &layout);
    let step_spec = StepSpec {
        cfg,
        layout,
        opts: t,
        parallel: spec.parallel.as_ref(),
    };
    let mut trainer = Trainer::new(client, step_spec, &state, start, &pipeline)?;
    let val = validation_batches(
        &data,
        &data.val,
        spec.settings.eval_batches,
        t.batch,
        t.seq_len,
    )?;
    let files = staging.clone().unwrap_or_else(|| spec.out.clone());
    copy_tokenizer(&data.tokenizer, &files)?;
    let keep_until = spec.resume.as_ref().map(|c| c.step);
    let mut writer = MetricsWriter::open(&files.join(METRICS_FILE), keep_until)?;
    obs.started(start, spec.steps, trainer.compile_time);
    let mut run = Loop {
        spec,
        trainer: &mut trainer,
        val,
        tokenizer_sha256: data.tokenizer.hash(),
        data_id,
        writer: &mut writer,
        window: Window::default(),
        folder: &folder,
        files,
        staged: staging.is_some(),
        checkpoint_step: None,
    };
    let summary = run.train(&data, start, obs)?;
    draw_plot(&run.files)?;
    Ok(summary)
}

/// Copies a JSON tokenizer into the run folder as `tokenizer.json` (bytes need no file).
fn copy_tokenizer(tk: &Tokenizer, out: &Path) -> Result<(), TrainError> {
    Ok(tk.save(&out.join(TOKENIZER_FILE))?)
}

/// Draws `dir/loss.png` from `dir/metrics.jsonl`.
#[cfg(feature = "cli")]
fn draw_plot(dir: &Path) -> Result<(), TrainError> {
    let records = super::metrics::read_metrics(&dir.join(METRICS_FILE))?;
    super::plot::plot_losses(&records, &dir.join(super::folder::PLOT_FILE))
}

/// Without the `cli` feature there are no plotting crates: the metrics file is the record.
#[cfg(not(feature = "cli"))]
fn draw_plot(_dir: &Path) -> Result<(), TrainError> {
    Ok(())
}

/// The error for a loss that is not finite at step `k`; `kept`: the step of the run's
/// checkpoint in the folder (the last one written, else the one resumed from), if any.
fn diverged(spec: &RunSpec, k: u64, what: &str, kept: Option<u64>) -> TrainError {
    let after = match kept {
        Some(step) => format!("the checkpoint of step {step} is kept"),
        None => "no checkpoint of this run was written".to_string(),
    };
    let msg = format!(
        "the {what} is not finite at step {}; training diverged (try a lower --lr); {after}",
        k + 1
    );
    checkpoint_error(&spec.out, msg)
}

/// Losses and time since the last metrics record.
#[derive(Default)]
struct Window {
    loss_sum: f64,
    steps: u64,
    time: Duration,
    /// Text bytes the window's targets covered.
    target_bytes: u64,
}

/// Tokens per second of `steps` steps of `tokens_per_step` tokens taking `time`.
fn throughput(tokens_per_step: usize, steps: u64, time: Duration) -> f64 {
    tokens_per_step as f64 * steps as f64 / time.as_secs_f64().max(1e-9)
}

/// The state of the step loop.
struct Loop<'a> {
    spec: &'a RunSpec,
    trainer: &'a mut Trainer,
    val: ValidationSet,
    tokenizer_sha256: String,
    data_id: DataIdentity,
    writer: &'a mut MetricsWriter,
    window: Window,
    folder: &'a RunFolder,
    /// Where the run's files go now: the run folder, or its staging folder until the first
    /// checkpoint of an `--overwrite` run replaces the old run's files.
    files: PathBuf,
    staged: bool,
    checkpoint_step: Option<u64>,
}

impl Loop<'_> {
    /// Steps from `start` until the last step, the time limit or a stop request.
    fn train(
        &mut self,
        data: &Dataset,
        start: u64,
        obs: &mut dyn Observer,
    ) -> Result<RunSummary, TrainError> {
        let spec = self.spec;
        let t = &spec.settings.train;
        let mut summary = RunSummary {
            step: start,
            first_loss: f64::NAN,
            last_loss: f64::NAN,
            first_bpb: f64::NAN,
            last_bpb: f64::NAN,
            val_bpb: None,
            step_time: Duration::ZERO,
            tokens_per_s: 0.0,
            compile_time: self.trainer.compile_time,
            stopped_by: None,
            checkpoint_step: None,
        };
        let mut total_time = Duration::ZERO;
        let began_training = Instant::now();
        for k in start..spec.steps {
            if k == start && spec.stop.signal().is_some() {
                // Stopped while compiling: nothing new to save.
                break;
            }
            let batch = train_batch(data, spec.settings.seed, k, t.batch, t.seq_len)?;
            let began = Instant::now();
            let loss = self.trainer.train_step(&batch.tokens)?;
            let dt = began.elapsed();
            total_time += dt;
            if !loss.is_finite() {
                return Err(diverged(spec, k, "training loss", self.kept_step()));
            }
            let tokens = (t.batch * t.seq_len) as u64;
            let bpb = bits_per_byte(f64::from(loss), tokens, batch.target_bytes);
            if k == start {
                summary.first_loss = f64::from(loss);
                summary.first_bpb = bpb;
            }
            summary.last_loss = f64::from(loss);
            summary.last_bpb = bpb;
            summary.step = k + 1;
            summary.tokens_per_s = throughput(t.batch * t.seq_len, k + 1 - start, total_time);
            let out_of_time = spec
                .time_limit
                .is_some_and(|limit| began_training.elapsed() >= limit);
            let stopping = out_of_time || spec.stop.signal().is_some();
            let report = StepReport {
                step: k + 1,
                total: spec.steps,
                loss,
                bits_per_byte: bpb,
                tokens_per_s: summary.tokens_per_s,
                lr: t.schedule.lr_at(k),
            };
            let val_bpb = self.after_step(&report, batch.target_bytes, dt, stopping, obs)?;
            summary.val_bpb = val_bpb.or(summary.val_bpb);
            if stopping {
                break;
            }
        }
        if summary.step < spec.steps {
            summary.stopped_by = spec.stop.signal();
        }
        summary.step_time = total_time / (summary.step - start).max(1) as u32;
        summary.checkpoint_step = self.checkpoint_step;
        Ok(summary)
    }

    /// Reports a step (which predicted `target_bytes` bytes of text in `dt`), logs,
    /// evaluates and checkpoints when due; returns the bpb if measured.
    fn after_step(
        &mut self,
        report: &StepReport,
        target_bytes: u64,
        dt: Duration,
        last: bool,
        obs: &mut dyn Observer,
    ) -> Result<Option<f64>, TrainError> {
        let (spec, t) = (self.spec, &self.spec.settings.train);
        let (done, k) = (report.step, report.step - 1);
        obs.stepped(report);
        self.window.loss_sum += f64::from(report.loss);
        self.window.steps += 1;
        self.window.time += dt;
        self.window.target_bytes += target_bytes;
        let eval = last
            || done == spec.steps
            || (spec.eval_every > 0 && done.is_multiple_of(spec.eval_every));
        if !eval && !done.is_multiple_of(spec.log_every) {
            return Ok(None);
        }
        let val_bpb = if eval {
            Some(self.evaluate(k, obs)?)
        } else {
            None
        };
        let w = std::mem::take(&mut self.window);
        let tokens = (t.batch * t.seq_len) as u64;
        let train_loss = w.loss_sum / w.steps as f64;
        let record = Record {
            step: done,
            train_loss,
            train_bpb: Some(bits_per_byte(train_loss, tokens * w.steps, w.target_bytes)),
            val_bpb,
            tokens_per_s: throughput(t.batch * t.seq_len, w.steps, w.time),
            lr: report.lr,
            grad_norm: self.trainer.last_grad_norm()?.map(f64::from),
        };
        self.writer.append(&record)?;
        if eval {
            self.save(done)?;
        }
        Ok(val_bpb)
    }

    /// Validation bits per byte after step `k`.
    fn evaluate(&mut self, k: u64, obs: &mut dyn Observer) -> Result<f64, TrainError> {
        let bpb = self
            .val
            .bits_per_byte(self.trainer.eval_loss(&self.val.batches)?);
        if !bpb.is_finite() {
            return Err(diverged(self.spec, k, "validation loss", self.kept_step()));
        }
        obs.evaluated(k + 1, bpb);
        Ok(bpb)
    }

    /// Writes the checkpoint after `step` steps (the first one of an `--overwrite` run then
    /// replaces the old run's files).
    /// The step of this run's checkpoint in its folder: the last one this invocation wrote,
    /// else the one it resumed from (`None`: there is none).
    fn kept_step(&self) -> Option<u64> {
        let resumed = self.spec.resume.as_ref().map(|c| c.step);
        self.checkpoint_step.or(resumed)
    }

    fn save(&mut self, step: u64) -> Result<(), TrainError> {
        let spec = self.spec;
        let ckpt = Checkpoint {
            step,
            config: spec.config.clone(),
            model_name: spec.model_name.clone(),
            settings: spec.settings.clone(),
            layout: self.trainer.layout().clone(),
            state: self.trainer.state_to_host()?,
            tokenizer_sha256: self.tokenizer_sha256.clone(),
            data: Some(self.data_id.clone()),
        };
        ckpt.save(&self.files)?;
        if self.staged {
            self.folder.commit()?;
            self.files = self.folder.dir().to_path_buf();
            self.staged = false;
        }
        self.checkpoint_step = Some(step);
        Ok(())
    }
}
