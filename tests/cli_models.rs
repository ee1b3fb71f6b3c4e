//! The model commands end to end: `flash params`, `flash init`, `flash compile --preset`, and
//! `flash run` of the result with parameters and tokens from one safetensors file.

use flash::ir::{DType, TensorType};
use flash::safetensors_io::{read_tensors, write_tensors};
use flash::tensor::HostTensor;
use std::process::{Command, Output};

fn flash(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flash"))
        .args(args)
        .output()
        .expect("run flash")
}

fn ok(args: &[&str]) -> String {
    let out = flash(args);
    assert!(
        out.status.success(),
        "flash {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn params_lists_names_shapes_and_total() {
    let out = ok(&["params", "--preset", "flash-tiny"]);
    assert!(
        out.contains("embed.table") && out.contains("f32[256,128]"),
        "{out}"
    );
    assert!(
        out.contains("layers.3.flash.gamma") && out.contains("f32[4,64]"),
        "{out}"
    );
    assert!(out.lines().last().unwrap().starts_with("total: "), "{out}");
    let err = flash(&["params", "--preset", "flash-huge"]);
    assert!(!err.status.success());
    assert!(String::from_utf8_lossy(&err.stderr).contains("flash-tiny"));
}

#[test]
fn init_compile_and_run_a_model_program() {
    let dir = std::env::temp_dir().join(format!("flash-cli-models-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (params, program, inputs, outputs) = (
        dir.join("params.st"),
        dir.join("lm.mlir"),
        dir.join("inputs.st"),
        dir.join("out.st"),
    );
    let p = |p: &std::path::Path| p.to_str().unwrap().to_string();
    ok(&[
        "init",
        "--preset",
        "flash-tiny",
        "--seed",
        "3",
        "-o",
        &p(&params),
    ]);
    ok(&[
        "compile",
        "--preset",
        "flash-tiny",
        "--seq-len",
        "70",
        "--batch",
        "2",
        "--forward",
        "-o",
        &p(&program),
    ]);
    let mut tensors = read_tensors(&params).unwrap();
    let tokens: Vec<f64> = (0..2 * 71).map(|i| ((i * 37) % 256) as f64).collect();
    tensors.push((
        "tokens".into(),
        HostTensor::from_f64(TensorType::new(DType::I32, vec![2, 71]), &tokens),
    ));
    write_tensors(&inputs, &tensors, None).unwrap();
    ok(&[
        "run",
        &p(&program),
        "--inputs",
        &p(&inputs),
        "--output",
        &p(&outputs),
    ]);
    let out = read_tensors(&outputs).unwrap();
    let loss = out[0].1.to_f64()[0];
    assert!(
        (loss - 256f64.ln()).abs() < 0.2,
        "loss at init {loss} should be near ln 256"
    );
    assert_eq!(
        out[1].1.ty,
        TensorType::new(DType::F32, vec![2, 70, 256]),
        "logits"
    );
}

#[test]
fn bad_model_flags() {
    let out = flash(&[
        "compile",
        "--preset",
        "flash-tiny",
        "--seq-len",
        "0",
        "-o",
        "/tmp/never.mlir",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--seq-len"));
    let out = flash(&["compile", "-o", "/tmp/never.mlir"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a graph file or a model is required"
    );
}
