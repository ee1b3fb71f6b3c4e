//! Issue 23, classes 2 and 5: numbers from flags, configs, IR text and the environment are
//! range-checked where they are parsed, every `FLASH_*` variable refuses a value it does not
//! take with one line naming the variable and its values, and errors name the input at fault.

mod cli_support;

use cli_support::{fails, flash_command, temp_dir};
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

/// A folder holding a small training text, `data.txt`.
fn text_dir(name: &str) -> std::path::PathBuf {
    let dir = temp_dir(name);
    std::fs::write(dir.join("data.txt"), "abcdefghij\n".repeat(100)).unwrap();
    dir
}

/// `train` of a one-layer FLASH model on `dir/data.txt` for 3 steps into `dir/run`, then
/// `extra`.
fn train_args(dir: &Path, extra: &[&str]) -> Vec<String> {
    let config = dir.join("model.json");
    let model = r#"{"kind": "flash", "width": 32, "layers": 1, "shared": 16, "chunk": 16}"#;
    std::fs::write(&config, model).unwrap();
    let base = [
        "train",
        "--config",
        &s(&config),
        "--data",
        &s(&dir.join("data.txt")),
    ];
    let rest = [
        "--seq-len",
        "16",
        "--batch",
        "2",
        "--steps",
        "3",
        "--out",
        &s(&dir.join("run")),
    ];
    let all = base.iter().chain(&rest).chain(extra);
    all.map(|a| a.to_string()).collect()
}

#[test]
fn a_time_limit_beyond_ten_years_is_refused_not_a_panic() {
    let dir = text_dir("rel-numbers-time");
    for minutes in ["1e12", "1e300", "inf", "nan", "0", "-1"] {
        let e = fails(&train_args(&dir, &[&format!("--time-limit={minutes}")]));
        assert!(
            e.contains("--time-limit") && e.contains("ten years"),
            "{minutes}: {e}"
        );
    }
}

#[test]
fn an_lr_finite_in_f64_but_infinite_in_f32_is_refused() {
    let dir = text_dir("rel-numbers-lr");
    let e = fails(&train_args(&dir, &["--lr", "1e39"]));
    assert!(e.contains("--lr") && e.contains("f32"), "{e}");
    assert!(!dir.join("run").join("checkpoint.safetensors").exists());
}

#[test]
fn a_fresh_run_that_diverges_does_not_claim_a_checkpoint_was_kept() {
    let dir = text_dir("rel-numbers-diverged");
    let out = cli_support::flash(&train_args(&dir, &["--lr", "1e30", "--eval-every", "100"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let e = stderr.lines().last().unwrap_or_default();
    assert!(e.starts_with("error: ") && e.contains("diverged"), "{e}");
    assert!(
        e.contains("no checkpoint of this run was written") && !e.contains("is kept"),
        "{e}"
    );
}

#[test]
fn a_mesh_beyond_an_i32_device_count_is_refused() {
    let dir = temp_dir("rel-numbers-mesh");
    let out = s(&dir.join("p.mlir"));
    let mesh = "data=65536,model=32768";
    let e = fails(&[
        "compile",
        "--preset",
        "flash-tiny",
        "--mesh",
        mesh,
        "-o",
        &out,
    ]);
    assert!(
        e.contains("too many devices") && e.contains("2147483647"),
        "{e}"
    );
}

#[test]
fn tokenizer_errors_about_the_text_name_the_text_not_the_output() {
    let dir = text_dir("rel-numbers-vocab");
    let (text, out) = (s(&dir.join("data.txt")), s(&dir.join("tok.json")));
    let e = fails(&[
        "tokenizer",
        "train",
        "--data",
        &text,
        "--vocab",
        "1000000000000",
        "-o",
        &out,
    ]);
    assert!(
        e.contains("data.txt") && e.contains("can give at most"),
        "{e}"
    );
    assert!(!e.contains("tok.json"), "{e}");
    std::fs::write(dir.join("data.txt"), b"caf\xe9").unwrap();
    let e = fails(&[
        "tokenizer",
        "train",
        "--data",
        &text,
        "--vocab",
        "300",
        "-o",
        &out,
    ]);
    assert!(
        e.contains("data.txt") && e.contains("not UTF-8") && !e.contains("tok.json"),
        "{e}"
    );
}

#[test]
fn a_late_error_in_ir_text_carries_the_files_line_and_column() {
    let dir = temp_dir("rel-numbers-loc");
    let fir = dir.join("c.fir");
    let text = "graph @main {\n  %c = constant {value = splat(1.5)} : i32[]\n  return %c\n}\n";
    std::fs::write(&fir, text).unwrap();
    let e = fails(&["compile", &s(&fir), "-o", &s(&dir.join("c.mlir"))]);
    assert!(e.contains(&format!("{}:2:8", fir.display())), "{e}");
    assert!(!e.contains("unknown:0:0"), "{e}");
}

#[test]
fn a_variable_that_is_not_unicode_is_refused_naming_it() {
    use std::os::unix::ffi::OsStrExt;
    let value = std::ffi::OsStr::from_bytes(b"cp\xffu");
    for name in ["FLASH_PJRT_PLUGIN", "FLASH_CACHE", "FLASH_CPU_DEVICES"] {
        let out = flash_command()
            .args(["params", "--preset", "flash-tiny"])
            .env(name, value)
            .output()
            .unwrap();
        let e = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {e}");
        assert!(e.starts_with(&format!("error: {name}=")), "{e}");
    }
}

#[test]
fn an_xla_flag_xla_does_not_know_is_one_error_line_and_a_known_one_works() {
    let out = cli_support::flash_command()
        .args(["info"])
        .env("XLA_FLAGS", "--xla_no_such_flag=1")
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{e}");
    assert!(
        e.starts_with("error: XLA_FLAGS=") && e.lines().count() == 1,
        "{e}"
    );
    assert!(e.contains("--xla_no_such_flag"), "{e}");
    let out = cli_support::flash_command()
        .args(["info"])
        .env("XLA_FLAGS", "--xla_cpu_enable_fast_math=false")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
