//! The PJRT client: created from a plugin, owns the devices, compiles programs (with an
//! in-memory cache) and creates buffers. A client is `Send + Sync`; PJRT clients are
//! thread-safe.

use crate::api::{string_from, Api};
use crate::client_options::ClientOptions;
use crate::compile::ExecutableCache;
use crate::device::Device;
use crate::disk_cache::key::plugin_fingerprint;
use crate::disk_cache::DiskCache;
use crate::error::{Result, RuntimeError};
use crate::ffi;
use crate::plugin::Plugin;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// The raw client, kept alive by the [`Client`] and by every buffer and executable made
/// from it, so the client is destroyed only after all of them.
pub(crate) struct ClientHandle {
    plugin: Arc<Plugin>,
    raw: *mut ffi::Client,
}

// SAFETY: PJRT clients are thread-safe; the handle itself is immutable.
unsafe impl Send for ClientHandle {}
// SAFETY: as above.
unsafe impl Sync for ClientHandle {}

impl ClientHandle {
    /// The plugin's API table.
    pub(crate) fn api(&self) -> Api {
        self.plugin.api()
    }

    /// The raw client.
    pub(crate) fn raw(&self) -> *mut ffi::Client {
        self.raw
    }
}

impl Drop for ClientHandle {
    fn drop(&mut self) {
        let mut args = ffi::ClientDestroyArgs {
            client: self.raw,
            ..Default::default()
        };
        // An error while destroying cannot be acted upon; it is dropped.
        let _ = pjrt_call!(self.api(), PJRT_Client_Destroy, &mut args);
    }
}

/// A PJRT client on one plugin.
pub struct Client {
    pub(crate) handle: Arc<ClientHandle>,
    devices: Vec<Device>,
    platform_name: String,
    platform_version: String,
    pub(crate) cache: ExecutableCache,
}

impl Client {
    /// Creates a new client (with default options) on a loaded plugin, keeping freed host
    /// memory for reuse first (see [`crate::keep_freed_host_memory`]).
    pub fn create(plugin: Arc<Plugin>) -> Result<Client> {
        Client::create_with_cache(plugin, DiskCache::from_env())
    }

    /// [`Client::create`] with an explicit persistent executable cache (`None`: none).
    pub fn create_with_cache(plugin: Arc<Plugin>, disk: Option<DiskCache>) -> Result<Client> {
        Client::create_with_options(plugin, &ClientOptions::default(), disk)
    }

    /// Creates a client with create options (see [`ClientOptions`]) and a persistent
    /// executable cache (`None`: none). A plugin that refuses the options is asked again
    /// without them: on a non-CPU platform the CPU-only options are then dropped, on a CPU
    /// platform the refusal is the error.
    pub fn create_with_options(
        plugin: Arc<Plugin>,
        options: &ClientOptions,
        disk: Option<DiskCache>,
    ) -> Result<Client> {
        crate::keep_freed_host_memory();
        let handle = match create_handle(&plugin, options) {
            Ok(h) => h,
            Err(e) if !options.is_empty() => {
                let plain = create_handle(&plugin, &ClientOptions::default())?;
                if platform(&plain)?.0 == CPU_PLATFORM {
                    return Err(e);
                }
                plain
            }
            Err(e) => return Err(e),
        };
        let (platform_name, platform_version) = platform(&handle)?;
        let p = &handle.plugin;
        let v = p.api_version();
        let fingerprint = plugin_fingerprint(
            p.path(),
            (v.major, v.minor),
            &platform_name,
            &platform_version,
        );
        let devices = devices(&handle)?;
        check_cpu_device_count(&platform_name, options, devices.len())?;
        Ok(Client {
            devices,
            handle,
            platform_name,
            platform_version,
            cache: ExecutableCache::new(disk, fingerprint),
        })
    }

    /// The process-wide client for the plugin at `path` with default options: the plugin
    /// is loaded and the client created on first use; later calls (from any thread) get
    /// the same client.
    pub fn shared(path: &Path) -> Result<Arc<Client>> {
        Client::shared_with(path, &ClientOptions::default())
    }

    /// The process-wide client for the plugin at `path` created with `options`: one client
    /// per (plugin, options) pair, made on first use.
    pub fn shared_with(path: &Path, options: &ClientOptions) -> Result<Arc<Client>> {
        type Key = (PathBuf, ClientOptions);
        static CLIENTS: OnceLock<Mutex<HashMap<Key, Arc<Client>>>> = OnceLock::new();
        let plugin = Plugin::load(path)?;
        let clients = CLIENTS.get_or_init(Default::default);
        let mut clients = clients.lock().unwrap_or_else(|e| e.into_inner());
        let key = (plugin.path().to_path_buf(), options.clone());
        if let Some(c) = clients.get(&key) {
            return Ok(c.clone());
        }
        let client = Arc::new(Client::create_with_options(
            plugin,
            options,
            DiskCache::from_env(),
        )?);
        clients.insert(key, client.clone());
        Ok(client)
    }

