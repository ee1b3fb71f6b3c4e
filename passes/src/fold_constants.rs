//! `fold_constants`: replaces ops whose operands are all constants by constants.
//!
//! Needs: a graph that verifies. Guarantees: the same values, computed by the interpreter's
//! scalar semantics ([`flash_ir::scalar`]) with every folded result rounded to its dtype
//! ([`flash_ir::round`]); the replaced constants are left for `dce`. Folded:
//! - splat operands (a splat, or a dense literal of bitwise-equal values) give a splat of any
//!   size: elementwise ops (unary, binary, compare, select, convert), broadcast_in_dim,
//!   reshape, transpose, slice, concatenate of equal splats, pad of a splat with the same
//!   value, reduce max (and integer reduce sum) of a splat;
//! - dense operands fold for elementwise ops and reshape when the result has at most
//!   [`MAX_DENSE`] elements.
//!
//! Not folded: anything inexact or backend-defined (integer overflow or division by zero,
//! float-to-int conversion of non-integral values, float sums), iota (so masks built from
//! iota stay small in the program text), and the heavy ops (reduce_window, dot_general,
//! gather, composites). Any op not listed, a new one included, is left alone.
//!
//! ```text
//! before:
//!   %0 = constant {value = splat(2.0)} : f32[4]
//!   %1 = constant {value = splat(3.0)} : f32[4]
//!   %2 = mul(%0, %1) : f32[4]
//!   return %2
//! after (%0 and %1 are now dead):
//!   %0 = constant {value = splat(2.0)} : f32[4]
//!   %1 = constant {value = splat(3.0)} : f32[4]
//!   %2 = constant {value = splat(6.0)} : f32[4]
//!   return %2
//! ```

mod scalar;

use crate::error::PassError;
use crate::literal::{constant, element, literal_splat, round_to};
use crate::pass::{Pass, PassOptions};
use crate::rewrite::{rebuild, Action};
use flash_ir::{Builder, DType, Graph, Literal, Node, Op, ReduceKind, TensorType, ValueId};

/// Largest element count of a dense constant the folder creates.
pub const MAX_DENSE: usize = 1024;

/// The constant-folding pass.
#[derive(Clone, Copy, Debug, Default)]
pub struct FoldConstants;

impl Pass for FoldConstants {
    fn name(&self) -> &'static str {
        "fold_constants"
    }

    fn run(&self, g: Graph, _opts: &PassOptions) -> Result<Graph, PassError> {
        rebuild(&g, |b, _, node, ops| fold_node(b, node, ops))
    }
}

/// A constant operand: its literal and dtype.
struct Input<'a> {
    lit: &'a Literal,
    ty: &'a TensorType,
    dtype: DType,
}

impl Input<'_> {
    /// Element `i`, rounded to the operand's dtype.
    fn get(&self, i: usize) -> Option<f64> {
        round_to(element(self.lit, i)?, self.dtype)
    }

    /// The splat value, rounded to the operand's dtype.
    fn splat(&self) -> Option<f64> {
        round_to(literal_splat(self.lit)?, self.dtype)
    }
}

fn fold_node(b: &mut Builder<'_>, node: &Node, ops: &[ValueId]) -> Result<Action, PassError> {
    let inputs: Option<Vec<Input<'_>>> = ops
        .iter()
        .map(|&v| {
            let ty = b.graph.ty(v);
            Some(Input {
                lit: constant(b.graph, v)?,
                ty,
                dtype: ty.dtype,
            })
        })
        .collect();
    let folded = match inputs {
        Some(inputs) if !inputs.is_empty() => fold(&node.op, &inputs, &node.ty),
        Some(_) | None => None,
    };
    match folded {
        Some(value) => Ok(Action::Replace(b.op(
            Op::Constant {
                value,
                ty: node.ty.clone(),
            },
            vec![],
        )?)),
        None => Ok(Action::Keep),
    }
}

