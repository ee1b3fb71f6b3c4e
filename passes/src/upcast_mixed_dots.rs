//! `upcast_mixed_dots`: a backend legalisation. A `dot_general` whose bf16/f16 operands
//! accumulate into a wider float result is rewritten to convert its operands to the result
//! dtype first. The values are identical (bf16 and f16 convert to f32 exactly, and the
//! products are accumulated in the result dtype either way), but XLA's CPU runtime has no
//! kernel for some mixed `BF16 x BF16 = F32` dots inside larger programs. The pipeline runs
//! it only where the target needs it ([`crate::pipeline::Tuning::upcast_mixed_dots`]: not on
//! GPUs and TPUs, which multiply narrow floats natively, nor with `--keep-mixed-dots`).
//!
//! Needs: a graph that verifies. Guarantees: the same values; no dot_general has operands
//! narrower than its result.
//!
//! ```text
//! before:
//!   %2 = dot_general(%0, %1) {..., out = f32} : f32[2,5]      (%0, %1 bf16)
//! after:
//!   %2 = convert(%0) {to = f32} : f32[2,4]
//!   %3 = convert(%1) {to = f32} : f32[4,5]
//!   %4 = dot_general(%2, %3) {..., out = f32} : f32[2,5]
//! ```

use crate::error::PassError;
use crate::pass::{Pass, PassOptions};
use crate::rewrite::{rebuild, Action};
use flash_ir::{DType, DotDims, Graph, Op};

/// The dimension numbers of `op` if it is a dot_general whose float operands (of dtype
/// `operand`) are narrower than its float result.
fn mixed_dot(op: &Op, operand: DType) -> Option<&DotDims> {
    match op {
        Op::DotGeneral(d)
            if d.out.is_float()
                && operand.is_float()
                && operand.size_bytes() < d.out.size_bytes() =>
        {
            Some(d)
        }
        _ => None,
    }
}

/// The upcasting pass.
#[derive(Clone, Copy, Debug, Default)]
pub struct UpcastMixedDots;

impl Pass for UpcastMixedDots {
    fn name(&self) -> &'static str {
        "upcast_mixed_dots"
    }

    fn run(&self, g: Graph, _opts: &PassOptions) -> Result<Graph, PassError> {
        let operand_dtype = |n: &flash_ir::Node| n.operands.first().map(|&o| g.ty(o).dtype);
        let any = g
            .nodes
            .iter()
            .any(|n| operand_dtype(n).is_some_and(|d| mixed_dot(&n.op, d).is_some()));
        if !any {
            return Ok(g);
        }
        rebuild(&g, |b, _, node, ops| {
            let Some(dims) = ops.first().and_then(|&o| mixed_dot(&node.op, b.dtype(o))) else {
                return Ok(Action::Keep);
            };
            let lhs = b.convert(ops[0], dims.out)?;
            let rhs = b.convert(ops[1], dims.out)?;
            Ok(Action::Replace(b.dot_general(lhs, rhs, dims.clone())?))
        })
    }
}
