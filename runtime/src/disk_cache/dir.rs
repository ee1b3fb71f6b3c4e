//! Which directory this process keeps its executables in: one set by the program
//! ([`set_cache_dir`]; the tests' [`use_test_cache`] points it under the build's target
//! folder), else `FLASH_EXECUTABLE_CACHE_DIR`, else `<flash cache>/executables`.
//!
//! The program's choice wins over the environment, so a test run never writes into the
//! user's cache even when the user's shell names it; `FLASH_CACHE=0` still turns the cache
//! off. It is read when a client is created: a client keeps the cache it was made with.

use super::CACHE_DIR_ENV;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

/// The folder, under a build's target directory, where tests keep executables.
pub const TEST_CACHE_FOLDER: &str = "flash-executables";

/// The directory [`set_cache_dir`] chose, if any.
static PROCESS_DIR: RwLock<Option<PathBuf>> = RwLock::new(None);

/// Sets this process's executable cache directory for the clients created afterwards,
/// overriding `FLASH_EXECUTABLE_CACHE_DIR` and the default (a later call replaces it).
/// Unlike setting the variable, it is safe while other threads run.
pub fn set_cache_dir(dir: impl Into<PathBuf>) {
    let mut chosen = PROCESS_DIR.write().unwrap_or_else(|e| e.into_inner());
    *chosen = Some(dir.into());
}

/// The tests' executable cache inside a build's target directory:
/// `<target_tmpdir>/flash-executables`. Kept across test runs (so they reuse compiled
/// programs) and removed by `cargo clean`.
pub fn test_cache_dir(target_tmpdir: impl AsRef<Path>) -> PathBuf {
    target_tmpdir.as_ref().join(TEST_CACHE_FOLDER)
}

/// Points this process's executable cache at [`test_cache_dir`] and returns it. Tests call
/// it with `env!("CARGO_TARGET_TMPDIR")` before their first client, and give the folder to
/// the processes they start as `FLASH_EXECUTABLE_CACHE_DIR`.
pub fn use_test_cache(target_tmpdir: impl AsRef<Path>) -> PathBuf {
    let dir = test_cache_dir(target_tmpdir);
    set_cache_dir(&dir);
    dir
}

/// The directory the cache should use: the program's choice, else the environment's, else
/// `default` (called only then: it may fail for want of a home directory).
pub(super) fn chosen(default: impl FnOnce() -> Option<PathBuf>) -> Option<PathBuf> {
    let set = PROCESS_DIR
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    set.or_else(|| {
        std::env::var_os(CACHE_DIR_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
    .or_else(default)
}
