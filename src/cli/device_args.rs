//! Flags choosing where programs run: the PJRT plugin and the CPU plugin's device count
//! ([`DeviceArgs`]), the device mesh a program is spread over ([`MeshArgs`]), and
//! `--no-cache` ([`CacheArgs`]), offered by every command that compiles programs on a plugin
//! (through [`DeviceArgs`], or flattened beside a command's own `--plugin`).

use crate::ir::Mesh;
use crate::parallel::{parse_mesh, Parallelism};
use crate::runtime::{shared_client_with, Client, ClientOptions, MAX_CPU_DEVICES};
use clap::Args;
use std::sync::Arc;

/// Which plugin, and how many devices a CPU client has.
#[derive(Debug, Args)]
pub struct DeviceArgs {
    /// PJRT plugin: `cpu`, `cuda`, `tpu` or a path (default: FLASH_PJRT_PLUGIN, else cpu).
    #[arg(long)]
    pub plugin: Option<String>,
    /// The number of devices of the CPU plugin's client [default: FLASH_CPU_DEVICES, else
    /// the plugin's, 4]; ignored by other plugins.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=MAX_CPU_DEVICES as i64))]
    pub cpu_devices: Option<u32>,
    /// The executable cache.
    #[command(flatten)]
    pub cache: CacheArgs,
}

/// `--no-cache`: the one definition of the flag.
#[derive(Debug, Args)]
pub struct CacheArgs {
    /// Do not read or write the persistent executable cache (as FLASH_CACHE=0).
    #[arg(long)]
    pub no_cache: bool,
}

impl CacheArgs {
    /// Turns the persistent cache off when asked; called before any client exists, since the
    /// setting is read when the first client is created.
    pub(super) fn apply(&self) {
        if self.no_cache {
            std::env::set_var(crate::runtime::CACHE_ENV, "0");
        }
    }
}

impl DeviceArgs {
    /// The client options: `--cpu-devices`, else the environment.
    pub fn client_options(&self) -> anyhow::Result<ClientOptions> {
        Ok(match self.cpu_devices {
            Some(n) => ClientOptions::cpu_devices(n as usize),
            None => ClientOptions::from_env()?,
        })
    }

    /// The process-wide client these flags name.
    pub fn client(&self) -> anyhow::Result<Arc<Client>> {
        Ok(shared_client_with(
            self.plugin.as_deref(),
            &self.client_options()?,
        )?)
    }
}

/// Spreading a program over several devices.
#[derive(Debug, Args)]
pub struct MeshArgs {
    /// Run on a device mesh, e.g. `data=4` (data parallel), `model=4` (tensor parallel) or
    /// `data=2,model=2` (both); XLA partitions the program and inserts the collectives.
    #[arg(long, value_name = "AXIS=N,...", value_parser = mesh_flag)]
    pub mesh: Option<Mesh>,
    /// With a `data` axis: split the optimizer moments over it too (ZeRO-1).
    #[arg(long, requires = "mesh")]
    pub shard_optimizer: bool,
}

impl MeshArgs {
    /// The strategy the flags ask for (`None`: one device).
    pub fn parallelism(&self) -> Option<Parallelism> {
        self.mesh.clone().map(|mesh| Parallelism {
            mesh,
            shard_optimizer: self.shard_optimizer,
        })
    }
}

/// Parses `--mesh` (its errors name the flag).
fn mesh_flag(text: &str) -> Result<Mesh, String> {
    parse_mesh(text).map_err(|e| e.to_string())
}
