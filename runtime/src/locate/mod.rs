//! Finding a PJRT plugin: `cpu`, `cuda`, `tpu` or a path, chosen by `--plugin`, then
//! `FLASH_PJRT_PLUGIN`, then `cpu`.
//!
//! Platform plugins are looked up in the user's Python packages and in flash's per-user
//! cache directory. A missing CPU plugin is installed into the cache with pip on first use
//! (once, under a file lock) unless `FLASH_OFFLINE=1`. Before a CUDA plugin is loaded, the
//! `nvidia-*` pip packages' libraries are preloaded, as JAX does, and XLA is pointed at
//! their CUDA toolkit folder; `flash setup cuda` installs both into the cache.

mod cuda;
mod install;
mod integrity;
mod paths;

pub use cuda::{preload_cuda_libraries, set_cuda_data_dir};
pub use install::{
    install_cpu_plugin, install_cuda_plugin, setup_cpu_plugin, Setup, CPU_PLUGIN_PACKAGE,
    CUDA_PLUGIN_PACKAGE,
};
pub use integrity::{check_before_load, record_entry, verify_hash, RecordEntry};
pub use paths::{cache_dir, cpu_plugin_in_cache, cuda_plugin_in_cache, python_site_dirs};

use crate::error::{Result, RuntimeError};
use std::fmt;
use std::path::{Path, PathBuf};

/// Environment variable naming the plugin when `--plugin` is not given.
pub const PLUGIN_ENV: &str = "FLASH_PJRT_PLUGIN";
/// What `FLASH_PJRT_PLUGIN` takes, for messages.
const PLUGIN_VALUES: &str = "cpu, cuda, tpu or a path to a plugin .so";
/// Environment variable that forbids installing anything when on (a switch: `1`).
pub const OFFLINE_ENV: &str = "FLASH_OFFLINE";

/// Which plugin to load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PluginSpec {
    /// OpenXLA's CPU plugin (`xla-cpu-pjrt`).
    Cpu,
    /// JAX's CUDA plugin (`jax-cuda13-pjrt` or `jax-cuda12-pjrt`).
    Cuda,
    /// `libtpu`.
    Tpu,
    /// An explicit plugin file.
    Path(PathBuf),
}

impl PluginSpec {
    /// Parses `cpu`, `cuda`, `tpu` (any case) or a file-system path.
    pub fn parse(s: &str) -> Result<PluginSpec> {
        let s = s.trim();
        Ok(match s.to_ascii_lowercase().as_str() {
            "" => return Err(RuntimeError::EmptySpec),
            "cpu" => PluginSpec::Cpu,
            "cuda" | "gpu" => PluginSpec::Cuda,
            "tpu" => PluginSpec::Tpu,
            _ => PluginSpec::Path(PathBuf::from(s)),
        })
    }

    /// The explicit value if given, else `FLASH_PJRT_PLUGIN` if set (empty is an error, as
    /// an empty `--plugin` is), else `cpu`.
    pub fn choose(explicit: Option<&str>) -> Result<PluginSpec> {
        if let Some(s) = explicit {
            return PluginSpec::parse(s);
        }
        match crate::env::text(PLUGIN_ENV, PLUGIN_VALUES)? {
            Some(s) if s.trim().is_empty() => Err(RuntimeError::EmptyEnvSpec),
            Some(s) => PluginSpec::parse(&s),
            None => Ok(PluginSpec::Cpu),
        }
    }

    /// The plugin file to load. Installs the CPU plugin if it is missing (unless offline)
    /// and preloads the NVIDIA libraries for a CUDA plugin.
    pub fn resolve(&self) -> Result<PathBuf> {
        let sites = python_site_dirs();
        let cuda_sites = paths::cuda_sites(&sites);
        let path = match self {
            PluginSpec::Path(p) => existing(p)?,
            PluginSpec::Cpu => resolve_cpu(&sites)?,
            PluginSpec::Cuda => find("cuda", &paths::cuda_candidates(&cuda_sites), CUDA_HINT)?,
            PluginSpec::Tpu => find("tpu", &paths::tpu_candidates(&sites), TPU_HINT)?,
        };
        if *self == PluginSpec::Cuda || is_cuda_file(&path) {
            preload_cuda_libraries(&cuda_sites);
            set_cuda_data_dir(&cuda_sites);
        }
        Ok(path)
    }
}

impl std::str::FromStr for PluginSpec {
    type Err = RuntimeError;
    fn from_str(s: &str) -> Result<Self> {
        PluginSpec::parse(s)
    }
}

