//! `flash bench`: step latency of several models across context lengths at a constant number
//! of tokens per batch (the paper's Figures 5(a)/6(a)), with FLOP rates against a measured
//! matmul peak. Prints a table; `--json` writes one record per (model, length), `--plot` a
//! PNG of latency against length.

use super::device_args::{DeviceArgs, MeshArgs};
use super::model_args::choice;
use super::output;
use super::output::outln;
use super::paths::{check_not_an_input, check_output_file};
use crate::bench::plot::plot_latency;
use crate::bench::record::table;
use crate::bench::{parse_model, run_bench, BenchOptions, Progress, Stage, Workload};
use crate::chunk_choice::ChunkChoice;
use crate::config::Precision;
use crate::passes::CumsumStrategy;
use crate::train::Remat;
use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};

/// Arguments of `flash bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Models, comma-separated: transformer, transformer++, flash-quad, flash.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "transformer++,flash-quad,flash"
    )]
    pub models: Vec<String>,
    /// Sequence lengths, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "512,1024,2048,4096,8192")]
    pub seq_lens: Vec<usize>,
    /// Tokens per batch (the batch is this over the sequence length).
    #[arg(long, default_value_t = 8192)]
    pub tokens_per_batch: usize,
    /// Time the training step (forward, backward, AdamW); the default.
    #[arg(long, conflicts_with = "forward")]
    pub train: bool,
    /// Time the forward pass (LM loss) instead.
    #[arg(long)]
    pub forward: bool,
    /// Time generation instead: one decode step with n tokens already in the state, for
    /// each context length n, and the prefill of an n-token prompt (`--batch` sequences).
    #[arg(long, conflicts_with_all = ["train", "forward", "from_json", "tokens_per_batch"])]
    pub decode: bool,
    /// With --decode: start the steps from the empty state moved to each context length
    /// instead of prefilling it (a key/value-cache step costs the same; for contexts whose
    /// prefill does not fit in memory).
    #[arg(long, requires = "decode")]
    pub no_prefill: bool,
    /// Sequences per decode step (with --decode).
    #[arg(long, default_value_t = 1, requires = "decode")]
    pub batch: usize,
    /// Model width d.
    #[arg(long, default_value_t = 256)]
    pub width: usize,
    /// Transformer layers L; FLASH-Quad and FLASH get 2L.
    #[arg(long, default_value_t = 2)]
    pub layers: usize,
    /// Timed executions per model and length.
    #[arg(long, default_value_t = 3)]
    pub reps: usize,
    /// Untimed executions before them (two: the first ones also grow the retained host heap
    /// to its steady size, see `flash_runtime::keep_freed_host_memory`).
    #[arg(long, default_value_t = 2)]
    pub warmup: usize,
    /// Cumsum lowering.
    #[arg(long, value_parser = choice::<CumsumStrategy>(), default_value_t = CumsumStrategy::Auto)]
    pub cumsum: CumsumStrategy,
    /// FLASH's chunk size: a number, or `auto` to choose it per sequence length for the
    /// plugin's machine [default: the preset's, 256 at width 256 and above, else 64].
    #[arg(long, value_name = "auto|C")]
    pub chunk: Option<ChunkChoice>,
    /// Size n of the n x n x n matmul measuring the peak, in the compute precision (0 skips
    /// it).
    #[arg(long, default_value_t = 2048)]
    pub peak_size: usize,
    /// With --decode: MiB of the array whose copy measures the memory bandwidth the steps
    /// are set against (0 skips it).
    #[arg(long, value_name = "MIB", default_value_t = 256, requires = "decode")]
    pub bandwidth_size: usize,
    /// Seed of the random parameters and tokens.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The plugin and its devices.
    #[command(flatten)]
    pub devices: DeviceArgs,
    /// Spread each program over a device mesh (train step and forward; JSON records gain
    /// `mesh`, and XLA's memory figures are then per device).
    #[command(flatten)]
    pub mesh: MeshArgs,
    /// Write the records as JSON here.
    #[arg(long, value_name = "OUT.json")]
    pub json: Option<PathBuf>,
    /// Draw latency against sequence length as a PNG here.
    #[arg(long, value_name = "OUT.png")]
    pub plot: Option<PathBuf>,
    /// Do not run anything: read the records of an earlier `--json` file, print their table
    /// and draw `--plot` from them.
    #[arg(long, value_name = "IN.json")]
    pub from_json: Option<PathBuf>,
    /// Write each program's StableHLO into this folder (`MODEL-T.WORKLOAD.mlir`).
    #[arg(long, value_name = "DIR")]
    pub dump_mlir: Option<PathBuf>,
    /// What the train step's backward pass recomputes: none, attention or layer [default:
    /// none].
    #[arg(long, value_parser = choice::<Remat>(), conflicts_with_all = ["forward", "decode"])]
    pub remat: Option<Remat>,
    /// Compute precision of the models and of the peak matmul: f32, or bf16 (f32
    /// parameters and loss, bf16 matrix products; the peak is then a bf16 matmul's).
    #[arg(long, value_parser = choice::<Precision>(), default_value_t = Precision::F32)]
    pub precision: Precision,
}

