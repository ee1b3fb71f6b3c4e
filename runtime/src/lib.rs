//! flash-runtime: runs StableHLO programs on XLA through PJRT plugins, loaded at run time
//! through the PJRT C API.
//!
//! - [`locate`] finds a plugin (`cpu`, `cuda`, `tpu` or a path) and installs the CPU plugin
//!   on first use;
//! - [`Plugin`] loads it (once per process) and checks its API version;
//! - [`Client`] compiles StableHLO text into [`LoadedExecutable`]s (cached) and moves arrays
//!   between host and device as [`Buffer`]s;
//! - [`DiskCache`] keeps serialized executables across processes (`FLASH_CACHE=0` turns
//!   it off; [`set_cache_dir`] moves it for this process, [`use_test_cache`] into a
//!   build's target folder for tests);
//! - [`apply_xla_log_setting`] keeps XLA's own log lines off standard error unless
//!   `FLASH_XLA_LOG` asks for them (applied before the first plugin is loaded);
//! - several devices: [`ClientOptions`] sets the CPU device count,
//!   [`CompileOptions::spmd`] compiles a sharded program for several devices, and
//!   [`LoadedExecutable::execute_sharded`] runs it with one argument list per device.
//!
//! ```no_run
//! # fn main() -> flash_runtime::Result<()> {
//! let client = flash_runtime::shared_client(None)?; // --plugin, FLASH_PJRT_PLUGIN or cpu
//! let exe = client.compile("func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {\n\
//!     %0 = stablehlo.add %a, %a : tensor<2xf32>\n  return %0 : tensor<2xf32>\n}")?;
//! let x = flash_runtime::HostData::from_slice(&[2], &[1.0f32, 2.0])?;
//! let x = client.upload(&x, client.default_device()?)?;
//! let y = exe.execute(&[&x])?[0].to_host()?.to_vec::<f32>()?;
//! assert_eq!(y, [2.0, 4.0]);
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

#[macro_use]
mod api;
mod ffi;

mod attributes;
mod buffer;
mod client;
mod client_options;
mod compile;
mod compile_options;
mod device;
mod disk_cache;
mod element;
pub mod env;
mod error;
mod event;
mod executable;
mod execute;
mod hlo;
mod host;
mod host_memory;
pub mod locate;
mod plugin;
mod xla_log;

pub use attributes::AttrValue;
pub use buffer::Buffer;
pub use client::Client;
pub use client_options::{ClientOptions, CPU_DEVICES, CPU_DEVICES_ENV, MAX_CPU_DEVICES};
pub use compile::CacheStats;
pub use compile_options::{CompileOptions, DeviceAssignment};
pub use device::Device;
pub use disk_cache::{
    enabled_by_env as cache_enabled_by_env, set_cache_dir, test_cache_dir, use_test_cache,
    DiskCache, DiskUsage, CACHE_DIR_ENV, CACHE_ENV, CACHE_LOG_ENV, CACHE_MAX_ENV,
    DEFAULT_MAX_BYTES, TEST_CACHE_FOLDER,
};
pub use element::{Element, ElementType};
pub use env::check_environment;
pub use error::{Result, RuntimeError};
pub use executable::{LoadedExecutable, MemoryStats};
pub use execute::ExecuteOptions;
pub use host::HostData;
pub use host_memory::{
    keep_freed_host_memory, keep_host_memory_setting, release_freed_host_memory,
    KEEP_HOST_MEMORY_ENV,
};
pub use locate::PluginSpec;
pub use plugin::{check_api_version, ApiVersion, Plugin, BINDINGS_API_VERSION};
pub use xla_log::{apply_xla_log_setting, XlaLog, XLA_LOG_ENV};

use std::sync::Arc;

/// Writes a line to standard error, ignoring failure (a closed or full stderr must not
/// panic a library; the message is advisory).
#[macro_export]
#[doc(hidden)]
macro_rules! note_stderr {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// The process-wide client for the plugin chosen by `explicit` (a `--plugin` value), else
/// `FLASH_PJRT_PLUGIN`, else `cpu`; see [`PluginSpec::choose`] and [`PluginSpec::resolve`].
/// The client's options come from the environment ([`ClientOptions::from_env`]:
/// `FLASH_CPU_DEVICES`).
pub fn shared_client(explicit: Option<&str>) -> Result<Arc<Client>> {
    shared_client_with(explicit, &ClientOptions::from_env()?)
}

/// [`shared_client`] created with `options` (one process-wide client per plugin and
/// options).
pub fn shared_client_with(explicit: Option<&str>, options: &ClientOptions) -> Result<Arc<Client>> {
    let path = PluginSpec::choose(explicit)?.resolve()?;
    Client::shared_with(&path, options)
}
