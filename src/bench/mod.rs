//! Benchmarks of whole models on a PJRT plugin, as in the paper's Figures 5(a) and 6(a):
//! step latency of Transformer++, FLASH-Quad and FLASH across context lengths at a constant
//! number of tokens per batch; and ([`decode`]) the latency of one generated token against
//! the context already in the state.
//!
//! For each model and length, [`run_bench`] builds and compiles the program once
//! ([`program`]), lets XLA compile it, uploads random inputs once, warms up and times the
//! executions ([`mod@measure`]), and reports FLOPs from the cost model ([`crate::cost`]) over the
//! compiled graph, the achieved FLOP/s against a dense-matmul peak measured in the same run on
//! the same plugin, and XLA's memory plan ([`record`]). `plot` (with the `cli` feature) draws
//! latency against length.
//!
//! The peak is sampled before the first case, between cases and after the last, and the best
//! sample counts: on a shared machine a single sample can be slowed by other load, which would
//! inflate every fraction of it. FLOP/s count matmul FLOPs (model FLOPs, as in the paper);
//! the elementwise and reduction FLOPs are reported beside them.
//!
//! ```no_run
//! # fn main() -> Result<(), flash::bench::BenchError> {
//! use flash::bench::{run_bench, BenchOptions, Workload};
//! let client = flash::runtime::shared_client(None)?;
//! let opts = BenchOptions { workload: Workload::Forward, seq_lens: vec![512, 1024], ..BenchOptions::default() };
//! let report = run_bench(&client, &opts, &mut |_| {})?;
//! print!("{}", flash::bench::record::table(&report.records));
//! # Ok(()) }
//! ```

pub mod bandwidth;
pub mod decode;
pub mod error;
pub mod measure;
pub mod options;
#[cfg(feature = "cli")]
pub mod plot;
pub mod program;
pub mod record;

pub use bandwidth::{measure_bandwidth, Bandwidth};
pub use decode::{decode_table, run_decode_bench, DecodeBenchOptions, DecodeRecord};
pub use error::BenchError;
pub use measure::Peak;
pub use options::{bench_config, parse_model, BenchOptions, Workload};
pub use record::Record;

use crate::config::ModelKind;
use crate::parallel::Placement;
use crate::runtime::Client;
use crate::target::{Target, TargetOf};
use measure::{measure, measure_peak, Runs};
use std::sync::Arc;

/// What [`run_bench`] reports as it goes, for a progress display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Measuring the dense-matmul peak.
    Peak,
    /// Case `index` of `total` (0-based) is at `stage`.
    Case {
        /// Case number.
        index: usize,
        /// Number of cases.
        total: usize,
        /// The model.
        model: ModelKind,
        /// The sequence length.
        seq_len: usize,
        /// What it is doing.
        stage: Stage,
    },
}

/// Where one case is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Building the graph and compiling it (our side, then XLA).
    Compiling,
    /// Execution `run` of `total` (warm-up included) finished.
    Ran {
        /// Executions done.
        run: usize,
        /// Executions in all.
        total: usize,
    },
    /// The case is finished.
    Done,
}

/// Everything one benchmark run measured.
#[derive(Clone, Debug)]
pub struct BenchReport {
    /// The dense-matmul peak (the best of samples taken before, between and after the
    /// cases), unless skipped.
    pub peak: Option<Peak>,
    /// One record per model and length, models outermost.
    pub records: Vec<Record>,
}

/// Runs the benchmark `opts` on `client`, calling `progress` as it goes.
pub fn run_bench(
    client: &Arc<Client>,
    opts: &BenchOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<BenchReport, BenchError> {
    opts.validate()?;
    if let Some(p) = &opts.parallel {
        crate::parallel::check_devices(&p.mesh, client.devices().len())?;
    }
    for &kind in &opts.models {
        opts.config(kind)?;
    }
    let mut peak = None;
    let cases: Vec<(ModelKind, usize)> = opts
        .models
        .iter()
        .flat_map(|&m| opts.seq_lens.iter().map(move |&t| (m, t)))
        .collect();
    let mut records = Vec::with_capacity(cases.len());
    for (index, &(model, seq_len)) in cases.iter().enumerate() {
        refresh_peak(client, opts, &mut peak, progress)?;
        let mut report = |stage| {
            progress(Progress::Case {
                index,
                total: cases.len(),
                model,
                seq_len,
                stage,
            })
        };
        records.push(run_case(client, opts, model, seq_len, &mut report)?);
        // The next program's buffers have other sizes: give this one's retained heap back.
        crate::runtime::release_freed_host_memory();
        report(Stage::Done);
    }
    refresh_peak(client, opts, &mut peak, progress)?;
    if let Some(p) = &peak {
        records.iter_mut().for_each(|r| r.set_peak(p));
    }
    Ok(BenchReport { peak, records })
}

/// Measures the matmul peak again (unless `size` is 0) and keeps the faster of it and `peak`.
/// Sampling it between the cases makes the best figure robust to other load on the machine.
fn refresh_peak(
    client: &Arc<Client>,
    opts: &BenchOptions,
    peak: &mut Option<Peak>,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), BenchError> {
    if opts.peak_size == 0 {
        return Ok(());
    }
    progress(Progress::Peak);
    let reps = if peak.is_some() { 2 } else { 5 };
    let now = measure_peak(client, opts.peak_size, opts.precision.dtype(), reps)?;
    if peak.is_none_or(|p| now.best < p.best) {
        *peak = Some(now);
    }
    Ok(())
}

/// Builds, compiles and times one model at one length.
fn run_case(
    client: &Arc<Client>,
    opts: &BenchOptions,
    model: ModelKind,
    seq_len: usize,
    report: &mut dyn FnMut(Stage),
) -> Result<Record, BenchError> {
    report(Stage::Compiling);
    let target = Target::of(client);
    let prepared = program::prepare(model, seq_len, opts, target)?;
    if let Some(dir) = &opts.dump_mlir {
        let path = dir.join(format!(
            "{}-{seq_len}.{}.mlir",
            model.name(),
            opts.workload.name()
        ));
        std::fs::write(&path, &prepared.program.mlir)
            .map_err(|source| BenchError::Write { path, source })?;
    }
    let inputs = program::inputs(
        &prepared.program.graph,
        &prepared.specs,
        prepared.cfg.vocab,
        opts.seed,
    )?;
    let runs = Runs {
        warmup: opts.warmup,
        reps: opts.reps,
        on_run: &mut |run, total| report(Stage::Ran { run, total }),
    };
    let placement = Placement::new(client.clone(), opts.parallel.as_ref().map(|p| &p.mesh))?;
    let (mlir, graph) = (&prepared.program.mlir, &prepared.program.graph);
    let measured = measure(&placement, mlir, graph, &inputs, runs)?;
    let mut record = Record::new(&prepared, &measured, opts.workload, client.platform_name());
    record.set_mesh(opts.parallel.as_ref());
    if opts.workload == Workload::Train {
        record.remat = opts.remat;
    }
    Ok(record)
}
