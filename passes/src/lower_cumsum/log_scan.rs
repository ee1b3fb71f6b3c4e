//! The log-step (Hillis-Steele) lowering of cumsum: after step k, element i holds the sum of
//! the 2^(k+1) elements ending at i (starting at i, in reverse), so ceil(log2 n) steps of
//! `y = y + shift(y, 2^k)` give the inclusive sum.

use super::{shift, Spec};
use flash_ir::build::BuildResult;
use flash_ir::{Builder, ValueId};

/// Lowers one cumsum of `x` (dim of size n >= 1).
pub(super) fn lower(b: &mut Builder<'_>, x: ValueId, spec: Spec) -> BuildResult {
    let mut y = x;
    let mut step = 1;
    while step < spec.n {
        let shifted = shift(b, y, spec.dim, step, spec.reverse)?;
        y = b.add(y, shifted)?;
        step *= 2;
    }
    if spec.exclusive {
        shift(b, y, spec.dim, 1, spec.reverse)
    } else {
        Ok(y)
    }
}
