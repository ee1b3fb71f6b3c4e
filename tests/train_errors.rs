//! Bad input to `flash train` and `flash generate`: each gives one clear error (exit code 1,
//! no panic) and leaves an existing good checkpoint byte for byte unchanged.

mod cli_support;

use cli_support::flash;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const CONFIG: &str = r#"{"kind": "flash", "width": 32, "layers": 1, "shared": 16, "chunk": 16}"#;
const OTHER: &str = r#"{"kind": "flash", "width": 32, "layers": 2, "shared": 16, "chunk": 16}"#;

struct Fixture {
    dir: PathBuf,
    run: PathBuf,
    checkpoint: Vec<u8>,
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// A folder with configs, data and a run folder holding a good checkpoint (trained once).
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("flash-train-errors-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("model.json"), CONFIG).unwrap();
        std::fs::write(dir.join("other.json"), OTHER).unwrap();
        std::fs::write(dir.join("data.txt"), "abcdefghij\n".repeat(100)).unwrap();
        std::fs::write(dir.join("empty.txt"), "").unwrap();
        std::fs::write(dir.join("short.txt"), "x".repeat(150)).unwrap();
        let run = dir.join("run");
        let out = flash(&args(&dir, &["--out", &s(&run)]));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let checkpoint = std::fs::read(run.join("checkpoint.safetensors")).unwrap();
        Fixture {
            dir,
            run,
            checkpoint,
        }
    })
}

/// `train --config model.json --data data.txt --seq-len 16 --batch 2 --steps 2` with `extra` flags, which
/// replace those defaults (`--preset` replaces `--config`).
fn args(dir: &Path, extra: &[&str]) -> Vec<String> {
    let base = [
        ("--config", s(&dir.join("model.json"))),
        ("--data", s(&dir.join("data.txt"))),
        ("--seq-len", "16".into()),
        ("--batch", "2".into()),
        ("--steps", "2".into()),
    ];
    let mut a = vec!["train".to_string()];
    for (flag, value) in base {
        let replaced = extra.contains(&flag) || (flag == "--config" && extra.contains(&"--preset"));
        if !replaced {
            a.extend([flag.to_string(), value]);
        }
    }
    a.extend(extra.iter().map(|x| x.to_string()));
    a
}

/// Runs a failing command; checks one clear message, no panic, and the checkpoint unchanged.
fn fails(args: Vec<String>, expected: &str) {
    let f = fixture();
    let out = flash(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "flash {args:?} should fail");
    assert!(
        stderr.starts_with("error: ") && !stderr.contains("panicked"),
        "flash {args:?}: {stderr}"
    );
    assert!(
        stderr.contains(expected),
        "flash {args:?}: expected {expected:?} in {stderr}"
    );
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one line expected: {stderr}"
    );
    let now = std::fs::read(f.run.join("checkpoint.safetensors")).unwrap();
    assert!(now == f.checkpoint, "flash {args:?} changed the checkpoint");
}

fn overwrite_run(extra: &[&str]) -> Vec<String> {
    let f = fixture();
    args(
        &f.dir,
        &[&["--overwrite", "--out", &s(&f.run)], extra].concat(),
    )
}

#[test]
fn missing_empty_and_too_short_data_files() {
    let d = &fixture().dir;
    fails(
        overwrite_run(&["--data", &s(&d.join("nope.txt"))]),
        "cannot read the data file",
    );
    fails(
        overwrite_run(&["--data", &s(&d.join("empty.txt"))]),
        "the data file is empty",
    );
    fails(
        overwrite_run(&["--data", &s(&d.join("short.txt"))]),
        "too short for --seq-len 16",
    );
    fails(
        overwrite_run(&["--seq-len", "200"]),
        "each split needs at least 202",
    );
}

#[test]
fn zero_or_impossible_batch_and_sequence_length() {
    fails(
        overwrite_run(&["--batch", "0"]),
        "--batch: must be at least 1",
    );
    fails(
        overwrite_run(&["--seq-len", "0"]),
        "--seq-len: must be at least 1",
    );
    fails(
        overwrite_run(&["--steps", "0"]),
        "--steps: must be at least 1",
    );
    fails(overwrite_run(&["--lr", "-1"]), "--lr: -1 is out of range");
    fails(
        overwrite_run(&["--preset", "transformer++-tiny", "--chunk", "auto"]),
        "--chunk applies to flash models only, not transformer++",
    );
}