impl fmt::Display for PluginSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PluginSpec::Cpu => f.write_str("cpu"),
            PluginSpec::Cuda => f.write_str("cuda"),
            PluginSpec::Tpu => f.write_str("tpu"),
            PluginSpec::Path(p) => write!(f, "{}", p.display()),
        }
    }
}

/// How to get the CUDA plugin.
const CUDA_HINT: &str = "install it with `flash setup cuda` (jax-cuda13-pjrt and the nvidia-* \
     library packages, into flash's cache) or `pip install jax-cuda13-pjrt[with-cuda]`, or pass \
     --plugin PATH";
/// The CUDA plugin in the user's Python packages, if one is installed there.
pub fn cuda_plugin_in_python() -> Option<PathBuf> {
    let candidates = paths::cuda_candidates(&python_site_dirs());
    candidates.into_iter().find(|p| p.is_file())
}

/// How to get the TPU plugin.
const TPU_HINT: &str = "install it with `pip install libtpu`, or pass --plugin PATH";

/// Whether `FLASH_OFFLINE` forbids installing (a switch, off by default; a bad value,
/// refused by [`check_env`] up front, counts as offline: nothing is installed on it).
pub fn offline() -> bool {
    crate::env::switch(OFFLINE_ENV, false).unwrap_or(true)
}

/// Reads the plugin's variables, refusing a value they do not take.
pub(crate) fn check_env() -> Result<()> {
    crate::env::switch(OFFLINE_ENV, false)?;
    crate::env::text(PLUGIN_ENV, PLUGIN_VALUES).map(|_| ())
}

/// The CPU plugin: found, or installed into the cache unless offline.
fn resolve_cpu(sites: &[PathBuf]) -> Result<PathBuf> {
    let mut candidates = paths::cpu_candidates(sites);
    let cached = cpu_plugin_in_cache();
    if let Ok(c) = &cached {
        candidates.push(c.clone());
    }
    if let Some(found) = candidates.iter().find(|p| p.is_file()) {
        return Ok(found.clone());
    }
    if offline() || cached.is_err() {
        return Err(RuntimeError::PluginMissing {
            platform: "cpu",
            searched: candidates,
            hint: cpu_hint(),
        });
    }
    install_cpu_plugin()
}

/// How to get the CPU plugin.
fn cpu_hint() -> String {
    let why = if offline() {
        "FLASH_OFFLINE=1 forbids installing it automatically"
    } else {
        "no cache directory to install it into"
    };
    format!("{why}; get it with `flash setup cpu` or `pip install xla-cpu-pjrt`")
}

/// The first existing candidate, or [`RuntimeError::PluginMissing`].
fn find(platform: &'static str, candidates: &[PathBuf], hint: &str) -> Result<PathBuf> {
    match candidates.iter().find(|p| p.is_file()) {
        Some(p) => Ok(p.clone()),
        None => Err(RuntimeError::PluginMissing {
            platform,
            searched: candidates.to_vec(),
            hint: hint.to_string(),
        }),
    }
}

/// `path` if it exists, else [`RuntimeError::PluginNotFound`].
fn existing(path: &Path) -> Result<PathBuf> {
    if path.exists() {
        Ok(path.to_path_buf())
    } else {
        Err(RuntimeError::PluginNotFound {
            path: path.to_path_buf(),
        })
    }
}

/// Whether a plugin file looks like JAX's CUDA plugin.
fn is_cuda_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.contains("cuda"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_platforms_and_paths() {
        assert_eq!(PluginSpec::parse("CPU").unwrap(), PluginSpec::Cpu);
        assert_eq!(PluginSpec::parse(" cuda ").unwrap(), PluginSpec::Cuda);
        assert_eq!(PluginSpec::parse("tpu").unwrap(), PluginSpec::Tpu);
        let p = PluginSpec::parse("/x/y.so").unwrap();
        assert_eq!(p, PluginSpec::Path(PathBuf::from("/x/y.so")));
        assert!(matches!(
            PluginSpec::parse("  "),
            Err(RuntimeError::EmptySpec)
        ));
    }

    #[test]
    fn explicit_spec_wins() {
        let spec = PluginSpec::choose(Some("tpu")).unwrap();
        assert_eq!(spec, PluginSpec::Tpu);
    }

    #[test]
    fn missing_explicit_path_is_not_found() {
        let spec = PluginSpec::Path(PathBuf::from("/nonexistent/flash/plugin.so"));
        let err = spec.resolve().unwrap_err();
        assert!(matches!(err, RuntimeError::PluginNotFound { .. }), "{err}");
    }
}
