//! Fault class 2 of issue 10: sizes beyond what StableHLO, XLA or the host's memory allow,
//! from configs, flags, IR text and StableHLO signatures. Each must end in one clear message
//! naming the field and exit 1 or 2: never a signal (an abort is SIGABRT, the OOM killer's
//! SIGKILL), a panic (101) or a wrapped count.

mod cli_support;

use cli_support::{flash, temp_dir};
use std::path::PathBuf;

/// Runs `flash ARGS`, which must exit 1 or 2 (not by a signal, not with a panic) with one
/// `error:` line; returns that stderr.
fn refuses(args: &[&str]) -> String {
    let out = flash(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code();
    assert!(
        matches!(code, Some(1 | 2)),
        "flash {args:?} ended with {:?}: {stderr}",
        out.status
    );
    assert!(!stderr.contains("panicked"), "flash {args:?}: {stderr}");
    let errors = stderr.lines().filter(|l| l.starts_with("error: ")).count();
    assert_eq!(errors, 1, "flash {args:?}: {stderr}");
    stderr
}

/// Writes `text` to `name` in a fresh folder for `test`.
fn file(test: &str, name: &str, text: &str) -> PathBuf {
    let path = temp_dir(test).join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn params_with_a_10e12_width_names_the_field() {
    let cfg = file(
        "size-width",
        "c.toml",
        "kind = \"flash\"\nwidth = 1000000000000\nlayers = 2\n",
    );
    let e = refuses(&["params", "--config", cfg.to_str().unwrap()]);
    assert!(
        e.contains("config field `width`: 1000000000000 is larger than 2147483647"),
        "{e}"
    );
}

#[test]
fn params_never_prints_a_wrapped_total() {
    // Every field is in range, but 2^31 - 1 layers of 10^5-wide matrices are ~10^20
    // parameters: more than a u64 (the old total wrapped) and than XLA addresses.
    let text = "kind = \"flash\"\nwidth = 100000\nvocab = 100000\nlayers = 2147483647\n";
    let cfg = file("size-total", "c.toml", text);
    let e = refuses(&["params", "--config", cfg.to_str().unwrap()]);
    assert!(
        e.contains("the model has 128877582838553744992 parameters"),
        "{e}"
    );
    assert!(e.contains("lower `layers`, `width` or `vocab`"), "{e}");
}

#[test]
fn params_with_a_tensor_beyond_int64_bytes_names_its_shape() {
    let cfg = file(
        "size-tensor",
        "c.json",
        r#"{"kind": "flash", "width": 2147483647, "layers": 1}"#,
    );
    let e = refuses(&["params", "--config", cfg.to_str().unwrap()]);
    assert!(e.contains("f32[2147483647,8589934716]"), "{e}");
    assert!(
        e.contains("the largest tensor StableHLO and XLA accept"),
        "{e}"
    );
}

#[test]
fn compile_with_a_10e12_seq_len_names_the_flag() {
    let out = temp_dir("size-seq").join("x.mlir");
    let args = [
        "compile",
        "--preset",
        "flash-tiny",
        "--seq-len",
        "1000000000000",
        "--batch",
        "1",
    ];
    let e = refuses(&[&args[..], &["-o", out.to_str().unwrap()]].concat());
    assert!(
        e.contains("build option `seq_len`: 1000000000000 is larger than 2147483647"),
        "{e}"
    );
    assert!(!out.exists());
}

#[test]
fn compile_whose_activations_overflow_names_the_op_and_type() {
    let out = temp_dir("size-batch").join("x.mlir");
    let args = [
        "compile",
        "--preset",
        "flash-tiny",
        "--seq-len",
        "100000000",
    ];
    let big = ["--batch", "1000000000", "-o", out.to_str().unwrap()];
    let e = refuses(&[&args[..], &big[..]].concat());
    assert!(e.contains("f32[1000000000,100000000,128]"), "{e}");
    assert!(e.contains("size:"), "{e}");
}

#[test]
fn compile_ir_text_with_an_overflowing_type_is_a_parse_error() {
    let text = "graph @main {\n  %x = parameter {index = 0, name = \"x\"} : \
                f32[2147483647,2147483647,2147483647]\n  return %x\n}\n";
    let ir = file("size-ir", "g.fir", text);
    let out = ir.with_extension("mlir");
    let e = refuses(&["compile", ir.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(e.contains("2:"), "the message has the line: {e}");
    assert!(
        e.contains("the largest tensor StableHLO and XLA accept"),
        "{e}"
    );
}

/// A StableHLO program returning its one argument of type `ty`.
fn identity_program(test: &str, ty: &str) -> PathBuf {
    let text = format!(
        "module @m {{\n  func.func public @main(%a: {ty}) -> {ty} {{\n    return %a : {ty}\n  }}\n}}\n"
    );
    file(test, "p.mlir", &text)
}

#[test]
fn run_random_on_a_signature_beyond_int64_bytes_is_refused() {
    let p = identity_program("size-sig", "tensor<4294967296x4294967296xf32>");
    let e = refuses(&["run", p.to_str().unwrap(), "--random"]);
    assert!(e.contains("cannot read @main's signature"), "{e}");
    assert!(
        e.contains("the largest tensor StableHLO and XLA accept"),
        "{e}"
    );
}

#[test]
fn run_random_on_a_program_larger_than_memory_says_how_much() {
    // 40 TB of f32 argument: XLA compiles it, the memory check refuses it before any input
    // is drawn (it used to allocate it twice and abort).
    let p = identity_program("size-run", "tensor<10000000000000xf32>");
    let e = refuses(&["run", p.to_str().unwrap(), "--random"]);
    assert!(e.contains("cannot allocate"), "{e}");
    assert!(
        e.contains("bytes available (MemAvailable + SwapFree)"),
        "{e}"
    );
}

#[test]
fn bench_peak_size_is_bounded() {
    let e = refuses(&[
        "bench",
        "--models",
        "flash",
        "--seq-lens",
        "256",
        "--peak-size",
        "10000000",
    ]);
    assert!(
        e.contains("--peak-size: 10000000 is larger than 16384"),
        "{e}"
    );
}
