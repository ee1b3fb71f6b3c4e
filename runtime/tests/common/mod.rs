//! Shared set-up for the integration tests: one process-wide client on the real plugin,
//! found by the normal discovery (which installs the CPU plugin into the cache if needed),
//! its executables cached in the build's target folder, never in the user's cache.

#![allow(dead_code)]

use flash_runtime::{Buffer, Client, Element, HostData};
use std::sync::Arc;

/// Points this process's executable cache into the build's target folder, never the user's
/// cache; every client of these tests is made after it.
pub fn use_test_cache() -> std::path::PathBuf {
    flash_runtime::use_test_cache(env!("CARGO_TARGET_TMPDIR"))
}

/// The shared client; fails the test with instructions when no plugin can be had.
pub fn client() -> Arc<Client> {
    use_test_cache();
    match flash_runtime::shared_client(None) {
        Ok(c) => c,
        Err(e) => panic!(
            "no PJRT plugin for the tests: {e}\n\
             get the CPU plugin with `pip install xla-cpu-pjrt` (or let flash install it: \
             unset FLASH_OFFLINE and allow network access to PyPI), or point \
             FLASH_PJRT_PLUGIN at a plugin .so"
        ),
    }
}

/// Uploads typed values to the default device.
pub fn upload<T: Element>(client: &Client, dims: &[i64], values: &[T]) -> Buffer {
    let host = HostData::from_slice(dims, values).expect("host data");
    let device = client.default_device().expect("a device");
    client.upload(&host, device).expect("upload")
}

/// Downloads a buffer as typed values.
pub fn download<T: Element>(buffer: &Buffer) -> Vec<T> {
    buffer
        .to_host()
        .expect("to_host")
        .to_vec()
        .expect("element type")
}

/// The process-wide client on the test plugin with `count` CPU devices.
pub fn client_with_devices(count: usize) -> Arc<Client> {
    use_test_cache();
    let options = flash_runtime::ClientOptions::cpu_devices(count);
    match flash_runtime::shared_client_with(None, &options) {
        Ok(c) => c,
        Err(e) => panic!("no PJRT client with {count} CPU devices for the tests: {e}"),
    }
}

/// Uploads typed values to `device`.
pub fn upload_to<T: Element>(
    client: &Client,
    device: &flash_runtime::Device,
    dims: &[i64],
    values: &[T],
) -> Buffer {
    let host = HostData::from_slice(dims, values).expect("host data");
    client.upload(&host, device).expect("upload")
}
pub mod spmd;
