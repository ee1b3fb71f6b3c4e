//! The matmul lowering of cumsum: `y[.., i, ..] = sum_j T[i, j] x[.., j, ..]` with a 0/1
//! triangle `T` built from two iotas, a compare and a convert (no dense literal).
//!
//! The `dot_general` is laid out so that its result needs no transpose, because on CPU every
//! transpose around a dot is a full copy of the tensor (and a cache-hostile one). With
//! `x: [P.., n, S..]` (P the dims before `dim`, S those after it):
//! - `dim = 0`: `dot(T, x)` contracting T's dim 1 gives `[n, S..]` directly;
//! - `dim` last: `dot(x, T^t)` contracting x's dim gives `[P.., n]` directly;
//! - otherwise, if the triangle broadcast over the P dims is no larger than x (`n <= S`):
//!   a batched `dot(broadcast(T), x)` with the P dims as batch dims gives `[P.., n, S..]`;
//! - otherwise (huge n, small S): `dot(x, T^t)` then a transpose of the new dim into place.
//!
//! Measured on the 2-core CPU (XLA CPU plugin, exclusive prefix sum over G chunks of
//! `[1, G, 128, 512]` f32, min of 20): G = 32: 10.0 ms with the transposes, 4.3 ms batched;
//! G = 64: 61.9 -> 15.1 ms; G = 128: 199 -> 134 ms.

use super::Spec;
use flash_ir::build::BuildResult;
use flash_ir::{Builder, CmpDir, DType, DotDims, TensorType, ValueId};

/// Lowers one cumsum of `x` (dim of size n >= 1).
pub(super) fn lower(b: &mut Builder<'_>, x: ValueId, spec: Spec) -> BuildResult {
    let ty = b.ty(x).clone();
    let rank = ty.rank();
    let prefix: Vec<usize> = ty.shape[..spec.dim].to_vec();
    let suffix: usize = ty.shape[spec.dim + 1..].iter().product();
    if spec.dim == 0 {
        let t = triangle(b, spec, ty.dtype, false)?;
        return b.dot_general(t, x, dims(&[], 1, 0, ty.dtype));
    }
    if spec.dim + 1 == rank || spec.n > suffix {
        // [P.., S.., n]: the new dim last.
        let t = triangle(b, spec, ty.dtype, true)?;
        let y = b.dot_general(x, t, dims(&[], spec.dim, 0, ty.dtype))?;
        return b.transpose(y, &last_to(rank, spec.dim));
    }
    let t = triangle(b, spec, ty.dtype, false)?;
    let mut shape = prefix.clone();
    shape.extend([spec.n, spec.n]);
    let p = prefix.len();
    let t = b.broadcast_in_dim(t, &shape, &[p, p + 1])?;
    let batch: Vec<usize> = (0..p).collect();
    b.dot_general(t, x, dims(&batch, p + 1, spec.dim, ty.dtype))
}

/// Dot dims with the same `batch` dims on both sides, contracting `lhs` with `rhs`.
fn dims(batch: &[usize], lhs: usize, rhs: usize, out: DType) -> DotDims {
    DotDims {
        lhs_batch: batch.to_vec(),
        rhs_batch: batch.to_vec(),
        lhs_contract: vec![lhs],
        rhs_contract: vec![rhs],
        out,
    }
}

/// The triangle `T[i, j] = 1` when source j contributes to destination i: `j <= i`
/// (inclusive), `j < i` (exclusive), and the mirror images in reverse. Transposed
/// (`[j, i]`) when `source_first`.
fn triangle(b: &mut Builder<'_>, spec: Spec, dtype: DType, source_first: bool) -> BuildResult {
    let idx = TensorType::new(DType::I32, vec![spec.n, spec.n]);
    let (i_dim, j_dim) = if source_first { (1, 0) } else { (0, 1) };
    let i = b.iota(i_dim, idx.clone())?;
    let j = b.iota(j_dim, idx)?;
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
