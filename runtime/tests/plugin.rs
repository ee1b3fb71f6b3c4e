//! Loading plugins: attributes and versions of the real CPU plugin, and the distinct errors
//! for a missing file, a file that is not a shared library, a library without
//! `GetPjrtApi`, and an API major version mismatch.

mod common;

use flash_runtime::{check_api_version, AttrValue, Plugin, RuntimeError};
use std::path::{Path, PathBuf};

#[test]
fn attributes_report_api_0_x_and_stablehlo_version() {
    let client = common::client();
    let plugin = client.plugin();
    assert_eq!(plugin.api_version().major, 0);
    assert!(plugin.api_version().minor >= 1);
    let version = plugin.attribute("stablehlo_current_version").unwrap();
    match version {
        Some(AttrValue::Int64List(v)) => assert_eq!(v.len(), 3, "{v:?}"),
        other => panic!("stablehlo_current_version: {other:?}"),
    }
    let names: Vec<String> = plugin
        .attributes()
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert!(names.iter().any(|n| n == "xla_version"), "{names:?}");
}

#[test]
fn client_reports_platform_and_devices() {
    let client = common::client();
    assert!(!client.platform_name().is_empty());
    let devices = client.devices();
    assert!(!devices.is_empty());
    assert!(!devices[0].kind().is_empty());
    assert!(!devices[0].description().is_empty());
}

#[test]
fn loading_twice_gives_the_same_plugin() {
    let client = common::client();
    let again = Plugin::load(client.plugin().path()).unwrap();
    assert!(std::sync::Arc::ptr_eq(client.plugin(), &again));
}

#[test]
fn missing_plugin_file_is_not_found() {
    let err = Plugin::load(Path::new("/nonexistent/flash/plugin.so")).unwrap_err();
    assert!(matches!(err, RuntimeError::PluginNotFound { .. }), "{err}");
    assert!(err.to_string().contains("/nonexistent/flash/plugin.so"));
}

#[test]
fn text_file_is_not_a_shared_library() {
    let dir = std::env::temp_dir().join(format!("flash-runtime-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("not_a_plugin.so");
    std::fs::write(&path, "this is text, not ELF\n").unwrap();
    let err = Plugin::load(&path).unwrap_err();
    assert!(
        matches!(err, RuntimeError::NotASharedLibrary { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("not_a_plugin.so"), "{err}");
}

#[test]
fn library_without_get_pjrt_api_is_refused() {
    let libm = libm_path();
    let err = Plugin::load(&libm).unwrap_err();
    assert!(
        matches!(err, RuntimeError::MissingGetPjrtApi { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("GetPjrtApi"), "{err}");
}

#[test]
fn api_major_mismatch_names_path_and_both_versions() {
    let path = Path::new("/p/plugin.so");
    assert!(check_api_version(path, 0, 115).is_ok());
    let err = check_api_version(path, 1, 3).unwrap_err();
    assert!(matches!(
        err,
        RuntimeError::ApiVersionMismatch {
            plugin_major: 1,
            ..
        }
    ));
    let text = err.to_string();
    assert!(
        text.contains("/p/plugin.so") && text.contains("1.3") && text.contains("0.81"),
        "{text}"
    );
}

/// A shared library that surely exports no `GetPjrtApi`: the C math library.
fn libm_path() -> PathBuf {
    let candidates = [
        "/lib/x86_64-linux-gnu/libm.so.6",
        "/usr/lib/x86_64-linux-gnu/libm.so.6",
        "/lib/aarch64-linux-gnu/libm.so.6",
        "/usr/lib/aarch64-linux-gnu/libm.so.6",
        "/lib64/libm.so.6",
        "/usr/lib64/libm.so.6",
    ];
    let found = candidates.iter().map(PathBuf::from).find(|p| p.is_file());
    found.unwrap_or_else(|| panic!("no libm.so.6 in {candidates:?}"))
}