    /// The plugin this client runs on.
    pub fn plugin(&self) -> &Arc<Plugin> {
        &self.handle.plugin
    }

    /// The platform name, e.g. `cpu` or `cuda`.
    pub fn platform_name(&self) -> &str {
        &self.platform_name
    }

    /// Platform-specific version text (e.g. the CUDA version).
    pub fn platform_version(&self) -> &str {
        &self.platform_version
    }

    /// The addressable devices.
    pub fn devices(&self) -> &[Device] {
        &self.devices
    }

    /// The first addressable device.
    pub fn default_device(&self) -> Result<&Device> {
        self.devices.first().ok_or(RuntimeError::NoDevice)
    }

    /// Checks that `device` belongs to this client.
    pub(crate) fn own_device<'d>(&self, device: &'d Device) -> Result<&'d Device> {
        if device.client_raw() == self.handle.raw {
            Ok(device)
        } else {
            Err(RuntimeError::ForeignDevice { id: device.id() })
        }
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("platform", &self.platform_name)
            .field("devices", &self.devices)
            .finish()
    }
}

/// The platform name of XLA's CPU plugin.
const CPU_PLATFORM: &str = "cpu";

/// Checks that a CPU client made the devices asked for: the CPU plugin makes a client with
/// no device for a count of 0, and ignores option names it does not know.
fn check_cpu_device_count(platform: &str, options: &ClientOptions, created: usize) -> Result<()> {
    match options.cpu_device_count {
        Some(requested) if platform == CPU_PLATFORM && (requested == 0 || requested != created) => {
            Err(RuntimeError::CpuDeviceCount { requested, created })
        }
        _ => Ok(()),
    }
}

/// Calls `PJRT_Client_Create` with `options`.
fn create_handle(plugin: &Arc<Plugin>, options: &ClientOptions) -> Result<Arc<ClientHandle>> {
    let values = options.named_values();
    let mut args = ffi::ClientCreateArgs {
        create_options: values.as_ptr(),
        num_options: values.len(),
        ..Default::default()
    };
    pjrt_call!(plugin.api(), PJRT_Client_Create, &mut args)
        .map_err(|e| create_error(plugin, options, e))?;
    Ok(Arc::new(ClientHandle {
        plugin: plugin.clone(),
        raw: args.client,
    }))
}

/// [`RuntimeError::ClientCreate`] for a failed `PJRT_Client_Create`, with a hint for GPU
/// plugins (the usual cause there is no GPU or driver).
fn create_error(plugin: &Plugin, options: &ClientOptions, e: RuntimeError) -> RuntimeError {
    let RuntimeError::Xla { message, .. } = e else {
        return e;
    };
    let path = plugin.path().to_path_buf();
    let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase());
    let gpu = name.is_some_and(|n| n.contains("cuda") || n.contains("rocm"));
    let hint = if !options.is_empty() {
        format!("\n(the client was created with {options:?})")
    } else if gpu {
        "\n(no usable GPU or driver on this machine? `nvidia-smi` should list one; \
         --plugin cpu runs on the CPU)"
            .to_string()
    } else {
        String::new()
    };
    RuntimeError::ClientCreate {
        path,
        message,
        hint,
    }
}

/// Reads the platform name and version.
fn platform(handle: &ClientHandle) -> Result<(String, String)> {
    let api = handle.api();
    let mut name = ffi::ClientPlatformNameArgs {
        client: handle.raw,
        ..Default::default()
    };
    pjrt_call!(api, PJRT_Client_PlatformName, &mut name)?;
    let mut version = ffi::ClientPlatformVersionArgs {
        client: handle.raw,
        ..Default::default()
    };
    pjrt_call!(api, PJRT_Client_PlatformVersion, &mut version)?;
    // SAFETY: both strings are owned by the client and valid for these lengths.
    unsafe {
        Ok((
            string_from(name.platform_name, name.platform_name_size),
            string_from(version.platform_version, version.platform_version_size),
        ))
    }
}

/// Lists the addressable devices.
fn devices(handle: &ClientHandle) -> Result<Vec<Device>> {
    let api = handle.api();
    let mut args = ffi::ClientAddressableDevicesArgs {
        client: handle.raw,
        ..Default::default()
    };
    pjrt_call!(api, PJRT_Client_AddressableDevices, &mut args)?;
    let (ptr, len) = (args.addressable_devices, args.num_addressable_devices);
    // SAFETY: the client owns an array of `len` device pointers at `ptr`.
    unsafe { Device::query_all(api, handle.raw, ptr, len) }
}