impl BenchArgs {
    /// The benchmark the arguments describe (checked).
    pub fn options(&self) -> anyhow::Result<BenchOptions> {
        let models = self
            .models
            .iter()
            .map(|m| parse_model(m))
            .collect::<Result<Vec<_>, _>>()?;
        let opts = BenchOptions {
            models,
            seq_lens: self.seq_lens.clone(),
            tokens_per_batch: self.tokens_per_batch,
            workload: if self.forward {
                Workload::Forward
            } else {
                Workload::Train
            },
            width: self.width,
            layers: self.layers,
            reps: self.reps,
            warmup: self.warmup,
            cumsum: self.cumsum,
            chunk: self.chunk,
            seed: self.seed,
            peak_size: self.peak_size,
            dump_mlir: self.dump_mlir.clone(),
            remat: self.remat.unwrap_or_default(),
            precision: self.precision,
            parallel: self.mesh.parallelism(),
        };
        opts.validate()?;
        Ok(opts)
    }
}

/// Runs `flash bench`.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    for (flag, path) in [("--json", &args.json), ("--plot", &args.plot)] {
        if let Some(path) = path {
            check_output_file(flag, path)?;
            if let Some(input) = &args.from_json {
                check_not_an_input(flag, path, &[("--from-json", input)])?;
            }
        }
    }
    if args.decode {
        return super::bench_decode::run(&args);
    }
    if let Some(path) = &args.from_json {
        return replot(path, &args);
    }
    let opts = args.options()?;
    if let Some(dir) = &opts.dump_mlir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let client = args.devices.client()?;
    let cases = (opts.models.len() * opts.seq_lens.len()) as u64;
    let bar = ProgressBar::new(cases);
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} [{elapsed}] {msg}") {
        bar.set_style(style);
    }
    let report = run_bench(&client, &opts, &mut |p| show(&bar, p));
    bar.finish_and_clear();
    let report = report?;
    if let Some(peak) = &report.peak {
        let gflops = peak.flops_per_s() / 1e9;
        outln!(
            "peak: {gflops:.1} GFLOP/s ({n}^3 {dtype} matmul on {})",
            client.platform_name(),
            n = peak.size,
            dtype = peak.dtype.mlir_name()
        );
    }
    output::text(&table(&report.records))?;
    if let Some(path) = &args.json {
        write_json(path, &report.records)?;
    }
    if let Some(path) = &args.plot {
        plot_latency(&report.records, path)?;
    }
    Ok(())
}

/// Writes `records` as pretty JSON to `path`.
pub(super) fn write_json<T: serde::Serialize>(path: &Path, records: &[T]) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(records)?;
    crate::atomic_write::write_atomically(path, (text + "\n").as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// `--from-json`: the table and plot of saved records.
fn replot(path: &Path, args: &BenchArgs) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    output::text(&crate::bench::plot::replot(
        &text,
        path,
        args.plot.as_deref(),
    )?)?;
    Ok(())
}

/// Updates the progress bar for one event.
fn show(bar: &ProgressBar, p: Progress) {
    match p {
        Progress::Peak => bar.set_message("measuring the matmul peak"),
        Progress::Case {
            model,
            seq_len,
            stage,
            ..
        } => {
            let name = model.name();
            match stage {
                Stage::Compiling => bar.set_message(format!("{name} T={seq_len}: compiling")),
                Stage::Ran { run, total } => {
                    bar.set_message(format!("{name} T={seq_len}: run {run}/{total}"))
                }
                Stage::Done => bar.inc(1),
            }
        }
    }
}
