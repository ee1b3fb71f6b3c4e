//! Reliability of output files, streams and messages (RELIABILITY.md, first section): the
//! `flash` binary against links, FIFOs and devices as output files, closed and full
//! standard outputs, unwritable output paths, messages that must name what is valid, and
//! settings that must not be accepted silently.

mod cli_support;

use cli_support::{fails, flash, flash_command, ok, temp_dir};
use flash::ir::{DType, TensorType};
use flash::safetensors_io::write_tensors;
use flash::tensor::HostTensor;
use std::fs;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A small FLASH model (compiles in about a second).
const MODEL: &str = r#"{"kind": "flash", "width": 32, "layers": 1, "shared": 16, "chunk": 16}"#;

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// A scratch folder holding `model.json`.
fn with_model(name: &str) -> (std::path::PathBuf, String) {
    let dir = temp_dir(name);
    let model = dir.join("model.json");
    fs::write(&model, MODEL).unwrap();
    (dir, s(&model))
}

/// `flash compile` of the small model to `out`, with `extra` flags (`--seq-len` 32 unless
/// they give one).
fn compile_model(model: &str, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["compile", "--config", model, "-o"];
    if !extra.contains(&"--seq-len") {
        args.extend(["--seq-len", "32"]);
    }
    let out = s(out);
    let at = args.iter().position(|a| *a == "-o").unwrap() + 1;
    args.insert(at, &out);
    args.extend(extra);
    flash(&args)
}

/// A message with no segment printed twice (`X: X`, `graph: e: graph: e`).
fn assert_not_doubled(message: &str) {
    let parts: Vec<&str> = message.trim().split(": ").collect();
    for (i, a) in parts.iter().enumerate() {
        for b in &parts[i + 1..] {
            assert!(a.len() < 8 || a != b, "`{a}` repeated in: {message}");
        }
    }
}

// ----- class 1: output files that are links, FIFOs or devices -----

#[test]
fn compile_output_through_a_symlink_keeps_the_link() {
    let (dir, model) = with_model("rel-link");
    let link = dir.join("link.mlir");
    std::os::unix::fs::symlink("real.mlir", &link).unwrap();
    let out = compile_model(&model, &link, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let text = fs::read_to_string(dir.join("real.mlir")).unwrap();
    assert!(text.contains("func.func public @main"), "{text}");
}

#[test]
fn compile_output_into_a_fifo_writes_into_the_pipe() {
    let (dir, model) = with_model("rel-fifo");
    let fifo = dir.join("out.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read(fifo).unwrap())
    };
    let out = compile_model(&model, &fifo, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = reader.join().unwrap();
    assert!(String::from_utf8_lossy(&bytes).contains("stablehlo."));
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(
        fs::read_dir(&dir).unwrap().count(),
        2,
        "no temporary file is left"
    );
}

#[test]
fn init_output_to_dev_null_leaves_the_device() {
    let (_dir, model) = with_model("rel-null");
    ok(&["init", "--config", &model, "-o", "/dev/null"]);
    let m = fs::symlink_metadata("/dev/null").unwrap();
    assert!(
        m.file_type().is_char_device(),
        "/dev/null is still a device"
    );
}

// ----- class 4: closed and full standard output -----

#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = flash_command()
        .args(["params", "--preset", "flash-base"])
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "nothing printed: {stderr}");
}

