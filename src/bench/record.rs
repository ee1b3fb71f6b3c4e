//! The result of one benchmark case ([`Record`], one JSON object per model and length) and
//! the text table printed on stdout.

use super::error::BenchError;
use super::measure::{Measured, Peak};
use super::options::Workload;
use super::program::Prepared;
use crate::config::Precision;
use crate::parallel::Parallelism;
use crate::runtime::MemoryStats;
use crate::train::Remat;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One (model, sequence length) measurement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Model kind (`transformer++`, `flash-quad`, `flash`, ...).
    pub model: String,
    /// `forward` or `train`.
    pub workload: String,
    /// Sequence length T.
    pub seq_len: usize,
    /// Sequences per batch.
    pub batch: usize,
    /// Layers of this model (2L for the GAU models).
    pub layers: usize,
    /// Model width d.
    pub width: usize,
    /// Expansion e.
    pub expansion: usize,
    /// Shared attention width s.
    pub shared: usize,
    /// FLASH chunk size C.
    pub chunk: usize,
    /// Parameter count.
    pub params: usize,
    /// Timed executions.
    pub reps: usize,
    /// Median step time (seconds).
    pub median_s: f64,
    /// Fastest step time (seconds).
    pub min_s: f64,
    /// Matmul FLOPs of one execution, from the cost model over the compiled graph.
    pub flops: u64,
    /// Elementwise FLOPs (not in `flops`).
    pub elementwise_flops: u64,
    /// Reduction FLOPs (not in `flops`).
    pub reduce_flops: u64,
    /// The closed form of FLASH.md section 5 (train step: three forward passes).
    pub formula_flops: u64,
    /// `flops / median_s`.
    pub flops_per_s: f64,
    /// The dense-matmul peak measured in the same run, if measured.
    pub peak_flops_per_s: Option<f64>,
    /// `flops_per_s / peak_flops_per_s`.
    pub peak_fraction: Option<f64>,
    /// `flops / min_s / peak_flops_per_s`: the fraction of the fastest run, less disturbed by
    /// other load on the machine.
    pub best_peak_fraction: Option<f64>,
    /// XLA's compile time (seconds).
    pub xla_compile_s: f64,
    /// Our compile time: graph building, passes and emission (seconds).
    pub our_compile_s: f64,
    /// XLA's compiled memory statistics, if the plugin gives them.
    pub memory: Option<MemoryRecord>,
    /// The PJRT platform (`cpu`, `cuda`, ...).
    pub platform: String,
    /// The device mesh (`data=2, model=2`), or `None` on one device; the memory figures
    /// are then per device.
    #[serde(default)]
    pub mesh: Option<String>,
    /// ZeRO-1: the optimizer moments split over `data` too.
    #[serde(default)]
    pub shard_optimizer: bool,
    /// The compute precision (`f32`, `bf16`).
    #[serde(default, with = "crate::config::names::by_name")]
    pub precision: Precision,
    /// What the train step's backward pass recomputed (`none`, `attention`, `layer`).
    #[serde(default, with = "crate::config::names::by_name")]
    pub remat: Remat,
}

/// XLA's memory plan of one executable, in bytes (device and host figures).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryRecord {
    /// Arguments.
    pub argument_bytes: i64,
    /// Outputs.
    pub output_bytes: i64,
    /// Argument bytes reused by outputs (donation).
    pub alias_bytes: i64,
    /// Temporaries.
    pub temp_bytes: i64,
    /// Generated code.
    pub generated_code_bytes: i64,
    /// Arguments in host memory.
    pub host_argument_bytes: i64,
    /// Outputs in host memory.
    pub host_output_bytes: i64,
    /// Temporaries in host memory.
    pub host_temp_bytes: i64,
    /// Peak memory where the plugin computes it (0 otherwise).
    pub peak_memory_bytes: i64,
}

impl From<MemoryStats> for MemoryRecord {
    fn from(m: MemoryStats) -> Self {
        MemoryRecord {
            argument_bytes: m.argument_bytes,
            output_bytes: m.output_bytes,
            alias_bytes: m.alias_bytes,
            temp_bytes: m.temp_bytes,
            generated_code_bytes: m.generated_code_bytes,
            host_argument_bytes: m.host_argument_bytes,
            host_output_bytes: m.host_output_bytes,
            host_temp_bytes: m.host_temp_bytes,
            peak_memory_bytes: m.peak_memory_bytes,
        }
    }
}

impl Record {
    /// Assembles a record from a prepared case and its timing (no peak yet, see
    /// [`Record::set_peak`]).
    pub fn new(p: &Prepared, m: &Measured, workload: Workload, platform: &str) -> Record {
        let median_s = m.median().as_secs_f64();
        let flops_per_s = p.cost.matmul as f64 / median_s.max(1e-12);
        Record {
            model: p.cfg.kind.name().to_string(),
            workload: workload.name().to_string(),
            seq_len: p.seq_len,
            batch: p.batch,
            layers: p.cfg.layers,
            width: p.cfg.width,
            expansion: p.cfg.expansion(),
            shared: p.cfg.shared,
            chunk: p.cfg.chunk,
            params: crate::models::count_params(&p.specs),
            reps: m.times.len(),
            median_s,
            min_s: m.min().as_secs_f64(),
            flops: p.cost.matmul,
            elementwise_flops: p.cost.elementwise,
            reduce_flops: p.cost.reduce,
            formula_flops: p.formula_flops,
            flops_per_s,
            peak_flops_per_s: None,
            peak_fraction: None,
            best_peak_fraction: None,
            xla_compile_s: m.xla_compile.as_secs_f64(),
            our_compile_s: p.our_compile.as_secs_f64(),
            memory: m.memory.map(MemoryRecord::from),
            platform: platform.to_string(),
            mesh: None,
            shard_optimizer: false,
            precision: p.cfg.precision,
            remat: Remat::None,
        }
    }

