//! Prints what a PJRT plugin reports: path, API version, attributes, platform, devices, and
//! the compiled memory statistics of a small program.
//!
//! `cargo run -p flash-runtime --example plugin_info -- [cpu|cuda|tpu|PATH]`

fn main() {
    if let Err(e) = run(std::env::args().nth(1)) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// Loads the plugin and prints its report.
fn run(spec: Option<String>) -> flash_runtime::Result<()> {
    let client = flash_runtime::shared_client(spec.as_deref())?;
    let plugin = client.plugin();
    let v = plugin.api_version();
    println!(
        "plugin: {} (PJRT C API {}.{})",
        plugin.path().display(),
        v.major,
        v.minor
    );
    for (name, value) in plugin.attributes()? {
        println!("  {name} = {value:?}");
    }
    println!(
        "platform: {} {}",
        client.platform_name(),
        client.platform_version()
    );
    for d in client.devices() {
        println!("  device {}: {} ({})", d.id(), d.description(), d.kind());
    }
    let exe = client.compile(
        "func.func @main(%x: tensor<64x64xf32>) -> tensor<64x64xf32> {\n  \
         %0 = stablehlo.dot_general %x, %x, contracting_dims = [1] x [0] : \
         (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>\n  \
         return %0 : tensor<64x64xf32>\n}",
    )?;
    println!("memory stats: {:?}", exe.memory_stats()?);
    Ok(())
}
