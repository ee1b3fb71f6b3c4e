//! [`Array`]: a tensor value of the interpreter, its constructors and element access.

use crate::error::InterpError;
use crate::index::{for_each_index, strides};
use crate::round::round;
use flash_ir::{DType, TensorType};

/// A tensor value: its type and its elements in row-major order, every one stored as `f64`
/// (integers as their value, bools as 0 or 1).
#[derive(Clone, Debug, PartialEq)]
pub struct Array {
    /// Element type and shape.
    pub ty: TensorType,
    /// `ty.num_elements()` values, row-major.
    pub data: Vec<f64>,
}

impl Array {
    /// An array of type `ty` holding `data`, each value rounded to the dtype; fails if the
    /// number of values is not the type's element count.
    pub fn new(ty: TensorType, data: Vec<f64>) -> Result<Array, InterpError> {
        let expected = ty.num_elements();
        if data.len() != expected {
            return Err(InterpError::DataLength {
                ty,
                expected,
                got: data.len(),
            });
        }
        let data = data.into_iter().map(|x| round(ty.dtype, x)).collect();
        Ok(Array { ty, data })
    }

    /// An f32 array of shape `shape` from f32 values; fails on a length mismatch.
    pub fn from_f32(shape: &[usize], data: &[f32]) -> Result<Array, InterpError> {
        Array::new(
            TensorType::new(DType::F32, shape),
            data.iter().map(|&x| x as f64).collect(),
        )
    }

    /// An array whose element at multi-index `idx` is `f(idx)`, rounded to the dtype.
    pub fn from_fn(ty: TensorType, mut f: impl FnMut(&[usize]) -> f64) -> Array {
        let mut data = Vec::with_capacity(ty.num_elements());
        for_each_index(&ty.shape, |_, idx| data.push(round(ty.dtype, f(idx))));
        Array { ty, data }
    }

    /// An array with every element equal to `value` (rounded to the dtype).
    pub fn splat(ty: TensorType, value: f64) -> Array {
        let data = vec![round(ty.dtype, value); ty.num_elements()];
        Array { ty, data }
    }

    /// An array of zeros.
    pub fn zeros(ty: TensorType) -> Array {
        Array::splat(ty, 0.0)
    }

    /// A rank-0 array.
    pub fn scalar(dtype: DType, value: f64) -> Array {
        Array::splat(TensorType::scalar(dtype), value)
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.ty.shape
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.ty.dtype
    }

    /// The row-major offset of multi-index `idx`, or `None` if it is out of range.
    pub fn offset(&self, idx: &[usize]) -> Option<usize> {
        if idx.len() != self.ty.rank() || idx.iter().zip(self.shape()).any(|(i, n)| i >= n) {
            return None;
        }
        Some(
            idx.iter()
                .zip(strides(self.shape()))
                .map(|(i, s)| i * s)
                .sum(),
        )
    }

    /// The element at multi-index `idx`, or `None` if it is out of range.
    pub fn get(&self, idx: &[usize]) -> Option<f64> {
        self.offset(idx).and_then(|o| self.data.get(o).copied())
    }

    /// The elements as f32 values.
    pub fn to_f32_vec(&self) -> Vec<f32> {
        self.data.iter().map(|&x| x as f32).collect()
    }

    /// The largest `|a - b|` over the elements, or `None` if the shapes differ. Two NaNs count
    /// as equal; a NaN against a number counts as an infinite difference.
    pub fn max_abs_diff(&self, other: &Array) -> Option<f64> {
        if self.shape() != other.shape() {
            return None;
        }
        let diff = |(a, b): (&f64, &f64)| match (a.is_nan(), b.is_nan()) {
            (true, true) => 0.0,
            (false, false) if a == b => 0.0,
            (false, false) => (a - b).abs(),
            _ => f64::INFINITY,
        };
        Some(
            self.data
                .iter()
                .zip(&other.data)
                .map(diff)
                .fold(0.0, f64::max),
        )
    }

    /// True if the shapes agree and every element satisfies `|a - b| <= atol + rtol * |b|`
    /// (NaN matching NaN), with `other` the reference.
    pub fn all_close(&self, other: &Array, rtol: f64, atol: f64) -> bool {
        self.shape() == other.shape()
            && self.data.iter().zip(&other.data).all(|(a, b)| {
                (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= atol + rtol * b.abs()
            })
    }
}
