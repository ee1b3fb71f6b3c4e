//! The `pjrt_struct!` macro: declares a PJRT argument struct with its two leading fields and
//! the header's `STRUCT_SIZE` constant.

/// Declares a `#[repr(C)]` PJRT struct that starts with `struct_size` and `extension_start`,
/// followed by the given fields, plus `STRUCT_SIZE` (the end of the last field, as the
/// header's `PJRT_STRUCT_SIZE` macro computes it) and a zeroed `Default`.
macro_rules! pjrt_struct {
    ($(#[$meta:meta])* $name:ident { $($field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[repr(C)]
        #[allow(dead_code)]
        pub(crate) struct $name {
            pub struct_size: usize,
            pub extension_start: *mut ExtensionBase,
            $(pub $field: $ty,)*
        }

        impl $name {
            /// End of the last field in bytes, without trailing padding.
            #[allow(dead_code)]
            pub const STRUCT_SIZE: usize = {
                #[allow(unused_mut)]
                let mut end = 2 * core::mem::size_of::<usize>();
                $(
                    let e = core::mem::offset_of!($name, $field) + core::mem::size_of::<$ty>();
                    if e > end {
                        end = e;
                    }
                )*
                end
            };
        }

        impl Default for $name {
            fn default() -> Self {
                // SAFETY: every field type used in these structs (integers, raw pointers,
                // `bool`, `Option<fn>`, unions of those) is valid when all bits are zero.
                let mut s: Self = unsafe { core::mem::zeroed() };
                s.struct_size = Self::STRUCT_SIZE;
                s
            }
        }
    };
}
