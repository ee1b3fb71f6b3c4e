//! The `flash` binary end to end: compile, run (a hand-written StableHLO file included), info,
//! and one clear error with a non-zero exit for every kind of bad input.

mod cli_support;

use cli_support::{fails, flash, ok, temp_dir};
use flash::ir::{DType, TensorType};
use flash::safetensors_io::{read_tensors, write_tensors};
use flash::tensor::HostTensor;
use std::path::Path;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const GRAPH: &str = r#"graph @main {
  %x = parameter {index = 0, name = "x"} : f32[2,3]
  %w = parameter {index = 1, name = "w"} : f32[3,4]
  %d = dot_general(%x, %w) {lhs_batch = [], rhs_batch = [], lhs_contract = [1], rhs_contract = [0], out = f32} : f32[2,4]
  %c = cumsum(%d) {dim = 1, exclusive = false, reverse = false} : f32[2,4]
  return %c
}
"#;

#[test]
fn compile_then_run_with_named_inputs() {
    let dir = temp_dir("cli-compile");
    let (fir, mlir, inputs, outputs) = (
        dir.join("g.fir"),
        dir.join("g.mlir"),
        dir.join("in.st"),
        dir.join("out.st"),
    );
    std::fs::write(&fir, GRAPH).unwrap();
    ok(&["compile", s(&fir), "-o", s(&mlir)]);
    let x: Vec<f64> = (0..6).map(|i| i as f64).collect();
    let w = vec![1.0; 12];
    let tensors = vec![
        (
            "x".to_string(),
            HostTensor::from_f64(TensorType::new(DType::F32, vec![2, 3]), &x),
        ),
        (
            "arg1".to_string(),
            HostTensor::from_f64(TensorType::new(DType::F32, vec![3, 4]), &w),
        ),
    ];
    write_tensors(&inputs, &tensors, None).unwrap();
    ok(&[
        "run",
        s(&mlir),
        "--inputs",
        s(&inputs),
        "--output",
        s(&outputs),
    ]);
    let out = read_tensors(&outputs).unwrap();
    assert_eq!(out[0].0, "out0");
    // Row sums are 3 and 12; the cumulative sum over 4 columns multiplies them by 1..4.
    assert_eq!(
        out[0].1.to_f64(),
        vec![3.0, 6.0, 9.0, 12.0, 12.0, 24.0, 36.0, 48.0]
    );
}

