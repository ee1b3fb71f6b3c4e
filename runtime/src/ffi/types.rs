//! Opaque handle types, small value structs and enum constants of the PJRT C API.

use std::ffi::c_char;

/// Declares opaque C types that are only ever used behind pointers.
macro_rules! opaque {
    ($($name:ident),*) => {$(
        #[repr(C)]
        pub(crate) struct $name {
            _private: [u8; 0],
        }
    )*};
}

opaque!(
    ExtensionBase,
    Error,
    Event,
    Client,
    Device,
    DeviceDescription,
    Executable,
    LoadedExecutable,
    SerializedExecutable,
    Buffer
);

/// A function-pointer slot of the [`Api`](super::Api) table that this crate never calls.
pub(crate) type Unused = Option<unsafe extern "C" fn()>;

pjrt_struct!(
    /// `PJRT_Api_Version`.
    ApiVersion {
        major_version: i32,
        minor_version: i32,
    }
);

/// The value part of `PJRT_NamedValue` (an anonymous union in the header).
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) union NamedValueUnion {
    pub string_value: *const c_char,
    pub int64_value: i64,
    pub int64_array_value: *const i64,
    pub float_value: f32,
    pub bool_value: bool,
}

pjrt_struct!(
    /// `PJRT_NamedValue`.
    NamedValue {
        name: *const c_char,
        name_size: usize,
        value_type: i32,
        value: NamedValueUnion,
        value_size: usize,
    }
);

/// `PJRT_NamedValue_Type` values.
pub(crate) mod named_value_type {
    pub const STRING: i32 = 0;
    pub const INT64: i32 = 1;
    pub const INT64_LIST: i32 = 2;
    pub const FLOAT: i32 = 3;
    pub const BOOL: i32 = 4;
}

/// `PJRT_Error_Code_UNIMPLEMENTED`.
pub(crate) const ERROR_CODE_UNIMPLEMENTED: i32 = 12;

/// `PJRT_HostBufferSemantics_kImmutableUntilTransferCompletes`.
pub(crate) const HOST_BUFFER_IMMUTABLE_UNTIL_TRANSFER_COMPLETES: i32 = 1;

/// `PJRT_Buffer_MemoryLayout_Type_Tiled`.
pub(crate) const MEMORY_LAYOUT_TILED: i32 = 0;

pjrt_struct!(
    /// `PJRT_Buffer_MemoryLayout_Tiled`.
    MemoryLayoutTiled {
        minor_to_major: *const i64,
        minor_to_major_size: usize,
        tile_dims: *const i64,
        tile_dim_sizes: *const usize,
        num_tiles: usize,
    }
);

pjrt_struct!(
    /// `PJRT_Buffer_MemoryLayout`; the union of tiled and strided layouts is declared as its
    /// larger member, the tiled layout (the only one used here).
    MemoryLayout {
        tiled: MemoryLayoutTiled,
        layout_type: i32,
    }
);
