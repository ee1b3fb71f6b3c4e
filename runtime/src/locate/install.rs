//! Installing a plugin into the cache with pip (`pip install --target`): into a temporary
//! directory next to the target, then renamed into place, all under an exclusive file lock
//! so that concurrent processes install it once and a failed install leaves nothing behind.
//! The CPU plugin is one wheel (`--no-deps`); the CUDA plugin comes with the `nvidia-*`
//! library wheels it needs (its `with-cuda` extra).

use super::paths::{cache_dir, cpu_install_dir, cpu_plugin_under, cuda_install_dir};
use crate::error::{Result, RuntimeError};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The pip requirement of the CPU plugin.
pub const CPU_PLUGIN_PACKAGE: &str = "xla-cpu-pjrt==0.0.1";
/// The pip requirement of the CUDA plugin, with the NVIDIA library packages.
pub const CUDA_PLUGIN_PACKAGE: &str = "jax-cuda13-pjrt[with-cuda]";

/// What to install and where: one platform's package in `plugins/<name>`.
struct Package {
    /// `cpu` or `cuda`: the directory and lock file names.
    name: &'static str,
    /// The pip requirement.
    requirement: &'static str,
    /// Whether pip installs the package's dependencies too.
    with_deps: bool,
    /// Where the plugin file is inside an install directory.
    plugin_under: fn(&Path) -> PathBuf,
}

/// The CPU plugin's package.
const CPU_PACKAGE: Package = Package {
    name: "cpu",
    requirement: CPU_PLUGIN_PACKAGE,
    with_deps: false,
    plugin_under: cpu_plugin_under,
};

/// Makes sure the CPU plugin is in the cache and returns its path. Does nothing (but
/// return the path) if it is already there; a fresh install is verified against its RECORD.
pub fn install_cpu_plugin() -> Result<PathBuf> {
    let cache = cache_dir()?;
    install(&CPU_PACKAGE, &cpu_install_dir(&cache), &cache, false)
}

/// What `flash setup cpu` found or did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Setup {
    /// The plugin was already installed and matches its RECORD's sha256.
    Verified(PathBuf),
    /// The plugin was (re)installed and matches its RECORD's sha256.
    Installed(PathBuf),
}

/// `flash setup cpu`: verifies an installed CPU plugin against its wheel's RECORD (a damaged
/// one is [`RuntimeError::PluginDamaged`]), or installs it; `force` removes what is there and
/// installs afresh (the repair). Refuses to install when `FLASH_OFFLINE=1`.
pub fn setup_cpu_plugin(force: bool) -> Result<Setup> {
    let cache = cache_dir()?;
    let target = cpu_install_dir(&cache);
    let so = cpu_plugin_under(&target);
    if !force && so.is_file() {
        verified(&so)?;
        return Ok(Setup::Verified(so));
    }
    if super::offline() {
        return Err(RuntimeError::Install {
            message: format!(
                "FLASH_OFFLINE=1 forbids installing the CPU plugin into {}; unset it",
                target.display()
            ),
        });
    }
    install(&CPU_PACKAGE, &target, &cache, force).map(Setup::Installed)
}

/// Checks `so` against its RECORD's sha256; a plugin no RECORD lists is damaged too (pip
/// always writes one).
fn verified(so: &Path) -> Result<()> {
    if super::verify_hash(so)? {
        return Ok(());
    }
    Err(RuntimeError::PluginDamaged {
        path: so.to_path_buf(),
        reason: "no *.dist-info/RECORD of its wheel lists it".to_string(),
    })
}

/// Makes sure the CUDA plugin (`jax-cuda13-pjrt` and its `nvidia-*` libraries, several GB)
/// is in the cache and returns its path; refuses when `FLASH_OFFLINE=1`.
pub fn install_cuda_plugin() -> Result<PathBuf> {
    if super::offline() {
        return Err(RuntimeError::Install {
            message: "FLASH_OFFLINE=1 forbids installing the CUDA plugin; unset it, or \
                      `pip install jax-cuda13-pjrt[with-cuda]` yourself"
                .to_string(),
        });
    }
    let cache = cache_dir()?;
    let package = Package {
        name: "cuda",
        requirement: CUDA_PLUGIN_PACKAGE,
        with_deps: true,
        plugin_under: super::paths::cuda_plugin_under,
    };
    install(&package, &cuda_install_dir(&cache), &cache, false)
}

/// Installs `package` into `target` under the cache's lock, unless it is there already (or
/// `force`, which replaces it), and verifies the new plugin against its RECORD.
fn install(package: &Package, target: &Path, cache: &Path, force: bool) -> Result<PathBuf> {
    let plugins = cache.join("plugins");
    fs::create_dir_all(&plugins)
        .map_err(|e| RuntimeError::io(format!("creating {}", plugins.display()), e))?;
    let _lock = lock(&plugins.join(format!("{}.lock", package.name)))?;
    let so = (package.plugin_under)(target);
    if so.is_file() && !force {
        return Ok(so);
    }
    let partial = format!("{}.partial-", package.name);
    remove_leftovers(&plugins, target, &partial, so.is_file())?;
    let staging = plugins.join(format!("{partial}{}", std::process::id()));
    crate::note_stderr!(
        "flash: installing the XLA {} plugin ({}) with pip into {}",
        package.name.to_uppercase(),
        package.requirement,
        target.display()
    );
    if let Err(e) = pip_install(package, &staging) {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    if let Err(e) = verified(&(package.plugin_under)(&staging)) {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    if force && target.exists() {
        fs::remove_dir_all(target)
            .map_err(|e| RuntimeError::io(format!("removing {}", target.display()), e))?;
    }
    fs::rename(&staging, target)
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

/// Removes staging directories of interrupted installs and a target without the plugin (a
/// target with one, being replaced by `--force`, stays until the new one is verified).
/// Runs under the lock, so no other install is in progress.
fn remove_leftovers(plugins: &Path, target: &Path, partial: &str, keep_target: bool) -> Result<()> {
    let entries = fs::read_dir(plugins)
        .map_err(|e| RuntimeError::io(format!("reading {}", plugins.display()), e))?;
    let stale = entries.flatten().map(|e| e.path()).filter(|p| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        name.starts_with(partial) || (p == target && !keep_target)
    });
    for dir in stale {
        fs::remove_dir_all(&dir)
            .map_err(|e| RuntimeError::io(format!("removing {}", dir.display()), e))?;
    }
    Ok(())
}

/// Runs pip into `dir` and checks that the plugin file arrived.
fn pip_install(package: &Package, dir: &Path) -> Result<()> {
    let deps: &[&str] = if package.with_deps {
        &[]
    } else {
        &["--no-deps"]
    };
    let out = Command::new("python3")
        .args(["-m", "pip", "install", "--disable-pip-version-check"])
        .args(deps)
        .args(["--no-input", "--quiet", "--target"])
        .arg(dir)
        .arg(package.requirement)
        .output()
        .map_err(|e| RuntimeError::Install {
            message: format!("could not run python3 -m pip ({e}); install Python 3 with pip"),
        })?;
    if !out.status.success() {
        return Err(RuntimeError::Install {
            message: format!("pip failed ({}): {}", out.status, tail(&out.stderr)),
        });
    }
    let so = (package.plugin_under)(dir);
    if !so.is_file() {
        let message = format!("pip succeeded but {} is missing", so.display());
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