/// The folded value of `op` on constant operands `xs`, for the ops the module doc lists.
fn fold(op: &Op, xs: &[Input<'_>], ty: &TensorType) -> Option<Literal> {
    let dtype = xs.first()?.dtype;
    match op {
        Op::Unary(u) => elementwise(xs, ty, |v| scalar::unary(*u, v[0], dtype)),
        Op::Binary(bop) => elementwise(xs, ty, |v| scalar::binary(*bop, v[0], v[1], dtype)),
        Op::Compare(dir) => elementwise(xs, ty, |v| Some(scalar::compare(*dir, v[0], v[1]))),
        Op::Select => elementwise(xs, ty, |v| Some(if v[0] != 0.0 { v[1] } else { v[2] })),
        Op::Convert { to } => elementwise(xs, ty, |v| scalar::convert(v[0], dtype, *to)),
        Op::BroadcastInDim { .. } | Op::Transpose { .. } | Op::Slice { .. } => {
            xs[0].splat().map(Literal::Splat)
        }
        Op::Reshape { .. } => reshape(&xs[0], ty),
        Op::Concatenate { .. } => equal_splats(xs),
        Op::Pad { .. } => pad(xs),
        Op::Reduce { kind, dims } => reduce(*kind, dims, &xs[0], ty),
        _ => None,
    }
}

/// Applies `f` per element (once for all-splat operands), rounding results to `ty.dtype`.
fn elementwise<F>(xs: &[Input<'_>], ty: &TensorType, f: F) -> Option<Literal>
where
    F: Fn(&[f64]) -> Option<f64>,
{
    let out = |vals: &[f64]| round_to(f(vals)?, ty.dtype);
    if let Some(splats) = xs.iter().map(Input::splat).collect::<Option<Vec<f64>>>() {
        return out(&splats).map(Literal::Splat);
    }
    let n = ty.num_elements();
    if n > MAX_DENSE {
        return None;
    }
    let values = (0..n)
        .map(|i| out(&xs.iter().map(|x| x.get(i)).collect::<Option<Vec<f64>>>()?))
        .collect::<Option<Vec<f64>>>()?;
    Some(Literal::Dense(values))
}

fn reshape(x: &Input<'_>, ty: &TensorType) -> Option<Literal> {
    if let Some(v) = x.splat() {
        return Some(Literal::Splat(v));
    }
    match x.lit {
        Literal::Dense(vs) if vs.len() <= MAX_DENSE && vs.len() == ty.num_elements() => {
            Some(Literal::Dense(vs.clone()))
        }
        Literal::Dense(_) | Literal::Splat(_) => None,
    }
}

fn equal_splats(xs: &[Input<'_>]) -> Option<Literal> {
    let first = xs.first()?.splat()?;
    let all_equal = xs
        .iter()
        .all(|x| x.splat().map(f64::to_bits) == Some(first.to_bits()));
    all_equal.then_some(Literal::Splat(first))
}

/// `pad(x, value)` is a splat when x is a splat equal to `value`, or x is empty.
fn pad(xs: &[Input<'_>]) -> Option<Literal> {
    let value = xs.get(1)?.splat()?;
    let x = xs.first()?;
    let empty = x.ty.num_elements() == 0;
    let same = x.splat().map(f64::to_bits) == Some(value.to_bits());
    (empty || same).then_some(Literal::Splat(value))
}

/// Max of a splat is the splat; an integer sum is `value * count`. Float sums are not folded
/// (the backend's summation order and signed zeros make them inexact).
fn reduce(kind: ReduceKind, dims: &[usize], x: &Input<'_>, ty: &TensorType) -> Option<Literal> {
    let v = x.splat()?;
    let count = dims_count(dims, x)?;
    if count == 0 {
        return None;
    }
    let result = match kind {
        ReduceKind::Max => v,
        ReduceKind::Sum if x.dtype.is_int() => v * count as f64,
        ReduceKind::Sum => return None,
    };
    round_to(result, ty.dtype).map(Literal::Splat)
}

/// Number of elements reduced into each result element.
fn dims_count(dims: &[usize], x: &Input<'_>) -> Option<usize> {
    dims.iter().map(|&d| x.ty.shape.get(d).copied()).product()
}
