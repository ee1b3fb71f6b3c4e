//! `canonicalize`: algebraic identities that hold bit for bit, including for NaN, infinities
//! and signed zeros.
//!
//! Needs: a graph that verifies. Guarantees: the same values; each rule below replaces a node
//! by an existing value or by one simpler node; bypassed nodes are left for `dce`. Rules:
//! - `x * 1`, `1 * x`, `x / 1` -> `x`; `neg(neg(x))` -> `x`;
//! - `x + 0`, `0 + x`, `x - 0` -> `x` for integers; for floats only where the signed zero
//!   makes it exact: `x + (-0.0)` and `x - (+0.0)` (`-0.0 + +0.0` is `+0.0`, not `-0.0`);
//! - convert to the operand's own dtype, reshape to the operand's shape, identity
//!   transpose, broadcast_in_dim to the same shape with identity dims, a slice covering the
//!   whole operand, pad by nothing, concatenate of one operand -> the operand;
//! - `reshape(reshape(x))` -> one reshape; `transpose(transpose(x))` -> one transpose with the
//!   composed permutation (none if it is the identity).
//!
//! `x * 0` is deliberately kept: it is not `0` when x is NaN or infinite. The constant
//! operands are recognised as splats, also behind broadcast_in_dim, reshape and transpose.
//!
//! ```text
//! before:
//!   %0 = parameter {index = 0, name = "x"} : f32[2,3]
//!   %1 = constant {value = splat(1.0)} : f32[2,3]
//!   %2 = mul(%0, %1) : f32[2,3]
//!   return %2
//! after (%1 is now dead):
//!   %0 = parameter {index = 0, name = "x"} : f32[2,3]
//!   %1 = constant {value = splat(1.0)} : f32[2,3]
//!   return %0
//! ```

use crate::error::PassError;
use crate::literal::{round_to, splat_value};
use crate::pass::{Pass, PassOptions};
use crate::rewrite::{rebuild, Action};
use flash_ir::{BinaryOp, Builder, Graph, Node, Op, UnaryOp, ValueId};

/// The canonicalisation pass.
#[derive(Clone, Copy, Debug, Default)]
pub struct Canonicalize;

impl Pass for Canonicalize {
    fn name(&self) -> &'static str {
        "canonicalize"
    }

    fn run(&self, g: Graph, _opts: &PassOptions) -> Result<Graph, PassError> {
        rebuild(&g, |b, _, node, ops| match simplify(b.graph, node, ops) {
            None => Ok(Action::Keep),
            Some(Simpler::Value(v)) => Ok(Action::Replace(v)),
            Some(Simpler::Op(op, x)) => Ok(Action::Replace(build(b, op, x)?)),
        })
    }
}

/// What a node simplifies to.
enum Simpler {
    /// An existing value.
    Value(ValueId),
    /// One new op applied to one existing value.
    Op(Op, ValueId),
}

fn build(b: &mut Builder<'_>, op: Op, x: ValueId) -> Result<ValueId, PassError> {
    Ok(b.op(op, vec![x])?)
}

fn simplify(g: &Graph, node: &Node, ops: &[ValueId]) -> Option<Simpler> {
    let x = *ops.first()?;
    match &node.op {
        Op::Unary(u) => unary(g, *u, x),
        Op::Binary(bop) => binary(g, *bop, x, *ops.get(1)?),
        Op::Convert { to } => (g.ty(x).dtype == *to).then_some(Simpler::Value(x)),
        Op::BroadcastInDim { shape, dims } => {
            let identity = g.ty(x).shape == *shape && is_identity(dims);
            identity.then_some(Simpler::Value(x))
        }
        Op::Reshape { shape } => reshape(g, shape, x),
        Op::Transpose { perm } => transpose(g, perm, x),
        Op::Slice { start, .. } => {
            let whole = start.iter().all(|&s| s == 0) && node.ty == *g.ty(x);
            whole.then_some(Simpler::Value(x))
        }
        Op::Concatenate { .. } => (ops.len() == 1).then_some(Simpler::Value(x)),
        Op::Pad {
            low,
            high,
            interior,
        } => {
            let none = low.iter().chain(high).all(|&p| p == 0) && interior.iter().all(|&p| p == 0);
            none.then_some(Simpler::Value(x))
        }
        _ => None,
    }
}

