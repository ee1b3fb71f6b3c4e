//! Addressable devices of a client, with their id, kind and description read once.

use crate::api::{string_from, Api};
use crate::error::Result;
use crate::ffi;

/// One device a client can run programs on. Borrowed from its [`Client`](crate::Client).
pub struct Device {
    raw: *mut ffi::Device,
    client: *mut ffi::Client,
    id: i32,
    kind: String,
    description: String,
}

// SAFETY: a device handle is an immutable pointer owned by its client; PJRT allows using
// it from any thread.
unsafe impl Send for Device {}
// SAFETY: as above.
unsafe impl Sync for Device {}

impl Device {
    /// Reads the descriptions of a device array a PJRT call returned (`ptr`, `len`; a null
    /// array is empty).
    ///
    /// # Safety
    /// `ptr` must be null or point to `len` device pointers of `client` that stay alive
    /// during the call.
    pub(crate) unsafe fn query_all(
        api: Api,
        client: *mut ffi::Client,
        ptr: *const *mut ffi::Device,
        len: usize,
    ) -> Result<Vec<Self>> {
        if ptr.is_null() {
            return Ok(Vec::new());
        }
        // SAFETY: the caller guarantees `len` live device pointers at `ptr`.
        let raw = unsafe { std::slice::from_raw_parts(ptr, len) };
        raw.iter().map(|&d| Device::query(api, client, d)).collect()
    }

    /// Reads the description of a device returned by `PJRT_Client_AddressableDevices`.
    pub(crate) fn query(api: Api, client: *mut ffi::Client, raw: *mut ffi::Device) -> Result<Self> {
        let mut get = ffi::DeviceGetDescriptionArgs {
            device: raw,
            ..Default::default()
        };
        pjrt_call!(api, PJRT_Device_GetDescription, &mut get)?;
        let desc = get.device_description;
        let mut id = ffi::DeviceDescriptionIdArgs {
            device_description: desc,
            ..Default::default()
        };
        pjrt_call!(api, PJRT_DeviceDescription_Id, &mut id)?;
        let mut kind = ffi::DeviceDescriptionKindArgs {
            device_description: desc,
            ..Default::default()
        };
        pjrt_call!(api, PJRT_DeviceDescription_Kind, &mut kind)?;
        let mut text = ffi::DeviceDescriptionToStringArgs {
            device_description: desc,
            ..Default::default()
        };
        pjrt_call!(api, PJRT_DeviceDescription_ToString, &mut text)?;
        // SAFETY: both strings are owned by the device and valid for these lengths.
        let (kind, description) = unsafe {
            (
                string_from(kind.device_kind, kind.device_kind_size),
                string_from(text.to_string, text.to_string_size),
            )
        };
        Ok(Device {
            raw,
            client,
            id: id.id,
            kind,
            description,
        })
    }

    /// The device id (unique among devices of its kind).
    pub fn id(&self) -> i32 {
        self.id
    }

    /// The vendor's device kind, e.g. `cpu` or `NVIDIA H100 80GB HBM3`.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// A short description, e.g. `CpuDevice(id=0)`.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The raw handle.
    pub(crate) fn raw(&self) -> *mut ffi::Device {
        self.raw
    }

    /// The raw handle of the client that owns this device.
    pub(crate) fn client_raw(&self) -> *mut ffi::Client {
        self.client
    }
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}
