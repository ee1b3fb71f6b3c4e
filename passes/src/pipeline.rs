//! The pipeline: the one ordered, named list of passes ([`pipeline`]) and the runner that
//! verifies after each pass, dumps IR on request and times every pass ([`run_pipeline`]).

use crate::chunk_attention::LowerChunkAttention;
use crate::error::PassError;
use crate::pass::{Pass, PassOptions};
use crate::upcast_mixed_dots::UpcastMixedDots;
use crate::{
    Canonicalize, CollapseContractingDims, Cse, CumsumStrategy, Dce, FoldConstants, FoldIntoDot,
    LowerCumsum, MaterializeTables,
};
use flash_ir::text::print_graph;
use flash_ir::verify::verify;
use flash_ir::Graph;
use std::fmt;
use std::time::{Duration, Instant};

/// The passes, in the order they run.
pub fn pipeline() -> Vec<Box<dyn Pass>> {
    vec![
        // First: FLASH's mixed-chunk attention. It must run before lower_cumsum because its
        // lowering emits the chunk-level (exclusive) cumsum.
        Box::new(LowerChunkAttention),
        // Composite lowerings come before the cleanups, so the cleanups see their output.
        Box::new(LowerCumsum),
        // A backend legalisation; before the cleanups so its converts are folded and merged.
        Box::new(UpcastMixedDots),
        // Before folding: removes identity ops (e.g. a transpose back into place) so the
        // folder sees constants directly and has less to walk.
        Box::new(Canonicalize),
        // After the lowerings and autodiff's transposes have been composed by canonicalize
        // (it sees each dot's real producer); before cse/dce, which clean up what it bypasses.
        Box::new(FoldIntoDot),
        // After fold_into_dot, which can expose adjacent contracting dims; its reshapes are
        // row-major relabellings, left as they are (the backend folds reshape chains).
        Box::new(CollapseContractingDims),
        // After canonicalize; before cse, so folded results with equal literals can merge.
        Box::new(FoldConstants),
        // Before dce: merging leaves the duplicates dead.
        Box::new(Cse),
        // After cse, which merges the copies of a table before its consumers are counted;
        // before dce.
        Box::new(MaterializeTables),
        // Last: removes everything the passes above bypassed.
        Box::new(Dce),
    ]
}

/// The names of the pipeline's passes, in order.
pub fn pass_names() -> Vec<&'static str> {
    pipeline().iter().map(|p| p.name()).collect()
}

/// Options of [`run_pipeline`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PipelineOptions {
    /// Run the verifier on the input and after every pass (default: in debug builds).
    pub verify_each: bool,
    /// Dump the IR text after every pass.
    pub print_after_all: bool,
    /// Dump the IR text after the passes with these names.
    pub print_after: Vec<String>,
    /// How `lower_cumsum` lowers cumsums.
    pub cumsum: CumsumStrategy,
    /// Widen bf16/f16 operands of dots that accumulate in f32 (needed by XLA's CPU runtime;
    /// turn off for GPU/TPU plugins, which multiply narrow floats natively).
    pub upcast_mixed_dots: bool,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            verify_each: cfg!(debug_assertions),
            print_after_all: false,
            print_after: Vec::new(),
            cumsum: CumsumStrategy::default(),
            upcast_mixed_dots: true,
        }
    }
}

impl PipelineOptions {
    fn pass_options(&self) -> PassOptions {
        PassOptions {
            cumsum: self.cumsum,
            upcast_mixed_dots: self.upcast_mixed_dots,
        }
    }
}

/// The wall time one pass took (verification and dumps not included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassTiming {
    /// The pass name.
    pub name: &'static str,
    /// Its wall time.
    pub duration: Duration,
}

/// What a pipeline run reports besides the graph.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PipelineReport {
    /// One entry per pass, in the order they ran.
    pub timings: Vec<PassTiming>,
    /// The requested IR dumps: (pass name, IR text after it), in order.
    pub dumps: Vec<(&'static str, String)>,
}

impl PipelineReport {
    /// The sum of the pass timings.
    pub fn total(&self) -> Duration {
        self.timings.iter().map(|t| t.duration).sum()
    }
}

impl fmt::Display for PipelineReport {
    /// The timing table: one row per pass, then the total, in milliseconds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .timings
            .iter()
            .map(|t| t.name.len())
            .max()
            .unwrap_or(0)
            .max(5);
        writeln!(f, "{:<width$}  {:>10}", "pass", "time (ms)")?;
        for t in &self.timings {
            writeln!(f, "{:<width$}  {:>10.3}", t.name, millis(t.duration))?;
        }
        writeln!(f, "{:<width$}  {:>10.3}", "total", millis(self.total()))
    }
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs [`pipeline`] on `g`.
pub fn run_pipeline(
    g: Graph,
    opts: &PipelineOptions,
) -> Result<(Graph, PipelineReport), PassError> {
    run_passes(g, &pipeline(), opts)
}

/// Runs `passes` in order on `g`, as [`run_pipeline`] does with the pipeline's list.
///
/// Fails before running anything if `print_after` names a pass not in `passes`, or if
/// `verify_each` is set and `g` does not verify; fails naming the pass if a pass fails or
/// (with `verify_each`) leaves a graph that does not verify.
pub fn run_passes(
    mut g: Graph,
    passes: &[Box<dyn Pass>],
    opts: &PipelineOptions,
) -> Result<(Graph, PipelineReport), PassError> {
    check_print_after(passes, &opts.print_after)?;
    if opts.verify_each {
        verify(&g).map_err(PassError::InvalidInput)?;
    }
    let pass_opts = opts.pass_options();
    let mut report = PipelineReport::default();
    for pass in passes {
        let name = pass.name();
        let start = Instant::now();
        g = pass.run(g, &pass_opts).map_err(|e| PassError::InPass {
            pass: name,
            source: Box::new(e),
        })?;
        report.timings.push(PassTiming {
            name,
            duration: start.elapsed(),
        });
        if opts.verify_each {
            verify(&g).map_err(|source| PassError::VerifyAfter { pass: name, source })?;
        }
        if opts.print_after_all || opts.print_after.iter().any(|p| p == name) {
            report.dumps.push((name, print_graph(&g)));
        }
    }
    Ok((g, report))
}

fn check_print_after(passes: &[Box<dyn Pass>], requested: &[String]) -> Result<(), PassError> {
    let valid: Vec<&'static str> = passes.iter().map(|p| p.name()).collect();
    match requested.iter().find(|r| !valid.contains(&r.as_str())) {
        Some(name) => Err(PassError::UnknownPass {
            name: name.clone(),
            valid,
        }),
        None => Ok(()),
    }
}
