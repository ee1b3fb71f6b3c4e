//! `flash setup cpu`: installs the CPU PJRT plugin (`xla-cpu-pjrt`) into the per-user cache
//! with `python3 -m pip`.

use clap::Args;

/// Arguments of `flash setup`.
#[derive(Debug, Args)]
pub struct SetupArgs {
    /// The platform to install; only `cpu` can be installed by flash.
    pub platform: String,
}

/// Runs `flash setup`.
pub fn run(args: SetupArgs) -> anyhow::Result<()> {
    match args.platform.as_str() {
        "cpu" => {
            let path = crate::runtime::locate::install_cpu_plugin()?;
            println!("CPU plugin ready: {}", path.display());
            Ok(())
        }
        "cuda" => anyhow::bail!("flash cannot install the CUDA plugin: `pip install jax-cuda13-pjrt` (or jax-cuda12-pjrt) installs it where flash finds it"),
        "tpu" => anyhow::bail!("flash cannot install the TPU plugin: `pip install libtpu` installs it where flash finds it"),
        other => anyhow::bail!("unknown platform {other:?}: expected cpu, cuda or tpu"),
    }
}
