//! Issue 23, class 3: no exit 0 on a wrong answer. `flash run` reads the real `@main`, not a
//! signature in a comment or a string; a non-finite checkpoint is refused by `eval` and
//! `generate`; `eval` scores each token once however large `--batches` is; resuming on
//! edited data, or on other text read from a pipe, is refused.

mod cli_support;

use cli_support::{fails, flash_command, ok, temp_dir};
use flash::ir::{DType, TensorType};
use flash::safetensors_io::{read_tensors, write_tensors};
use flash::tensor::HostTensor;
use std::path::Path;

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// `x + x` on f32[4], with decoy i32 signatures in a comment, a module string attribute and
/// a nested attribute dictionary.
const DECOY_PROGRAM: &str = r#"// func.func @main(%a: tensor<4xi32>) -> tensor<4xi32>
module @m attributes {flash.note = "func.func public @main(%q: tensor<2xi32>) -> tensor<2xi32> {"} {
  func.func public @main(%x: tensor<4xf32> {flash.meta = {flash.name = "decoy"}, flash.name = "x"} loc("x")) -> tensor<4xf32> {
    %0 = stablehlo.add %x, %x : tensor<4xf32>
    return %0 : tensor<4xf32>
  }
}
"#;

#[test]
fn run_reads_the_real_main_not_a_signature_in_a_comment_or_string() {
    let dir = temp_dir("answers-run");
    let (program, inputs, outputs) = (dir.join("p.mlir"), dir.join("in.st"), dir.join("out.st"));
    std::fs::write(&program, DECOY_PROGRAM).unwrap();
    let x = HostTensor::from_f64(TensorType::new(DType::F32, vec![4]), &[1.0, 2.0, 3.0, 4.0]);
    write_tensors(&inputs, &[("x".to_string(), x)], None).unwrap();
    let (p, i, o) = (s(&program), s(&inputs), s(&outputs));
    ok(&["run", &p, "--inputs", &i, "--output", &o]);
    let out = read_tensors(&outputs).unwrap();
    assert_eq!(out[0].1.ty, TensorType::new(DType::F32, vec![4]));
    assert_eq!(out[0].1.to_f64(), [2.0, 4.0, 6.0, 8.0]);
    ok(&["run", &p, "--random", "--output", &o]);
    assert_eq!(read_tensors(&outputs).unwrap()[0].1.ty.dtype, DType::F32);
    // A signature that cannot be read names the file, never guesses.
    let twice = dir.join("twice.mlir");
    let text = DECOY_PROGRAM.replace(
        "module @m",
        "func.func @main(%b: tensor<2xi32>) -> ()\nmodule @m",
    );
    std::fs::write(&twice, text).unwrap();
    let e = fails(&["run", &s(&twice), "--random"]);
    assert!(
        e.contains(&format!("{}: cannot read @main's signature", s(&twice)))
            && e.contains("a second function @main"),
        "{e}"
    );
}

/// The training text: 42 bytes.
const TRAIN_TEXT: &str = "to be or not to be, that is the question.\n";

/// The flags of a flash-tiny run of 3 steps (T = 32, B = 2) on `data` into `out`.
fn train_args(data: &str, out: &Path) -> Vec<String> {
    let flags = "--preset flash-tiny --seq-len 32 --batch 2 --steps 3 --eval-every 3";
    let mut args = vec!["train".to_string(), "--data".into(), data.into()];
    args.extend(flags.split(' ').map(String::from));
    args.extend(["--out".to_string(), s(out)]);
    args
}

/// A run on 50 copies of [`TRAIN_TEXT`], trained once for the tests that only read it.
fn trained_run() -> &'static Path {
    static RUN: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        let dir = temp_dir("answers-run-shared");
        let data = dir.join("train.txt");
        std::fs::write(&data, TRAIN_TEXT.repeat(50)).unwrap();
        ok(&train_args(&s(&data), &dir.join("run")));
        dir.join("run")
    })
}

