//! [`Adjoints`]: the cotangent of each forward value, accumulated with `add` as the reverse
//! walk reaches each of the value's uses.

use flash_ir::build::BuildResult;
use flash_ir::{Builder, ValueId};

/// The accumulated cotangent of every forward value (`None` until a use contributes).
pub(crate) struct Adjoints {
    adj: Vec<Option<ValueId>>,
}

impl Adjoints {
    /// No cotangents yet for a graph of `n` forward nodes.
    pub(crate) fn new(n: usize) -> Self {
        Adjoints { adj: vec![None; n] }
    }

    /// The cotangent accumulated so far for `v`.
    pub(crate) fn get(&self, v: ValueId) -> Option<ValueId> {
        self.adj.get(v.index()).copied().flatten()
    }

    /// Adds `contribution` to the cotangent of `v`: the first one is taken as is, later ones
    /// are summed with an `add` built by `b` (so it carries the using node's location).
    pub(crate) fn accumulate(
        &mut self,
        b: &mut Builder<'_>,
        v: ValueId,
        contribution: ValueId,
    ) -> BuildResult {
        let sum = match self.get(v) {
            None => contribution,
            Some(prev) => b.add(prev, contribution)?,
        };
        if let Some(slot) = self.adj.get_mut(v.index()) {
            *slot = Some(sum);
        }
        Ok(sum)
    }
}
