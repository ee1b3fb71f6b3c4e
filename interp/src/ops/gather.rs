//! `gather`: embedding lookup of rows along dim 0, with indices clamped into range.

use crate::array::Array;
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
