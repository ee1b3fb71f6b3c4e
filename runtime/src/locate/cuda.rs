//! Preloading the NVIDIA libraries that pip's `nvidia-*` packages ship, so that the CUDA
//! plugin finds them: every `site-packages/nvidia/*/lib/*.so*`, opened with
//! `RTLD_NOW | RTLD_GLOBAL` and kept open, best effort, as JAX does.

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
