//! Issue 23, classes 2 and 5: numbers from flags, configs, IR text and the environment are
//! range-checked where they are parsed, every `FLASH_*` variable refuses a value it does not
//! take with one line naming the variable and its values, and errors name the input at fault.

mod cli_support;

use cli_support::{fails, flash_command, ok, temp_dir};
use std::path::Path;

/// The path as a string argument.
fn s(p: &Path) -> String {
    p.display().to_string()
}

/// Runs a command that needs no plugin (`params`) with `name=value`; returns its stderr,
/// having checked it failed with exit 1 and one `error:` line.
fn refused_env(name: &str, value: &str) -> String {
    let out = flash_command()
        .args(["params", "--preset", "flash-tiny"])
        .env(name, value)
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{name}={value}: {e}");
    assert!(e.starts_with("error: ") && e.lines().count() == 1, "{e}");
    assert!(e.contains(name) && e.contains(value.trim()), "{e}");
    e
}

#[test]
fn every_flash_variable_refuses_a_value_it_does_not_take() {
    let cases = [
        ("FLASH_CACHE", "banana", "0, off"),
        ("FLASH_CACHE_LOG", "banana", "0, off"),
        ("FLASH_OFFLINE", "banana", "0, off"),
        ("FLASH_KEEP_HOST_MEMORY", "2", "0, off"),
        ("FLASH_CACHE_MAX_MB", "-5", "whole number from 1 to"),
        ("FLASH_CACHE_MAX_MB", "0", "whole number from 1 to"),
        (
            "FLASH_CACHE_MAX_MB",
            "99999999999999999999",
            "whole number from 1 to",
        ),
        ("FLASH_CPU_DEVICES", "100000", "whole number from 1 to 4096"),
        ("FLASH_CPU_DEVICES", "0", "whole number from 1 to 4096"),
        ("FLASH_XLA_LOG", "banana", "warning"),
    ];
    for (name, value, takes) in cases {
        let e = refused_env(name, value);
        assert!(e.contains(takes), "{name}={value}: {e}");
    }
}

#[test]
fn switch_spellings_are_the_same_for_every_switch() {
    for (name, value) in [
        ("FLASH_CACHE", "off"),
        ("FLASH_CACHE_LOG", "YES"),
        ("FLASH_OFFLINE", "true"),
        ("FLASH_KEEP_HOST_MEMORY", "no"),
        ("FLASH_CACHE_MAX_MB", " 64 "),
        ("FLASH_CPU_DEVICES", ""),
    ] {
        let out = flash_command()
            .args(["params", "--preset", "flash-tiny"])
            .env(name, value)
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}={value}: {:?}", out);
    }
}

#[test]
fn xla_flags_that_are_not_flags_are_one_error_line() {
    for value in ["xla_dump_to=/tmp/x", "--xla-bad-name", "--"] {
        let e = refused_env("XLA_FLAGS", value);
        assert!(e.contains("is not a flag"), "{e}");
    }
}

#[test]
fn cpu_devices_flag_and_variable_share_their_bound() {
    let e = fails(&["info", "--cpu-devices", "4097"]);
    assert!(e.contains("1..=4096"), "{e}");
    let e = refused_env("FLASH_CPU_DEVICES", "4097");
    assert!(e.contains("1 to 4096"), "{e}");
}
