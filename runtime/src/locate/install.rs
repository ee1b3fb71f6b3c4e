//! Installing the CPU plugin into the cache with pip: into a temporary directory next to
//! the target, then renamed into place, all under an exclusive file lock so that
//! concurrent processes install it once and a failed install leaves nothing behind.

use super::paths::{cache_dir, cpu_install_dir, cpu_plugin_under};
use crate::error::{Result, RuntimeError};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The pip requirement of the CPU plugin.
pub const CPU_PLUGIN_PACKAGE: &str = "xla-cpu-pjrt==0.0.1";

/// Makes sure the CPU plugin is in the cache and returns its path. Does nothing (but
/// return the path) if it is already there.
pub fn install_cpu_plugin() -> Result<PathBuf> {
    let cache = cache_dir()?;
    let plugins = cache.join("plugins");
    fs::create_dir_all(&plugins)
        .map_err(|e| RuntimeError::io(format!("creating {}", plugins.display()), e))?;
    let _lock = lock(&plugins.join("cpu.lock"))?;
    let target = cpu_install_dir(&cache);
    let so = cpu_plugin_under(&target);
    if so.is_file() {
        return Ok(so);
    }
    remove_leftovers(&plugins, &target)?;
    let staging = plugins.join(format!("cpu.partial-{}", std::process::id()));
    eprintln!(
        "flash: installing the XLA CPU plugin ({CPU_PLUGIN_PACKAGE}) with pip into {}",
        target.display()
    );
    if let Err(e) = pip_install(&staging) {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    fs::rename(&staging, &target)
        .map_err(|e| RuntimeError::io(format!("moving the plugin to {}", target.display()), e))?;
    Ok(so)
}

/// Opens and exclusively locks the lock file; the lock is released when the file closes.
fn lock(path: &Path) -> Result<File> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| RuntimeError::io(format!("opening {}", path.display()), e))?;
    file.lock()
        .map_err(|e| RuntimeError::io(format!("locking {}", path.display()), e))?;
    Ok(file)
}

/// Removes staging directories of interrupted installs and a target without the plugin.
/// Runs under the lock, so no other install is in progress.
fn remove_leftovers(plugins: &Path, target: &Path) -> Result<()> {
    let entries = fs::read_dir(plugins)
        .map_err(|e| RuntimeError::io(format!("reading {}", plugins.display()), e))?;
    let stale = entries.flatten().map(|e| e.path()).filter(|p| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        name.starts_with("cpu.partial-") || p == target
    });
    for dir in stale {
        fs::remove_dir_all(&dir)
            .map_err(|e| RuntimeError::io(format!("removing {}", dir.display()), e))?;
    }
    Ok(())
}

/// Runs pip into `dir` and checks that the plugin file arrived.
fn pip_install(dir: &Path) -> Result<()> {
    let out = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--disable-pip-version-check",
        ])
        .args(["--no-input", "--quiet", "--target"])
        .arg(dir)
        .arg(CPU_PLUGIN_PACKAGE)
        .output()
        .map_err(|e| RuntimeError::Install {
            message: format!("could not run python3 -m pip ({e}); install Python 3 with pip"),
        })?;
    if !out.status.success() {
        return Err(RuntimeError::Install {
            message: format!("pip failed ({}): {}", out.status, tail(&out.stderr)),
        });
    }
    if !cpu_plugin_under(dir).is_file() {
        let message = format!(
            "pip succeeded but {} is missing",
            cpu_plugin_under(dir).display()
        );
        return Err(RuntimeError::Install { message });
    }
    Ok(())
}

/// The last lines of a command's output.
fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}
