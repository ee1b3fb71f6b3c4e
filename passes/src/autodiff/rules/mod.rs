//! The VJP rules: one per op, dispatched by [`vjp`], one exhaustive match over the op enum
//! (no catch-all arm, so a new op breaks the build here until it has a rule). The rules are
//! grouped by op family: [`elementwise`], [`shape`], [`reduce`], [`dot`], [`gather`] and the
//! composites in [`composite`].
//!
//! A rule receives a [`Ctx`]: the forward node, its result `y`, the cotangent `ct` of `y`
//! and a builder stamped with the node's location and scope. It returns one entry per
//! operand: the operand's gradient contribution (of the operand's type), or `None` where no
//! gradient flows (bool/int operands, or operands the caller does not want).

mod composite;
mod dot;
mod elementwise;
pub(crate) mod gather;
mod reduce;
mod shape;

use super::AutodiffError;
use flash_ir::build::BuildResult;
use flash_ir::{Builder, Node, Op, ValueId};

/// One gradient contribution per operand of the forward node.
pub(crate) type Grads = Vec<Option<ValueId>>;

/// What a rule returns.
pub(crate) type RuleResult = Result<Grads, AutodiffError>;

/// The context of one VJP rule application.
pub(crate) struct Ctx<'a, 'g> {
    /// Appends reverse-pass nodes, stamped with the forward node's location and scope.
    pub(crate) b: Builder<'g>,
    /// The forward node being differentiated.
    pub(crate) node: &'a Node,
    /// The forward node's result.
    pub(crate) y: ValueId,
    /// The cotangent of `y` (same type as `y`).
    pub(crate) ct: ValueId,
    /// Which operands need a gradient.
    pub(crate) wants: &'a [bool],
}

impl<'g> Ctx<'_, 'g> {
    /// Operand `i` of the forward node.
    fn x(&self, i: usize) -> ValueId {
        self.node.operands[i]
    }

    /// Whether operand `i` needs a gradient.
    fn want(&self, i: usize) -> bool {
        self.wants.get(i).copied().unwrap_or(false)
    }

    /// Builds operand `i`'s gradient with `f` only if it is wanted.
    fn when(
        &mut self,
        i: usize,
        f: impl FnOnce(&mut Builder<'g>) -> BuildResult,
    ) -> Result<Option<ValueId>, AutodiffError> {
        if !self.want(i) {
            return Ok(None);
        }
        Ok(Some(f(&mut self.b)?))
    }

    /// An [`AutodiffError::Unsupported`] about this node.
    fn unsupported(&self, message: impl Into<String>) -> AutodiffError {
        AutodiffError::Unsupported {
            node: self.y.0,
            op: self.node.op.name(),
            loc: self.node.loc.clone(),
            message: message.into(),
        }
    }
}

/// The gradient contributions of `ctx.node`'s operands, by the node's op.
pub(crate) fn vjp(c: &mut Ctx<'_, '_>) -> RuleResult {
    let node = c.node;
    match &node.op {
        Op::Parameter { .. } | Op::Constant { .. } | Op::Iota { .. } => Ok(vec![]),
        Op::Unary(u) => elementwise::unary(c, *u),
        Op::Binary(op) => elementwise::binary(c, *op),
        Op::Compare(_) => Ok(vec![None, None]),
        Op::Select => elementwise::select(c),
        Op::Convert { .. } => elementwise::convert(c),
        Op::BroadcastInDim { dims, .. } => shape::broadcast_in_dim(c, dims),
        Op::Reshape { .. } => shape::reshape(c),
        Op::Transpose { perm } => shape::transpose(c, perm),
        Op::Slice { start, stride, .. } => shape::slice(c, start, stride),
        Op::DynamicSlice { .. } => shape::dynamic_slice(c),
        Op::DynamicUpdateSlice => shape::dynamic_update_slice(c),
        Op::Concatenate { dim } => shape::concatenate(c, *dim),
        Op::Pad {
            low,
            high,
            interior,
        } => shape::pad(c, low, high, interior),
        Op::Reduce { kind, dims } => reduce::reduce(c, *kind, dims),
        Op::ReduceWindow {
            kind,
            window,
            strides,
            padding,
        } => reduce::reduce_window(c, *kind, window, strides, padding),
        Op::DotGeneral(dims) => dot::dot_general(c, dims),
        Op::Gather => gather::gather(c),
        Op::ScatterAdd => gather::scatter_add(c),
        Op::ShardingConstraint { sharding } => shape::sharding_constraint(c, sharding),
        Op::Cumsum {
            dim,
            exclusive,
            reverse,
        } => composite::cumsum(c, *dim, *exclusive, *reverse),
        Op::ChunkAttention(attrs) => composite::chunk_attention(c, attrs),
    }
}

/// `pad(x, 0)` with per-dim `low`/`high` (negative crops) and `interior` zeros.
fn pad_zeros(
    b: &mut Builder<'_>,
    x: ValueId,
    low: &[i64],
    high: &[i64],
    interior: &[usize],
) -> BuildResult {
    let zero = b.scalar(0.0, b.dtype(x))?;
    let op = Op::Pad {
        low: low.to_vec(),
        high: high.to_vec(),
        interior: interior.to_vec(),
    };
    b.op(op, vec![x, zero])
}

/// Sum of every element of `x` (a scalar).
pub(crate) fn sum_all(b: &mut Builder<'_>, x: ValueId) -> BuildResult {
    let dims: Vec<usize> = (0..b.ty(x).rank()).collect();
    b.reduce_sum(x, &dims)
}