#[test]
fn eval_with_a_huge_batches_scores_each_token_once_at_once() {
    let run = trained_run();
    let dir = temp_dir("answers-eval");
    let hundred = dir.join("hundred.txt");
    std::fs::write(&hundred, &TRAIN_TEXT.repeat(3).as_bytes()[..100]).unwrap();
    let start = std::time::Instant::now();
    let out = ok(&[
        "eval",
        "--checkpoint",
        &s(run),
        "--data",
        &s(&hundred),
        "--batches",
        &usize::MAX.to_string(),
        "--json",
    ]);
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (r["tokens"].as_u64(), r["windows"].as_u64()),
        (Some(99), Some(4)),
        "{r}"
    );
    assert_eq!(r["of_tokens"].as_u64(), Some(99), "{r}");
    assert!(start.elapsed().as_secs() < 120, "{:?}", start.elapsed());
}

#[test]
fn a_checkpoint_with_a_non_finite_parameter_is_refused_by_eval_generate_and_resume() {
    let run = trained_run();
    let dir = temp_dir("answers-nan");
    let bad = dir.join("run");
    std::fs::create_dir_all(&bad).unwrap();
    let mut ckpt = flash::train::checkpoint::Checkpoint::load(run).unwrap();
    let name = ckpt.layout.state_names()[0].clone();
    ckpt.state[0].bytes[4..8].copy_from_slice(&f32::NAN.to_le_bytes());
    ckpt.save(&bad).unwrap();
    let text = dir.join("t.txt");
    std::fs::write(&text, TRAIN_TEXT.repeat(50)).unwrap();
    let expected = format!("tensor {name:?} holds NaN at element 1 of");
    let (b, t) = (s(&bad), s(&text));
    for args in [
        vec!["eval", "--checkpoint", &b, "--data", &t],
        vec![
            "generate",
            "--checkpoint",
            &b,
            "--prompt",
            "to be",
            "--tokens",
            "4",
        ],
        vec!["train", "--resume", &b, "--data", &t, "--steps", "4"],
    ] {
        let e = fails(&args);
        assert!(
            e.contains(&expected) && e.contains("checkpoint.safetensors"),
            "{args:?}: {e}"
        );
    }
}

#[test]
fn resuming_on_a_prepared_folder_edited_in_place_is_refused() {
    let dir = temp_dir("answers-folder");
    let text = dir.join("text.txt");
    std::fs::write(&text, TRAIN_TEXT.repeat(50)).unwrap();
    let ds = dir.join("ds");
    ok(&["data", "prepare", "--data", &s(&text), "-o", &s(&ds)]);
    let run = dir.join("run");
    ok(&train_args(&s(&ds), &run));
    // The same size and meta.json, one id changed.
    let bin = ds.join("train.bin");
    let mut ids = std::fs::read(&bin).unwrap();
    ids[10] = if ids[10] == b'x' { b'y' } else { b'x' };
    std::fs::write(&bin, &ids).unwrap();
    let resume = [
        "train",
        "--resume",
        &s(&run),
        "--data",
        &s(&ds),
        "--steps",
        "4",
    ];
    let e = fails(&resume);
    assert!(
        e.contains("is not the data the checkpoint was trained on")
            && e.contains("token files sha256"),
        "{e}"
    );
}

/// Runs `flash ARGS` with `input` on its standard input (a pipe).
fn flash_with_stdin(args: &[String], input: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = flash_command()
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn text_from_a_pipe_is_identified_by_what_was_read() {
    let dir = temp_dir("answers-pipe");
    let run = dir.join("run");
    let text = TRAIN_TEXT.repeat(50);
    let first = flash_with_stdin(&train_args("/dev/stdin", &run), &text);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let resume: Vec<String> = [
        "train",
        "--resume",
        &s(&run),
        "--data",
        "/dev/stdin",
        "--steps",
        "4",
    ]
    .map(String::from)
    .to_vec();
    let other = flash_with_stdin(&resume, &text.replace("question", "QUESTION"));
    let e = String::from_utf8_lossy(&other.stderr);
    assert!(
        !other.status.success()
            && e.starts_with("error: ")
            && e.contains("is not the data the checkpoint was trained on"),
        "{e}"
    );
    assert!(e.contains(&format!("{} bytes", text.len())), "{e}");
    let same = flash_with_stdin(&resume, &text);
    assert!(
        same.status.success(),
        "{}",
        String::from_utf8_lossy(&same.stderr)
    );
}
