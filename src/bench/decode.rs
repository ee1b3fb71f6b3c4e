//! `flash bench --decode`: the inference twin of the step-latency benchmark. For each model
//! and context length n (the tokens already in the state) it times the prefill of an
//! n-token prompt (one execution, compile excluded) and then single decode steps at
//! positions n, n + 1, ... (median and minimum), and reports tokens per second and the size of
//! the decode state. FLASH's step should not depend on n; a key/value cache's grows with it.
//!
//! A step is a memory-bound program: it reads every parameter and the whole state once to
//! produce a handful of logits. So each record also says what the step must read
//! ([`DecodeRecord::bytes_per_step`]) and, when a [`Bandwidth`] was measured in the same run,
//! the least time that takes ([`DecodeRecord::bound_s`]): the decode roofline, as the train
//! bench's FLOP/s are set against a matmul peak.

use super::bandwidth::Bandwidth;
use super::error::BenchError;
use super::measure::median;
use super::options::bench_config;
use crate::config::{ModelKind, Precision};
use crate::decode::{state_specs, DecodeError, DecodeOptions, Decoder};
use crate::models::{init_params, param_specs};
use crate::passes::PipelineOptions;
use crate::runtime::Client;
use crate::target::{Target, TargetOf};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What to measure.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodeBenchOptions {
    /// The models.
    pub models: Vec<ModelKind>,
    /// Context lengths.
    pub seq_lens: Vec<usize>,
    /// Sequences decoded together.
    pub batch: usize,
    /// Model width d.
    pub width: usize,
    /// Transformer layers L (FLASH-Quad and FLASH get 2L).
    pub layers: usize,
    /// Timed decode steps per case.
    pub reps: usize,
    /// Untimed decode steps before them.
    pub warmup: usize,
    /// Seed of the parameters and the prompt.
    pub seed: u64,
    /// Time the prefill of the context (else the steps start from the empty state moved to
    /// the context length, which costs a key/value-cache step the same).
    pub prefill: bool,
    /// The models' compute precision.
    pub precision: Precision,
    /// The bandwidth the steps are compared with (`None`: not measured).
    pub bandwidth: Option<Bandwidth>,
}

/// One measured case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecodeRecord {
    /// The model kind's name.
    pub model: String,
    /// Tokens in the state before the timed steps.
    pub seq_len: usize,
    /// Sequences per step.
    pub batch: usize,
    /// Model width.
    pub width: usize,
    /// Layers.
    pub layers: usize,
    /// Median time of one decode step, in seconds.
    pub median_s: f64,
    /// Fastest decode step, in seconds.
    pub min_s: f64,
    /// Tokens generated per second at the median (`batch / median_s`).
    pub tokens_per_s: f64,
    /// Time of the prefill of the `seq_len`-token prompt, in seconds (one execution); `None`
    /// when it was not run.
    pub prefill_s: Option<f64>,
    /// Bytes of the decode state.
    pub state_bytes: u64,
    /// The plugin's platform.
    pub platform: String,
    /// The compute precision (`f32`, `bf16`).
    #[serde(default, with = "crate::config::names::by_name")]
    pub precision: Precision,
    /// Bytes a step reads at the least: every parameter and the whole state (0 in records
    /// written before it was measured).
    #[serde(default)]
    pub bytes_per_step: u64,
    /// The bandwidth measured in the same run (`None`: not measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth: Option<Bandwidth>,
}

impl DecodeRecord {
    /// The bytes a step reads per second at the median step time.
    pub fn bytes_per_s(&self) -> f64 {
        self.bytes_per_step as f64 / self.median_s.max(f64::MIN_POSITIVE)
    }

    /// The least time a step can take: its bytes at the measured bandwidth.
    pub fn bound_s(&self) -> Option<f64> {
        let b = self.bandwidth.as_ref()?;
        Some(b.time_for(self.bytes_per_step).as_secs_f64())
    }
}

