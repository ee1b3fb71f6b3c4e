//! Loading a PJRT plugin: `dlopen`, `GetPjrtApi`, the API version check and
//! `PJRT_Plugin_Initialize`. Plugins are loaded once per process (keyed by canonical path)
//! and never unloaded, because XLA plugins do not support `dlclose`. Before `dlopen` the file
//! is checked against its wheel's RECORD size and its own ELF headers
//! ([`crate::locate::check_before_load`]), so a truncated plugin is an error, not a SIGBUS.
//! XLA's logging threshold is set before the first `dlopen` (`FLASH_XLA_LOG`, `xla_log.rs`).

use crate::api::Api;
use crate::attributes::{self, AttrValue};
use crate::error::{Result, RuntimeError};
use crate::ffi;
use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// A PJRT C API version, as reported by a plugin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiVersion {
    /// Incremented on ABI-incompatible changes.
    pub major: i32,
    /// Incremented when fields or functions are appended.
    pub minor: i32,
}

/// The PJRT C API version these bindings were written against (header 0.81).
pub const BINDINGS_API_VERSION: ApiVersion = ApiVersion {
    major: ffi::API_MAJOR,
    minor: ffi::API_MINOR,
};

/// A loaded and initialized PJRT plugin.
pub struct Plugin {
    path: PathBuf,
    api: Api,
    version: ApiVersion,
    /// Kept so the library is never closed (the registry holds every plugin forever).
    _library: Library,
}

/// Every plugin loaded in this process, by canonical path.
fn registry() -> &'static Mutex<HashMap<PathBuf, Arc<Plugin>>> {
    static PLUGINS: OnceLock<Mutex<HashMap<PathBuf, Arc<Plugin>>>> = OnceLock::new();
    PLUGINS.get_or_init(Default::default)
}

impl Plugin {
    /// Loads the plugin at `path`, or returns the one already loaded from the same file.
    /// XLA's logging is set up first (`FLASH_XLA_LOG`, see [`crate::apply_xla_log_setting`]).
    pub fn load(path: &Path) -> Result<Arc<Plugin>> {
        crate::xla_log::apply_xla_log_setting()?;
        crate::env::check_environment()?;
        let canonical = canonical(path)?;
        let mut plugins = registry().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = plugins.get(&canonical) {
            return Ok(p.clone());
        }
        let plugin = Arc::new(Plugin::open(&canonical)?);
        plugins.insert(canonical, plugin.clone());
        Ok(plugin)
    }

    /// Opens, checks and initializes the library at a canonical path.
    fn open(path: &Path) -> Result<Plugin> {
        // A truncated file would be mapped and then fault (SIGBUS) inside the loader.
        crate::locate::check_before_load(path)?;
        // SAFETY: loading a shared library runs its initializers; PJRT plugins are meant to
        // be loaded this way.
        let library = unsafe { Library::open(Some(path), RTLD_NOW | RTLD_LOCAL) }.map_err(|e| {
            RuntimeError::NotASharedLibrary {
                path: path.to_path_buf(),
                reason: e.to_string(),
            }
        })?;
        let api = get_api(&library, path)?;
        let (major, minor) = api.version();
        check_api_version(path, major, minor)?;
        let mut args = ffi::PluginInitializeArgs::default();
        pjrt_call!(api, PJRT_Plugin_Initialize, &mut args)?;
        Ok(Plugin {
            path: path.to_path_buf(),
            api,
            version: ApiVersion { major, minor },
            _library: library,
        })
    }

    /// The canonical path the plugin was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The PJRT C API version the plugin implements.
    pub fn api_version(&self) -> ApiVersion {
        self.version
    }

    /// The plugin's attributes (`xla_version`, `stablehlo_current_version`, ...).
    pub fn attributes(&self) -> Result<Vec<(String, AttrValue)>> {
        attributes::read(self.api)
    }

    /// One attribute by name.
    pub fn attribute(&self, name: &str) -> Result<Option<AttrValue>> {
        let found = self.attributes()?.into_iter().find(|(n, _)| n == name);
        Ok(found.map(|(_, v)| v))
    }

    /// The checked API table.
    pub(crate) fn api(&self) -> Api {
        self.api
    }
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("path", &self.path)
            .field("version", &self.version)
            .finish()
    }
}

/// Refuses a plugin whose API major version differs from the one these bindings target.
pub fn check_api_version(path: &Path, major: i32, minor: i32) -> Result<()> {
    if major == BINDINGS_API_VERSION.major {
        return Ok(());
    }
    Err(RuntimeError::ApiVersionMismatch {
        path: path.to_path_buf(),
        plugin_major: major,
        plugin_minor: minor,
        ours_major: BINDINGS_API_VERSION.major,
        ours_minor: BINDINGS_API_VERSION.minor,
    })
}

/// The canonical form of an existing path, or [`RuntimeError::PluginNotFound`].
fn canonical(path: &Path) -> Result<PathBuf> {
    path.canonicalize()
        .map_err(|_| RuntimeError::PluginNotFound {
            path: path.to_path_buf(),
        })
}

/// Calls the library's `GetPjrtApi`.
fn get_api(library: &Library, path: &Path) -> Result<Api> {
    type GetPjrtApi = unsafe extern "C" fn() -> *const ffi::Api;
    // SAFETY: every PJRT plugin exports `GetPjrtApi` with this signature.
    let get = unsafe { library.get::<GetPjrtApi>(b"GetPjrtApi\0") }.map_err(|e| {
        RuntimeError::MissingGetPjrtApi {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }
    })?;
    // SAFETY: see above; the call takes no arguments.
    let raw = unsafe { get() };
    if raw.is_null() {
        return Err(RuntimeError::NullApi {
            path: path.to_path_buf(),
        });
    }
    // SAFETY: the table belongs to a library this process never unloads.
    Ok(unsafe { Api::new(raw) })
}
