//! The pipeline: the one ordered, named list of passes ([`pipeline`]) with the per-target
//! table that decides which target-dependent passes run and what the passes are handed
//! ([`Tuning`]), and the runner that verifies after each pass, dumps IR on request and times
//! every pass ([`run_pipeline`]).

use crate::chunk_attention::LowerChunkAttention;
use crate::error::PassError;
use crate::lower_cumsum::CumsumAuto;
use crate::pass::{Pass, PassOptions};
use crate::target::Target;
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

/// What the pipeline does differently per target: which target-dependent passes run, and the
/// values the passes read (through [`PassOptions::tuning`]). [`Tuning::of`] is the one table;
/// the passes never ask which target they compile for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tuning {
    /// Run `upcast_mixed_dots`: XLA's CPU runtime lacks some bf16 x bf16 -> f32 dot kernels;
    /// GPUs and TPUs multiply narrow floats natively, where widening only costs bandwidth.
    pub upcast_mixed_dots: bool,
    /// Run `materialize_tables` (measured on the XLA CPU train step: see the pass).
    pub materialize_tables: bool,
    /// Apply `fold_into_dot`'s rule 2 (a result transpose becomes swapped dot operands).
    pub swap_dot_results: bool,
    /// The thresholds of `lower_cumsum`'s `auto` (measured on XLA CPU: see
    /// [`CumsumStrategy`]).
    pub cumsum_auto: CumsumAuto,
}

impl Tuning {
    /// The values tuned on XLA's CPU runtime (the measurements are in each pass's docs).
    pub const XLA_CPU: Tuning = Tuning {
        upcast_mixed_dots: true,
        materialize_tables: true,
        swap_dot_results: true,
        cumsum_auto: CumsumAuto {
            matmul_max_n: 256,
            float_matmul_max_n: 1024,
            float_matmul_max_work: 1 << 24,
        },
    };

    /// The tuning of `target`. GPUs and TPUs are not measured here: they take the CPU's
    /// values, except that they keep narrow-float dots narrow.
    pub fn of(target: Target) -> Tuning {
        match target {
            Target::Cpu => Tuning::XLA_CPU,
            Target::Gpu | Target::Tpu => Tuning {
                upcast_mixed_dots: false,
                ..Tuning::XLA_CPU
            },
        }
    }
}

/// The passes for `tuning` (a target's: [`Tuning::of`]), in the order they run.
pub fn pipeline(tuning: &Tuning) -> Vec<Box<dyn Pass>> {
    [
        // First: FLASH's mixed-chunk attention. It must run before lower_cumsum because its
        // lowering emits the chunk-level (exclusive) cumsum.
        always(LowerChunkAttention),
        // Composite lowerings come before the cleanups, so the cleanups see their output.
        always(LowerCumsum),
        // A backend legalisation; before the cleanups so its converts are folded and merged.
        when(tuning.upcast_mixed_dots, UpcastMixedDots),
        // Before folding: removes identity ops (e.g. a transpose back into place) so the
        // folder sees constants directly and has less to walk.
        always(Canonicalize),
        // After the lowerings and autodiff's transposes have been composed by canonicalize
        // (it sees each dot's real producer); before cse/dce, which clean up what it bypasses.
        always(FoldIntoDot),
        // After fold_into_dot, which can expose adjacent contracting dims; its reshapes are
        // row-major relabellings, left as they are (the backend folds reshape chains).
        always(CollapseContractingDims),
        // After canonicalize; before cse, so folded results with equal literals can merge.
        always(FoldConstants),
        // Before dce: merging leaves the duplicates dead.
        always(Cse),
        // After cse, which merges the copies of a table before its consumers are counted;
        // before dce.
        when(tuning.materialize_tables, MaterializeTables),
        // Last: removes everything the passes above bypassed.
        always(Dce),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// A pass every target runs.
fn always(pass: impl Pass + 'static) -> Option<Box<dyn Pass>> {
    Some(Box::new(pass))
}

/// A pass that runs where the tuning says `on`.
fn when(on: bool, pass: impl Pass + 'static) -> Option<Box<dyn Pass>> {
    on.then(|| Box::new(pass) as Box<dyn Pass>)
}

/// The names of the passes for `tuning`, in order.
pub fn pass_names(tuning: &Tuning) -> Vec<&'static str> {
    pipeline(tuning).iter().map(|p| p.name()).collect()
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
    /// The machine the program is for: picks the passes and their tuning ([`Tuning::of`]).
    pub target: Target,
    /// Keep bf16/f16 dots with wider float results narrow even where the target widens them
    /// (`--keep-mixed-dots`): drops `upcast_mixed_dots` from the pipeline.
    pub keep_mixed_dots: bool,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            verify_each: cfg!(debug_assertions),
            print_after_all: false,
            print_after: Vec::new(),
            cumsum: CumsumStrategy::default(),
            target: Target::default(),
            keep_mixed_dots: false,
        }
    }
}

impl PipelineOptions {
    /// The default options for `target`.
    pub fn for_target(target: Target) -> Self {
        PipelineOptions {
            target,
            ..PipelineOptions::default()
        }
    }

    /// The target's tuning with this run's overrides (`keep_mixed_dots`) applied.
    pub fn tuning(&self) -> Tuning {
        let tuning = Tuning::of(self.target);
        Tuning {
            upcast_mixed_dots: tuning.upcast_mixed_dots && !self.keep_mixed_dots,
            ..tuning
        }
    }

    fn pass_options(&self) -> PassOptions {
        PassOptions {
            cumsum: self.cumsum,
            target: self.target,
            tuning: self.tuning(),
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

/// Runs the [`pipeline`] of `opts`' tuning ([`PipelineOptions::tuning`]) on `g`.
pub fn run_pipeline(
    g: Graph,
    opts: &PipelineOptions,
) -> Result<(Graph, PipelineReport), PassError> {
    run_passes(g, &pipeline(&opts.tuning()), opts)
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