/// `neg(neg(y))` is `y`.
fn unary(g: &Graph, u: UnaryOp, x: ValueId) -> Option<Simpler> {
    let inner = g.node(x);
    let double = u == UnaryOp::Neg && matches!(inner.op, Op::Unary(UnaryOp::Neg));
    inner
        .operands
        .first()
        .filter(|_| double)
        .map(|&y| Simpler::Value(y))
}

/// The kinds of splat operand the binary rules look for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    /// A zero that is the identity of `+` (any zero for integers, `-0.0` for floats).
    AddZero,
    /// A zero that is the right identity of `-` (any zero for integers, `+0.0` for floats).
    SubZero,
    /// One.
    One,
}

fn binary(g: &Graph, bop: BinaryOp, x: ValueId, y: ValueId) -> Option<Simpler> {
    let is = |v: ValueId, unit: Unit| is_unit(g, v, unit);
    let keep = match bop {
        BinaryOp::Add if is(y, Unit::AddZero) => x,
        BinaryOp::Add if is(x, Unit::AddZero) => y,
        BinaryOp::Sub if is(y, Unit::SubZero) => x,
        BinaryOp::Mul if is(y, Unit::One) => x,
        BinaryOp::Mul if is(x, Unit::One) => y,
        BinaryOp::Div if is(y, Unit::One) => x,
        BinaryOp::Add
        | BinaryOp::Sub
        | BinaryOp::Mul
        | BinaryOp::Div
        | BinaryOp::Max
        | BinaryOp::Min
        | BinaryOp::Pow => return None,
    };
    Some(Simpler::Value(keep))
}

fn is_unit(g: &Graph, v: ValueId, unit: Unit) -> bool {
    let dtype = g.ty(v).dtype;
    let Some(value) = splat_value(g, v).and_then(|s| round_to(s, dtype)) else {
        return false;
    };
    let float = dtype.is_float();
    match unit {
        Unit::One => value == 1.0,
        Unit::AddZero => value == 0.0 && (!float || value.is_sign_negative()),
        Unit::SubZero => value == 0.0 && (!float || value.is_sign_positive()),
    }
}

fn reshape(g: &Graph, shape: &[usize], x: ValueId) -> Option<Simpler> {
    if g.ty(x).shape == shape {
        return Some(Simpler::Value(x));
    }
    let inner = g.node(x);
    let (Op::Reshape { .. }, Some(&y)) = (&inner.op, inner.operands.first()) else {
        return None;
    };
    if g.ty(y).shape == shape {
        return Some(Simpler::Value(y));
    }
    Some(Simpler::Op(
        Op::Reshape {
            shape: shape.to_vec(),
        },
        y,
    ))
}

fn transpose(g: &Graph, perm: &[usize], x: ValueId) -> Option<Simpler> {
    if is_identity(perm) {
        return Some(Simpler::Value(x));
    }
    let inner = g.node(x);
    let (Op::Transpose { perm: first }, Some(&y)) = (&inner.op, inner.operands.first()) else {
        return None;
    };
    // Result dim i is x's dim perm[i], which is y's dim first[perm[i]].
    let composed: Option<Vec<usize>> = perm.iter().map(|&p| first.get(p).copied()).collect();
    let composed = composed?;
    if is_identity(&composed) {
        return Some(Simpler::Value(y));
    }
    Some(Simpler::Op(Op::Transpose { perm: composed }, y))
}

fn is_identity(perm: &[usize]) -> bool {
    perm.iter().enumerate().all(|(i, &p)| i == p)
}
