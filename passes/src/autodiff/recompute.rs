//! Pieces shared by the rules that recompute forward values in the reverse pass (the
//! `chunk_attention` VJP and checkpointed regions): tying a value to a cotangent so that no
//! CSE (ours or XLA's) can merge the recomputation into the forward, building the separate
//! VJP graph (its parameters and the scalar `sum(y * ct)` it differentiates), and inlining
//! it.

use super::rules::sum_all;
use super::AutodiffError;
use flash_ir::{Builder, DType, Graph, Op, TensorType, ValueId};

/// `x + broadcast(0 * ct[0, ..., 0])`: `x`'s value, computed only once `ct` exists.
pub(crate) fn tie(b: &mut Builder<'_>, x: ValueId, ct: ValueId) -> Result<ValueId, AutodiffError> {
    let ct_ty = b.ty(ct).clone();
    let rank = ct_ty.rank();
    let first = b.slice(ct, &vec![0; rank], &vec![1; rank], &vec![1; rank])?;
    let first = b.reshape(first, &[])?;
    let zero = b.scalar(0.0, ct_ty.dtype)?;
    let mut zero = b.mul(first, zero)?;
    let x_ty = b.ty(x).clone();
    if x_ty.dtype != ct_ty.dtype {
        zero = b.convert(zero, x_ty.dtype)?;
    }
    let zero = b.broadcast_to(zero, &x_ty.shape)?;
    Ok(b.add(x, zero)?)
}

/// Parameter `index` (named `arg<index>`) of type `ty` of a VJP graph.
pub(crate) fn parameter(
    b: &mut Builder<'_>,
    index: usize,
    ty: TensorType,
) -> Result<ValueId, AutodiffError> {
    let name = format!("arg{index}");
    Ok(b.op(Op::Parameter { index, name, ty }, vec![])?)
}

/// `sum(y * ct)`, in f32 for narrower floats: one term of the scalar whose gradient is the
/// VJP of `y` against its cotangent `ct`.
pub(crate) fn cotangent_term(
    b: &mut Builder<'_>,
    y: ValueId,
    ct: ValueId,
) -> Result<ValueId, AutodiffError> {
    let weighted = b.mul(y, ct)?;
    let weighted = match b.dtype(weighted) {
        DType::F32 | DType::F64 => weighted,
        _ => b.convert(weighted, DType::F32)?,
    };
    Ok(sum_all(b, weighted)?)
}

/// Copies `g`'s nodes into `b`'s graph with its parameters replaced by `inputs`; returns
/// the copies of `g`'s outputs after the first (the gradients of a VJP graph).
pub(crate) fn inline(
    b: &mut Builder<'_>,
    g: &Graph,
    inputs: &[ValueId],
) -> Result<Vec<ValueId>, AutodiffError> {
    let mut map: Vec<ValueId> = Vec::with_capacity(g.nodes.len());
    for node in &g.nodes {
        let v = match &node.op {
            Op::Parameter { index, .. } => inputs[*index],
            op => {
                let operands = node.operands.iter().map(|o| map[o.index()]).collect();
                b.op(op.clone(), operands)?
            }
        };
        map.push(v);
    }
    Ok(g.outputs[1..].iter().map(|o| map[o.index()]).collect())
}