    /// Records the mesh the case ran on.
    pub fn set_mesh(&mut self, parallel: Option<&Parallelism>) {
        self.mesh = parallel.map(|p| p.mesh.to_string());
        self.shard_optimizer = parallel.is_some_and(|p| p.shard_optimizer);
    }

    /// Sets the peak and the fractions of it.
    pub fn set_peak(&mut self, peak: &Peak) {
        let pk = peak.flops_per_s();
        self.peak_flops_per_s = Some(pk);
        self.peak_fraction = Some(self.flops_per_s / pk);
        self.best_peak_fraction = Some(self.flops as f64 / self.min_s.max(1e-12) / pk);
    }

    /// Temporary memory in MiB (device or host figure, whichever the plugin fills).
    pub fn temp_mib(&self) -> Option<f64> {
        self.memory
            .map(|m| m.temp_bytes.max(m.host_temp_bytes) as f64 / (1 << 20) as f64)
    }
}

impl Record {
    /// Why this record cannot be shown as a row of the table and a point of the plot: a
    /// context length or batch of 0, `batch x seq_len` beyond a count, a time that is not a
    /// finite number above 0.
    pub fn problem(&self) -> Option<String> {
        if self.seq_len == 0 || self.batch == 0 {
            let (b, t) = (self.batch, self.seq_len);
            return Some(format!(
                "batch {b} and seq_len {t}: both must be at least 1"
            ));
        }
        if self.batch.checked_mul(self.seq_len).is_none() {
            return Some("batch x seq_len does not fit in a count".into());
        }
        [("median_s", self.median_s), ("min_s", self.min_s)]
            .into_iter()
            .find(|(_, v)| !(v.is_finite() && *v > 0.0 && *v < 1e300))
            .map(|(name, v)| {
                format!("{name} is {v}; a time is a number of seconds above 0 and below 1e300")
            })
    }
}

/// The records of an earlier `--json` file (`text`, read from `path`), each checked with
/// [`Record::problem`]; the error names the file and the record.
pub fn parse_records(text: &str, path: &Path) -> Result<Vec<Record>, BenchError> {
    let fail = |message: String| BenchError::Records {
        path: path.into(),
        message,
    };
    let records: Vec<Record> = serde_json::from_str(text)
        .map_err(|e| fail(format!("not a list of bench records: {e}")))?;
    for (i, r) in records.iter().enumerate() {
        if let Some(problem) = r.problem() {
            let (model, t) = (&r.model, r.seq_len);
            return Err(fail(format!("record {i} ({model:?}, T = {t}): {problem}")));
        }
    }
    Ok(records)
}

/// The table's columns: heading and width (the first is left-aligned).
const COLUMNS: [(&str, usize); 13] = [
    ("model", 14),
    ("T", 5),
    ("B", 3),
    ("L", 3),
    ("median", 9),
    ("min", 9),
    ("GFLOP", 8),
    ("GFLOP/s", 8),
    ("%peak", 6),
    ("%best", 6),
    ("XLA comp", 9),
    ("ours", 8),
    ("temp MiB", 9),
];

/// The table of `records`: one row per record. `%peak` uses the median time, `%best` the
/// fastest run.
pub fn table(records: &[Record]) -> String {
    let mut out = row(COLUMNS.map(|(h, _)| h.to_string()));
    for r in records {
        let pct = |f: Option<f64>| f.map_or("-".to_string(), |f| format!("{:.1}", 100.0 * f));
        out += &row([
            r.model.clone(),
            r.seq_len.to_string(),
            r.batch.to_string(),
            r.layers.to_string(),
            secs(r.median_s),
            secs(r.min_s),
            format!("{:.2}", r.flops as f64 / 1e9),
            format!("{:.2}", r.flops_per_s / 1e9),
            pct(r.peak_fraction),
            pct(r.best_peak_fraction),
            secs(r.xla_compile_s),
            secs(r.our_compile_s),
            r.temp_mib().map_or("-".to_string(), |m| format!("{m:.1}")),
        ]);
    }
    out
}

/// One line of the table.
fn row(cells: [String; 13]) -> String {
    let padded: Vec<String> = cells
        .iter()
        .zip(COLUMNS)
        .enumerate()
        .map(|(i, (c, (_, w)))| {
            if i == 0 {
                format!("{c:<w$}")
            } else {
                format!("{c:>w$}")
            }
        })
        .collect();
    padded.join(" ") + "\n"
}

/// Seconds with a unit that keeps three significant digits.
fn secs(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.0} us", s * 1e6)
    }
}
