//! Raw text to a trained subword model through the command line: `flash tokenizer train`,
//! `flash data prepare`, `flash train --data DIR` (the run folder gets the tokenizer),
//! `flash eval --json` (on the folder and on the text), and the errors: `--vocab` too small,
//! a run's tokenizer.json replaced by another of the same size (its hash differs) or of
//! another vocabulary (eval and generate name the file and both sizes), data of another
//! tokenizer.

mod cli_support;

use cli_support::flash;
use std::path::Path;

const CONFIG: &str = r#"{"kind": "flash", "width": 32, "layers": 1, "shared": 16, "chunk": 16}"#;

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

fn ok(args: &[String]) -> String {
    let out = flash(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "flash {args:?}: {err}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn fails(args: &[String], needle: &str) {
    let out = flash(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains(needle),
        "flash {args:?}: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

fn v(a: &[&str]) -> Vec<String> {
    a.iter().map(|x| x.to_string()).collect()
}

#[test]
fn text_to_a_bpe_model_to_an_evaluation() {
    let dir = std::env::temp_dir().join(format!("flash-data-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let text = dir.join("text.txt");
    std::fs::write(
        &text,
        "To be, or not to be, that is the question.\n".repeat(200),
    )
    .unwrap();
    std::fs::write(dir.join("model.json"), CONFIG).unwrap();
    let (tok, ds, run) = (dir.join("bpe.json"), dir.join("ds"), dir.join("run"));
    fails(
        &v(&[
            "tokenizer",
            "train",
            "--data",
            &s(&text),
            "--vocab",
            "10",
            "-o",
            &s(&tok),
        ]),
        "--vocab 10 is too small",
    );
    ok(&v(&[
        "tokenizer",
        "train",
        "--data",
        &s(&text),
        "--vocab",
        "300",
        "-o",
        &s(&tok),
    ]));
    ok(&v(&[
        "data",
        "prepare",
        "--data",
        &s(&text),
        "--tokenizer",
        &s(&tok),
        "-o",
        &s(&ds),
    ]));
    ok(&v(&[
        "train",
        "--config",
        &s(&dir.join("model.json")),
        "--data",
        &s(&ds),
        "--seq-len",
        "16",
        "--batch",
        "2",
        "--steps",
        "2",
        "--out",
        &s(&run),
    ]));
    assert_eq!(
        std::fs::read(run.join("tokenizer.json")).unwrap(),
        std::fs::read(&tok).unwrap(),
        "the run folder holds the tokenizer"
    );
    for data in [&ds, &text] {
        let out = ok(&v(&[
            "eval",
            "--checkpoint",
            &s(&run),
            "--data",
            &s(data),
            "--batches",
            "2",
            "--json",
        ]));
        let r: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        let (loss, bpb) = (
            r["loss_per_token"].as_f64().unwrap(),
            r["bits_per_byte"].as_f64().unwrap(),
        );
        let (tokens, bytes) = (r["tokens"].as_f64().unwrap(), r["bytes"].as_f64().unwrap());
        assert!(loss.is_finite() && loss > 0.0, "{out}");
        let want = loss * tokens / bytes / std::f64::consts::LN_2;
        assert!((bpb - want).abs() < 1e-9 * want.max(1.0), "{out}");
        assert!(
            bytes > tokens,
            "BPE tokens cover more than a byte each: {out}"
        );
    }
    // Generation encodes the prompt and decodes the tokens with the run's tokenizer.
    let printed = ok(&v(&[
        "generate",
        "--checkpoint",
        &s(&run),
        "--prompt",
        "the ",
        "--tokens",
        "6",
        "--temperature",
        "0",
    ]));
    assert!(printed.starts_with("the "), "{printed:?}");
    // (Written to a pipe: the prompt and the tokens' bytes, no newline added.)
    assert!(
        printed.len() >= "the ".len() + 6,
        "BPE tokens decode to bytes: {printed:?}"
    );
    // Data of another tokenizer (bytes) is refused, naming the folder.
    let bytes_ds = dir.join("bytes_ds");
    ok(&v(&[
        "data",
        "prepare",
        "--data",
        &s(&text),
        "-o",
        &s(&bytes_ds),
    ]));
    fails(
        &v(&["eval", "--checkpoint", &s(&run), "--data", &s(&bytes_ds)]),
        "was tokenized with bytes",
    );
    // A tokenizer.json replaced by another in the run folder is refused, naming it.
    let (other, other_text) = (dir.join("other.json"), dir.join("other.txt"));
    std::fs::write(
        &other_text,
        "quick brown foxes jump over lazy dogs\n".repeat(50),
    )
    .unwrap();
    ok(&v(&[
        "tokenizer",
        "train",
        "--data",
        &s(&other_text),
        "--vocab",
        "280",
        "-o",
        &s(&other),
    ]));
    std::fs::copy(&other, run.join("tokenizer.json")).unwrap();
    // Of the same vocabulary size (both texts run out of merges at 280): the hash differs.
    fails(
        &v(&["eval", "--checkpoint", &s(&run), "--data", &s(&text)]),
        "is not the tokenizer the checkpoint was trained with",
    );
    // Of another vocabulary size: eval and generate say so, naming the file.
    ok(&v(&[
        "tokenizer",
        "train",
        "--data",
        &s(&other_text),
        "--vocab",
        "270",
        "-o",
        &s(&other),
    ]));
    std::fs::copy(&other, run.join("tokenizer.json")).unwrap();
    // Its vocabulary differs from the model's: both commands say so, naming the file.
    let named = format!(
        "{}: the tokenizer's vocabulary has",
        s(&run.join("tokenizer.json"))
    );
    for args in [
        v(&["eval", "--checkpoint", &s(&run), "--data", &s(&text)]),
        v(&["eval", "--checkpoint", &s(&run), "--data", &s(&ds)]),
        v(&[
            "generate",
            "--checkpoint",
            &s(&run),
            "--prompt",
            "the ",
            "--tokens",
            "2",
        ]),
    ] {
        fails(&args, &named);
        fails(&args, "vocabulary has 270 tokens but the model's has");
    }
}

#[test]
fn a_bpe_run_reports_bits_per_byte_of_text_and_resumes_from_its_folder_alone() {
    let dir = std::env::temp_dir().join(format!("flash-data-cli-bpb-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (text, tok, run) = (dir.join("text.txt"), dir.join("bpe.json"), dir.join("run"));
    std::fs::write(&text, "Now is the winter of our discontent\n".repeat(200)).unwrap();
    std::fs::write(dir.join("model.json"), CONFIG).unwrap();
    let tk = ["tokenizer", "train", "--data", &s(&text), "--vocab", "300"];
    ok(&v(&[&tk[..], &["-o", &s(&tok)]].concat()));
    let stdout = ok(&v(&[
        "train",
        "--config",
        &s(&dir.join("model.json")),
        "--data",
        &s(&text),
        "--tokenizer",
        &s(&tok),
        "--seq-len",
        "16",
        "--batch",
        "2",
        "--steps",
        "2",
        "--log-every",
        "1",
        "--out",
        &s(&run),
    ]));
    assert!(stdout.contains("bits per byte: train "), "{stdout}");
    let records = flash::train::metrics::read_metrics(&run.join("metrics.jsonl")).unwrap();
    for r in &records {
        let bpb = r.train_bpb.expect("train_bpb is recorded");
        // A BPE token covers more than a byte, so a byte costs fewer bits than a token.
        let bits_per_token = r.train_loss / std::f64::consts::LN_2;
        assert!(bpb > 0.0 && bpb < 0.9 * bits_per_token, "{r:?}");
    }
    // The run folder alone: its recorded data and its own tokenizer (no --data, --tokenizer).
    let other_cwd = dir.join("elsewhere");
    std::fs::create_dir_all(&other_cwd).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flash"))
        .args(["train", "--resume", &s(&run), "--steps", "4"])
        .current_dir(&other_cwd)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let steps: Vec<u64> = flash::train::metrics::read_metrics(&run.join("metrics.jsonl"))
        .unwrap()
        .iter()
        .map(|r| r.step)
        .collect();
    assert_eq!(steps.last(), Some(&4));
    // A new run still needs its data.
    fails(
        &v(&[
            "train",
            "--config",
            &s(&dir.join("model.json")),
            "--steps",
            "1",
        ]),
        "--data",
    );
}
