//! `flash setup cpu|cuda`: installs a PJRT plugin into the per-user cache with
//! `python3 -m pip` (the CPU plugin `xla-cpu-pjrt`; the CUDA plugin `jax-cuda13-pjrt` with
//! the `nvidia-*` library packages, several GB). A CUDA plugin already in the user's Python
//! packages is used as it is. `flash setup cpu` verifies an installed CPU plugin against its
//! wheel's RECORD (sha256) and reports a damaged one; `--force` reinstalls it.

use super::output::outln;
use crate::runtime::locate;
use clap::Args;

/// Arguments of `flash setup`.
#[derive(Debug, Args)]
pub struct SetupArgs {
    /// The platform to install: `cpu` or `cuda` (`tpu`: `pip install libtpu`).
    pub platform: String,
    /// Reinstall the CPU plugin even if it is there (repairs a damaged one).
    #[arg(long)]
    pub force: bool,
}

/// Runs `flash setup`.
pub fn run(args: SetupArgs) -> anyhow::Result<()> {
    match args.platform.as_str() {
        "cpu" => {
            let (path, how) = match locate::setup_cpu_plugin(args.force)? {
                locate::Setup::Verified(p) => (p, "installed, sha256 matches its RECORD"),
                locate::Setup::Installed(p) => (p, "freshly installed, sha256 matches its RECORD"),
            };
            outln!("CPU plugin ready ({how}): {}", path.display());
            Ok(())
        }
        "cuda" => setup_cuda(),
        "tpu" => anyhow::bail!("flash cannot install the TPU plugin: `pip install libtpu` installs it where flash finds it"),
        other => anyhow::bail!("unknown platform {other:?}: expected cpu, cuda or tpu"),
    }
}

/// Uses the CUDA plugin of the user's Python, or installs one into the cache.
fn setup_cuda() -> anyhow::Result<()> {
    if let Some(found) = locate::cuda_plugin_in_python() {
        outln!(
            "CUDA plugin found in your Python packages: {}",
            found.display()
        );
        return Ok(());
    }
    let path = locate::install_cuda_plugin()?;
    outln!("CUDA plugin ready: {}", path.display());
    Ok(())
}
