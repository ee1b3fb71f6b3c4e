//! The compiler's front door: verify a graph, run the pass pipeline, emit StableHLO text, and
//! time our side of it (the pipeline per pass, and the emitter).

use crate::ir::{verify::verify, Graph, IrError};
use crate::passes::{run_pipeline, PassError, PipelineOptions, PipelineReport};
use crate::stablehlo::{emit, EmitError};
use std::time::{Duration, Instant};
use thiserror::Error;

/// A compiled program: the lowered graph, its StableHLO text and how long each stage took.
#[derive(Clone, Debug)]
pub struct Program {
    /// The graph after the pipeline (primitive ops only).
    pub graph: Graph,
    /// StableHLO MLIR text.
    pub mlir: String,
    /// Per-pass timings and requested IR dumps.
    pub report: PipelineReport,
    /// Time spent printing StableHLO.
    pub emit_time: Duration,
}

impl Program {
    /// Our side of compilation: all passes plus the emitter.
    pub fn our_compile_time(&self) -> Duration {
        self.report.total() + self.emit_time
    }
}

/// Why a graph could not be compiled.
#[derive(Debug, Error)]
pub enum CompileError {
    /// The input graph is invalid.
    #[error("invalid graph: {0}")]
    Invalid(#[from] IrError),
    /// A pass failed.
    #[error(transparent)]
    Pass(#[from] PassError),
    /// The emitter failed.
    #[error(transparent)]
    Emit(#[from] EmitError),
}

/// Verifies `g`, runs the pipeline and emits StableHLO.
pub fn compile(g: Graph, opts: &PipelineOptions) -> Result<Program, CompileError> {
    verify(&g)?;
    let (graph, report) = run_pipeline(g, opts)?;
    let start = Instant::now();
    let mlir = emit(&graph)?;
    Ok(Program {
        graph,
        mlir,
        report,
        emit_time: start.elapsed(),
    })
}
