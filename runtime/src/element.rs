//! Element types that cross the host/device boundary, and the Rust types that hold them.

use crate::error::{Result, RuntimeError};

/// An array element type, with its `PJRT_Buffer_Type` value as discriminant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum ElementType {
    /// Boolean, one byte per element (0 or 1).
    Pred = 1,
    /// Signed 8-bit integer.
    S8 = 2,
    /// Signed 32-bit integer.
    S32 = 4,
    /// Signed 64-bit integer.
    S64 = 5,
    /// Unsigned 8-bit integer.
    U8 = 6,
    /// IEEE half precision.
    F16 = 10,
    /// IEEE single precision.
    F32 = 11,
    /// IEEE double precision.
    F64 = 12,
    /// bfloat16.
    Bf16 = 13,
}

impl ElementType {
    /// Every supported element type.
    pub const ALL: [ElementType; 9] = [
        ElementType::Pred,
        ElementType::S8,
        ElementType::S32,
        ElementType::S64,
        ElementType::U8,
        ElementType::F16,
        ElementType::F32,
        ElementType::F64,
        ElementType::Bf16,
    ];

    /// Bytes per element.
    pub fn size_in_bytes(self) -> usize {
        match self {
            ElementType::Pred | ElementType::S8 | ElementType::U8 => 1,
            ElementType::F16 | ElementType::Bf16 => 2,
            ElementType::S32 | ElementType::F32 => 4,
            ElementType::S64 | ElementType::F64 => 8,
        }
    }

    /// The `PJRT_Buffer_Type` value.
    pub fn to_raw(self) -> i32 {
        self as i32
    }

    /// The element type for a `PJRT_Buffer_Type` value.
    pub fn from_raw(raw: i32) -> Result<ElementType> {
        ElementType::ALL
            .into_iter()
            .find(|t| t.to_raw() == raw)
            .ok_or(RuntimeError::UnsupportedElementType { raw })
    }

    /// The StableHLO spelling (`f32`, `bf16`, `i1`, `ui8`, ...).
    pub fn mlir_name(self) -> &'static str {
        match self {
            ElementType::Pred => "i1",
            ElementType::S8 => "i8",
            ElementType::S32 => "i32",
            ElementType::S64 => "i64",
            ElementType::U8 => "ui8",
            ElementType::F16 => "f16",
            ElementType::F32 => "f32",
            ElementType::F64 => "f64",
            ElementType::Bf16 => "bf16",
        }
    }
}

/// A Rust type whose values are stored as one [`ElementType`], little-endian.
pub trait Element: Copy + sealed::Sealed {
    /// The matching element type.
    const TYPE: ElementType;
    /// Appends the value's bytes.
    fn write(self, out: &mut Vec<u8>);
    /// Reads a value from exactly `size_in_bytes` bytes.
    fn read(bytes: &[u8]) -> Self;
}

mod sealed {
    /// Restricts [`Element`](super::Element) to the types implemented here.
    pub trait Sealed {}
}

/// Implements [`Element`] for a type with `to_le_bytes` / `from_le_bytes`.
macro_rules! le_element {
    ($($t:ty => $e:ident),*) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const TYPE: ElementType = ElementType::$e;
            fn write(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn read(bytes: &[u8]) -> Self {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(bytes);
                <$t>::from_le_bytes(a)
            }
        }
    )*};
}

le_element!(
    i8 => S8, i32 => S32, i64 => S64, u8 => U8,
    f32 => F32, f64 => F64, half::f16 => F16, half::bf16 => Bf16
);

impl sealed::Sealed for bool {}
impl Element for bool {
    const TYPE: ElementType = ElementType::Pred;
    fn write(self, out: &mut Vec<u8>) {
        out.push(u8::from(self));
    }
    fn read(bytes: &[u8]) -> Self {
        bytes.first().is_some_and(|&b| b != 0)
    }
}

/// Number of elements of an array with these dimensions; `None` for a negative dimension
/// or an overflow.
pub(crate) fn element_count(dims: &[i64]) -> Option<usize> {
    dims.iter().try_fold(1usize, |acc, &d| {
        let d = usize::try_from(d).ok()?;
        acc.checked_mul(d)
    })
}
