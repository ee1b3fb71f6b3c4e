//! The reduce_window lowering of cumsum: a window-n sum over the operand padded with n - 1
//! zeros before (after, in reverse), so output i sums inputs `[i - n + 1, i]` (`[i, i + n - 1]`).

use super::{shift, Spec};
use flash_ir::build::BuildResult;
use flash_ir::{Builder, Op, ReduceKind, ValueId};

/// Lowers one cumsum of `x` (dim of size n >= 1).
pub(super) fn lower(b: &mut Builder<'_>, x: ValueId, spec: Spec) -> BuildResult {
    let shape = b.shape(x);
    let mut window = vec![1; shape.len()];
    let mut padding = vec![(0, 0); shape.len()];
    window[spec.dim] = spec.n;
    padding[spec.dim] = if spec.reverse {
        (0, spec.n - 1)
    } else {
        (spec.n - 1, 0)
    };
    let strides = vec![1; shape.len()];
    let op = Op::ReduceWindow {
        kind: ReduceKind::Sum,
        window,
        strides,
        padding,
    };
    let y = b.op(op, vec![x])?;
    if spec.exclusive {
        shift(b, y, spec.dim, 1, spec.reverse)
    } else {
        Ok(y)
    }
}
