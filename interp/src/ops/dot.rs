//! `dot_general`: the generalised matrix product.
//!
//! Both operands are first transposed to `[batch.., free.., contract..]` and flattened, so the
//! product is a plain batched `[B, M, K] x [B, N, K] -> [B, M, N]` loop whose result layout is
//! exactly the op's (batch dims, then lhs free dims, then rhs free dims).

use crate::array::Array;
use crate::ops::layout::transposed_data;
use crate::round::Acc;
use flash_ir::{DotDims, TensorType};

/// `dot_general` with dimension numbers `d`; products are summed in `f64` (exactly, in
/// `i128`, for integer operands) and each result element is rounded once to `d.out`.
pub fn dot_general(l: &Array, r: &Array, d: &DotDims, ty: &TensorType) -> Array {
    let (lt, m) = batch_free_contract(l, &d.lhs_batch, &d.lhs_contract);
    let (rt, n) = batch_free_contract(r, &d.rhs_batch, &d.rhs_contract);
    let batch: usize = d.lhs_batch.iter().map(|&k| l.shape()[k]).product();
    let k: usize = d.lhs_contract.iter().map(|&c| l.shape()[c]).product();
    let mut data = Vec::with_capacity(ty.num_elements());
    for b in 0..batch {
        for i in 0..m {
            let lrow = &lt[(b * m + i) * k..(b * m + i + 1) * k];
            for j in 0..n {
                let rrow = &rt[(b * n + j) * k..(b * n + j + 1) * k];
                let mut acc = Acc::zero(l.dtype());
                for (&x, &y) in lrow.iter().zip(rrow) {
                    acc.add_product(x, y);
                }
                data.push(acc.value(d.out));
            }
        }
    }
    Array {
        ty: ty.clone(),
        data,
    }
}

/// The data of `x` transposed to `[batch.., free.., contract..]` (free dims in order), and the
/// number of free elements.
fn batch_free_contract(x: &Array, batch: &[usize], contract: &[usize]) -> (Vec<f64>, usize) {
    let rank = x.ty.rank();
    let free: Vec<usize> = (0..rank)
        .filter(|k| !batch.contains(k) && !contract.contains(k))
        .collect();
    let perm: Vec<usize> = batch.iter().chain(&free).chain(contract).copied().collect();
    let free_size = free.iter().map(|&k| x.shape()[k]).product();
    (transposed_data(x, &perm), free_size)
}
