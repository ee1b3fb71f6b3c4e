//! `flash bench --decode`: the inference twin of the step-latency benchmark. For each model
//! and context length n (the tokens already in the state) it times the prefill of an
//! n-token prompt (one execution, compile excluded) and then single decode steps at
//! positions n, n + 1, ... (median and minimum), and reports tokens per second and the size of
//! the decode state. FLASH's step should not depend on n; a key/value cache's grows with it.

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
    })
}

/// Bytes of the decode state of `cfg` for `batch` sequences and `capacity` cache positions.
fn state_bytes(cfg: &crate::config::ModelConfig, batch: usize, capacity: usize) -> u64 {
    state_specs(cfg, batch, capacity)
        .iter()
        .map(|s| (s.ty.num_elements() * s.ty.dtype.size_bytes()) as u64)
        .sum()
}

/// The records as a table, one line per case.
pub fn decode_table(records: &[DecodeRecord]) -> String {
    let mut out = String::from(
        "model           context  batch   step ms (median/min)   tok/s   prefill s   state MiB\n",
    );
    for r in records {
        out.push_str(&format!(
            "{:<15} {:>7} {:>6} {:>11.3} / {:<8.3} {:>8.1} {:>11.3} {:>11.3}\n",
            r.model,
            r.seq_len,
            r.batch,
            r.median_s * 1e3,
            r.min_s * 1e3,
            r.tokens_per_s,
            r.prefill_s.unwrap_or(f64::NAN),
            r.state_bytes as f64 / (1024.0 * 1024.0)
        ));
    }
    out
}