#[test]
fn a_full_stdout_is_an_error() {
    for args in [&["params", "--preset", "flash-tiny"][..], &["--help"][..]] {
        let full = fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = flash_command().args(args).stdout(full).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("error: cannot write to standard output: No space left"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

// ----- class 10: output paths checked before the work -----

#[test]
fn output_paths_are_checked_before_any_work() {
    let (dir, model) = with_model("rel-paths");
    let missing = dir.join("no/such/folder/x.mlir");
    let e = fails(&["compile", "--config", &model, "-o", &s(&missing)]);
    assert!(e.contains("-o ") && e.contains("does not exist"), "{e}");
    let e = fails(&["compile", "--config", &model, "-o", &s(&dir)]);
    assert!(e.contains("is a folder"), "{e}");
    let file = dir.join("model.json");
    let under_file = s(&file.join("run"));
    let e = fails(&["data", "prepare", "--data", &s(&file), "-o", &under_file]);
    assert!(e.contains("--out") && e.contains("is not a folder"), "{e}");
    // A benchmark refuses its --json and --plot paths before measuring anything.
    for flag in ["--json", "--plot"] {
        let start = Instant::now();
        let e = fails(&["bench", flag, &s(&missing)]);
        assert!(e.contains(flag) && e.contains("does not exist"), "{e}");
        assert!(start.elapsed() < Duration::from_secs(10), "refused at once");
    }
}

#[test]
fn train_refuses_an_out_folder_under_a_file_before_compiling() {
    let (dir, model) = with_model("rel-train-out");
    let data = dir.join("data.txt");
    fs::write(&data, "abcdefghij\n".repeat(100)).unwrap();
    let out = s(&data.join("run"));
    let e = fails(&[
        "train",
        "--config",
        &model,
        "--data",
        &s(&data),
        "--steps",
        "1",
        "--out",
        &out,
    ]);
    assert!(e.contains("--out") && e.contains("not a folder"), "{e}");
    assert!(!e.contains("compiled"), "{e}");
}

// ----- class 11: messages name the file or flag and what is valid -----

#[test]
fn messages_are_not_doubled_and_name_the_file() {
    let dir = temp_dir("rel-messages");
    let e = fails(&["params", "--config", &s(&dir.join("absent.json"))]);
    assert_eq!(e.matches("No such file").count(), 1, "{e}");
    assert!(e.contains("absent.json"), "{e}");
    let fir = dir.join("v.fir");
    let text = "graph @main {\n  %x = parameter {index = 0, name = \"x\"} : f32[2,3]\n  %y = parameter {index = 1, name = \"y\"} : f32[3,2]\n  %z = add(%x, %y) : f32[2,3]\n  return %z\n}\n";
    fs::write(&fir, text).unwrap();
    let e = fails(&["compile", &s(&fir), "-o", &s(&dir.join("o.mlir"))]);
    assert_not_doubled(&e);
}

#[test]
fn safetensors_errors_are_words_not_variant_names() {
    let dir = temp_dir("rel-st");
    let program = "tests/data/handwritten.mlir";
    let cases: [(&[u8], &str); 3] = [
        (b"abc", "shorter than the 8-byte header"),
        (
            b"\x40\x00\x00\x00\x00\x00\x00\x00{}",
            "header length is larger than the file",
        ),
        (b"\x02\x00\x00\x00\x00\x00\x00\x00[]", "not valid JSON"),
    ];
    for (bytes, expected) in cases {
        let file = dir.join("in.safetensors");
        fs::write(&file, bytes).unwrap();
        let e = fails(&["run", program, "--inputs", &s(&file)]);
        assert!(e.contains("in.safetensors") && e.contains(expected), "{e}");
        assert!(!e.contains("Header") && !e.contains("Invalid"), "{e}");
    }
}

#[test]
fn out_of_range_options_state_the_valid_range() {
    let (dir, model) = with_model("rel-range");
    let o = s(&dir.join("o.mlir"));
    let base = ["compile", "--config", &model, "--train", "-o", &o];
    for (flag, value, valid) in [
        ("--lr", "0", "above 0"),
        ("--weight-decay", "-1", "at least 0"),
        ("--adam-eps", "0", "above 0"),
    ] {
        let mut args = base.to_vec();
        args.extend([flag, value]);
        let e = fails(&args);
        assert!(e.contains(flag) && e.contains(valid), "{e}");
    }
}

#[test]
fn mlir_type_errors_quote_the_whole_type() {
    let dir = temp_dir("rel-types");
    for (ty, expected) in [
        ("tensor<4x<f32>>", "`tensor<4x<f32>>`: element type `<f32>`"),
        (
            "tensor<4xf32, #enc>",
            "`tensor<4xf32, #enc>`: tensor encodings",
        ),
        ("tensor<4xf3>", "valid: f32"),
    ] {
        let file = dir.join("t.mlir");
        let text = format!(
            "func.func @main(%a: {ty}) -> tensor<4xf32> {{\n  return %a : tensor<4xf32>\n}}\n"
        );
        fs::write(&file, text).unwrap();
        let e = fails(&["run", &s(&file), "--random"]);
        assert!(e.contains(expected), "{e}");
    }
}

#[test]
fn xla_diagnostics_name_the_program_file() {
    let dir = temp_dir("rel-xla");
    let bad = dir.join("bad.mlir");
    fs::write(&bad, "func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {\n  %0 = stablehlo.bogus %a : tensor<2xf32>\n  return %0 : tensor<2xf32>\n}\n").unwrap();
    let e = fails(&["run", &s(&bad), "--random"]);
    assert!(e.contains(&format!("{}:2:", bad.display())), "{e}");
    assert!(!e.contains("<unknown>:0") && !e.contains("\n-:"), "{e}");
}

// ----- class 12: settings that must not pass silently -----

#[test]
fn environment_settings_with_no_meaning_are_refused() {
    let banana = flash_command()
        .args(["params", "--preset", "flash-tiny"])
        .env("FLASH_KEEP_HOST_MEMORY", "banana")
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&banana.stderr);
    assert_eq!(banana.status.code(), Some(1), "{e}");
    assert!(
        e.contains("FLASH_KEEP_HOST_MEMORY") && e.contains("0, off"),
        "{e}"
    );
    let empty = flash_command()
        .arg("info")
        .env("FLASH_PJRT_PLUGIN", "")
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&empty.stderr);
    assert_eq!(empty.status.code(), Some(1), "{e}");
    assert!(
        e.contains("FLASH_PJRT_PLUGIN is set but empty") && e.contains("cpu"),
        "{e}"
    );
    let flag = fails(&["info", "--plugin", ""]);
    assert!(flag.contains("empty PJRT plugin spec"), "{flag}");
}

fn f32s(shape: &[usize], values: &[f32]) -> HostTensor {
    HostTensor {
        ty: TensorType::new(DType::F32, shape.to_vec()),
        bytes: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
    }
}

#[test]
fn run_refuses_input_tensors_that_match_no_argument_or_repeat_one() {
    let dir = temp_dir("rel-keys");
    let program = "tests/data/handwritten.mlir";
    let x = f32s(&[2, 3], &[0.0; 6]);
    let w = f32s(&[3, 2], &[0.0; 6]);
    let file = dir.join("in.safetensors");
    let good = [("x".to_string(), x.clone()), ("w".to_string(), w.clone())];
    write_tensors(&file, &good, None).unwrap();
    ok(&["run", program, "--inputs", &s(&file)]);
    let extra = [good.to_vec(), vec![("bias".to_string(), w.clone())]].concat();
    write_tensors(&file, &extra, None).unwrap();
    let e = fails(&["run", program, "--inputs", &s(&file)]);
    assert!(e.contains("\"bias\"") && e.contains("arg0 or x"), "{e}");
    let twice = [good.to_vec(), vec![("arg0".to_string(), x)]].concat();
    write_tensors(&file, &twice, None).unwrap();
    let e = fails(&["run", program, "--inputs", &s(&file)]);
    assert!(e.contains("repeats one") && e.contains("\"x\""), "{e}");
    // A header naming one tensor twice (the library would keep the last).
    let header = br#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#;
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header);
    bytes.extend_from_slice(&[0; 4]);
    fs::write(&file, bytes).unwrap();
    let e = fails(&["run", program, "--inputs", &s(&file)]);
    assert!(e.contains("names tensor \"x\" twice"), "{e}");
}

