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
use crate::exec::{from_host_data, to_host_data};
use crate::ir::Graph;
use crate::models::{build_lm, BuildOptions, Mode};
use crate::passes::PipelineOptions;
use crate::runtime::{Buffer, Client, LoadedExecutable};
use crate::tensor::HostTensor;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Compiles `g` through our pipeline and XLA; returns the executable and both compile times.
pub fn compile_graph(
    client: &Client,
    g: Graph,
    opts: &PipelineOptions,
) -> Result<(Arc<LoadedExecutable>, Duration), TrainError> {
    let start = Instant::now();
    let program = compile(g, opts)?;
    let exe = client.compile(&program.mlir)?;
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

/// The train and evaluation programs of one model and batch shape, with the state on device.
pub struct Trainer {
    client: Arc<Client>,
    layout: StepLayout,
    step_exe: Arc<LoadedExecutable>,
    eval_exe: Arc<LoadedExecutable>,
    state: Vec<Buffer>,
    grad_norm: Option<Buffer>,
    /// Steps taken so far (the `step` input of the next train step).
    pub step: u64,
    /// Our compile time plus XLA's, for both programs.
    pub compile_time: Duration,
}

impl Trainer {
    /// Compiles both programs for `cfg` (whose layout is `layout`) and `opts` and uploads
    /// `state` (parameters, m, v in [`StepLayout::state_names`] order); the next step taken
    /// is `step`.
    pub fn new(
        client: Arc<Client>,
        cfg: &ModelConfig,
        layout: &StepLayout,
        opts: &TrainOptions,
        state: &[HostTensor],
        step: u64,
        pipeline: &PipelineOptions,
    ) -> Result<Trainer, TrainError> {
        if state.len() != layout.state_len() {
            return Err(TrainError::Output(format!(
                "{} state tensors, expected {}",
                state.len(),
                layout.state_len()
            )));
        }
        let graph = build_train_step_for(cfg, layout, opts)?;
        let (step_exe, t1) = compile_graph(&client, graph, pipeline)?;
        let eval = BuildOptions {
            batch: opts.batch,
            seq_len: opts.seq_len,
            mode: Mode::Lm,
            forward: false,
        };
        let (eval_exe, t2) = compile_graph(&client, build_lm(cfg, &eval)?, pipeline)?;
        let state = upload_all(&client, state)?;
        Ok(Trainer {
            client,
            layout: layout.clone(),
            step_exe,
            eval_exe,
            state,
            grad_norm: None,
            step,
            compile_time: t1 + t2,
        })
    }

    /// The program's input/output layout.
    pub fn layout(&self) -> &StepLayout {
        &self.layout
    }

    /// One optimizer step on `tokens` (i32 `[B, T+1]`); returns the loss before the update.
    /// On error the state is lost (it was donated): drop the trainer.
    pub fn train_step(&mut self, tokens: &HostTensor) -> Result<f32, TrainError> {
        let step = i32::try_from(self.step)
            .map_err(|_| TrainError::Output("step count exceeds i32".into()))?;
        let extra = [
            HostTensor::from_f64(
                crate::ir::TensorType::scalar(crate::ir::DType::I32),
                &[f64::from(step)],
            ),
            tokens.clone(),
        ];
        let mut args = std::mem::take(&mut self.state);
        args.extend(upload_all(&self.client, &extra)?);
        let mut outputs = self.step_exe.execute_donating(args)?;
        let n = self.layout.state_len();
        if outputs.len() != n + 2 {
            return Err(TrainError::Output(format!(
                "{} outputs, expected {}",
                outputs.len(),
                n + 2
            )));
        }
        self.grad_norm = outputs.pop();
        let loss = outputs
            .pop()
            .map(|b| scalar_of(&b))
            .transpose()?
            .unwrap_or(f32::NAN);
        self.state = outputs;
        self.step += 1;
        Ok(loss)
    }

    /// The global gradient norm (before clipping) of the last step, read from the device.
    pub fn last_grad_norm(&self) -> Result<Option<f32>, TrainError> {
        self.grad_norm.as_ref().map(scalar_of).transpose()
    }

    /// The mean loss (nats per token) of the current parameters over `batches`.
    pub fn eval_loss(&self, batches: &[HostTensor]) -> Result<f64, TrainError> {
        let mut total = 0.0;
        for tokens in batches {
            let uploaded = upload_all(&self.client, std::slice::from_ref(tokens))?;
            let mut args: Vec<&Buffer> = self.state[..self.layout.n()].iter().collect();
            args.extend(uploaded.iter());
            let out = self.eval_exe.execute(&args)?;
            total += f64::from(out.first().map(scalar_of).transpose()?.unwrap_or(f32::NAN));
        }
        Ok(total / batches.len().max(1) as f64)
    }

    /// Copies the state (parameters, m, v) to the host.
    pub fn state_to_host(&self) -> Result<Vec<HostTensor>, TrainError> {
        self.state
            .iter()
            .map(|b| Ok(from_host_data(b.to_host()?)?))
            .collect()
    }
}
