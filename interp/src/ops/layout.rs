//! Ops that move elements without changing them: `broadcast_in_dim`, `reshape`, `transpose`,
//! `slice`, `dynamic_slice`, `dynamic_update_slice`, `concatenate` and `pad`.

use crate::array::Array;
use crate::index::{for_each_index, strided_view, strides};
use flash_ir::TensorType;

/// `broadcast_in_dim`: result element `idx` is operand element `j` with
/// `j[i] = idx[dims[i]]` (or 0 where operand dim i has size 1).
pub fn broadcast_in_dim(x: &Array, ty: &TensorType, dims: &[usize]) -> Array {
    let xs = strides(x.shape());
    let mut steps = vec![0; ty.rank()];
    for (i, &d) in dims.iter().enumerate() {
        if x.shape()[i] != 1 {
            steps[d] = xs[i];
        }
    }
    Array {
        ty: ty.clone(),
        data: strided_view(&x.data, &ty.shape, 0, &steps),
    }
}

/// `reshape`: the same row-major elements under a new shape.
pub fn reshape(x: &Array, ty: &TensorType) -> Array {
    Array {
        ty: ty.clone(),
        data: x.data.clone(),
    }
}

/// `transpose`: result dim k is operand dim `perm[k]`.
pub fn transpose(x: &Array, perm: &[usize]) -> Array {
    let shape: Vec<usize> = perm.iter().map(|&p| x.shape()[p]).collect();
    let data = transposed_data(x, perm);
    Array {
        ty: TensorType::new(x.dtype(), shape),
        data,
    }
}

/// The row-major elements of `x` with its dims reordered to `perm`.
pub fn transposed_data(x: &Array, perm: &[usize]) -> Vec<f64> {
    let xs = strides(x.shape());
    let shape: Vec<usize> = perm.iter().map(|&p| x.shape()[p]).collect();
    let steps: Vec<usize> = perm.iter().map(|&p| xs[p]).collect();
    strided_view(&x.data, &shape, 0, &steps)
}

/// `slice`: result element `idx` is operand element `start + idx * stride`.
pub fn slice(x: &Array, ty: &TensorType, start: &[usize], stride: &[usize]) -> Array {
    let xs = strides(x.shape());
    let offset: usize = start.iter().zip(&xs).map(|(s, k)| s * k).sum();
    let steps: Vec<usize> = stride.iter().zip(&xs).map(|(s, k)| s * k).collect();
    Array {
        ty: ty.clone(),
        data: strided_view(&x.data, &ty.shape, offset, &steps),
    }
}

/// `dynamic_slice`: the `ty`-shaped block of `x` at the clamped start `indices`.
pub fn dynamic_slice(x: &Array, indices: &[&Array], ty: &TensorType) -> Array {
    let start = clamped_start(x.shape(), &ty.shape, indices);
    let xs = strides(x.shape());
    let offset: usize = start.iter().zip(&xs).map(|(s, k)| s * k).sum();
    Array {
        ty: ty.clone(),
        data: strided_view(&x.data, &ty.shape, offset, &xs),
    }
}

/// `dynamic_update_slice`: `x` with the block at the clamped start `indices` replaced by
/// `update`.
pub fn dynamic_update_slice(x: &Array, update: &Array, indices: &[&Array]) -> Array {
    let start = clamped_start(x.shape(), update.shape(), indices);
    let xs = strides(x.shape());
    let mut data = x.data.clone();
    for_each_index(update.shape(), |flat, idx| {
        let at: usize = idx
            .iter()
            .zip(&start)
            .zip(&xs)
            .map(|((i, s), k)| (i + s) * k)
            .sum();
        data[at] = update.data[flat];
    });
    Array {
        ty: x.ty.clone(),
        data,
    }
}

/// Each start index clamped to `[0, dim - size]`, as StableHLO's dynamic slices do.
fn clamped_start(shape: &[usize], sizes: &[usize], indices: &[&Array]) -> Vec<usize> {
    shape
        .iter()
        .zip(sizes)
        .zip(indices)
        .map(|((&dim, &size), i)| {
            let wanted = i.data.first().copied().unwrap_or(0.0);
            wanted.clamp(0.0, (dim - size) as f64) as usize
        })
        .collect()
}

/// `concatenate` along `dim`: each operand is copied in after the previous ones.
pub fn concatenate(xs: &[&Array], ty: &TensorType, dim: usize) -> Array {
    let os = strides(&ty.shape);
    let mut data = vec![0.0; ty.num_elements()];
    let mut start = 0;
    for x in xs {
        for_each_index(x.shape(), |flat, idx| {
            let at: usize = idx.iter().zip(&os).map(|(i, s)| i * s).sum();
            data[at + start * os[dim]] = x.data[flat];
        });
        start += x.shape()[dim];
    }
    Array {
        ty: ty.clone(),
        data,
    }
}

/// `pad`: the result is filled with `value`, then operand element `idx` goes to position
/// `low + idx * (interior + 1)` per dim when that lies inside the result (a negative `low`
/// or `high` crops).
pub fn pad(x: &Array, value: &Array, ty: &TensorType, low: &[i64], interior: &[usize]) -> Array {
    let fill = value.data.first().copied().unwrap_or(0.0);
    let os = strides(&ty.shape);
    let mut data = vec![fill; ty.num_elements()];
    for_each_index(x.shape(), |flat, idx| {
        let mut at = 0;
        for k in 0..idx.len() {
            let pos = low[k] + (idx[k] * (interior[k] + 1)) as i64;
            if pos < 0 || pos >= ty.shape[k] as i64 {
                return;
            }
            at += pos as usize * os[k];
        }
        data[at] = x.data[flat];
    });
    Array {
        ty: ty.clone(),
        data,
    }
}
