//! Matrix products: NumPy-style batched `matmul`, explicit `dot_general`, and the FLASH
//! mixed-chunk attention composite.

use super::error::ErrorKind;
use super::tensor::{broadcast_shapes, Tensor};
use flash_ir::{Builder, ChunkAttention, DotDims, Location, Op, ValueId};

impl Tensor {
    /// Matrix product with NumPy semantics: `[.., m, k] x [k, n]`, `[.., m, k] x [.., k, n]`
    /// (leading batch axes broadcast), and 1-D operands promoted then squeezed.
    #[track_caller]
    pub fn matmul(&self, rhs: &Tensor) -> Tensor {
        let loc = Location::caller();
        self.ctx().emit(&loc, "matmul", &[self, rhs], |b, v| {
            matmul_ids(b, v[0], v[1])
        })
    }

    /// `dot_general` with explicit batch/contracting dimensions and result dtype.
    #[track_caller]
    pub fn dot_general(&self, rhs: &Tensor, dims: DotDims) -> Tensor {
        let loc = Location::caller();
        self.ctx().emit(&loc, "dot_general", &[self, rhs], |b, v| {
            Ok(b.dot_general(v[0], v[1], dims)?)
        })
    }
}

/// The FLASH mixed-chunk attention composite (FLASH.md section 2): `q_quad, k_quad, q_lin,
/// k_lin: [B, T, s]`, `v: [B, T, e]`, result `[B, T, e]`.
#[track_caller]
pub fn chunk_attention(
    q_quad: &Tensor,
    k_quad: &Tensor,
    q_lin: &Tensor,
    k_lin: &Tensor,
    v: &Tensor,
    attrs: ChunkAttention,
) -> Tensor {
    let loc = Location::caller();
    let inputs = [q_quad, k_quad, q_lin, k_lin, v];
    q_quad
        .ctx()
        .emit(&loc, "chunk_attention", &inputs, |b, ids| {
            Ok(b.op(Op::ChunkAttention(attrs), ids.to_vec())?)
        })
}

fn matmul_ids(b: &mut Builder<'_>, x: ValueId, y: ValueId) -> Result<ValueId, ErrorKind> {
    let (xs, ys) = (b.shape(x), b.shape(y));
    if xs.is_empty() || ys.is_empty() {
        return Err(ErrorKind::Argument(format!(
            "matmul needs operands of rank >= 1, got {xs:?} and {ys:?}"
        )));
    }
    let (x1, y1) = (xs.len() == 1, ys.len() == 1);
    let x = if x1 { b.reshape(x, &[1, xs[0]])? } else { x };
    let y = if y1 { b.reshape(y, &[ys[0], 1])? } else { y };
    let r = matmul_2d_plus(b, x, y)?;
    let mut shape = b.shape(r);
    let n = shape.len();
    match (x1, y1) {
        (true, true) => shape.truncate(n - 2),
        (true, false) => drop(shape.remove(n - 2)),
        (false, true) => drop(shape.remove(n - 1)),
        (false, false) => return Ok(r),
    }
    Ok(b.reshape(r, &shape)?)
}

/// Matmul of operands of rank >= 2.
fn matmul_2d_plus(b: &mut Builder<'_>, x: ValueId, y: ValueId) -> Result<ValueId, ErrorKind> {
    let (xs, ys) = (b.shape(x), b.shape(y));
    let (rx, ry) = (xs.len(), ys.len());
    if ry == 2 {
        let dims = DotDims {
            lhs_batch: vec![],
            rhs_batch: vec![],
            lhs_contract: vec![rx - 1],
            rhs_contract: vec![0],
            out: b.dtype(x),
        };
        return Ok(b.dot_general(x, y, dims)?);
    }
    let (xb, yb) = (xs[..rx - 2].to_vec(), ys[..ry - 2].to_vec());
    let Some(batch) = broadcast_shapes(&[xb.clone(), yb.clone()]) else {
        return Err(ErrorKind::Broadcast { lhs: xb, rhs: yb });
    };
    let x = b.broadcast_to(x, &[&batch[..], &xs[rx - 2..]].concat())?;
    let y = b.broadcast_to(y, &[&batch[..], &ys[ry - 2..]].concat())?;
    Ok(b.matmul_batched(x, y, batch.len())?)
}