#[test]
fn a_new_run_never_replaces_a_checkpoint_without_overwrite() {
    let f = fixture();
    fails(
        args(&f.dir, &["--out", &s(&f.run)]),
        "already holds a checkpoint",
    );
}

#[test]
fn resume_into_another_run_folder_needs_overwrite_and_overwrite_works_with_resume() {
    let f = fixture();
    let other = f.dir.join("other-run");
    std::fs::create_dir_all(&other).unwrap();
    let theirs = b"another run's checkpoint".to_vec();
    std::fs::write(other.join("checkpoint.safetensors"), &theirs).unwrap();
    let resume = |extra: &[&str]| {
        let base = ["--steps", "3", "--resume", &s(&f.run), "--out", &s(&other)];
        args(&f.dir, &[&base[..], extra].concat())
    };
    fails(
        resume(&[]),
        "already holds a checkpoint of another run than --resume",
    );
    assert_eq!(
        std::fs::read(other.join("checkpoint.safetensors")).unwrap(),
        theirs
    );
    fails(
        args(
            &f.dir,
            &["--steps", "3", "--resume", &s(&f.run), "--overwrite"],
        ),
        "is the folder --resume continues in place",
    );
    let out = flash(&resume(&["--overwrite"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let now = std::fs::read(other.join("checkpoint.safetensors")).unwrap();
    assert_ne!(
        now, theirs,
        "--overwrite replaced the other run's checkpoint"
    );
    let now = std::fs::read(f.run.join("checkpoint.safetensors")).unwrap();
    assert!(now == f.checkpoint, "the resumed folder is left as it was");
}

#[test]
fn resume_checks_the_folder_the_model_and_the_settings() {
    let f = fixture();
    let run = s(&f.run);
    fails(
        args(
            &f.dir,
            &["--steps", "4", "--resume", &s(&f.dir.join("missing"))],
        ),
        "no such run folder",
    );
    let other = [
        "--config",
        &s(&f.dir.join("other.json")),
        "--steps",
        "4",
        "--resume",
        &run,
    ];
    fails(args(&f.dir, &other), "the checkpoint is of model");
    fails(
        args(
            &f.dir,
            &["--preset", "flash-tiny", "--steps", "4", "--resume", &run],
        ),
        "not flash-tiny",
    );
    fails(
        args(&f.dir, &["--lr", "0.5", "--steps", "4", "--resume", &run]),
        "--lr 0.5 differs from the checkpoint's",
    );
    fails(
        args(&f.dir, &["--chunk", "8", "--steps", "4", "--resume", &run]),
        "--chunk 8 (C = 8) differs from the checkpoint's 16",
    );
    fails(
        args(&f.dir, &["--steps", "2", "--resume", &run]),
        "leaves nothing to train",
    );
}

#[test]
fn a_corrupt_or_foreign_checkpoint_is_refused() {
    let f = fixture();
    let bad = f.dir.join("corrupt");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(
        bad.join("checkpoint.safetensors"),
        b"\x10\0\0\0\0\0\0\0not json at all!",
    )
    .unwrap();
    fails(
        args(&f.dir, &["--steps", "4", "--resume", &s(&bad)]),
        "corrupt checkpoint",
    );
    let truncated = f.dir.join("truncated");
    std::fs::create_dir_all(&truncated).unwrap();
    std::fs::write(
        truncated.join("checkpoint.safetensors"),
        &f.checkpoint[..f.checkpoint.len() / 2],
    )
    .unwrap();
    fails(
        args(&f.dir, &["--steps", "4", "--resume", &s(&truncated)]),
        "corrupt checkpoint",
    );
    let generate = |dir: &Path| {
        vec![
            "generate".to_string(),
            "--checkpoint".into(),
            s(dir),
            "--tokens".into(),
            "4".into(),
        ]
    };
    fails(generate(&bad), "corrupt checkpoint");
    fails(generate(&f.dir.join("missing")), "no such run folder");
}
