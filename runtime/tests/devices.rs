//! The CPU plugin's `cpu_device_count` create option: the number of devices a client has,
//! and a clear error for a count the plugin refuses.

mod common;

use common::client_with_devices;
use flash_runtime::{Client, ClientOptions, PluginSpec, RuntimeError};

#[test]
fn cpu_device_count_gives_that_many_devices() {
    for count in [1, 2, 4] {
        let client = client_with_devices(count);
        let ids: Vec<i32> = client.devices().iter().map(|d| d.id()).collect();
        assert_eq!(
            ids,
            (0..count as i32).collect::<Vec<_>>(),
            "{count} devices"
        );
    }
}

#[test]
fn shared_clients_are_keyed_by_options() {
    let two = client_with_devices(2);
    assert!(std::sync::Arc::ptr_eq(&two, &client_with_devices(2)));
    assert!(!std::sync::Arc::ptr_eq(&two, &client_with_devices(1)));
}

#[test]
fn zero_cpu_devices_is_a_clear_error() {
    let path = PluginSpec::choose(None).unwrap().resolve().unwrap();
    let plugin = flash_runtime::Plugin::load(&path).unwrap();
    let err =
        Client::create_with_options(plugin, &ClientOptions::cpu_devices(0), None).unwrap_err();
    assert!(
        matches!(
            err,
            RuntimeError::CpuDeviceCount {
                requested: 0,
                created: 0
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("cpu_device_count"), "{err}");
}
