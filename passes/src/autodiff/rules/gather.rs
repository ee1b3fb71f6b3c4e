//! VJP rules of `gather` (row lookup along dim 0 of the table) and of its transpose
//! `scatter_add`.
//!
//! `gather`: the table's gradient is `scatter_add(zeros, clamp(idx, 0, V-1), ct)`: rows looked
//! up several times sum their cotangents, rows never looked up get zeros, and the indices are
//! clamped as the forward gather clamped them. It costs `B*T*d` adds, where the one-hot matrix
//! product it replaced cost `B*T*V*d` FLOPs and a `[B, T, V]` temporary; that form is kept
//! behind [`GatherVjp::OneHot`] for comparisons (BENCHMARKS.md). The integer indices get no
//! gradient.
//!
//! `scatter_add(x, idx, u)`: `x` gets the cotangent; `u` gets `gather(ct, idx)`, zeroed where
//! the index was out of range (the forward op skipped those updates).

use std::sync::atomic::{AtomicBool, Ordering};

use super::{Ctx, RuleResult};
use flash_ir::build::BuildResult;
use flash_ir::{BinaryOp, Builder, CmpDir, DType, DotDims, TensorType, ValueId};

/// How the gradient of `gather`'s table is built (process-wide; scatter-add by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GatherVjp {
    /// `scatter_add` of the cotangent rows (the default).
    ScatterAdd,
    /// The one-hot matrix product `onehot(idx)^T @ ct` (for measurements against it).
    OneHot,
}

static ONE_HOT: AtomicBool = AtomicBool::new(false);

impl GatherVjp {
    /// Makes every later differentiation build `gather`'s gradient this way.
    pub fn set(self) {
        ONE_HOT.store(self == GatherVjp::OneHot, Ordering::Relaxed);
    }

    /// The form in use.
    pub fn current() -> Self {
        if ONE_HOT.load(Ordering::Relaxed) {
            GatherVjp::OneHot
        } else {
            GatherVjp::ScatterAdd
        }
    }
}

/// The table (operand 0) gets the scatter-add of the cotangent; the indices nothing.
pub(super) fn gather(c: &mut Ctx<'_, '_>) -> RuleResult {
    let (table, idx, ct) = (c.x(0), c.x(1), c.ct);
    let gt = c.when(0, |b| match GatherVjp::current() {
        GatherVjp::ScatterAdd => table_grad(b, table, idx, ct),
        GatherVjp::OneHot => one_hot_grad(b, table, idx, ct),
    })?;
    Ok(vec![gt, None])
}

/// The operand gets the cotangent, the updates the in-range rows of the cotangent.
pub(super) fn scatter_add(c: &mut Ctx<'_, '_>) -> RuleResult {
    let (operand, idx, ct) = (c.x(0), c.x(1), c.ct);
    let gx = c.when(0, |_| Ok(ct))?;
    let gu = c.when(2, |b| {
        let rows = b.shape(operand)[0];
        let picked = b.gather(ct, idx)?;
        let clamped = clamp_rows(b, idx, rows)?;
        let inside = b.compare(CmpDir::Eq, idx, clamped)?;
        let shape = b.shape(picked);
        let k = b.ty(idx).rank();
        let inside = b.broadcast_in_dim(inside, &shape, &(0..k).collect::<Vec<_>>())?;
        let zeros = b.splat_like(0.0, picked)?;
        b.select(inside, picked, zeros)
    })?;
    Ok(vec![gx, None, gu])
}

/// `clamp(idx, 0, rows - 1)`, as the forward gather reads it.
fn clamp_rows(b: &mut Builder<'_>, idx: ValueId, rows: usize) -> BuildResult {
    let it = b.ty(idx).clone();
    let lo = b.splat(0.0, it.clone())?;
    let hi = b.splat(rows as f64 - 1.0, it)?;
    let clamped = b.binary(BinaryOp::Min, idx, hi)?;
    b.max(clamped, lo)
}

fn table_grad(b: &mut Builder<'_>, table: ValueId, idx: ValueId, ct: ValueId) -> BuildResult {
    let rows = b.shape(table)[0];
    let clamped = clamp_rows(b, idx, rows)?;
    let zeros = b.splat_like(0.0, table)?;
    b.scatter_add(zeros, clamped, ct)
}

fn one_hot_grad(b: &mut Builder<'_>, table: ValueId, idx: ValueId, ct: ValueId) -> BuildResult {
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
    let clamped = clamp_rows(b, idx, rows)?;
    let mut shape = it.shape.clone();
    shape.push(rows);
    let k = it.rank();
    let wide = b.broadcast_in_dim(clamped, &shape, &(0..k).collect::<Vec<_>>())?;
    let iota = b.iota(k, TensorType::new(it.dtype, shape))?;
    let hit = b.compare(CmpDir::Eq, wide, iota)?;
    b.convert(hit, dtype)
}
