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
