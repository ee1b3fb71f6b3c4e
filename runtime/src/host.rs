//! Host-side arrays: dense row-major bytes with an element type and dimensions, and typed
//! views through [`Element`].

use crate::element::{element_count, Element, ElementType};
use crate::error::{Result, RuntimeError};

/// A dense row-major array in host memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostData {
    /// The element type.
    pub ty: ElementType,
    /// The dimensions, major to minor.
    pub dims: Vec<i64>,
    /// Little-endian element bytes, row-major.
    pub bytes: Vec<u8>,
}

impl HostData {
    /// Wraps bytes, checking that their length matches the type and dimensions.
    pub fn new(ty: ElementType, dims: &[i64], bytes: Vec<u8>) -> Result<HostData> {
        check_len(ty, dims, bytes.len())?;
        Ok(HostData {
            ty,
            dims: dims.to_vec(),
            bytes,
        })
    }

    /// Builds host data from typed values.
    pub fn from_slice<T: Element>(dims: &[i64], values: &[T]) -> Result<HostData> {
        let mut bytes = Vec::with_capacity(values.len() * T::TYPE.size_in_bytes());
        for v in values {
            v.write(&mut bytes);
        }
        HostData::new(T::TYPE, dims, bytes)
    }

    /// The values as a typed vector; fails if `T` is not the held element type.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        if T::TYPE != self.ty {
            return Err(RuntimeError::ElementTypeMismatch {
                expected: T::TYPE,
                actual: self.ty,
            });
        }
        let size = self.ty.size_in_bytes();
        Ok(self.bytes.chunks_exact(size).map(T::read).collect())
    }

    /// Number of elements.
    pub fn element_count(&self) -> usize {
        self.bytes.len() / self.ty.size_in_bytes()
    }
}

/// Checks that `len` bytes hold exactly the elements of `dims`.
pub(crate) fn check_len(ty: ElementType, dims: &[i64], len: usize) -> Result<()> {
    let expected = element_count(dims)
        .and_then(|n| n.checked_mul(ty.size_in_bytes()))
        .ok_or_else(|| RuntimeError::InvalidDims {
            dims: dims.to_vec(),
        })?;
    if expected == len {
        return Ok(());
    }
    Err(RuntimeError::HostDataSize {
        ty,
        dims: dims.to_vec(),
        expected,
        actual: len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_round_trip_and_mismatch() {
        let h = HostData::from_slice(&[2], &[1.5f32, -2.0]).unwrap();
        assert_eq!(h.to_vec::<f32>().unwrap(), [1.5, -2.0]);
        assert!(matches!(
            h.to_vec::<i32>(),
            Err(RuntimeError::ElementTypeMismatch { .. })
        ));
    }

    #[test]
    fn wrong_length_and_negative_dims_are_errors() {
        let short = HostData::new(ElementType::F32, &[2, 2], vec![0; 15]);
        assert!(matches!(
            short,
            Err(RuntimeError::HostDataSize { expected: 16, .. })
        ));
        let negative = HostData::new(ElementType::F32, &[-1], vec![]);
        assert!(matches!(negative, Err(RuntimeError::InvalidDims { .. })));
    }
}
