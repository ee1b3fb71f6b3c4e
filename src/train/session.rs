//! [`Trainer`]: the compiled train-step and evaluation programs and the training state kept on
//! the device between steps. Each step hands the state buffers to XLA by value
//! ([`LoadedExecutable::execute_donating`]) and keeps the returned ones; only the loss scalar
//! comes back to the host per step (and the token batch goes up).

use super::error::TrainError;
use super::layout::StepLayout;
use super::options::TrainOptions;
use super::step::build_train_step_for;
use crate::compiler::compile;
use crate::config::ModelConfig;
use crate::exec::to_host_data;
use crate::ir::{DType, Graph, Sharding, TensorType};
use crate::models::{build_lm, BuildOptions, Mode};
use crate::parallel::{Parallelism, Placement};
use crate::passes::PipelineOptions;
use crate::runtime::{Buffer, Client, CompileOptions, LoadedExecutable};
use crate::tensor::HostTensor;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Compiles `g` through our pipeline and XLA for one device; returns the executable and
/// both compile times.
pub fn compile_graph(
    client: &Client,
    g: Graph,
    opts: &PipelineOptions,
) -> Result<(Arc<LoadedExecutable>, Duration), TrainError> {
    compile_graph_with(client, g, opts, &CompileOptions::default())
}

/// [`compile_graph`] with XLA's compile options (e.g. SPMD over several devices); refuses a
/// program whose memory plan the host cannot hold ([`crate::exec::check_memory`]).
pub fn compile_graph_with(
    client: &Client,
    g: Graph,
    opts: &PipelineOptions,
    options: &CompileOptions,
) -> Result<(Arc<LoadedExecutable>, Duration), TrainError> {
    let start = Instant::now();
    let program = compile(g, opts)?;
    let exe = client.compile_with(&program.mlir, options)?;
    crate::exec::check_memory(client, &exe)?;
    Ok((exe, start.elapsed()))
}

/// Uploads host tensors to the client's default device.
pub fn upload_all(client: &Client, tensors: &[HostTensor]) -> Result<Vec<Buffer>, TrainError> {
    let device = client.default_device()?;
    tensors
        .iter()
        .map(|t| Ok(client.upload(&to_host_data(t)?, device)?))
        .collect()
}

/// Downloads one f32 scalar.
pub fn scalar_of(buffer: &Buffer) -> Result<f32, TrainError> {
    let values = buffer.to_host()?.to_vec::<f32>()?;
    values
        .first()
        .copied()
        .ok_or_else(|| TrainError::Output("expected a scalar, got an empty array".into()))
}

/// What a [`Trainer`] compiles: the model, its layout, the training options, and how the
/// run is spread over devices (`None`: one device).
#[derive(Clone, Copy)]
pub struct StepSpec<'a> {
    /// The model.
    pub cfg: &'a ModelConfig,
    /// Its state layout (must be `cfg`'s).
    pub layout: &'a StepLayout,
    /// Batch shape, optimizer, schedule.
    pub opts: &'a TrainOptions,
    /// The mesh and sharding strategy.
    pub parallel: Option<&'a Parallelism>,
}

/// The train and evaluation programs of one model and batch shape, with the state on the
/// devices (each device holding its piece of every state tensor).
pub struct Trainer {
    placement: Placement,
    layout: StepLayout,
    step_exe: Arc<LoadedExecutable>,
    eval_exe: Arc<LoadedExecutable>,
    /// The state's shardings (empty on one device).
    shardings: Vec<Sharding>,
    /// The token batch's sharding (`None` on one device).
    tokens_sharding: Option<Sharding>,
    /// `[device][state index]`.
    state: Vec<Vec<Buffer>>,
    grad_norm: Option<Buffer>,
    /// Steps taken so far (the `step` input of the next train step).
    pub step: u64,
    /// Our compile time plus XLA's, for both programs.
    pub compile_time: Duration,
}

