//! `flash info`: which PJRT plugin would be used, its platform, API version, attributes and
//! devices.

use crate::runtime::{shared_client, AttrValue};
use clap::Args;

/// Arguments of `flash info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// PJRT plugin: `cpu`, `cuda`, `tpu` or a path (default: FLASH_PJRT_PLUGIN, else cpu).
    #[arg(long)]
    pub plugin: Option<String>,
}

/// Runs `flash info`.
pub fn run(args: InfoArgs) -> anyhow::Result<()> {
    let client = shared_client(args.plugin.as_deref())?;
    let plugin = client.plugin();
    let v = plugin.api_version();
    println!("plugin:      {}", plugin.path().display());
    println!(
        "platform:    {} ({})",
        client.platform_name(),
        client.platform_version()
    );
    println!("PJRT API:    {}.{}", v.major, v.minor);
    for (name, value) in plugin.attributes()? {
        println!("attribute:   {name} = {}", show(&value));
    }
    for d in client.devices() {
        println!("device {}:    {} ({})", d.id(), d.kind(), d.description());
    }
    Ok(())
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
