//! `flash eval` on text files: every token but the first is scored once (the counts match the
//! file, never more), `--batches` caps it to the first batches and the report says so, a
//! file shorter than a window is scored whole, a one-byte file is one clear error, the run's
//! own training text is scored with a warning, and the checkpoint file given for its run
//! folder is named as a file.

mod cli_support;

use cli_support::{fails, flash, ok, temp_dir};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// A flash-tiny run on 50 copies of [`cli_support::TINY_TEXT`] in `dir`: (the run folder,
/// the text).
fn trained_run(dir: &Path) -> (PathBuf, PathBuf) {
    cli_support::tiny_run(dir, "flash-tiny")
}

/// `flash eval --json` on `data` with `extra` flags: (the report, stderr).
fn eval_json(run: &Path, data: &Path, extra: &[&str]) -> (Value, String) {
    let mut args = vec!["eval", "--checkpoint", run.to_str().unwrap()];
    args.extend(["--data", data.to_str().unwrap(), "--json"]);
    args.extend(extra);
    let out = flash(&args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "flash {args:?}: {stderr}");
    let report = serde_json::from_slice(&out.stdout).unwrap();
    (report, stderr)
}

/// The total loss (nats) of a report.
fn total(r: &Value) -> f64 {
    r["loss_per_token"].as_f64().unwrap() * r["tokens"].as_f64().unwrap()
}

#[test]
fn eval_scores_every_token_once_and_says_which_part() {
    let dir = temp_dir("eval-all");
    let (run, train) = trained_run(&dir);
    // Held-out text: 129 bytes, 128 targets = 4 windows of 32 = 2 batches of 2.
    let text: String = "whether 'tis nobler in the mind to suffer\n".repeat(4);
    let held = dir.join("held.txt");
    std::fs::write(&held, &text.as_bytes()[..129]).unwrap();
    let (r, stderr) = eval_json(&run, &held, &[]);
    assert_eq!(
        (&r["tokens"], &r["of_tokens"], &r["bytes"], &r["windows"]),
        (
            &Value::from(128),
            &Value::from(128),
            &Value::from(128),
            &Value::from(4)
        ),
        "{r}"
    );
    assert!(
        r["warning"].is_null() && !stderr.contains("warning"),
        "{stderr}"
    );
    let bpb = total(&r) / 128.0 / std::f64::consts::LN_2;
    assert!(
        (r["bits_per_byte"].as_f64().unwrap() - bpb).abs() < 1e-9,
        "{r}"
    );
    // --batches 1: the first two windows, which are all of the first 65 bytes.
    let (capped, _) = eval_json(&run, &held, &["--batches", "1"]);
    assert_eq!(
        (&capped["tokens"], &capped["of_tokens"]),
        (&Value::from(64), &Value::from(128))
    );
    let head = dir.join("head.txt");
    std::fs::write(&head, &text.as_bytes()[..65]).unwrap();
    let (whole, _) = eval_json(&run, &head, &[]);
    assert!(
        (total(&capped) - total(&whole)).abs() < 1e-4,
        "{capped} {whole}"
    );
    // The text line says which part was scored.
    let line = ok(&["eval", "--checkpoint", &s(&run), "--data", &s(&held)]);
    assert!(
        line.contains(&format!(
            "all 128 predicted tokens of {} in 4 windows of 32",
            s(&held)
        )),
        "{line}"
    );
    let line = ok(&[
        "eval",
        "--checkpoint",
        &s(&run),
        "--data",
        &s(&held),
        "--batches",
        "1",
    ]);
    assert!(
        line.contains("the first 64 of 128 predicted tokens"),
        "{line}"
    );
    // The 100-byte file is 99 tokens, not batches x batch x seq-len.
    let hundred = dir.join("hundred.txt");
    std::fs::write(&hundred, &text.as_bytes()[..100]).unwrap();
    let (r, _) = eval_json(&run, &hundred, &[]);
    assert_eq!(
        (&r["tokens"], &r["windows"]),
        (&Value::from(99), &Value::from(4)),
        "{r}"
    );
    // The run's own training text: all of it, with a warning.
    let (r, stderr) = eval_json(&run, &train, &[]);
    assert_eq!(r["tokens"], Value::from(2099), "{r}");
    assert!(
        stderr.starts_with("warning: ") && stderr.contains("trained on"),
        "{stderr}"
    );
    assert!(r["warning"].as_str().unwrap().contains("trained on"), "{r}");
}

#[test]
fn eval_scores_a_short_file_whole_and_refuses_a_single_token() {
    let dir = temp_dir("eval-short");
    let (run, _) = trained_run(&dir);
    let short = dir.join("short.txt");
    std::fs::write(&short, "to be or n").unwrap();
    let (r, _) = eval_json(&run, &short, &[]);
    assert_eq!(
        (&r["tokens"], &r["windows"]),
        (&Value::from(9), &Value::from(1)),
        "{r}"
    );
    assert!(r["loss_per_token"].as_f64().unwrap().is_finite(), "{r}");
    let one = dir.join("one.txt");
    std::fs::write(&one, "t").unwrap();
    let e = fails(&["eval", "--checkpoint", &s(&run), "--data", &s(&one)]);
    assert!(e.contains(&format!("{}: holds 1 token(s)", s(&one))), "{e}");
    let e = fails(&[
        "eval",
        "--checkpoint",
        &s(&run),
        "--data",
        &s(&short),
        "--batches",
        "0",
    ]);
    assert!(e.contains("--batches"), "{e}");
    // The checkpoint file given for its run folder names the folder.
    let file = s(&run.join("checkpoint.safetensors"));
    let e = fails(&["eval", "--checkpoint", &file, "--data", &s(&short)]);
    assert!(
        e.contains(&format!(
            "{file}: is a file, not a run folder; give the run folder that holds it: {}",
            s(&run)
        )),
        "{e}"
    );
    let resume = [
        "train",
        "--resume",
        &file,
        "--data",
        &s(&short),
        "--steps",
        "4",
    ];
    let e = fails(&resume);
    assert!(e.contains("is a file, not a run folder"), "{e}");
}
