//! Checked sizes: the element count and byte size of a tensor type, computed with overflow
//! detection and bounded by the largest tensor StableHLO and XLA accept (a shape's byte size
//! is an `int64` there). Every producer of a type (inference, so the builder, the DSL, the
//! text parser and the verifier) checks it here once, so counts on graph types never wrap.

use crate::dtype::TensorType;
use thiserror::Error;

/// The largest tensor, in bytes, that StableHLO and XLA accept: a shape's byte size is an
/// `int64` there (and `isize::MAX` bounds a host allocation on 64-bit machines).
pub const MAX_TENSOR_BYTES: u128 = i64::MAX as u128;

/// A tensor type whose size cannot be represented or is larger than [`MAX_TENSOR_BYTES`].
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error(
    "{ty} has {elements} elements of {element_bytes} bytes ({bytes} bytes); the largest tensor \
     StableHLO and XLA accept is {MAX_TENSOR_BYTES} bytes (2^63 - 1)"
)]
pub struct SizeError {
    /// The type, as printed (`f32[1000000000000,1000000000000]`).
    pub ty: String,
    /// The exact element count (computed in 128 bits, or saturated at `u128::MAX`).
    pub elements: u128,
    /// Bytes per element.
    pub element_bytes: usize,
    /// The exact byte count (saturated at `u128::MAX`).
    pub bytes: u128,
}

/// The product of `factors`, or `None` if it does not fit in a `usize`: the one checked
/// product every element count, parameter total and size in flash goes through.
pub fn checked_product(factors: impl IntoIterator<Item = usize>) -> Option<usize> {
    factors
        .into_iter()
        .try_fold(1usize, |acc, f| acc.checked_mul(f))
}

/// The sum of `terms`, or `None` if it does not fit in a `usize`.
pub fn checked_sum(terms: impl IntoIterator<Item = usize>) -> Option<usize> {
    terms
        .into_iter()
        .try_fold(0usize, |acc, t| acc.checked_add(t))
}

impl TensorType {
    /// The number of elements (1 for a scalar), or a [`SizeError`] when the tensor's byte
    /// size is beyond [`MAX_TENSOR_BYTES`] (so the count always fits in a `usize`).
    pub fn element_count(&self) -> Result<usize, SizeError> {
        self.byte_count()?;
        Ok(self.num_elements())
    }

    /// The size in bytes on the host (`element_count * dtype.size_bytes()`), or a
    /// [`SizeError`] when it is beyond [`MAX_TENSOR_BYTES`].
    pub fn byte_count(&self) -> Result<usize, SizeError> {
        let element_bytes = self.dtype.size_bytes();
        let elements = if self.shape.contains(&0) {
            0
        } else {
            self.shape
                .iter()
                .try_fold(1u128, |acc, &d| acc.checked_mul(d as u128))
                .unwrap_or(u128::MAX)
        };
        let bytes = elements.saturating_mul(element_bytes as u128);
        if bytes > MAX_TENSOR_BYTES {
            return Err(SizeError {
                ty: self.to_string(),
                elements,
                element_bytes,
                bytes,
            });
        }
        Ok(bytes as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::DType;

    #[test]
    fn counts_small_types_exactly() {
        let t = TensorType::new(DType::BF16, [3, 4, 5]);
        assert_eq!(t.element_count(), Ok(60));
        assert_eq!(t.byte_count(), Ok(120));
        assert_eq!(TensorType::scalar(DType::F64).byte_count(), Ok(8));
        let empty = TensorType::new(DType::F32, [usize::MAX, usize::MAX, usize::MAX, 0]);
        assert_eq!(empty.element_count(), Ok(0));
    }

    #[test]
    fn refuses_what_xla_cannot_hold() {
        let largest = TensorType::new(DType::Bool, [i64::MAX as usize]);
        assert_eq!(largest.byte_count(), Ok(i64::MAX as usize));
        assert!(TensorType::new(DType::Bool, [1usize << 62, 2])
            .byte_count()
            .is_err());
        let too_big = TensorType::new(DType::F32, [1usize << 61, 1]);
        let e = too_big.element_count().unwrap_err();
        assert_eq!(e.bytes, 1u128 << 63);
        assert!(e.to_string().contains("f32[2305843009213693952,1]"), "{e}");
        let wraps = TensorType::new(DType::F32, [usize::MAX, usize::MAX, usize::MAX]);
        assert_eq!(wraps.element_count().unwrap_err().elements, u128::MAX);
        assert_eq!(wraps.num_elements(), usize::MAX, "saturates, never wraps");
    }

    #[test]
    fn checked_product_and_sum_detect_overflow() {
        assert_eq!(checked_product([2, 3, 7]), Some(42));
        assert_eq!(checked_product([]), Some(1));
        assert_eq!(checked_product([usize::MAX, 2]), None);
        assert_eq!(checked_product([usize::MAX, 2, 0]), None);
        assert_eq!(checked_sum([usize::MAX, 1]), None);
    }
}
