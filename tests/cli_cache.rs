//! The persistent executable cache through the `flash` binary: a second `flash run` loads
//! the program from disk (the `FLASH_CACHE_LOG` line), `--no-cache` and `FLASH_CACHE=0`
//! leave the disk alone, and `flash info` shows the cache's place and size; commands that
//! compile nothing do not offer `--no-cache`.

mod cli_support;

use cli_support::temp_dir;
use std::path::Path;
use std::process::Command;

/// Runs `flash ARGS` with the cache in `dir` and its log on; returns (stdout, stderr).
fn flash_cached(dir: &Path, envs: &[(&str, &str)], args: &[&str]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_flash"))
        .args(args)
        .env("FLASH_EXECUTABLE_CACHE_DIR", dir)
        .env("FLASH_CACHE_LOG", "1")
        .env_remove("FLASH_CACHE")
        .envs(envs.iter().copied())
        .output()
        .expect("run flash");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "flash {args:?}:\n{stdout}\n{stderr}");
    (stdout, stderr)
}

#[test]
fn second_run_loads_from_disk_with_the_same_outputs() {
    let dir = temp_dir("cli-cache");
    let program = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/handwritten.mlir");
    let args = ["run", program.to_str().unwrap(), "--random"];
    let (first, log) = flash_cached(&dir, &[], &args);
    assert!(log.contains("executable cache: miss"), "{log}");
    let (second, log) = flash_cached(&dir, &[], &args);
    assert!(log.contains("executable cache: hit"), "{log}");
    assert_eq!(first, second, "same random inputs, same outputs");
    let (info, _) = flash_cached(&dir, &[], &["info"]);
    assert!(
        info.contains(&format!("exe cache:   {} (1 entries", dir.display())),
        "{info}"
    );
}

#[test]
fn no_cache_flag_and_env_turn_it_off() {
    let dir = temp_dir("cli-no-cache");
    let program = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/handwritten.mlir");
    let p = program.to_str().unwrap();
    let (_, log) = flash_cached(&dir, &[], &["run", p, "--random", "--no-cache"]);
    assert!(!log.contains("executable cache"), "{log}");
    let (_, log) = flash_cached(&dir, &[("FLASH_CACHE", "0")], &["run", p, "--random"]);
    assert!(!log.contains("executable cache"), "{log}");
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "nothing written"
    );
    let (info, _) = flash_cached(&dir, &[], &["info", "--no-cache"]);
    assert!(info.contains("exe cache:   off"), "{info}");
}

#[test]
fn no_cache_is_offered_only_where_programs_compile() {
    let dir = temp_dir("cli-no-cache-where");
    let text = dir.join("t.txt");
    std::fs::write(&text, "abc abc abc\n".repeat(20)).unwrap();
    let t = text.to_str().unwrap();
    let out = dir.join("out");
    let o = out.to_str().unwrap();
    for args in [
        vec![
            "tokenizer",
            "train",
            "--data",
            t,
            "--vocab",
            "260",
            "-o",
            o,
            "--no-cache",
        ],
        vec!["data", "prepare", "--data", t, "-o", o, "--no-cache"],
        vec!["--no-cache", "run", t, "--random"],
    ] {
        let e = cli_support::flash(&args);
        let stderr = String::from_utf8_lossy(&e.stderr);
        assert_eq!(e.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("unexpected argument '--no-cache'"),
            "{stderr}"
        );
    }
    for command in ["run", "bench", "info", "train", "eval", "generate"] {
        let help = cli_support::ok(&[command, "--help"]);
        assert!(
            help.contains("--no-cache"),
            "flash {command} --help: {help}"
        );
    }
}
