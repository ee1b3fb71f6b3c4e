//! What a test run leaves behind and what `flash` prints: a `flash` started through the
//! tests' one spawn helper writes nothing under the user's home (its executables go to the
//! build's target folder), and a sharded train step prints none of XLA's own log lines
//! unless `FLASH_XLA_LOG` asks for them; a value it does not know is refused.

mod cli_support;

use cli_support::{flash_command, temp_dir, test_cache};
use std::path::{Path, PathBuf};
use std::process::Output;

/// Every file under `dir`, at any depth.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Both output streams, for failure messages.
fn streams(out: &Output) -> String {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

#[test]
fn a_flash_started_by_the_tests_writes_nothing_under_home() {
    let home = temp_dir("hygiene-home");
    let spec = flash::runtime::PluginSpec::choose(None);
    let plugin = spec.and_then(|s| s.resolve()).expect("a PJRT plugin");
    let program = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/handwritten.mlir");
    let out = flash_command()
        .args(["run", program.to_str().unwrap(), "--random"])
        .env("HOME", &home)
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("FLASH_PJRT_PLUGIN", &plugin)
        .env_remove("FLASH_CACHE_DIR")
        .env_remove("FLASH_CACHE")
        .output()
        .expect("run flash");
    assert!(out.status.success(), "{}", streams(&out));
    assert_eq!(
        files_under(&home),
        Vec::<PathBuf>::new(),
        "written under HOME"
    );
    let cached = files_under(&test_cache());
    assert!(
        cached
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "xla")),
        "no executable in the tests' cache {}",
        test_cache().display()
    );
    let _ = std::fs::remove_dir_all(&home);
}

/// A FLASH model of one small layer and a text to train it on, in `dir`.
fn model_and_text(dir: &Path) -> (PathBuf, PathBuf) {
    let (config, text) = (dir.join("model.json"), dir.join("data.txt"));
    let model = r#"{"kind": "flash", "width": 16, "layers": 1, "shared": 8, "chunk": 8}"#;
    std::fs::write(&config, model).unwrap();
    std::fs::write(
        &text,
        "the quick brown fox jumps over a lazy dog. ".repeat(100),
    )
    .unwrap();
    (config, text)
}

/// One train step of that model over `data=2` on two CPU devices, with `FLASH_XLA_LOG` set
/// to `setting` (unset for `None`) and XLA's own threshold unset.
fn sharded_step(dir: &Path, name: &str, setting: Option<&str>) -> Output {
    let (config, text) = model_and_text(dir);
    let mut command = flash_command();
    command
        .args(["train", "--config", config.to_str().unwrap()])
        .args(["--data", text.to_str().unwrap(), "--seq-len", "16"])
        .args(["--batch", "2", "--steps", "1", "--overwrite", "--out"])
        .arg(dir.join(name))
        .args(["--mesh", "data=2", "--cpu-devices", "2"])
        .env_remove("TF_CPP_MIN_LOG_LEVEL")
        .env_remove(flash::runtime::XLA_LOG_ENV);
    if let Some(value) = setting {
        command.env(flash::runtime::XLA_LOG_ENV, value);
    }
    command.output().expect("run flash")
}

#[test]
fn a_sharded_train_step_prints_xla_logs_only_when_flash_xla_log_asks() {
    let dir = temp_dir("hygiene-logs");
    let quiet = sharded_step(&dir, "quiet", None);
    assert!(quiet.status.success(), "{}", streams(&quiet));
    let stderr = String::from_utf8_lossy(&quiet.stderr);
    for noise in [
        "RET_CHECK",
        "E0000",
        "W0000",
        "I0000",
        "absl::InitializeLog",
    ] {
        assert!(!stderr.contains(noise), "{noise:?} on stderr: {stderr}");
    }
    let info = sharded_step(&dir, "info", Some("info"));
    assert!(info.status.success(), "{}", streams(&info));
    let stderr = String::from_utf8_lossy(&info.stderr);
    assert!(
        stderr.contains("cpu_device_count set via create_options: 2"),
        "{stderr}"
    );
    let banana = sharded_step(&dir, "banana", Some("banana"));
    let stderr = String::from_utf8_lossy(&banana.stderr);
    assert_eq!(banana.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("error: FLASH_XLA_LOG=\"banana\" is not a log setting: use 0"),
        "{stderr}"
    );
    assert!(
        !dir.join("banana").exists(),
        "a refused run wrote its folder"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
