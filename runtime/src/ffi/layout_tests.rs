//! Checks the declared layouts against numbers printed by a C program compiled against the
//! 0.81 header (`sizeof`, `offsetof` and the header's `*_STRUCT_SIZE`).

use super::*;
use std::mem::{offset_of, size_of};

#[test]
fn api_table_offsets_match_header() {
    assert_eq!(size_of::<ApiVersion>(), 24);
    assert_eq!(offset_of!(Api, PJRT_Error_Destroy), 40);
    assert_eq!(offset_of!(Api, PJRT_Client_Compile), 200);
    assert_eq!(offset_of!(Api, PJRT_LoadedExecutable_Execute), 480);
    assert_eq!(offset_of!(Api, PJRT_Buffer_IsDeleted), 584);
    assert_eq!(offset_of!(Api, PJRT_Buffer_ToHostBuffer), 600);
    assert_eq!(offset_of!(Api, PJRT_Executable_Serialize), 432);
    assert_eq!(offset_of!(Api, PJRT_Executable_DeserializeAndLoad), 488);
    assert_eq!(offset_of!(Api, PJRT_Executable_GetCompiledMemoryStats), 808);
    assert_eq!(offset_of!(Api, PJRT_Executable_NumReplicas), 376);
    assert_eq!(offset_of!(Api, PJRT_Executable_NumPartitions), 384);
    assert_eq!(offset_of!(Api, PJRT_Executable_OptimizedProgram), 424);
    assert_eq!(
        offset_of!(Api, PJRT_LoadedExecutable_AddressableDevices),
        456
    );
    assert_eq!(offset_of!(Api, PJRT_Buffer_Device), 560);
}

#[test]
fn struct_sizes_match_header() {
    let cases: &[(&str, usize, usize)] = &[
        ("ApiVersion", ApiVersion::STRUCT_SIZE, 24),
        ("NamedValue", NamedValue::STRUCT_SIZE, 56),
        ("ErrorDestroy", ErrorDestroyArgs::STRUCT_SIZE, 24),
        ("Serialize", ExecutableSerializeArgs::STRUCT_SIZE, 56),
        (
            "DeserializeAndLoad",
            ExecutableDeserializeAndLoadArgs::STRUCT_SIZE,
            64,
        ),
        ("ErrorMessage", ErrorMessageArgs::STRUCT_SIZE, 40),
        ("ErrorGetCode", ErrorGetCodeArgs::STRUCT_SIZE, 28),
        ("PluginInitialize", PluginInitializeArgs::STRUCT_SIZE, 16),
        ("PluginAttributes", PluginAttributesArgs::STRUCT_SIZE, 32),
        ("EventDestroy", EventDestroyArgs::STRUCT_SIZE, 24),
        ("EventError", EventErrorArgs::STRUCT_SIZE, 24),
        ("EventAwait", EventAwaitArgs::STRUCT_SIZE, 24),
        ("ClientCreate", ClientCreateArgs::STRUCT_SIZE, 88),
        ("ClientDestroy", ClientDestroyArgs::STRUCT_SIZE, 24),
        ("PlatformName", ClientPlatformNameArgs::STRUCT_SIZE, 40),
        (
            "PlatformVersion",
            ClientPlatformVersionArgs::STRUCT_SIZE,
            40,
        ),
        (
            "AddressableDevices",
            ClientAddressableDevicesArgs::STRUCT_SIZE,
            40,
        ),
        ("GetDescription", DeviceGetDescriptionArgs::STRUCT_SIZE, 32),
        (
            "DescriptionKind",
            DeviceDescriptionKindArgs::STRUCT_SIZE,
            40,
        ),
        (
            "DescriptionToString",
            DeviceDescriptionToStringArgs::STRUCT_SIZE,
            40,
        ),
        ("DescriptionId", DeviceDescriptionIdArgs::STRUCT_SIZE, 28),
        ("Program", Program::STRUCT_SIZE, 48),
        ("Compile", ClientCompileArgs::STRUCT_SIZE, 56),
        ("ExecuteOptions", ExecuteOptions::STRUCT_SIZE, 112),
        ("Execute", LoadedExecutableExecuteArgs::STRUCT_SIZE, 80),
        (
            "LoadedDestroy",
            LoadedExecutableDestroyArgs::STRUCT_SIZE,
            24,
        ),
        (
            "GetExecutable",
            LoadedExecutableGetExecutableArgs::STRUCT_SIZE,
            32,
        ),
        ("NumOutputs", ExecutableNumOutputsArgs::STRUCT_SIZE, 32),
        ("ExecutableDestroy", ExecutableDestroyArgs::STRUCT_SIZE, 24),
        (
            "MemoryStats",
            ExecutableGetCompiledMemoryStatsArgs::STRUCT_SIZE,
            112,
        ),
        ("FromHost", ClientBufferFromHostBufferArgs::STRUCT_SIZE, 120),
        ("ToHost", BufferToHostBufferArgs::STRUCT_SIZE, 56),
        ("BufferDestroy", BufferDestroyArgs::STRUCT_SIZE, 24),
        ("ElementType", BufferElementTypeArgs::STRUCT_SIZE, 28),
        ("Dimensions", BufferDimensionsArgs::STRUCT_SIZE, 40),
        ("IsDeleted", BufferIsDeletedArgs::STRUCT_SIZE, 25),
        ("MemoryLayout", MemoryLayout::STRUCT_SIZE, 76),
        ("NumReplicas", ExecutableNumReplicasArgs::STRUCT_SIZE, 32),
        (
            "NumPartitions",
            ExecutableNumPartitionsArgs::STRUCT_SIZE,
            32,
        ),
        (
            "OptimizedProgram",
            ExecutableOptimizedProgramArgs::STRUCT_SIZE,
            32,
        ),
        (
            "ExecutableDevices",
            LoadedExecutableAddressableDevicesArgs::STRUCT_SIZE,
            40,
        ),
        ("BufferDevice", BufferDeviceArgs::STRUCT_SIZE, 32),
        ("MemoryLayoutTiled", MemoryLayoutTiled::STRUCT_SIZE, 56),
    ];
    for (name, ours, header) in cases {
        assert_eq!(ours, header, "{name}");
    }
}

#[test]
fn field_offsets_match_header() {
    assert_eq!(offset_of!(NamedValue, value_size), 48);
    assert_eq!(offset_of!(ExecuteOptions, non_donatable_input_indices), 56);
    let from_host = offset_of!(ClientBufferFromHostBufferArgs, host_buffer_semantics);
    assert_eq!(from_host, 72);
    assert_eq!(offset_of!(ClientBufferFromHostBufferArgs, device), 80);
    assert_eq!(offset_of!(MemoryLayout, layout_type), 72);
    assert_eq!(size_of::<MemoryLayout>(), 80);
}
