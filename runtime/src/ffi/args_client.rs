//! Argument structs for clients, devices and device descriptions.

use super::{Client, Device, DeviceDescription, ExtensionBase, NamedValue, Unused};
use std::ffi::{c_char, c_void};

pjrt_struct!(
    /// `PJRT_Client_Create_Args`; the key-value store callbacks are left null.
    ClientCreateArgs {
        create_options: *const NamedValue,
        num_options: usize,
        kv_get_callback: Unused,
        kv_get_user_arg: *mut c_void,
        kv_put_callback: Unused,
        kv_put_user_arg: *mut c_void,
        client: *mut Client,
        kv_try_get_callback: Unused,
        kv_try_get_user_arg: *mut c_void,
    }
);

pjrt_struct!(
    /// `PJRT_Client_Destroy_Args`.
    ClientDestroyArgs {
        client: *mut Client,
    }
);

pjrt_struct!(
    /// `PJRT_Client_PlatformName_Args`.
    ClientPlatformNameArgs {
        client: *mut Client,
        platform_name: *const c_char,
        platform_name_size: usize,
    }
);

pjrt_struct!(
    /// `PJRT_Client_PlatformVersion_Args`.
    ClientPlatformVersionArgs {
        client: *mut Client,
        platform_version: *const c_char,
        platform_version_size: usize,
    }
);

pjrt_struct!(
    /// `PJRT_Client_AddressableDevices_Args`.
    ClientAddressableDevicesArgs {
        client: *mut Client,
        addressable_devices: *const *mut Device,
        num_addressable_devices: usize,
    }
);

pjrt_struct!(
    /// `PJRT_Device_GetDescription_Args`.
    DeviceGetDescriptionArgs {
        device: *mut Device,
        device_description: *mut DeviceDescription,
    }
);

pjrt_struct!(
    /// `PJRT_DeviceDescription_Id_Args`.
    DeviceDescriptionIdArgs {
        device_description: *mut DeviceDescription,
        id: i32,
    }
);

pjrt_struct!(
    /// `PJRT_DeviceDescription_Kind_Args`.
    DeviceDescriptionKindArgs {
        device_description: *mut DeviceDescription,
        device_kind: *const c_char,
        device_kind_size: usize,
    }
);

pjrt_struct!(
    /// `PJRT_DeviceDescription_ToString_Args`.
    DeviceDescriptionToStringArgs {
        device_description: *mut DeviceDescription,
        to_string: *const c_char,
        to_string_size: usize,
    }
);
