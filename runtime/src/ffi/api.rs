//! The `PJRT_Api` function table, in header order up to the last entry this crate calls
//! (`PJRT_Executable_GetCompiledMemoryStats`). Entries this crate never calls are [`Unused`].
//!
//! A plugin built against an older header may hand back a shorter table; callers check
//! `struct_size` before reading an entry (see `crate::api`).

#![allow(non_snake_case)]

use super::*;

/// `PJRT_Api`.
#[repr(C)]
#[allow(dead_code)]
pub(crate) struct Api {
    pub struct_size: usize,
    pub extension_start: *mut ExtensionBase,
    pub pjrt_api_version: ApiVersion,
    pub PJRT_Error_Destroy: Option<unsafe extern "C" fn(*mut ErrorDestroyArgs)>,
    pub PJRT_Error_Message: Option<unsafe extern "C" fn(*mut ErrorMessageArgs)>,
    pub PJRT_Error_GetCode: Option<unsafe extern "C" fn(*mut ErrorGetCodeArgs) -> *mut Error>,
    pub PJRT_Plugin_Initialize:
        Option<unsafe extern "C" fn(*mut PluginInitializeArgs) -> *mut Error>,
    pub PJRT_Plugin_Attributes:
        Option<unsafe extern "C" fn(*mut PluginAttributesArgs) -> *mut Error>,
    pub PJRT_Event_Destroy: Option<unsafe extern "C" fn(*mut EventDestroyArgs) -> *mut Error>,
    pub PJRT_Event_IsReady: Unused,
    pub PJRT_Event_Error: Option<unsafe extern "C" fn(*mut EventErrorArgs) -> *mut Error>,
    pub PJRT_Event_Await: Option<unsafe extern "C" fn(*mut EventAwaitArgs) -> *mut Error>,
    pub PJRT_Event_OnReady: Unused,
    pub PJRT_Client_Create: Option<unsafe extern "C" fn(*mut ClientCreateArgs) -> *mut Error>,
    pub PJRT_Client_Destroy: Option<unsafe extern "C" fn(*mut ClientDestroyArgs) -> *mut Error>,
    pub PJRT_Client_PlatformName:
        Option<unsafe extern "C" fn(*mut ClientPlatformNameArgs) -> *mut Error>,
    pub PJRT_Client_ProcessIndex: Unused,
    pub PJRT_Client_PlatformVersion:
        Option<unsafe extern "C" fn(*mut ClientPlatformVersionArgs) -> *mut Error>,
    pub PJRT_Client_Devices: Unused,
    pub PJRT_Client_AddressableDevices:
        Option<unsafe extern "C" fn(*mut ClientAddressableDevicesArgs) -> *mut Error>,
    pub PJRT_Client_LookupDevice: Unused,
    pub PJRT_Client_LookupAddressableDevice: Unused,
    pub PJRT_Client_AddressableMemories: Unused,
    pub PJRT_Client_Compile: Option<unsafe extern "C" fn(*mut ClientCompileArgs) -> *mut Error>,
    pub PJRT_Client_DefaultDeviceAssignment: Unused,
    pub PJRT_Client_BufferFromHostBuffer:
        Option<unsafe extern "C" fn(*mut ClientBufferFromHostBufferArgs) -> *mut Error>,
    pub PJRT_DeviceDescription_Id:
        Option<unsafe extern "C" fn(*mut DeviceDescriptionIdArgs) -> *mut Error>,
    pub PJRT_DeviceDescription_ProcessIndex: Unused,
    pub PJRT_DeviceDescription_Attributes: Unused,
    pub PJRT_DeviceDescription_Kind:
        Option<unsafe extern "C" fn(*mut DeviceDescriptionKindArgs) -> *mut Error>,
    pub PJRT_DeviceDescription_DebugString: Unused,
    pub PJRT_DeviceDescription_ToString:
        Option<unsafe extern "C" fn(*mut DeviceDescriptionToStringArgs) -> *mut Error>,
    pub PJRT_Device_GetDescription:
        Option<unsafe extern "C" fn(*mut DeviceGetDescriptionArgs) -> *mut Error>,
    pub PJRT_Device_IsAddressable: Unused,
    pub PJRT_Device_LocalHardwareId: Unused,
    pub PJRT_Device_AddressableMemories: Unused,
    pub PJRT_Device_DefaultMemory: Unused,
    pub PJRT_Device_MemoryStats: Unused,
    pub PJRT_Memory_Id: Unused,
    pub PJRT_Memory_Kind: Unused,
    pub PJRT_Memory_DebugString: Unused,
    pub PJRT_Memory_ToString: Unused,
    pub PJRT_Memory_AddressableByDevices: Unused,
    pub PJRT_Executable_Destroy:
        Option<unsafe extern "C" fn(*mut ExecutableDestroyArgs) -> *mut Error>,
    pub PJRT_Executable_Name: Unused,
    pub PJRT_Executable_NumReplicas:
        Option<unsafe extern "C" fn(*mut ExecutableNumReplicasArgs) -> *mut Error>,
    pub PJRT_Executable_NumPartitions:
        Option<unsafe extern "C" fn(*mut ExecutableNumPartitionsArgs) -> *mut Error>,
    pub PJRT_Executable_NumOutputs:
        Option<unsafe extern "C" fn(*mut ExecutableNumOutputsArgs) -> *mut Error>,
    pub PJRT_Executable_SizeOfGeneratedCodeInBytes: Unused,
    pub PJRT_Executable_GetCostAnalysis: Unused,
    pub PJRT_Executable_OutputMemoryKinds: Unused,
    pub PJRT_Executable_OptimizedProgram:
        Option<unsafe extern "C" fn(*mut ExecutableOptimizedProgramArgs) -> *mut Error>,
    pub PJRT_Executable_Serialize:
        Option<unsafe extern "C" fn(*mut ExecutableSerializeArgs) -> *mut Error>,
    pub PJRT_LoadedExecutable_Destroy:
        Option<unsafe extern "C" fn(*mut LoadedExecutableDestroyArgs) -> *mut Error>,
    pub PJRT_LoadedExecutable_GetExecutable:
        Option<unsafe extern "C" fn(*mut LoadedExecutableGetExecutableArgs) -> *mut Error>,
    pub PJRT_LoadedExecutable_AddressableDevices:
        Option<unsafe extern "C" fn(*mut LoadedExecutableAddressableDevicesArgs) -> *mut Error>,
    pub PJRT_LoadedExecutable_Delete: Unused,
    pub PJRT_LoadedExecutable_IsDeleted: Unused,
    pub PJRT_LoadedExecutable_Execute:
        Option<unsafe extern "C" fn(*mut LoadedExecutableExecuteArgs) -> *mut Error>,
    pub PJRT_Executable_DeserializeAndLoad:
        Option<unsafe extern "C" fn(*mut ExecutableDeserializeAndLoadArgs) -> *mut Error>,
    pub PJRT_LoadedExecutable_Fingerprint: Unused,
    pub PJRT_Buffer_Destroy: Option<unsafe extern "C" fn(*mut BufferDestroyArgs) -> *mut Error>,
    pub PJRT_Buffer_ElementType:
        Option<unsafe extern "C" fn(*mut BufferElementTypeArgs) -> *mut Error>,
    pub PJRT_Buffer_Dimensions:
        Option<unsafe extern "C" fn(*mut BufferDimensionsArgs) -> *mut Error>,
    pub PJRT_Buffer_UnpaddedDimensions: Unused,
    pub PJRT_Buffer_DynamicDimensionIndices: Unused,
    pub PJRT_Buffer_GetMemoryLayout: Unused,
    pub PJRT_Buffer_OnDeviceSizeInBytes: Unused,
    pub PJRT_Buffer_Device: Option<unsafe extern "C" fn(*mut BufferDeviceArgs) -> *mut Error>,
    pub PJRT_Buffer_Memory: Unused,
    pub PJRT_Buffer_Delete: Unused,
    pub PJRT_Buffer_IsDeleted: Option<unsafe extern "C" fn(*mut BufferIsDeletedArgs) -> *mut Error>,
    pub PJRT_Buffer_CopyToDevice: Unused,
    pub PJRT_Buffer_ToHostBuffer:
        Option<unsafe extern "C" fn(*mut BufferToHostBufferArgs) -> *mut Error>,
    pub PJRT_Buffer_IsOnCpu: Unused,
    pub PJRT_Buffer_ReadyEvent: Unused,
    pub PJRT_Buffer_UnsafePointer: Unused,
    pub PJRT_Buffer_IncreaseExternalReferenceCount: Unused,
    pub PJRT_Buffer_DecreaseExternalReferenceCount: Unused,
    pub PJRT_Buffer_OpaqueDeviceMemoryDataPointer: Unused,
    pub PJRT_CopyToDeviceStream_Destroy: Unused,
    pub PJRT_CopyToDeviceStream_AddChunk: Unused,
    pub PJRT_CopyToDeviceStream_TotalBytes: Unused,
    pub PJRT_CopyToDeviceStream_GranuleSize: Unused,
    pub PJRT_CopyToDeviceStream_CurrentBytes: Unused,
    pub PJRT_TopologyDescription_Create: Unused,
    pub PJRT_TopologyDescription_Destroy: Unused,
    pub PJRT_TopologyDescription_PlatformName: Unused,
    pub PJRT_TopologyDescription_PlatformVersion: Unused,
    pub PJRT_TopologyDescription_GetDeviceDescriptions: Unused,
    pub PJRT_TopologyDescription_Serialize: Unused,
    pub PJRT_TopologyDescription_Attributes: Unused,
    pub PJRT_Compile: Unused,
    pub PJRT_Executable_OutputElementTypes: Unused,
    pub PJRT_Executable_OutputDimensions: Unused,
    pub PJRT_Buffer_CopyToMemory: Unused,
    pub PJRT_Client_CreateViewOfDeviceBuffer: Unused,
    pub PJRT_Executable_Fingerprint: Unused,
    pub PJRT_Client_TopologyDescription: Unused,
    pub PJRT_Executable_GetCompiledMemoryStats:
        Option<unsafe extern "C" fn(*mut ExecutableGetCompiledMemoryStatsArgs) -> *mut Error>,
}
