//! `flash info`: which PJRT plugin would be used, its platform, API version, attributes,
//! devices, and the persistent executable cache (location and size).

use super::device_args::{DeviceArgs, MeshArgs};
use super::output::outln;
use crate::ir::Mesh;
use crate::parallel::check_devices;
use crate::runtime::{AttrValue, Client, DiskCache};
use clap::Args;

/// Arguments of `flash info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// The plugin and its devices.
    #[command(flatten)]
    pub devices: DeviceArgs,
    /// Also show how this mesh would lay out over the devices.
    #[command(flatten)]
    pub mesh: MeshArgs,
}

/// Runs `flash info`.
pub fn run(args: InfoArgs) -> anyhow::Result<()> {
    let client = args.devices.client()?;
    if let Some(mesh) = &args.mesh.mesh {
        check_devices(mesh, client.devices().len())?;
    }
    let plugin = client.plugin();
    let v = plugin.api_version();
    outln!("plugin:      {}", plugin.path().display());
    outln!(
        "platform:    {} ({})",
        client.platform_name(),
        client.platform_version()
    );
    outln!("PJRT API:    {}.{}", v.major, v.minor);
    for (name, value) in plugin.attributes()? {
        outln!("attribute:   {name} = {}", show(&value));
    }
    for d in client.devices() {
        outln!("device {}:    {} ({})", d.id(), d.kind(), d.description());
    }
    outln!("exe cache:   {}", cache_line(client.disk_cache()));
    if let Some(mesh) = &args.mesh.mesh {
        show_mesh(mesh, &client)?;
    }
    Ok(())
}

/// The mesh's devices: which client device sits at each mesh coordinate.
fn show_mesh(mesh: &Mesh, client: &Client) -> anyhow::Result<()> {
    outln!("mesh:        {mesh} ({} devices)", mesh.device_count());
    for (i, d) in client
        .devices()
        .iter()
        .take(mesh.device_count())
        .enumerate()
    {
        let coords: Vec<String> = (mesh.axes.iter().zip(mesh.coords(i)))
            .map(|(a, c)| format!("{}={c}", a.name))
            .collect();
        outln!("  {}:     device {}", coords.join(" "), d.id());
    }
    Ok(())
}

/// Where the persistent executable cache is and how full, or why it is off.
fn cache_line(cache: Option<&DiskCache>) -> String {
    let Some(c) = cache else {
        return "off (FLASH_CACHE=0 or --no-cache)".to_string();
    };
    let u = c.usage();
    let mib = |b: u64| b as f64 / (1u64 << 20) as f64;
    format!(
        "{} ({} entries, {:.1} MiB of {:.0} MiB)",
        c.dir().display(),
        u.entries,
        mib(u.bytes),
        mib(c.max_bytes())
    )
}

fn show(v: &AttrValue) -> String {
    match v {
        AttrValue::String(s) => format!("{s:?}"),
        AttrValue::Bool(b) => b.to_string(),
        AttrValue::Int64(i) => i.to_string(),
        AttrValue::Int64List(l) => format!("{l:?}"),
        AttrValue::Float(f) => f.to_string(),
    }
}
