//! Where plugins may live: the user's Python site-packages directories (asked of
//! `python3`) and flash's per-user cache directory.

use crate::error::{Result, RuntimeError};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The CPU plugin inside an installed `xla-cpu-pjrt` package.
const CPU_LAYOUT: &str = "xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so";
/// The CUDA plugin inside `jax-cuda13-pjrt` and `jax-cuda12-pjrt`, newest first.
const CUDA_LAYOUTS: [&str; 2] = [
    "jax_plugins/xla_cuda13/xla_cuda_plugin.so",
    "jax_plugins/xla_cuda12/xla_cuda_plugin.so",
];
/// The TPU plugin inside `libtpu`.
const TPU_LAYOUT: &str = "libtpu/libtpu.so";

/// `site.getsitepackages()` and `site.getusersitepackages()` of `python3`, asked once per
/// process; empty if Python cannot be run.
pub fn python_site_dirs() -> Vec<PathBuf> {
    static DIRS: OnceLock<Vec<PathBuf>> = OnceLock::new();
    DIRS.get_or_init(ask_python).clone()
}

/// Runs `python3` to list its site-packages directories.
fn ask_python() -> Vec<PathBuf> {
    let script = "import site\n\
                  dirs = list(site.getsitepackages()) + [site.getusersitepackages()]\n\
                  print('\\n'.join(dirs))";
    let Ok(out) = Command::new("python3").args(["-c", script]).output() else {
        return Vec::new();
    };
    if !out.status.success() {
        return Vec::new();
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(PathBuf::from)
        .collect()
}

/// flash's per-user cache: `$FLASH_CACHE_DIR`, else `$XDG_CACHE_HOME/flash`, else
/// `~/.cache/flash`.
pub fn cache_dir() -> Result<PathBuf> {
    cache_dir_from(|name| std::env::var_os(name))
}

/// [`cache_dir`] with the environment given as a function (for tests).
fn cache_dir_from(env: impl Fn(&str) -> Option<OsString>) -> Result<PathBuf> {
    let var = |name: &str| env(name).filter(|v| !v.is_empty());
    if let Some(dir) = var("FLASH_CACHE_DIR") {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = var("XDG_CACHE_HOME") {
        return Ok(PathBuf::from(dir).join("flash"));
    }
    match var("HOME") {
        Some(home) => Ok(PathBuf::from(home).join(".cache").join("flash")),
        None => Err(RuntimeError::NoCacheDir),
    }
}

/// The directory pip installs the CPU plugin package into.
pub(crate) fn cpu_install_dir(cache: &Path) -> PathBuf {
    cache.join("plugins").join("cpu")
}

/// The CPU plugin file inside an install directory.
pub(crate) fn cpu_plugin_under(install_dir: &Path) -> PathBuf {
    install_dir.join(CPU_LAYOUT)
}

/// Where the CPU plugin lives in the cache (whether or not it is there yet).
pub fn cpu_plugin_in_cache() -> Result<PathBuf> {
    Ok(cpu_plugin_under(&cpu_install_dir(&cache_dir()?)))
}

/// The directory pip installs the CUDA plugin and its NVIDIA libraries into.
pub(crate) fn cuda_install_dir(cache: &Path) -> PathBuf {
    cache.join("plugins").join("cuda")
}

/// The CUDA 13 plugin file inside an install directory.
pub(crate) fn cuda_plugin_under(install_dir: &Path) -> PathBuf {
    install_dir.join(CUDA_LAYOUTS[0])
}

/// Where `flash setup cuda` puts the CUDA plugin (whether or not it is there yet).
pub fn cuda_plugin_in_cache() -> Result<PathBuf> {
    Ok(cuda_plugin_under(&cuda_install_dir(&cache_dir()?)))
}

/// The Python site directories plus flash's CUDA install directory (when there is a
/// cache): where the CUDA plugin and the `nvidia/*` libraries may be.
pub(crate) fn cuda_sites(sites: &[PathBuf]) -> Vec<PathBuf> {
    let mut all = sites.to_vec();
    if let Ok(cache) = cache_dir() {
        all.push(cuda_install_dir(&cache));
    }
    all
}

/// CPU plugin candidates in the Python packages.
pub(crate) fn cpu_candidates(sites: &[PathBuf]) -> Vec<PathBuf> {
    sites.iter().map(|s| s.join(CPU_LAYOUT)).collect()
}

/// CUDA plugin candidates in the Python packages, CUDA 13 before CUDA 12.
pub(crate) fn cuda_candidates(sites: &[PathBuf]) -> Vec<PathBuf> {
    CUDA_LAYOUTS
        .iter()
        .flat_map(|layout| sites.iter().map(move |s| s.join(layout)))
        .collect()
}

/// TPU plugin candidates in the Python packages.
pub(crate) fn tpu_candidates(sites: &[PathBuf]) -> Vec<PathBuf> {
    sites.iter().map(|s| s.join(TPU_LAYOUT)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            let found = vars.iter().find(|(n, _)| *n == name);
            found.map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn cache_dir_prefers_flash_then_xdg_then_home() {
        let all = [
            ("FLASH_CACHE_DIR", "/f"),
            ("XDG_CACHE_HOME", "/x"),
            ("HOME", "/h"),
        ];
        assert_eq!(cache_dir_from(env(&all)).unwrap(), PathBuf::from("/f"));
        let xdg = [
            ("FLASH_CACHE_DIR", ""),
            ("XDG_CACHE_HOME", "/x"),
            ("HOME", "/h"),
        ];
        assert_eq!(
            cache_dir_from(env(&xdg)).unwrap(),
            PathBuf::from("/x/flash")
        );
        let home = [("HOME", "/h")];
        assert_eq!(
            cache_dir_from(env(&home)).unwrap(),
            PathBuf::from("/h/.cache/flash")
        );
        assert!(matches!(
            cache_dir_from(env(&[])),
            Err(RuntimeError::NoCacheDir)
        ));
    }

    #[test]
    fn cpu_plugin_layout_in_cache() {
        let so = cpu_plugin_under(&cpu_install_dir(Path::new("/c")));
        let want = "/c/plugins/cpu/xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so";
        assert_eq!(so, PathBuf::from(want));
    }
}
