//! Shared helpers of the tests that run the `flash` binary: start it (always through
//! [`flash_command`], which keeps its executables out of the user's cache), require success
//! (its stdout) or one clear failure (its stderr), and make a scratch folder.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::fmt::Debug;
use std::path::PathBuf;
use std::process::{Command, Output};

/// The tests' executable cache, a folder of the build's target directory, set as this
/// process's cache too (for the clients a test makes itself).
pub fn test_cache() -> PathBuf {
    flash::runtime::use_test_cache(env!("CARGO_TARGET_TMPDIR"))
}

/// The `flash` binary built for these tests, its executables cached in [`test_cache`]
/// (never in the user's cache): every test that starts `flash` starts it from here.
pub fn flash_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_flash"));
    with_test_cache(&mut command);
    command
}

/// Gives a command that starts `flash` indirectly (through a shell) the tests' cache.
pub fn with_test_cache(command: &mut Command) -> &mut Command {
    command.env(flash::runtime::CACHE_DIR_ENV, test_cache())
}

/// Runs the `flash` binary built for these tests.
pub fn flash<S: AsRef<OsStr>>(args: &[S]) -> Output {
    flash_command().args(args).output().expect("run flash")
}

/// Runs `flash` and returns its stdout, failing the test with both streams on a non-zero exit.
pub fn ok<S: AsRef<OsStr> + Debug>(args: &[S]) -> String {
    let out = flash(args);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success(),
        "flash {args:?} failed:\n{stdout}\n{stderr}"
    );
    stdout.into_owned()
}

/// Runs a command that must fail and returns its stderr, checking it is one clear message
/// (`error: ...`, no panic).
pub fn fails<S: AsRef<OsStr> + Debug>(args: &[S]) -> String {
    let out = flash(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "flash {args:?} should fail");
    assert!(stderr.starts_with("error: "), "flash {args:?}: {stderr}");
    assert!(
        !stderr.contains("panicked"),
        "flash {args:?} panicked: {stderr}"
    );
    stderr
}

/// A fresh folder `flash-NAME-PID` under the system's temporary folder.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flash-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The training text of [`tiny_run`]: 42 bytes.
pub const TINY_TEXT: &str = "to be or not to be, that is the question.\n";

/// A `preset` run (T = 32, B = 2, 3 steps) on 50 copies of [`TINY_TEXT`] written to
/// `dir/train.txt`: (the run folder `dir/run`, the training text).
pub fn tiny_run(dir: &std::path::Path, preset: &str) -> (PathBuf, PathBuf) {
    let data = dir.join("train.txt");
    std::fs::write(&data, TINY_TEXT.repeat(50)).unwrap();
    let run = dir.join("run");
    let path = |p: &PathBuf| p.to_str().unwrap().to_string();
    ok(&[
        "train",
        "--preset",
        preset,
        "--data",
        &path(&data),
        "--seq-len",
        "32",
        "--batch",
        "2",
        "--steps",
        "3",
        "--eval-every",
        "3",
        "--out",
        &path(&run),
    ]);
    (run, data)
}
