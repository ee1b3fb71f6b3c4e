//! Preparing for the CUDA plugin: preloading the NVIDIA libraries that pip's `nvidia-*`
//! packages ship, so that the plugin finds them (every `site-packages/nvidia/*/lib/*.so*`,
//! opened with `RTLD_NOW | RTLD_GLOBAL` and kept open, best effort, as JAX does), and
//! pointing XLA at the CUDA toolkit folder of those packages (the one with `bin/ptxas`,
//! `nvidia/cuda_nvcc` or `nvidia/cu13`) with `--xla_gpu_cuda_data_dir` in `XLA_FLAGS`.

use libloading::os::unix::{Library, RTLD_GLOBAL, RTLD_NOW};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Preloads the NVIDIA libraries found under `sites` (once per process) and returns how
/// many were loaded. Libraries that fail to load are skipped.
pub fn preload_cuda_libraries(sites: &[PathBuf]) -> usize {
    static LOADED: OnceLock<usize> = OnceLock::new();
    *LOADED.get_or_init(|| load_all(nvidia_libraries(sites)))
}

/// Every `nvidia/*/lib/*.so*` file under the site directories, sorted.
fn nvidia_libraries(sites: &[PathBuf]) -> Vec<PathBuf> {
    let mut libs: Vec<PathBuf> = sites
        .iter()
        .flat_map(|s| children(&s.join("nvidia")))
        .flat_map(|pkg| children(&pkg.join("lib")))
        .filter(|f| is_shared_library(f))
        .collect();
    libs.sort();
    libs
}

/// The entries of a directory; empty if it cannot be read.
fn children(dir: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.flatten().map(|e| e.path()).collect(),
        Err(_) => Vec::new(),
    }
}

/// Whether a file name looks like `libX.so` or `libX.so.N`.
fn is_shared_library(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    path.is_file() && (name.ends_with(".so") || name.contains(".so."))
}

/// Loads the libraries, retrying failures while any pass makes progress (a library can
/// need another one that sorts after it). Loaded libraries stay loaded for good.
fn load_all(mut pending: Vec<PathBuf>) -> usize {
    let mut loaded = 0;
    loop {
        let before = pending.len();
        pending.retain(|lib| !load_global(lib));
        loaded += before - pending.len();
        if pending.is_empty() || pending.len() == before {
            return loaded;
        }
    }
}

/// Opens one library globally and leaks the handle; `false` if it did not load.
fn load_global(path: &Path) -> bool {
    // SAFETY: loading NVIDIA's libraries runs their initializers, as JAX does.
    match unsafe { Library::open(Some(path), RTLD_NOW | RTLD_GLOBAL) } {
        Ok(lib) => {
            std::mem::forget(lib);
            true
        }
        Err(_) => false,
    }
}

/// The first `nvidia/*` folder under `sites` that holds `bin/ptxas`.
pub(crate) fn cuda_data_dir(sites: &[PathBuf]) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = sites
        .iter()
        .flat_map(|s| children(&s.join("nvidia")))
        .collect();
    dirs.sort();
    dirs.into_iter()
        .find(|d| d.join("bin").join("ptxas").is_file())
}

/// `flags` with `--xla_gpu_cuda_data_dir=dir` appended, unless it already sets one.
pub(crate) fn with_cuda_data_dir(flags: &str, dir: &Path) -> String {
    if flags.contains("--xla_gpu_cuda_data_dir") {
        return flags.to_string();
    }
    let flag = format!("--xla_gpu_cuda_data_dir={}", dir.display());
    if flags.trim().is_empty() {
        flag
    } else {
        format!("{} {flag}", flags.trim())
    }
}

/// Sets `XLA_FLAGS` for the CUDA toolkit found under `sites` (before the plugin loads,
/// once per process; a user's own `--xla_gpu_cuda_data_dir` wins).
pub fn set_cuda_data_dir(sites: &[PathBuf]) {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        if let Some(dir) = cuda_data_dir(sites) {
            let flags = std::env::var("XLA_FLAGS").unwrap_or_default();
            // Set before the plugin is loaded and any XLA thread exists.
            std::env::set_var("XLA_FLAGS", with_cuda_data_dir(&flags, &dir));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_dir_is_the_nvidia_folder_with_ptxas() {
        let site = std::env::temp_dir().join(format!("flash-cuda-site-{}", std::process::id()));
        let nvcc = site.join("nvidia/cuda_nvcc");
        std::fs::create_dir_all(nvcc.join("bin")).unwrap();
        std::fs::create_dir_all(site.join("nvidia/cublas/lib")).unwrap();
        assert_eq!(cuda_data_dir(std::slice::from_ref(&site)), None);
        std::fs::write(nvcc.join("bin/ptxas"), b"").unwrap();
        assert_eq!(cuda_data_dir(std::slice::from_ref(&site)), Some(nvcc));
        let _ = std::fs::remove_dir_all(&site);
    }

    #[test]
    fn data_dir_flag_is_appended_once() {
        let d = Path::new("/s/nvidia/cu13");
        assert_eq!(
            with_cuda_data_dir("", d),
            "--xla_gpu_cuda_data_dir=/s/nvidia/cu13"
        );
        assert_eq!(
            with_cuda_data_dir("--xla_dump_to=/t", d),
            "--xla_dump_to=/t --xla_gpu_cuda_data_dir=/s/nvidia/cu13"
        );
        let own = "--xla_gpu_cuda_data_dir=/mine";
        assert_eq!(with_cuda_data_dir(own, d), own);
    }
}
