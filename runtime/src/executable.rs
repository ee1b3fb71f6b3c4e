//! Compiled programs: their devices, output, replica and partition counts, compiled memory
//! statistics and serialized form. Running them is in `crate::execute`, reading the
//! compiled program in `crate::hlo`.

use crate::client::ClientHandle;
use crate::device::Device;
use crate::error::{Result, RuntimeError};
use crate::ffi;
use std::sync::Arc;

/// Memory the compiler planned for one executable, in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryStats {
    /// Generated code on the device.
    pub generated_code_bytes: i64,
    /// Arguments.
    pub argument_bytes: i64,
    /// Outputs.
    pub output_bytes: i64,
    /// Argument bytes reused for outputs.
    pub alias_bytes: i64,
    /// Temporaries.
    pub temp_bytes: i64,
    /// Generated code in host memory.
    pub host_generated_code_bytes: i64,
    /// Arguments in host memory.
    pub host_argument_bytes: i64,
    /// Outputs in host memory.
    pub host_output_bytes: i64,
    /// Aliased bytes in host memory.
    pub host_alias_bytes: i64,
    /// Temporaries in host memory.
    pub host_temp_bytes: i64,
    /// Peak device memory, where the plugin computes it (0 otherwise).
    pub peak_memory_bytes: i64,
}

/// A compiled program loaded on a client. `Send + Sync`; dropping it frees it.
pub struct LoadedExecutable {
    raw: *mut ffi::LoadedExecutable,
    client: Arc<ClientHandle>,
    num_outputs: usize,
    devices: Vec<Device>,
}

// SAFETY: PJRT executables may be executed and queried from any thread.
unsafe impl Send for LoadedExecutable {}
// SAFETY: as above.
unsafe impl Sync for LoadedExecutable {}

impl LoadedExecutable {
    /// Takes ownership of a freshly compiled executable and reads its output count and
    /// devices.
    pub(crate) fn new(raw: *mut ffi::LoadedExecutable, client: Arc<ClientHandle>) -> Result<Self> {
        let mut exe = LoadedExecutable {
            raw,
            client,
            num_outputs: 0,
            devices: Vec::new(),
        };
        exe.devices = exe.query_devices()?;
        exe.num_outputs = exe.with_executable(|api, e| {
            let mut args = ffi::ExecutableNumOutputsArgs {
                executable: e,
                ..Default::default()
            };
            pjrt_call!(api, PJRT_Executable_NumOutputs, &mut args)?;
            Ok(args.num_outputs)
        })?;
        Ok(exe)
    }

    /// Number of outputs per call (per device).
    pub fn num_outputs(&self) -> usize {
        self.num_outputs
    }

    /// The devices this program runs on, in the order of the argument and output lists of
    /// [`LoadedExecutable::execute_sharded`] (`PJRT_LoadedExecutable_AddressableDevices`).
    pub fn devices(&self) -> &[Device] {
        &self.devices
    }

    /// The client handle this executable belongs to.
    pub(crate) fn client(&self) -> &Arc<ClientHandle> {
        &self.client
    }

    /// The raw handle.
    pub(crate) fn raw(&self) -> *mut ffi::LoadedExecutable {
        self.raw
    }

    /// Number of replicas the program was compiled for (`PJRT_Executable_NumReplicas`).
    pub fn num_replicas(&self) -> Result<usize> {
        self.with_executable(|api, e| {
            let mut args = ffi::ExecutableNumReplicasArgs {
                executable: e,
                ..Default::default()
            };
            pjrt_call!(api, PJRT_Executable_NumReplicas, &mut args)?;
            Ok(args.num_replicas)
        })
    }

    /// Number of partitions the program was compiled for (`PJRT_Executable_NumPartitions`).
    pub fn num_partitions(&self) -> Result<usize> {
        self.with_executable(|api, e| {
            let mut args = ffi::ExecutableNumPartitionsArgs {
                executable: e,
                ..Default::default()
            };
            pjrt_call!(api, PJRT_Executable_NumPartitions, &mut args)?;
            Ok(args.num_partitions)
        })
    }

    /// Memory statistics of the compiled program; `None` when the plugin does not provide
    /// them.
    pub fn memory_stats(&self) -> Result<Option<MemoryStats>> {
        self.with_executable(|api, e| {
            let f = match pjrt_fn!(api, PJRT_Executable_GetCompiledMemoryStats) {
                Ok(f) => f,
                Err(_) => return Ok(None),
            };
            let mut args = ffi::ExecutableGetCompiledMemoryStatsArgs {
                executable: e,
                ..Default::default()
            };
            // SAFETY: `e` is a live executable and `args` follows the 0.81 header.
            let err = unsafe { f(&mut args) };
            match api.take_error(err) {
                None => Ok(Some(stats_from(&args))),
                Some((ffi::ERROR_CODE_UNIMPLEMENTED, _)) => Ok(None),
                Some((_, message)) => Err(RuntimeError::Xla {
                    call: "PJRT_Executable_GetCompiledMemoryStats",
                    message,
                }),
            }
        })
    }

