//! The matmul lowering of cumsum: `y[.., i, ..] = sum_j x[.., j, ..] * T[j, i]` with a 0/1
//! triangle `T` built from two iotas, a compare and a convert.

use super::Spec;
use flash_ir::build::BuildResult;
use flash_ir::{Builder, CmpDir, DType, DotDims, TensorType, ValueId};

/// Lowers one cumsum of `x` (dim of size n >= 1).
pub(super) fn lower(b: &mut Builder<'_>, x: ValueId, spec: Spec) -> BuildResult {
    let ty = b.ty(x).clone();
    let mask = triangle(b, spec, ty.dtype)?;
    let dims = DotDims {
        lhs_batch: vec![],
        rhs_batch: vec![],
        lhs_contract: vec![spec.dim],
        rhs_contract: vec![0],
        out: ty.dtype,
    };
    // The result has x's other dims in order, then the new dim i last.
    let y = b.dot_general(x, mask, dims)?;
    b.transpose(y, &last_to(ty.rank(), spec.dim))
}

/// `T[j, i] = 1` when source j contributes to destination i: `j <= i` (inclusive), `j < i`
/// (exclusive), and the mirror images in reverse.
fn triangle(b: &mut Builder<'_>, spec: Spec, dtype: DType) -> BuildResult {
    let idx = TensorType::new(DType::I32, vec![spec.n, spec.n]);
    let j = b.iota(0, idx.clone())?;
    let i = b.iota(1, idx)?;
    let dir = match (spec.reverse, spec.exclusive) {
        (false, false) => CmpDir::Le,
        (false, true) => CmpDir::Lt,
        (true, false) => CmpDir::Ge,
        (true, true) => CmpDir::Gt,
    };
    let keep = b.compare(dir, j, i)?;
    b.convert(keep, dtype)
}

/// The permutation that moves the last of `rank` dims to position `dim`.
fn last_to(rank: usize, dim: usize) -> Vec<usize> {
    (0..rank)
        .map(|k| match k.cmp(&dim) {
            std::cmp::Ordering::Less => k,
            std::cmp::Ordering::Equal => rank - 1,
            std::cmp::Ordering::Greater => k - 1,
        })
        .collect()
}
