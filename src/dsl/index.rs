//! Indexing and constants: row gather (embedding lookup), its transpose row scatter-add,
//! `iota`, and constant tensors.

use super::context::Ctx;
use super::tensor::{DimArg, Tensor};
use flash_ir::{DType, Location, TensorType};

impl Tensor {
    /// Picks rows of `self` (the table) along axis 0: result shape `ids.shape ++
    /// self.shape[1..]`. Indices are i32 or i64; out-of-range indices are clamped.
    #[track_caller]
    pub fn gather(&self, ids: &Tensor) -> Tensor {
        let loc = Location::caller();
        self.ctx().emit(&loc, "gather", &[self, ids], |b, v| {
            Ok(b.gather(v[0], v[1])?)
        })
    }

    /// Adds each row of `updates` (shape `ids.shape ++ self.shape[1..]`) to the row of `self`
    /// at its index along axis 0 (rows hit several times sum every update); out-of-range
    /// indices are skipped. Result type = `self`'s type.
    #[track_caller]
    pub fn scatter_add(&self, ids: &Tensor, updates: &Tensor) -> Tensor {
        let loc = Location::caller();
        self.ctx()
            .emit(&loc, "scatter_add", &[self, ids, updates], |b, v| {
                Ok(b.scatter_add(v[0], v[1], v[2])?)
            })
    }
}

/// Embedding lookup: the rows of `table` picked by `ids` (see [`Tensor::gather`]).
#[track_caller]
pub fn embedding(table: &Tensor, ids: &Tensor) -> Tensor {
    table.gather(ids)
}

impl Ctx {
    /// A constant with row-major `values` (their count must match the shape).
    #[track_caller]
    pub fn constant_dense(&self, values: &[f64], dtype: DType, shape: &[usize]) -> Tensor {
        let loc = Location::caller();
        let ty = TensorType::new(dtype, shape);
        self.emit(&loc, "constant_dense", &[], |b, _| {
            Ok(b.dense(values.to_vec(), ty)?)
        })
    }

    /// A constant with every element equal to `value`.
    #[track_caller]
    pub fn full(&self, value: f64, dtype: DType, shape: &[usize]) -> Tensor {
        let loc = Location::caller();
        let ty = TensorType::new(dtype, shape);
        self.emit(&loc, "full", &[], |b, _| Ok(b.splat(value, ty)?))
    }

    /// A constant of zeros.
    #[track_caller]
    pub fn zeros(&self, dtype: DType, shape: &[usize]) -> Tensor {
        self.full(0.0, dtype, shape)
    }

    /// A constant of ones.
    #[track_caller]
    pub fn ones(&self, dtype: DType, shape: &[usize]) -> Tensor {
        self.full(1.0, dtype, shape)
    }

    /// A rank-0 constant.
    #[track_caller]
    pub fn scalar(&self, value: f64, dtype: DType) -> Tensor {
        self.full(value, dtype, &[])
    }

    /// A tensor whose element at index i is `i[axis]`, converted to `dtype`.
    #[track_caller]
    pub fn iota(&self, dtype: DType, shape: &[usize], axis: impl DimArg) -> Tensor {
        let loc = Location::caller();
        let Some(dim) = self.axis(&loc, "iota", axis, shape.len()) else {
            return Tensor::from_parts(self.clone(), None);
        };
        let ty = TensorType::new(dtype, shape);
        self.emit(&loc, "iota", &[], |b, _| Ok(b.iota(dim, ty)?))
    }
}
