//! The [`Pass`] trait and the options every pass may read.

use crate::error::PassError;
use crate::lower_cumsum::CumsumStrategy;
use crate::pipeline::Tuning;
use crate::target::Target;
use flash_ir::Graph;

/// Knobs that individual passes read. The pipeline fills them from its own options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassOptions {
    /// How `lower_cumsum` lowers each cumsum.
    pub cumsum: CumsumStrategy,
    /// The machine the program is for. Passes do not branch on it: whatever they do per
    /// target comes to them as values in `tuning`.
    pub target: Target,
    /// The target's parameters ([`Tuning::of`]), as the pipeline hands them to the passes.
    pub tuning: Tuning,
}

impl PassOptions {
    /// The default options for `target`: its tuning, cumsum strategy `auto`.
    pub fn for_target(target: Target) -> Self {
        PassOptions {
            cumsum: CumsumStrategy::default(),
            target,
            tuning: Tuning::of(target),
        }
    }
}

impl Default for PassOptions {
    /// The options for the default target (CPU).
    fn default() -> Self {
        PassOptions::for_target(Target::default())
    }
}

/// A graph-to-graph rewrite.
pub trait Pass {
    /// The pass name used by `print_after`, timings and errors (`snake_case`).
    fn name(&self) -> &'static str;

    /// Rewrites `g`. The result must verify whenever `g` does.
    fn run(&self, g: Graph, opts: &PassOptions) -> Result<Graph, PassError>;
}