#[test]
fn print_ir_after_and_timings() {
    let dir = temp_dir("cli-dump");
    let fir = dir.join("g.fir");
    std::fs::write(&fir, GRAPH).unwrap();
    let out = flash(&[
        "compile",
        s(&fir),
        "-o",
        s(&dir.join("g.mlir")),
        "--print-ir-after",
        "lower_cumsum",
        "--timings",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("IR after lower_cumsum") && !stderr.contains("cumsum("),
        "{stderr}"
    );
    for pass in flash::passes::pass_names(&flash::passes::PipelineOptions::default().tuning()) {
        assert!(
            stderr.contains(pass),
            "timing row for {pass} missing:\n{stderr}"
        );
    }
    let e = fails(&[
        "compile",
        s(&fir),
        "-o",
        s(&dir.join("x.mlir")),
        "--print-ir-after",
        "nosuchpass",
    ]);
    assert!(e.contains("nosuchpass") && e.contains("dce"), "{e}");
}

#[test]
fn runs_a_handwritten_stablehlo_program() {
    let dir = temp_dir("cli-handwritten");
    let program = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/handwritten.mlir");
    let (inputs, outputs) = (dir.join("in.st"), dir.join("out.st"));
    let x = [0.5, -1.0, 2.0, 0.0, 1.5, -0.25];
    let w = [1.0, 2.0, -1.0, 0.5, 0.25, 3.0];
    let tensors = vec![
        (
            "x".to_string(),
            HostTensor::from_f64(TensorType::new(DType::F32, vec![2, 3]), &x),
        ),
        (
            "w".to_string(),
            HostTensor::from_f64(TensorType::new(DType::F32, vec![3, 2]), &w),
        ),
    ];
    write_tensors(&inputs, &tensors, None).unwrap();
    ok(&[
        "run",
        s(&program),
        "--inputs",
        s(&inputs),
        "--output",
        s(&outputs),
    ]);
    let out = read_tensors(&outputs).unwrap();
    let softplus = |v: f64| (1.0 + v.exp()).ln();
    for i in 0..2 {
        for j in 0..2 {
            let want: f64 = (0..3).map(|k| softplus(x[i * 3 + k]) * w[k * 2 + j]).sum();
            let got = out[0].1.to_f64()[i * 2 + j];
            assert!((got - want).abs() < 1e-5, "y[{i},{j}] = {got}, want {want}");
        }
    }
    assert_eq!(out[1].1.to_f64(), vec![1.5, 1.25]);
}

#[test]
fn random_inputs_and_bench_line() {
    let program = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/handwritten.mlir");
    let stdout = ok(&["run", s(&program), "--random", "--bench", "3"]);
    assert!(
        stdout.contains("run: min ") && stdout.contains("median") && stdout.contains("over 3"),
        "{stdout}"
    );
    assert!(stdout.contains("out0: f32[2,2]"), "{stdout}");
}

#[test]
fn info_shows_the_plugin() {
    let stdout = ok(&["info"]);
    for want in [
        "plugin:",
        "PJRT API:    0.",
        "stablehlo_current_version",
        "device 0",
    ] {
        assert!(stdout.contains(want), "{want} missing:\n{stdout}");
    }
}

#[test]
fn malformed_ir_text_names_line_and_column() {
    let dir = temp_dir("cli-bad-ir");
    let fir = dir.join("bad.fir");
    std::fs::write(&fir, "graph @main {\n  %x = parameter {index = 0, name = \"x\"} : f32[2]\n  %y = frobnicate(%x) : f32[2]\n}\n").unwrap();
    let e = fails(&["compile", s(&fir), "-o", s(&dir.join("o.mlir"))]);
    assert!(e.contains("bad.fir:3:") && e.contains("frobnicate"), "{e}");
    assert!(!dir.join("o.mlir").exists(), "no output on failure");
}

#[test]
fn verifier_failure_names_op_and_constraint() {
    let dir = temp_dir("cli-verify");
    let fir = dir.join("v.fir");
    let text = "graph @main {\n  %x = parameter {index = 0, name = \"x\"} : f32[2,3]\n  %y = parameter {index = 1, name = \"y\"} : f32[3,2]\n  %z = add(%x, %y) : f32[2,3] loc(\"src/model.rs\":7:9)\n  return %z\n}\n";
    std::fs::write(&fir, text).unwrap();
    let e = fails(&["compile", s(&fir), "-o", s(&dir.join("o.mlir"))]);
    assert!(
        e.contains("add") && e.contains("C1") && e.contains("f32[3,2]"),
        "{e}"
    );
}

#[test]
fn stablehlo_rejected_by_xla_passes_the_diagnostic_through() {
    let dir = temp_dir("cli-bad-mlir");
    let bad = dir.join("bad.mlir");
    std::fs::write(&bad, "func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {\n  %0 = stablehlo.add %a, %b : tensor<2xf32>\n  return %0 : tensor<2xf32>\n}\n").unwrap();
    let e = fails(&["run", s(&bad), "--random"]);
    assert!(
        e.contains("XLA rejected") && e.contains("error:") && e.contains("undeclared"),
        "{e}"
    );
}

#[test]
fn missing_or_wrong_plugin() {
    let program = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/handwritten.mlir");
    let e = fails(&[
        "run",
        s(&program),
        "--random",
        "--plugin",
        "/nonexistent/plugin.so",
    ]);
    assert!(e.contains("/nonexistent/plugin.so"), "{e}");
    let e = fails(&["info", "--plugin", s(&program)]);
    assert!(e.contains("handwritten.mlir"), "{e}");
}

#[test]
fn safetensors_missing_name_wrong_dtype_wrong_shape() {
    let dir = temp_dir("cli-bad-inputs");
    let program = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/handwritten.mlir");
    let file = dir.join("in.st");
    let f32_23 = TensorType::new(DType::F32, vec![2, 3]);
    let cases: Vec<(Vec<(String, HostTensor)>, &str)> = vec![
        (
            vec![("x".into(), HostTensor::from_f64(f32_23.clone(), &[0.0; 6]))],
            "\"arg1\" or \"w\"",
        ),
        (
            vec![
                (
                    "x".into(),
                    HostTensor::from_f64(TensorType::new(DType::F64, vec![2, 3]), &[0.0; 6]),
                ),
                (
                    "w".into(),
                    HostTensor::from_f64(TensorType::new(DType::F32, vec![3, 2]), &[0.0; 6]),
                ),
            ],
            "f64[2,3] but f32[2,3]",
        ),
        (
            vec![
                ("x".into(), HostTensor::from_f64(f32_23.clone(), &[0.0; 6])),
                ("w".into(), HostTensor::from_f64(f32_23, &[0.0; 6])),
            ],
            "f32[2,3] but f32[3,2]",
        ),
    ];
    for (tensors, want) in cases {
        write_tensors(&file, &tensors, None).unwrap();
        let e = fails(&["run", s(&program), "--inputs", s(&file)]);
        assert!(
            e.contains(want) && e.contains("in.st"),
            "want {want:?} in {e}"
        );
    }
    std::fs::write(&file, b"not safetensors").unwrap();
    let e = fails(&["run", s(&program), "--inputs", s(&file)]);
    assert!(e.contains("not a valid safetensors file"), "{e}");
}

#[test]
fn bad_flags_are_usage_errors() {
    let out = flash(&["run"]);
    assert_eq!(out.status.code(), Some(2));
    let program = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/handwritten.mlir");
    let e = fails(&["run", s(&program)]);
    assert!(e.contains("--inputs") && e.contains("--random"), "{e}");
    let e = fails(&["setup", "gpu"]);
    assert!(e.contains("gpu"), "{e}");
}
