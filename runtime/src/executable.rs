//! Compiled programs: running them on one device (`PJRT_LoadedExecutable_Execute`), input
//! donation, output count and compiled memory statistics.
//!
//! # Donation
//! A program may donate an input buffer to an output (an argument attribute
//! `tf.aliasing_output = N : i32`, or `jax.buffer_donor = true`). After such a call the
//! donated input [`Buffer`] is deleted: PJRT reports an error (never a crash) if it is read
//! again, and [`Buffer::is_deleted`] says so. Use [`LoadedExecutable::execute_donating`] to
//! hand the inputs over by value so they cannot be touched afterwards, or list inputs in
//! [`ExecuteOptions::non_donatable_input_indices`] to keep them (XLA then copies).

use crate::buffer::Buffer;
use crate::client::ClientHandle;
use crate::error::{Result, RuntimeError};
use crate::event::await_and_destroy;
use crate::ffi;
use std::ptr;
use std::sync::Arc;

/// Per-call execution options.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecuteOptions {
    /// Inputs that must not be donated even if the program asks for it.
    pub non_donatable_input_indices: Vec<i64>,
}

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
}

// SAFETY: PJRT executables may be executed and queried from any thread.
unsafe impl Send for LoadedExecutable {}
// SAFETY: as above.
unsafe impl Sync for LoadedExecutable {}

impl LoadedExecutable {
    /// Takes ownership of a freshly compiled executable and reads its output count.
    pub(crate) fn new(raw: *mut ffi::LoadedExecutable, client: Arc<ClientHandle>) -> Result<Self> {
        let mut exe = LoadedExecutable {
            raw,
            client,
            num_outputs: 0,
        };
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

    /// Number of outputs per call.
    pub fn num_outputs(&self) -> usize {
        self.num_outputs
    }

    /// Runs the program on its device and waits for it to finish. Inputs the program
    /// donates are deleted afterwards (see the module docs).
    pub fn execute(&self, args: &[&Buffer]) -> Result<Vec<Buffer>> {
        self.execute_with(args, &ExecuteOptions::default())
    }

    /// Runs the program, taking the inputs by value: donated or not, they are released
    /// when the call returns, so a donated buffer can never be used again.
    pub fn execute_donating(&self, args: Vec<Buffer>) -> Result<Vec<Buffer>> {
        let refs: Vec<&Buffer> = args.iter().collect();
        self.execute(&refs)
    }

    /// Runs the program with explicit options and waits for it to finish.
    pub fn execute_with(&self, args: &[&Buffer], options: &ExecuteOptions) -> Result<Vec<Buffer>> {
        for (index, b) in args.iter().enumerate() {
            if !Arc::ptr_eq(b.client(), &self.client) {
                return Err(RuntimeError::ForeignBuffer { index });
            }
        }
        let inputs: Vec<*mut ffi::Buffer> = args.iter().map(|b| b.raw()).collect();
        let input_lists = [inputs.as_ptr()];
        let mut outputs: Vec<*mut ffi::Buffer> = vec![ptr::null_mut(); self.num_outputs];
        let output_lists = [outputs.as_mut_ptr()];
        let mut done: *mut ffi::Event = ptr::null_mut();
        let mut opts = ffi::ExecuteOptions {
            non_donatable_input_indices: options.non_donatable_input_indices.as_ptr(),
            num_non_donatable_input_indices: options.non_donatable_input_indices.len(),
            ..Default::default()
        };
        let mut call = ffi::LoadedExecutableExecuteArgs {
            executable: self.raw,
            options: &mut opts,
            argument_lists: input_lists.as_ptr(),
            num_devices: 1,
            num_args: inputs.len(),
            output_lists: output_lists.as_ptr(),
            device_complete_events: &mut done,
            ..Default::default()
        };
        let api = self.client.api();
        pjrt_call!(api, PJRT_LoadedExecutable_Execute, &mut call)?;
        let results: Vec<Buffer> = outputs
            .into_iter()
            .filter(|p| !p.is_null())
            .map(|p| Buffer::from_raw(p, self.client.clone()))
            .collect();
        await_and_destroy(api, done, "PJRT_LoadedExecutable_Execute")?;
        Ok(results)
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
    fn with_executable<T>(
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
            .finish()
    }
}
