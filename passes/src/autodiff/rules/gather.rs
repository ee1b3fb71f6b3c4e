//! VJP rule of `gather` (row lookup along dim 0 of the table): a scatter-add of the
//! cotangent rows, expressed as a one-hot matmul so no scatter op is needed.
//!
//! With `idx: [I...]` (clamped to `0..V`, as the forward gather clamps) and
//! `onehot[I..., v] = (idx == v)` built from `iota` + `compare` + `convert`, the table's
//! gradient is `dot_general(onehot, ct)` contracting the `I` dims: `[V, rest...]`. Rows
//! looked up several times sum their cotangents; rows never looked up get zeros. The
//! integer indices get no gradient.

use super::{Ctx, RuleResult};
use flash_ir::build::BuildResult;
use flash_ir::{BinaryOp, Builder, CmpDir, DType, DotDims, TensorType, ValueId};

/// The table (operand 0) gets the one-hot matmul; the indices nothing.
pub(super) fn gather(c: &mut Ctx<'_, '_>) -> RuleResult {
    let (table, idx, ct) = (c.x(0), c.x(1), c.ct);
    let gt = c.when(0, |b| table_grad(b, table, idx, ct))?;
    Ok(vec![gt, None])
}

fn table_grad(b: &mut Builder<'_>, table: ValueId, idx: ValueId, ct: ValueId) -> BuildResult {
    let rows = b.shape(table)[0];
    let k = b.ty(idx).rank();
    let onehot = one_hot(b, idx, rows, b.dtype(table))?;
    let dims = DotDims {
        lhs_batch: vec![],
        rhs_batch: vec![],
        lhs_contract: (0..k).collect(),
        rhs_contract: (0..k).collect(),
        out: b.dtype(table),
    };
    b.dot_general(onehot, ct, dims)
}

/// `[I..., rows]` of `dtype`: 1 where the clamped index equals the last coordinate.
fn one_hot(b: &mut Builder<'_>, idx: ValueId, rows: usize, dtype: DType) -> BuildResult {
    let it = b.ty(idx).clone();
    let lo = b.splat(0.0, it.clone())?;
    let hi = b.splat(rows as f64 - 1.0, it.clone())?;
    let clamped = b.binary(BinaryOp::Min, idx, hi)?;
    let clamped = b.max(clamped, lo)?;
    let mut shape = it.shape.clone();
    shape.push(rows);
    let k = it.rank();
    let wide = b.broadcast_in_dim(clamped, &shape, &(0..k).collect::<Vec<_>>())?;
    let iota = b.iota(k, TensorType::new(it.dtype, shape))?;
    let hit = b.compare(CmpDir::Eq, wide, iota)?;
    b.convert(hit, dtype)
}