    /// The plugin's serialized form of this executable (`PJRT_Executable_Serialize`),
    /// which `PJRT_Executable_DeserializeAndLoad` on the same plugin build turns back
    /// into an executable.
    pub fn serialize(&self) -> Result<Vec<u8>> {
        self.with_executable(|api, e| {
            let mut args = ffi::ExecutableSerializeArgs {
                executable: e,
                ..Default::default()
            };
            pjrt_call!(api, PJRT_Executable_Serialize, &mut args)?;
            let bytes = if args.serialized_bytes.is_null() {
                Vec::new()
            } else {
                // SAFETY: the plugin returned this many bytes, alive until the deleter runs.
                unsafe {
                    std::slice::from_raw_parts(
                        args.serialized_bytes.cast::<u8>(),
                        args.serialized_bytes_size,
                    )
                }
                .to_vec()
            };
            if let Some(delete) = args.serialized_executable_deleter {
                // SAFETY: called once, on the object the plugin handed back.
                unsafe { delete(args.serialized_executable) };
            }
            if bytes.is_empty() {
                return Err(RuntimeError::Unsupported {
                    call: "PJRT_Executable_Serialize (it returned no bytes)",
                });
            }
            Ok(bytes)
        })
    }

    /// Runs `f` on the executable behind this loaded executable, then frees that handle.
    pub(crate) fn with_executable<T>(
        &self,
        f: impl FnOnce(crate::api::Api, *mut ffi::Executable) -> Result<T>,
    ) -> Result<T> {
        let api = self.client.api();
        let mut get = ffi::LoadedExecutableGetExecutableArgs {
            loaded_executable: self.raw,
            ..Default::default()
        };
        pjrt_call!(api, PJRT_LoadedExecutable_GetExecutable, &mut get)?;
        let result = f(api, get.executable);
        let mut destroy = ffi::ExecutableDestroyArgs {
            executable: get.executable,
            ..Default::default()
        };
        let destroyed = pjrt_call!(api, PJRT_Executable_Destroy, &mut destroy);
        let value = result?;
        destroyed.map(|_| value)
    }
}

impl LoadedExecutable {
    /// Reads the addressable devices of the executable.
    fn query_devices(&self) -> Result<Vec<Device>> {
        let api = self.client.api();
        let mut args = ffi::LoadedExecutableAddressableDevicesArgs {
            executable: self.raw,
            ..Default::default()
        };
        pjrt_call!(api, PJRT_LoadedExecutable_AddressableDevices, &mut args)?;
        let (ptr, len) = (args.addressable_devices, args.num_addressable_devices);
        // SAFETY: the executable owns `len` device pointers of its client at `ptr`.
        unsafe { Device::query_all(api, self.client.raw(), ptr, len) }
    }
}

/// Copies the statistics out of the argument struct.
fn stats_from(a: &ffi::ExecutableGetCompiledMemoryStatsArgs) -> MemoryStats {
    MemoryStats {
        generated_code_bytes: a.generated_code_size_in_bytes,
        argument_bytes: a.argument_size_in_bytes,
        output_bytes: a.output_size_in_bytes,
        alias_bytes: a.alias_size_in_bytes,
        temp_bytes: a.temp_size_in_bytes,
        host_generated_code_bytes: a.host_generated_code_size_in_bytes,
        host_argument_bytes: a.host_argument_size_in_bytes,
        host_output_bytes: a.host_output_size_in_bytes,
        host_alias_bytes: a.host_alias_size_in_bytes,
        host_temp_bytes: a.host_temp_size_in_bytes,
        peak_memory_bytes: a.peak_memory_in_bytes,
    }
}

impl Drop for LoadedExecutable {
    fn drop(&mut self) {
        let mut args = ffi::LoadedExecutableDestroyArgs {
            executable: self.raw,
            ..Default::default()
        };
        // An error while freeing cannot be acted upon; it is dropped.
        let _ = pjrt_call!(self.client.api(), PJRT_LoadedExecutable_Destroy, &mut args);
    }
}

impl std::fmt::Debug for LoadedExecutable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedExecutable")
            .field("num_outputs", &self.num_outputs)
            .field("devices", &self.devices)
            .finish()
    }
}
