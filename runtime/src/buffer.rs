//! Device buffers: creation from host bytes (`PJRT_Client_BufferFromHostBuffer`), reading
//! back (`PJRT_Buffer_ToHostBuffer`), element type and dimensions. Dropping a [`Buffer`]
//! frees it.

use crate::client::{Client, ClientHandle};
use crate::device::Device;
use crate::element::ElementType;
use crate::error::Result;
use crate::event::await_and_destroy;
use crate::ffi;
use crate::host::{check_len, HostData};
use std::ptr;
use std::sync::Arc;

/// An array on a device. `Send + Sync`; keeps its client alive.
pub struct Buffer {
    raw: *mut ffi::Buffer,
    client: Arc<ClientHandle>,
}

// SAFETY: PJRT buffers may be used from any thread; PJRT synchronizes access internally.
unsafe impl Send for Buffer {}
// SAFETY: as above.
unsafe impl Sync for Buffer {}

impl Client {
    /// Copies a dense row-major host array to `device` and waits until the host bytes are
    /// no longer needed.
    pub fn buffer_from_host(
        &self,
        bytes: &[u8],
        ty: ElementType,
        dims: &[i64],
        device: &Device,
    ) -> Result<Buffer> {
        check_len(ty, dims, bytes.len())?;
        let device = self.own_device(device)?;
        let mut args = ffi::ClientBufferFromHostBufferArgs {
            client: self.handle.raw(),
            data: bytes.as_ptr().cast(),
            buffer_type: ty.to_raw(),
            dims: dims.as_ptr(),
            num_dims: dims.len(),
            host_buffer_semantics: ffi::HOST_BUFFER_IMMUTABLE_UNTIL_TRANSFER_COMPLETES,
            device: device.raw(),
            ..Default::default()
        };
        let api = self.handle.api();
        pjrt_call!(api, PJRT_Client_BufferFromHostBuffer, &mut args)?;
        let buffer = Buffer::from_raw(args.buffer, self.handle.clone());
        // `bytes` must outlive the transfer: wait before returning, even on error paths.
        let call = "PJRT_Client_BufferFromHostBuffer";
        await_and_destroy(api, args.done_with_host_buffer, call)?;
        Ok(buffer)
    }

    /// Copies host data to `device`.
    pub fn upload(&self, data: &HostData, device: &Device) -> Result<Buffer> {
        self.buffer_from_host(&data.bytes, data.ty, &data.dims, device)
    }
}

impl Buffer {
    /// Takes ownership of a buffer returned by the plugin.
    pub(crate) fn from_raw(raw: *mut ffi::Buffer, client: Arc<ClientHandle>) -> Buffer {
        Buffer { raw, client }
    }

    /// The raw handle.
    pub(crate) fn raw(&self) -> *mut ffi::Buffer {
        self.raw
    }

    /// The raw handle of the device this buffer is on (`PJRT_Buffer_Device`).
    pub(crate) fn device_raw(&self) -> Result<*mut ffi::Device> {
        let mut args = ffi::BufferDeviceArgs {
            buffer: self.raw,
            ..Default::default()
        };
        pjrt_call!(self.client.api(), PJRT_Buffer_Device, &mut args)?;
        Ok(args.device)
    }

    /// The client handle this buffer belongs to.
    pub(crate) fn client(&self) -> &Arc<ClientHandle> {
        &self.client
    }

    /// The element type.
    pub fn element_type(&self) -> Result<ElementType> {
        let mut args = ffi::BufferElementTypeArgs {
            buffer: self.raw,
            ..Default::default()
        };
        pjrt_call!(self.client.api(), PJRT_Buffer_ElementType, &mut args)?;
        ElementType::from_raw(args.element_type)
    }

    /// The dimensions, major to minor.
    pub fn dims(&self) -> Result<Vec<i64>> {
        let mut args = ffi::BufferDimensionsArgs {
            buffer: self.raw,
            ..Default::default()
        };
        pjrt_call!(self.client.api(), PJRT_Buffer_Dimensions, &mut args)?;
        if args.dims.is_null() {
            return Ok(Vec::new());
        }
        // SAFETY: the buffer owns `num_dims` dimensions at `dims`.
        Ok(unsafe { std::slice::from_raw_parts(args.dims, args.num_dims) }.to_vec())
    }

    /// Whether the buffer was deleted, e.g. donated to a program.
    pub fn is_deleted(&self) -> Result<bool> {
        let mut args = ffi::BufferIsDeletedArgs {
            buffer: self.raw,
            ..Default::default()
        };
        pjrt_call!(self.client.api(), PJRT_Buffer_IsDeleted, &mut args)?;
        Ok(args.is_deleted)
    }

    /// Copies the buffer to host memory as a dense row-major array and waits for the copy.
    pub fn to_host(&self) -> Result<HostData> {
        let ty = self.element_type()?;
        let dims = self.dims()?;
        let minor_to_major: Vec<i64> = (0..dims.len() as i64).rev().collect();
        let mut layout = row_major_layout(&minor_to_major);
        let mut args = ffi::BufferToHostBufferArgs {
            src: self.raw,
            host_layout: &mut layout,
            ..Default::default()
        };
        let api = self.client.api();
        pjrt_call!(api, PJRT_Buffer_ToHostBuffer, &mut args)?;
        // The size query copies nothing; free an event should a plugin return one anyway.
        await_and_destroy(api, args.event, "PJRT_Buffer_ToHostBuffer")?;
        let mut bytes = vec![0u8; args.dst_size];
        args.dst = bytes.as_mut_ptr().cast();
        args.event = ptr::null_mut();
        pjrt_call!(api, PJRT_Buffer_ToHostBuffer, &mut args)?;
        await_and_destroy(api, args.event, "PJRT_Buffer_ToHostBuffer")?;
        HostData::new(ty, &dims, bytes)
    }
}

/// A dense layout with the given minor-to-major order and no tiling.
fn row_major_layout(minor_to_major: &[i64]) -> ffi::MemoryLayout {
    ffi::MemoryLayout {
        tiled: ffi::MemoryLayoutTiled {
            minor_to_major: minor_to_major.as_ptr(),
            minor_to_major_size: minor_to_major.len(),
            ..Default::default()
        },
        layout_type: ffi::MEMORY_LAYOUT_TILED,
        ..Default::default()
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        let mut args = ffi::BufferDestroyArgs {
            buffer: self.raw,
            ..Default::default()
        };
        // An error while freeing cannot be acted upon; it is dropped.
        let _ = pjrt_call!(self.client.api(), PJRT_Buffer_Destroy, &mut args);
    }
}

impl std::fmt::Debug for Buffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Buffer")
            .field("type", &self.element_type().ok())
            .field("dims", &self.dims().ok())
            .finish()
    }
}
