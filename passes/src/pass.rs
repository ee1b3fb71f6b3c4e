//! The [`Pass`] trait and the options every pass may read.

use crate::error::PassError;
use crate::lower_cumsum::CumsumStrategy;
use flash_ir::Graph;

/// Knobs that individual passes read. The pipeline fills them from its own options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassOptions {
    /// How `lower_cumsum` lowers each cumsum.
    pub cumsum: CumsumStrategy,
    /// Whether `upcast_mixed_dots` widens narrow-float dot operands (for XLA's CPU runtime).
    pub upcast_mixed_dots: bool,
}

impl Default for PassOptions {
    fn default() -> Self {
        PassOptions {
            cumsum: CumsumStrategy::default(),
            upcast_mixed_dots: true,
        }
    }
}

/// A graph-to-graph rewrite.
pub trait Pass {
    /// The pass name used by `print_after`, timings and errors (`snake_case`).
    fn name(&self) -> &'static str;

    /// Rewrites `g`. The result must verify whenever `g` does.
    fn run(&self, g: Graph, opts: &PassOptions) -> Result<Graph, PassError>;
}
