//! Argument structs for device buffers and host transfers.

use super::{Buffer, Client, Device, Event, ExtensionBase, MemoryLayout};
use std::ffi::c_void;

pjrt_struct!(
    /// `PJRT_Client_BufferFromHostBuffer_Args`.
    ClientBufferFromHostBufferArgs {
        client: *mut Client,
        data: *const c_void,
        buffer_type: i32,
        dims: *const i64,
        num_dims: usize,
        byte_strides: *const i64,
        num_byte_strides: usize,
        host_buffer_semantics: i32,
        device: *mut Device,
        memory: *mut c_void,
        device_layout: *mut MemoryLayout,
        done_with_host_buffer: *mut Event,
        buffer: *mut Buffer,
    }
);

pjrt_struct!(
    /// `PJRT_Buffer_ToHostBuffer_Args`.
    BufferToHostBufferArgs {
        src: *mut Buffer,
        host_layout: *mut MemoryLayout,
        dst: *mut c_void,
        dst_size: usize,
        event: *mut Event,
    }
);

pjrt_struct!(
    /// `PJRT_Buffer_Destroy_Args`.
    BufferDestroyArgs {
        buffer: *mut Buffer,
    }
);

pjrt_struct!(
    /// `PJRT_Buffer_ElementType_Args`.
    BufferElementTypeArgs {
        buffer: *mut Buffer,
        element_type: i32,
    }
);

pjrt_struct!(
    /// `PJRT_Buffer_Dimensions_Args`.
    BufferDimensionsArgs {
        buffer: *mut Buffer,
        dims: *const i64,
        num_dims: usize,
    }
);

pjrt_struct!(
    /// `PJRT_Buffer_IsDeleted_Args`.
    BufferIsDeletedArgs {
        buffer: *mut Buffer,
        is_deleted: bool,
    }
);

pjrt_struct!(
    /// `PJRT_Buffer_Device_Args`.
    BufferDeviceArgs {
        buffer: *mut Buffer,
        device: *mut Device,
    }
);
