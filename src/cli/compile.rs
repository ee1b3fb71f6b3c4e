//! `flash compile`: IR text (a `.fir` file) to StableHLO, with the pipeline's IR dumps and
//! per-pass timings on request.

use crate::compiler::{compile, Program};
use crate::ir::text::parse_graph;
use crate::passes::{CumsumStrategy, PipelineOptions};
use crate::safetensors_io::write_atomically;
use anyhow::Context;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// How chunk-level prefix sums are lowered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CumsumFlag {
    /// Chosen per cumsum by the cost rule.
    Auto,
    /// A matmul with a triangular matrix.
    Matmul,
    /// A padded reduce_window.
    ReduceWindow,
    /// A log-step scan.
    LogScan,
}

impl CumsumFlag {
    fn strategy(self) -> CumsumStrategy {
        match self {
            CumsumFlag::Auto => CumsumStrategy::Auto,
            CumsumFlag::Matmul => CumsumStrategy::Matmul,
            CumsumFlag::ReduceWindow => CumsumStrategy::ReduceWindow,
            CumsumFlag::LogScan => CumsumStrategy::LogScan,
        }
    }
}

/// Options of the pass pipeline shared by the commands that compile.
#[derive(Debug, Args)]
pub struct PipelineFlags {
    /// Print the IR after every pass (to stderr).
    #[arg(long)]
    pub print_ir_after_all: bool,
    /// Print the IR after the named pass (repeatable).
    #[arg(long, value_name = "PASS")]
    pub print_ir_after: Vec<String>,
    /// Print per-pass timings (to stderr).
    #[arg(long)]
    pub timings: bool,
    /// Force one lowering of prefix sums.
    #[arg(long, value_enum, default_value_t = CumsumFlag::Auto)]
    pub cumsum: CumsumFlag,
    /// Verify the IR after every pass (always on in debug builds).
    #[arg(long)]
    pub verify_each: bool,
}

impl PipelineFlags {
    /// The pipeline options these flags ask for.
    pub fn options(&self) -> PipelineOptions {
        PipelineOptions {
            verify_each: self.verify_each || cfg!(debug_assertions),
            print_after_all: self.print_ir_after_all,
            print_after: self.print_ir_after.clone(),
            cumsum: self.cumsum.strategy(),
        }
    }

    /// Prints what was asked for: IR dumps and timings, to stderr.
    pub fn report(&self, program: &Program) {
        for (pass, text) in &program.report.dumps {
            eprintln!("// ----- IR after {pass} -----\n{text}");
        }
        if self.timings {
            eprint!("{}", program.report);
            eprintln!("emit StableHLO  {:>10.3}", program.emit_time.as_secs_f64() * 1e3);
        }
    }
}

/// Arguments of `flash compile`.
#[derive(Debug, Args)]
pub struct CompileArgs {
    /// A graph in IR text form.
    pub graph: PathBuf,
    /// Where to write the StableHLO text.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Pipeline options.
    #[command(flatten)]
    pub pipeline: PipelineFlags,
}

/// Runs `flash compile`.
pub fn run(args: CompileArgs) -> anyhow::Result<()> {
    let path = &args.graph;
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let graph = parse_graph(&text).map_err(|e| anyhow::anyhow!("{}:{e}", path.display()))?;
    let program = compile(graph, &args.pipeline.options()).with_context(|| format!("cannot compile {}", path.display()))?;
    args.pipeline.report(&program);
    write_atomically(&args.output, program.mlir.as_bytes())
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    Ok(())
}