/// Runs every case of `opts` on `client`, calling `progress(done, total)` after each.
pub fn run_decode_bench(
    client: &Arc<Client>,
    opts: &DecodeBenchOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<DecodeRecord>, BenchError> {
    let total = opts.models.len() * opts.seq_lens.len();
    let mut records = Vec::with_capacity(total);
    for &kind in &opts.models {
        for &n in &opts.seq_lens {
            records.push(run_case(client, opts, kind, n)?);
            progress(records.len(), total);
        }
    }
    Ok(records)
}

/// Measures one model at context length `n`.
fn run_case(
    client: &Arc<Client>,
    opts: &DecodeBenchOptions,
    kind: ModelKind,
    n: usize,
) -> Result<DecodeRecord, BenchError> {
    let capacity = n + opts.warmup + opts.reps + 1;
    let cfg = bench_config(kind, opts.width, opts.layers, capacity, opts.precision)?;
    let fail = |e: DecodeError| BenchError::TrainStep {
        model: kind.name(),
        seq_len: n,
        message: format!("decoding: {e}"),
    };
    let specs = param_specs(&cfg).map_err(|source| BenchError::Model {
        model: kind.name(),
        seq_len: n,
        source,
    })?;
    let params: Vec<_> = init_params(&specs, opts.seed)
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    let param_bytes: u64 = params.iter().map(|t| t.bytes.len() as u64).sum();
    let decode = DecodeOptions {
        batch: opts.batch,
        capacity,
    };
    let pipeline = PipelineOptions::for_target(Target::of(client));
    let mut d = Decoder::new(client.clone(), &cfg, &params, decode, &pipeline).map_err(fail)?;
    let prompt: Vec<u32> = (0..n).map(|i| ((i * 131 + 17) % 256) as u32).collect();
    let prefill_s = if opts.prefill {
        let exe = d.compile_prefill(n).map_err(fail)?;
        let start = Instant::now();
        d.run_prefill(&exe, &vec![prompt; opts.batch])
            .map_err(fail)?;
        Some(start.elapsed().as_secs_f64())
    } else {
        d.advance_to(n);
        None
    };
    let tokens = vec![1u32; opts.batch];
    let mut times: Vec<Duration> = Vec::with_capacity(opts.reps);
    for i in 0..opts.warmup + opts.reps {
        let start = Instant::now();
        d.step(&tokens).map_err(fail)?;
        if i >= opts.warmup {
            times.push(start.elapsed());
        }
    }
    let median_s = median(&times).as_secs_f64();
    let min_s = times
        .iter()
        .min()
        .copied()
        .unwrap_or_default()
        .as_secs_f64();
    Ok(DecodeRecord {
        model: kind.name().to_string(),
        seq_len: n,
        batch: opts.batch,
        width: cfg.width,
        layers: cfg.layers,
        median_s,
        min_s,
        tokens_per_s: opts.batch as f64 / median_s.max(f64::MIN_POSITIVE),
        prefill_s,
        state_bytes: state_bytes(&cfg, opts.batch, capacity),
        platform: client.platform_name().to_string(),
        precision: opts.precision,
        bytes_per_step: param_bytes + state_bytes(&cfg, opts.batch, capacity),
        bandwidth: opts.bandwidth,
    })
}

/// Bytes of the decode state of `cfg` for `batch` sequences and `capacity` cache positions.
fn state_bytes(cfg: &crate::config::ModelConfig, batch: usize, capacity: usize) -> u64 {
    state_specs(cfg, batch, capacity)
        .iter()
        .map(|s| (s.ty.num_elements() * s.ty.dtype.size_bytes()) as u64)
        .sum()
}

/// The records as a table, one line per case: the step's latency and throughput, its bytes
/// and the rate it reads them at, and the step time over the bandwidth bound ("x bound").
pub fn decode_table(records: &[DecodeRecord]) -> String {
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    let mut out = String::from(
        "model           context  batch   step ms (median/min)   tok/s   prefill s   state MiB  \
         MiB/step   GB/s  x bound\n",
    );
    for r in records {
        let of_bound = r.bound_s().map_or(f64::NAN, |b| r.median_s / b);
        out.push_str(&format!(
            "{:<15} {:>7} {:>6} {:>11.3} / {:<8.3} {:>8.1} {:>11.3} {:>11.3} {:>9.2} {:>6.1} {:>8.2}\n",
            r.model,
            r.seq_len,
            r.batch,
            r.median_s * 1e3,
            r.min_s * 1e3,
            r.tokens_per_s,
            r.prefill_s.unwrap_or(f64::NAN),
            mib(r.state_bytes),
            mib(r.bytes_per_step),
            r.bytes_per_s() / 1e9,
            of_bound
        ));
    }
    out
}
