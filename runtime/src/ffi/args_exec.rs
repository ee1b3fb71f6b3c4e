//! Argument structs for compiling and running programs.

use super::{
    Buffer, Client, Device, Event, Executable, ExtensionBase, LoadedExecutable,
    SerializedExecutable,
};
use std::ffi::{c_char, c_void};

pjrt_struct!(
    /// `PJRT_Program`.
    Program {
        code: *mut c_char,
        code_size: usize,
        format: *const c_char,
        format_size: usize,
    }
);

pjrt_struct!(
    /// `PJRT_Client_Compile_Args`.
    ClientCompileArgs {
        client: *mut Client,
        program: *const Program,
        compile_options: *const c_char,
        compile_options_size: usize,
        executable: *mut LoadedExecutable,
    }
);

pjrt_struct!(
    /// `PJRT_ExecuteOptions`; send/recv callbacks, the context and task lists stay null.
    ExecuteOptions {
        send_callbacks: *mut *mut c_void,
        recv_callbacks: *mut *mut c_void,
        num_send_ops: usize,
        num_recv_ops: usize,
        launch_id: i32,
        non_donatable_input_indices: *const i64,
        num_non_donatable_input_indices: usize,
        context: *mut c_void,
        call_location: *const c_char,
        num_tasks: usize,
        task_ids: *mut i32,
        incarnation_ids: *mut i64,
    }
);

pjrt_struct!(
    /// `PJRT_LoadedExecutable_Execute_Args`.
    LoadedExecutableExecuteArgs {
        executable: *mut LoadedExecutable,
        options: *mut ExecuteOptions,
        argument_lists: *const *const *mut Buffer,
        num_devices: usize,
        num_args: usize,
        output_lists: *const *mut *mut Buffer,
        device_complete_events: *mut *mut Event,
        execute_device: *mut Device,
    }
);

pjrt_struct!(
    /// `PJRT_LoadedExecutable_Destroy_Args`.
    LoadedExecutableDestroyArgs {
        executable: *mut LoadedExecutable,
    }
);

pjrt_struct!(
    /// `PJRT_LoadedExecutable_GetExecutable_Args`.
    LoadedExecutableGetExecutableArgs {
        loaded_executable: *mut LoadedExecutable,
        executable: *mut Executable,
    }
);

pjrt_struct!(
    /// `PJRT_Executable_Destroy_Args`.
    ExecutableDestroyArgs {
        executable: *mut Executable,
    }
);

pjrt_struct!(
    /// `PJRT_Executable_NumOutputs_Args`.
    ExecutableNumOutputsArgs {
        executable: *mut Executable,
        num_outputs: usize,
    }
);

pjrt_struct!(
    /// `PJRT_Executable_GetCompiledMemoryStats_Args`.
    ExecutableGetCompiledMemoryStatsArgs {
        executable: *mut Executable,
        generated_code_size_in_bytes: i64,
        argument_size_in_bytes: i64,
        output_size_in_bytes: i64,
        alias_size_in_bytes: i64,
        temp_size_in_bytes: i64,
        host_generated_code_size_in_bytes: i64,
        host_argument_size_in_bytes: i64,
        host_output_size_in_bytes: i64,
        host_alias_size_in_bytes: i64,
        host_temp_size_in_bytes: i64,
        peak_memory_in_bytes: i64,
    }
);

pjrt_struct!(
    /// `PJRT_Executable_Serialize_Args`: the bytes live until `serialized_executable_deleter`
    /// is called on `serialized_executable`.
    ExecutableSerializeArgs {
        executable: *const Executable,
        serialized_bytes: *const c_char,
        serialized_bytes_size: usize,
        serialized_executable: *mut SerializedExecutable,
        serialized_executable_deleter: Option<unsafe extern "C" fn(*mut SerializedExecutable)>,
    }
);

pjrt_struct!(
    /// `PJRT_Executable_DeserializeAndLoad_Args`; null overridden options keep the
    /// serialized ones.
    ExecutableDeserializeAndLoadArgs {
        client: *mut Client,
        serialized_executable: *const c_char,
        serialized_executable_size: usize,
        loaded_executable: *mut LoadedExecutable,
        overridden_serialized_compile_options: *const c_char,
        overridden_serialized_compile_options_size: usize,
    }
);

pjrt_struct!(
    /// `PJRT_Executable_NumReplicas_Args`.
    ExecutableNumReplicasArgs {
        executable: *mut Executable,
        num_replicas: usize,
    }
);

pjrt_struct!(
    /// `PJRT_Executable_NumPartitions_Args`.
    ExecutableNumPartitionsArgs {
        executable: *mut Executable,
        num_partitions: usize,
    }
);

pjrt_struct!(
    /// `PJRT_Executable_OptimizedProgram_Args`: called once with a null `program.code` for
    /// the size, then again with a buffer of that size.
    ExecutableOptimizedProgramArgs {
        executable: *mut Executable,
        program: *mut Program,
    }
);

pjrt_struct!(
    /// `PJRT_LoadedExecutable_AddressableDevices_Args`.
    LoadedExecutableAddressableDevicesArgs {
        executable: *mut LoadedExecutable,
        addressable_devices: *const *mut Device,
        num_addressable_devices: usize,
    }
);