impl Trainer {
    /// Compiles both programs of `spec` on `client` and uploads `state` (parameters, m, v
    /// in [`StepLayout::state_names`] order); the next step taken is `step`.
    pub fn new(
        client: Arc<Client>,
        spec: StepSpec<'_>,
        state: &[HostTensor],
        step: u64,
        pipeline: &PipelineOptions,
    ) -> Result<Trainer, TrainError> {
        let layout = spec.layout;
        if state.len() != layout.state_len() {
            return Err(TrainError::Output(format!(
                "{} state tensors, expected {}",
                state.len(),
                layout.state_len()
            )));
        }
        let placement = Placement::new(client, spec.parallel.map(|p| &p.mesh))?;
        let mut graph = build_train_step_for(spec.cfg, layout, spec.opts)?;
        let eval = BuildOptions {
            batch: spec.opts.batch,
            seq_len: spec.opts.seq_len,
            mode: Mode::Lm,
            forward: false,
        };
        let mut eval_graph = build_lm(spec.cfg, &eval)?;
        let (mut shardings, mut tokens_sharding) = (Vec::new(), None);
        if let Some(par) = spec.parallel {
            par.annotate_step(&mut graph, layout)?;
            par.annotate_lm(&mut eval_graph, layout)?;
            shardings = par.state_shardings(layout)?;
            let tokens = graph.ty(graph.params()[layout.tokens_index()]);
            tokens_sharding = Some(par.tokens_sharding(tokens)?);
        }
        let (step_exe, t1) = compile_on(&placement, graph, pipeline)?;
        let (eval_exe, t2) = compile_on(&placement, eval_graph, pipeline)?;
        let mut trainer = Trainer {
            placement,
            layout: layout.clone(),
            step_exe,
            eval_exe,
            shardings,
            tokens_sharding,
            state: Vec::new(),
            grad_norm: None,
            step,
            compile_time: t1 + t2,
        };
        let args: Vec<_> = state
            .iter()
            .enumerate()
            .map(|(i, t)| (t, trainer.shardings.get(i)))
            .collect();
        trainer.state = trainer.placement.upload_args(&args)?;
        Ok(trainer)
    }

    /// The program's input/output layout.
    pub fn layout(&self) -> &StepLayout {
        &self.layout
    }

    /// The devices the run is spread over, with their mesh.
    pub fn placement(&self) -> &Placement {
        &self.placement
    }

    /// One optimizer step on `tokens` (i32 `[B, T+1]`); returns the loss before the update.
    /// On error the state is lost (it was donated): drop the trainer.
    pub fn train_step(&mut self, tokens: &HostTensor) -> Result<f32, TrainError> {
        let step = i32::try_from(self.step)
            .map_err(|_| TrainError::Output("step count exceeds i32".into()))?;
        let step = HostTensor::from_f64(TensorType::scalar(DType::I32), &[f64::from(step)]);
        let extra = self
            .placement
            .upload_args(&[(&step, None), (tokens, self.tokens_sharding.as_ref())])?;
        let mut args = std::mem::take(&mut self.state);
        for (list, more) in args.iter_mut().zip(extra) {
            list.extend(more);
        }
        let outputs = self.step_exe.execute_sharded_donating(args)?;
        let n = self.layout.state_len();
        let mut state = Vec::with_capacity(outputs.len());
        let mut first = None;
        for mut list in outputs {
            if list.len() != n + 2 {
                return Err(TrainError::Output(format!(
                    "{} outputs, expected {}",
                    list.len(),
                    n + 2
                )));
            }
            let tail = list.split_off(n);
            first.get_or_insert(tail);
            state.push(list);
        }
        let mut tail = first.unwrap_or_default().into_iter();
        let loss = tail.next().map(|b| scalar_of(&b)).transpose()?;
        self.grad_norm = tail.next();
        self.state = state;
        self.step += 1;
        Ok(loss.unwrap_or(f32::NAN))
    }

    /// The global gradient norm (before clipping) of the last step, read from the device.
    pub fn last_grad_norm(&self) -> Result<Option<f32>, TrainError> {
        self.grad_norm.as_ref().map(scalar_of).transpose()
    }

    /// The mean loss (nats per token) of the current parameters over `batches`.
    pub fn eval_loss(&self, batches: &[HostTensor]) -> Result<f64, TrainError> {
        let mut total = 0.0;
        for tokens in batches {
            let uploaded = self
                .placement
                .upload_args(&[(tokens, self.tokens_sharding.as_ref())])?;
            let args: Vec<Vec<&Buffer>> = self
                .state
                .iter()
                .zip(&uploaded)
                .map(|(state, tokens)| state[..self.layout.n()].iter().chain(tokens).collect())
                .collect();
            let out = self.eval_exe.execute_sharded(&args, &Default::default())?;
            let loss = out.first().and_then(|l| l.first()).map(scalar_of);
            total += f64::from(loss.transpose()?.unwrap_or(f32::NAN));
        }
        Ok(total / batches.len().max(1) as f64)
    }

    /// Copies the state (parameters, m, v) to the host, whole (gathered from the devices).
    pub fn state_to_host(&self) -> Result<Vec<HostTensor>, TrainError> {
        self.layout
            .state_types()
            .enumerate()
            .map(|(i, ty)| {
                let shards: Vec<&Buffer> = self.state.iter().map(|list| &list[i]).collect();
                Ok(self
                    .placement
                    .download(ty, self.shardings.get(i), &shards)?)
            })
            .collect()
    }
}

/// Compiles `g` through our pipeline and XLA for the devices of `placement`.
fn compile_on(
    placement: &Placement,
    g: Graph,
    opts: &PipelineOptions,
) -> Result<(Arc<LoadedExecutable>, Duration), TrainError> {
    let options = placement.compile_options()?;
    compile_graph_with(placement.client(), g, opts, &options)
}
