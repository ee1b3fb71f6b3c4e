//! `gather` (embedding lookup of rows along dim 0, indices clamped into range) and its
//! transpose `scatter_add` (out-of-range indices skipped).

use crate::array::Array;
use crate::round::round;
use flash_ir::TensorType;

/// `gather(table, indices)`: for each index, in row-major order, the table row at the index
/// clamped to `[0, rows - 1]`. `None` if the result has elements but the table has no rows.
pub fn gather(table: &Array, indices: &Array, ty: &TensorType) -> Option<Array> {
    let rows = table.shape()[0];
    let row: usize = table.shape()[1..].iter().product();
    let mut data = Vec::with_capacity(ty.num_elements());
    if ty.num_elements() > 0 {
        let last = rows.checked_sub(1)?;
        for &i in &indices.data {
            let r = i.clamp(0.0, last as f64) as usize;
            data.extend_from_slice(&table.data[r * row..(r + 1) * row]);
        }
    }
    Some(Array {
        ty: ty.clone(),
        data,
    })
}

/// `scatter_add(operand, indices, updates)`: a copy of `operand` with each row of `updates`
/// (in row-major order of `indices`) added to the row at its index; indices outside
/// `[0, rows - 1]` are skipped. Sums are exact in f64, rounded once to the dtype.
pub fn scatter_add(operand: &Array, indices: &Array, updates: &Array) -> Array {
    let rows = operand.shape()[0] as f64;
    let row: usize = operand.shape()[1..].iter().product();
    let mut data = operand.data.clone();
    for (k, &i) in indices.data.iter().enumerate() {
        if i < 0.0 || i >= rows {
            continue;
        }
        let r = i as usize;
        let update = &updates.data[k * row..(k + 1) * row];
        for (acc, u) in data[r * row..(r + 1) * row].iter_mut().zip(update) {
            *acc += u;
        }
    }
    let dt = operand.ty.dtype;
    Array {
        ty: operand.ty.clone(),
        data: data.into_iter().map(|v| round(dt, v)).collect(),
    }
}
