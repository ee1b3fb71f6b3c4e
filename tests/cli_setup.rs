//! `flash setup cuda` and `--plugin cuda` where they cannot succeed: offline, with pip
//! failing (a `python3` on PATH that exits 1), and with no CUDA plugin anywhere. Each gives
//! one clear message and a non-zero exit, and leaves no half-installed plugin behind. (The
//! multi-GB CUDA wheels are never downloaded here.)

mod cli_support;

use cli_support::temp_dir;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A folder holding only a `python3` that fails, and an empty cache folder.
fn failing_python(name: &str) -> (PathBuf, PathBuf) {
    let dir = temp_dir(name);
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let python = bin.join("python3");
    std::fs::write(
        &python,
        "#!/bin/sh\necho 'fake pip: no network' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).unwrap();
    (bin, dir.join("cache"))
}

/// Runs `flash ARGS` with that PATH and cache; it must fail with one `error:` message.
fn fails_with(bin: &Path, cache: &Path, offline: bool, args: &[&str]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_flash"));
    cmd.args(args)
        .env("PATH", bin)
        .env("FLASH_CACHE_DIR", cache)
        .env_remove("FLASH_PJRT_PLUGIN")
        .env_remove("FLASH_OFFLINE");
    if offline {
        cmd.env("FLASH_OFFLINE", "1");
    }
    let out = cmd.output().expect("run flash");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "flash {args:?} should fail");
    let errors = stderr.lines().filter(|l| l.starts_with("error: ")).count();
    assert!(errors == 1 && !stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn setup_cuda_offline_refuses() {
    let (bin, cache) = failing_python("setup-cuda-offline");
    let e = fails_with(&bin, &cache, true, &["setup", "cuda"]);
    assert!(
        e.contains("FLASH_OFFLINE=1 forbids installing the CUDA plugin"),
        "{e}"
    );
    assert!(!cache.exists(), "offline set-up must not create the cache");
}

#[test]
fn setup_cuda_with_pip_failing_says_so_and_leaves_nothing() {
    let (bin, cache) = failing_python("setup-cuda-pip");
    let e = fails_with(&bin, &cache, false, &["setup", "cuda"]);
    assert!(
        e.contains("pip failed") && e.contains("fake pip: no network"),
        "{e}"
    );
    let left: Vec<_> = std::fs::read_dir(cache.join("plugins"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| !n.to_string_lossy().ends_with(".lock"))
        .collect();
    assert!(left.is_empty(), "leftovers: {left:?}");
}

#[test]
fn plugin_cuda_without_a_plugin_names_the_places_and_the_fix() {
    let (bin, cache) = failing_python("plugin-cuda-missing");
    let e = fails_with(&bin, &cache, true, &["info", "--plugin", "cuda"]);
    assert!(e.contains("the cuda PJRT plugin is missing"), "{e}");
    assert!(e.contains("plugins/cuda/jax_plugins/xla_cuda13"), "{e}");
    assert!(e.contains("flash setup cuda"), "{e}");
}