#[test]
fn a_chunk_that_does_not_divide_the_sequence_gets_a_note() {
    let (dir, model) = with_model("rel-chunk");
    let o = dir.join("o.mlir");
    for (seq_len, expected) in [
        ("24", "padded with zero tokens to 32"),
        ("8", "larger than"),
    ] {
        let out = compile_model(&model, &o, &["--seq-len", seq_len]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(
            stderr.contains("note: ") && stderr.contains(expected),
            "{stderr}"
        );
    }
    let out = compile_model(&model, &o, &[]);
    assert!(out.stderr.is_empty(), "no note when C divides T");
}

#[test]
fn compile_train_refuses_zero_steps() {
    let (dir, model) = with_model("rel-steps");
    let o = s(&dir.join("o.mlir"));
    let e = fails(&[
        "compile", "--config", &model, "--train", "--steps", "0", "-o", &o,
    ]);
    assert!(e.contains("--steps 0") && e.contains("at least 1"), "{e}");
}

// ----- class 13: output a user can see -----

#[test]
fn train_without_a_terminal_prints_progress_and_stamps_metrics() {
    let (dir, model) = with_model("rel-progress");
    let data = dir.join("data.txt");
    fs::write(&data, "abcdefghij\n".repeat(200)).unwrap();
    let run = dir.join("run");
    let out = flash(&[
        "train",
        "--config",
        &model,
        "--data",
        &s(&data),
        "--steps",
        "4",
        "--seq-len",
        "32",
        "--batch",
        "2",
        "--eval-every",
        "2",
        "--log-every",
        "1",
        "--eval-batches",
        "1",
        "--out",
        &s(&run),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    for step in ["step 2/4: validation", "step 4/4: validation"] {
        assert!(stderr.contains(step), "{stderr}");
    }
    let metrics = fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    let elapsed: Vec<f64> = metrics
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["elapsed_s"]
                .as_f64()
                .unwrap()
        })
        .collect();
    assert_eq!(elapsed.len(), 4, "{metrics}");
    assert!(
        elapsed.windows(2).all(|w| w[0] <= w[1]) && elapsed[0] >= 0.0,
        "{elapsed:?}"
    );
}
