//! [`Decoder`]: the runtime side of generation. It compiles a model's decode step once (and a
//! prefill program per prompt length), keeps the parameters and the state on the device,
//! feeds the state back into each step with donation (XLA updates it in place), and reads
//! only the logits back to the host.

use super::program::{build_decode_step, build_prefill, uses_kv_cache, DecodeOptions};
use super::sampling::{sample, Sampling, SamplingError};
use super::state::state_specs;
use crate::config::ModelConfig;
use crate::exec::from_host_data;
use crate::ir::{DType, TensorType};
use crate::models::ModelError;
use crate::passes::PipelineOptions;
use crate::runtime::{Buffer, Client, LoadedExecutable};
use crate::tensor::HostTensor;
use crate::train::data::Rng;
use crate::train::session::{compile_graph, upload_all};
use crate::train::TrainError;
use std::sync::Arc;
use thiserror::Error;

/// Why generation failed.
#[derive(Debug, Error)]
pub enum DecodeError {
    /// Building, compiling or running a program failed.
    #[error(transparent)]
    Program(#[from] TrainError),
    /// The model or the options do not allow this program.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A sampling setting is out of range.
    #[error(transparent)]
    Sampling(#[from] SamplingError),
    /// The key/value cache is full.
    #[error(
        "position {position} is beyond the key/value cache's {capacity} positions; raise --max-len"
    )]
    CacheFull {
        /// The position that was asked for.
        position: usize,
        /// The cache's capacity.
        capacity: usize,
    },
    /// The tokenizer could not decode a drawn token.
    #[error(transparent)]
    Tokenizer(#[from] crate::data::DataError),
    /// Writing a drawn token failed.
    #[error("writing the output: {0}")]
    Write(#[from] std::io::Error),
    /// A request does not fit the compiled programs.
    #[error("{0}")]
    Shape(String),
}

/// A compiled decode step with a model's parameters and its state on the device.
pub struct Decoder {
    client: Arc<Client>,
    cfg: ModelConfig,
    opts: DecodeOptions,
    pipeline: PipelineOptions,
    step: Arc<LoadedExecutable>,
    params: Vec<Buffer>,
    state: Vec<Buffer>,
    position: usize,
}

impl Decoder {
    /// Compiles `cfg`'s decode step for `opts`, uploads `params` (in
    /// [`crate::models::param_specs`] order) and starts from the empty state.
    pub fn new(
        client: Arc<Client>,
        cfg: &ModelConfig,
        params: &[HostTensor],
        opts: DecodeOptions,
        pipeline: &PipelineOptions,
    ) -> Result<Decoder, DecodeError> {
        let (step, _) = compile_graph(&client, build_decode_step(cfg, &opts)?, pipeline)?;
        let params = upload_all(&client, params)?;
        let mut decoder = Decoder {
            client,
            cfg: cfg.clone(),
            opts,
            pipeline: pipeline.clone(),
            step,
            params,
            state: Vec::new(),
            position: 0,
        };
        decoder.reset()?;
        Ok(decoder)
    }

    /// Back to the empty state (all zeros) at position 0.
    pub fn reset(&mut self) -> Result<(), DecodeError> {
        let zeros: Vec<HostTensor> = state_specs(&self.cfg, self.opts.batch, self.opts.capacity)
            .into_iter()
            .map(|s| {
                let n = s.ty.num_elements();
                HostTensor::from_f64(s.ty, &vec![0.0; n])
            })
            .collect();
        self.state = upload_all(&self.client, &zeros)?;
        self.position = 0;
        Ok(())
    }

    /// The number of tokens fed so far (the position of the next one).
    pub fn position(&self) -> usize {
        self.position
    }

    /// Feeds one prompt per sequence (all of one length) through a prefill program in one
    /// execution, replacing the state; returns the logits after the last token, one row per
    /// sequence.
    pub fn prefill(&mut self, prompts: &[Vec<u32>]) -> Result<Vec<Vec<f32>>, DecodeError> {
        let len = prompts.first().map_or(0, Vec::len);
        let exe = self.compile_prefill(len)?;
        self.run_prefill(&exe, prompts)
    }

    /// Compiles the prefill program for prompts of `len` tokens.
    pub fn compile_prefill(&self, len: usize) -> Result<Arc<LoadedExecutable>, DecodeError> {
        let graph = build_prefill(&self.cfg, &self.opts, len)?;
        Ok(compile_graph(&self.client, graph, &self.pipeline)?.0)
    }

    /// Runs a program from [`Decoder::compile_prefill`] on one prompt per sequence (all of
    /// the length it was compiled for), as [`Decoder::prefill`] does.
    pub fn run_prefill(
        &mut self,
        exe: &LoadedExecutable,
        prompts: &[Vec<u32>],
    ) -> Result<Vec<Vec<f32>>, DecodeError> {
        let len = prompts.first().map_or(0, Vec::len);
        if prompts.len() != self.opts.batch || prompts.iter().any(|p| p.len() != len) {
            return Err(DecodeError::Shape(format!(
                "prefill needs {} prompts of one length",
                self.opts.batch
            )));
        }
        let ids: Vec<f64> = prompts.iter().flatten().map(|&t| f64::from(t)).collect();
        let shape = [self.opts.batch, len];
        let tokens = HostTensor::from_f64(TensorType::new(DType::I32, shape), &ids);
        let tokens = upload_all(&self.client, &[tokens])?;
        let mut args: Vec<&Buffer> = self.params.iter().collect();
        args.extend(tokens.iter());
        let mut outputs = exe.execute(&args).map_err(TrainError::from)?;
        let logits = self.take_logits(&mut outputs)?;
        self.state = outputs;
        self.position = len;
        Ok(logits)
    }

    /// Feeds one token per sequence at the current position; returns the next logits.
    pub fn step(&mut self, tokens: &[u32]) -> Result<Vec<Vec<f32>>, DecodeError> {
        if tokens.len() != self.opts.batch {
            return Err(DecodeError::Shape(format!(
                "{} tokens for a batch of {}",
                tokens.len(),
                self.opts.batch
            )));
        }
        self.check_room()?;
        let ids: Vec<f64> = tokens.iter().map(|&t| f64::from(t)).collect();
        let inputs = [
            HostTensor::from_f64(TensorType::new(DType::I32, [tokens.len()]), &ids),
            HostTensor::from_f64(TensorType::scalar(DType::I32), &[self.position as f64]),
        ];
        let inputs = upload_all(&self.client, &inputs)?;
        let state = std::mem::take(&mut self.state);
        let mut args: Vec<&Buffer> = self.params.iter().collect();
        args.extend(state.iter());
        args.extend(inputs.iter());
        let mut outputs = self.step.execute(&args).map_err(TrainError::from)?;
        drop(state);
        let logits = self.take_logits(&mut outputs)?;
        self.state = outputs;
        self.position += 1;
        Ok(logits)
    }

    /// Moves to `position` without feeding tokens: the skipped positions keep what the state
    /// holds (zeros after [`Decoder::reset`]). For measuring a step's cost at a context length
    /// without the prefill; the logits that follow are not those of any text.
    pub fn advance_to(&mut self, position: usize) {
        self.position = position;
    }

    /// The state, downloaded, in [`state_specs`] order.
    pub fn state_to_host(&self) -> Result<Vec<HostTensor>, DecodeError> {
        self.state
            .iter()
            .map(|b| {
                let data = b.to_host().map_err(TrainError::from)?;
                Ok(from_host_data(data).map_err(TrainError::from)?)
            })
            .collect()
    }

    /// Generates `n` tokens per sequence after `prompt` (an empty prompt decodes from the
    /// empty state, starting with `start`), calling `emit(row, token)` as each is drawn.
    pub fn generate(
        &mut self,
        prompt: &[u32],
        start: u32,
        n: usize,
        s: &Sampling,
        mut emit: impl FnMut(usize, u32) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError> {
        s.validate()?;
        self.reset()?;
        let mut logits = if prompt.is_empty() {
            self.step(&vec![start; self.opts.batch])?
        } else {
            self.prefill(&vec![prompt.to_vec(); self.opts.batch])?
        };
        let mut rngs: Vec<Rng> = (0..self.opts.batch as u64)
            .map(|row| Rng::new(s.seed, row))
            .collect();
        for i in 0..n {
            let tokens: Vec<u32> = logits
                .iter()
                .zip(&mut rngs)
                .map(|(l, rng)| sample(l, s, rng) as u32)
                .collect();
            for (row, &t) in tokens.iter().enumerate() {
                emit(row, t)?;
            }
            if i + 1 < n {
                logits = self.step(&tokens)?;
            }
        }
        Ok(())
    }

    /// Fails when a key/value cache has no room for the next token.
    fn check_room(&self) -> Result<(), DecodeError> {
        if uses_kv_cache(self.cfg.kind) && self.position >= self.opts.capacity {
            return Err(DecodeError::CacheFull {
                position: self.position,
                capacity: self.opts.capacity,
            });
        }
        Ok(())
    }

    /// Removes the logits (output 0) from `outputs` and downloads them, a row per sequence.
    fn take_logits(&self, outputs: &mut Vec<Buffer>) -> Result<Vec<Vec<f32>>, DecodeError> {
        if outputs.is_empty() {
            return Err(DecodeError::Shape("the program returned no logits".into()));
        }
        let values = outputs
            .remove(0)
            .to_host()
            .and_then(|h| h.to_vec::<f32>())
            .map_err(TrainError::from)?;
        let vocab = self.cfg.vocab.max(1);
        Ok(values.chunks(vocab).map(<[f32]>::to_vec).collect())
    }
}
