//! `flash compile --decode/--prefill`, `flash run` on a decode step, and `flash generate`
//! through the decode programs: greedy output equals the full-recompute oracle, written to a
//! pipe as the raw bytes (samples of a batch separated by NUL), and bad input (sampling
//! ranges, --tokens 0, a prompt beyond a key/value cache, the checkpoint file for its run
//! folder) is one clear error.

mod cli_support;

use cli_support::{fails, ok, temp_dir};
use flash::decode::Sampling;
use flash::passes::PipelineOptions;
use flash::train::{Checkpoint, Generator};
use std::path::Path;

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// A checkpoint of `preset` after 3 training steps on a short text (T = 32).
fn checkpoint(name: &str, preset: &str) -> std::path::PathBuf {
    cli_support::tiny_run(&temp_dir(name), preset).0
}

#[test]
fn compile_decode_emits_a_donating_step_that_flash_run_executes() {
    let dir = temp_dir("decode-compile");
    let mlir = dir.join("step.mlir");
    ok(&[
        "compile",
        "--preset",
        "flash-tiny",
        "--decode",
        "--batch",
        "2",
        "-o",
        &s(&mlir),
    ]);
    let text = std::fs::read_to_string(&mlir).unwrap();
    assert!(text.contains("tf.aliasing_output"), "state is donated");
    assert!(text.contains("\"position\"") && text.contains("\"token\""));
    assert!(text.contains("stablehlo.dynamic_update_slice"));
    let out = dir.join("out.safetensors");
    ok(&["run", &s(&mlir), "--random", "--output", &s(&out)]);
    assert!(std::fs::metadata(&out).unwrap().len() > 0);
    let prefill = dir.join("prefill.mlir");
    ok(&[
        "compile",
        "--preset",
        "transformer++-tiny",
        "--prefill",
        "--seq-len",
        "5",
        "--max-len",
        "16",
        "-o",
        &s(&prefill),
    ]);
}

#[test]
fn compile_refuses_a_prompt_beyond_the_cache_and_max_len_without_decode() {
    let dir = temp_dir("decode-compile-errors");
    let out = s(&dir.join("x.mlir"));
    let e = fails(&[
        "compile",
        "--preset",
        "transformer++-tiny",
        "--prefill",
        "--seq-len",
        "20",
        "--max-len",
        "8",
        "-o",
        &out,
    ]);
    assert!(e.contains("do not fit in a key/value cache of 8"), "{e}");
    let e = fails(&[
        "compile",
        "--preset",
        "flash-tiny",
        "--max-len",
        "8",
        "-o",
        &out,
    ]);
    assert!(e.contains("--max-len"), "{e}");
    let e = fails(&[
        "compile",
        "--preset",
        "flash-tiny",
        "--decode",
        "--mode",
        "mlm",
        "-o",
        &out,
    ]);
    assert!(e.contains("causal"), "{e}");
}

#[test]
fn greedy_generate_equals_the_full_recompute_oracle() {
    for (name, preset) in [
        ("gen-flash", "flash-tiny"),
        ("gen-tpp", "transformer++-tiny"),
    ] {
        let run = checkpoint(name, preset);
        let c = s(&run);
        let greedy = |extra: &[&str]| {
            let args = ["generate", "--checkpoint", &c, "--prompt", "to be"];
            ok(&[&args[..], &["--tokens", "20", "--temperature", "0"], extra].concat())
        };
        let printed = greedy(&[]);
        let ckpt = Checkpoint::load(&run).unwrap();
        cli_support::test_cache();
        let client = flash::runtime::shared_client(None).unwrap();
        let oracle = Generator::new(client, &ckpt, &PipelineOptions::default()).unwrap();
        let bytes = oracle.generate(b"to be", 20, &Sampling::greedy()).unwrap();
        let mut want = b"to be".to_vec();
        want.extend(&bytes);
        // To a pipe: the raw bytes, no newline added.
        assert_eq!(printed.as_bytes(), want, "{preset}");
        // Greedy samples of a batch are the same text, separated by a NUL byte.
        let batch = greedy(&["--batch", "2"]);
        assert_eq!(
            batch.as_bytes(),
            [&want[..], b"\0", &want[..]].concat(),
            "{preset}"
        );
        // Or each sample in a file of its own, and a line naming them.
        let out_dir = run.parent().unwrap().join("samples");
        let named = greedy(&["--batch", "2", "--out-dir", &s(&out_dir)]);
        assert!(named.starts_with("wrote 2 sample(s): "), "{named}");
        for i in 1..=2 {
            let file = out_dir.join(format!("sample-{i}.txt"));
            assert_eq!(std::fs::read(&file).unwrap(), want, "{preset} {i}");
        }
    }
}

#[test]
fn generate_rejects_bad_sampling_and_a_prompt_beyond_the_cache() {
    let run = checkpoint("gen-errors", "transformer++-tiny");
    let c = s(&run);
    let e = fails(&["generate", "--checkpoint", &c, "--top-p", "0"]);
    assert!(e.contains("--top-p 0 must be in (0, 1]"), "{e}");
    let e = fails(&["generate", "--checkpoint", &c, "--top-p", "1.5"]);
    assert!(e.contains("--top-p"), "{e}");
    let e = fails(&["generate", "--checkpoint", &c, "--tokens", "0"]);
    assert!(e.contains("--tokens 0"), "{e}");
    let e = fails(&[
        "generate",
        "--checkpoint",
        &c,
        "--prompt",
        "a long prompt",
        "--max-len",
        "4",
    ]);
    assert!(e.contains("key/value cache, which holds 4"), "{e}");
    let beyond = [
        "generate",
        "--checkpoint",
        &c,
        "--prompt",
        "ab",
        "--max-len",
        "4",
        "--tokens",
        "9",
    ];
    // Refused before the first byte is written, not after 3 streamed tokens.
    let out = cli_support::flash(&beyond);
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && out.stdout.is_empty(), "{out:?}");
    assert!(
        e.starts_with("error: ")
            && e.contains("--tokens 9 need 10 positions")
            && e.contains("holds 4"),
        "{e}"
    );
    let sampled = cli_support::flash(&[
        "generate",
        "--checkpoint",
        &c,
        "--prompt",
        "to",
        "--tokens",
        "5",
        "--batch",
        "3",
        "--top-p",
        "0.9",
        "--seed",
        "4",
    ]);
    assert!(sampled.status.success(), "{sampled:?}");
    // Three samples of the prompt and 5 bytes each, a NUL between them, nothing after.
    let out = sampled.stdout;
    assert_eq!(out.len(), 3 * 7 + 2, "{out:?}");
    for i in 0..3 {
        assert_eq!(&out[8 * i..8 * i + 2], b"to", "{out:?}");
    }
    assert_eq!((out[7], out[15]), (0, 0), "{out:?}");
    // The checkpoint file where its run folder is expected: the error names the folder.
    let file = s(&run.join("checkpoint.safetensors"));
    let e = fails(&["generate", "--checkpoint", &file]);
    assert!(
        e.contains(&format!(
            "{file}: is a file, not a run folder; give the run folder that holds it: {c}"
        )),
        "{e}"
    );
}

#[test]
fn bench_decode_writes_records_and_a_plot() {
    let dir = temp_dir("decode-bench");
    let (json, png) = (dir.join("d.json"), dir.join("d.png"));
    let table = ok(&[
        "bench",
        "--decode",
        "--models",
        "flash,transformer++",
        "--seq-lens",
        "16,48",
        "--width",
        "64",
        "--layers",
        "1",
        "--reps",
        "2",
        "--warmup",
        "1",
        "--batch",
        "2",
        "--precision",
        "bf16",
        "--bandwidth-size",
        "8",
        "--json",
        &s(&json),
        "--plot",
        &s(&png),
    ]);
    assert!(
        table.contains("tok/s") && table.contains("x bound"),
        "{table}"
    );
    let records: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(records.len(), 4);
    for r in &records {
        for key in [
            "model",
            "seq_len",
            "batch",
            "median_s",
            "min_s",
            "prefill_s",
            "state_bytes",
        ] {
            assert!(r.get(key).is_some(), "{key} missing in {r}");
        }
        assert_eq!(r["batch"], 2);
        assert_eq!(r["precision"], "bf16", "{r}");
        // The roofline: a step reads its parameters and its state; 8 MiB read and written.
        let (bytes, state) = (r["bytes_per_step"].as_u64(), r["state_bytes"].as_u64());
        assert!(bytes.unwrap() > state.unwrap(), "{r}");
        assert_eq!(r["bandwidth"]["bytes"], 16 << 20, "{r}");
        assert!(r["bandwidth"]["best_s"].as_f64().unwrap() > 0.0, "{r}");
    }
    let state = |model: &str, n: u64| {
        records
            .iter()
            .find(|r| r["model"] == model && r["seq_len"] == n)
            .map(|r| r["state_bytes"].as_u64().unwrap())
            .unwrap()
    };
    assert_eq!(
        state("flash", 16),
        state("flash", 48),
        "FLASH's state is constant"
    );
    assert!(
        state("transformer++", 48) > state("transformer++", 16),
        "a KV cache grows"
    );
    assert_eq!(&std::fs::read(&png).unwrap()[..4], b"\x89PNG");
    let e = cli_support::fails(&["bench", "--decode", "--train"]);
    assert!(e.contains("--decode") || e.contains("--train"), "{e}");
}

#[test]
fn flash_run_refuses_a_position_beyond_the_cache() {
    let dir = temp_dir("decode-run-bound");
    let mlir = dir.join("step.mlir");
    ok(&[
        "compile",
        "--preset",
        "transformer++-tiny",
        "--decode",
        "--max-len",
        "8",
        "-o",
        &s(&mlir),
    ]);
    let text = std::fs::read_to_string(&mlir).unwrap();
    assert!(
        text.contains("flash.bound = 8 : i64"),
        "position carries its bound"
    );
    ok(&["run", &s(&mlir), "--random"]);
    let sig = flash::mlir_signature::parse_signature(&text).unwrap();
    let inputs: Vec<(String, flash::tensor::HostTensor)> = sig
        .args
        .iter()
        .map(|a| {
            let name = a.name.clone().unwrap();
            let value = if name == "position" { 8.0 } else { 0.0 };
            let n = a.ty.num_elements();
            (
                name,
                flash::tensor::HostTensor::from_f64(a.ty.clone(), &vec![value; n]),
            )
        })
        .collect();
    let file = dir.join("inputs.safetensors");
    flash::safetensors_io::write_tensors(&file, &inputs, None).unwrap();
    let e = fails(&["run", &s(&mlir), "--inputs", &s(&file)]);
    assert!(
        e.contains("position = 8 is outside the program's range 0..8"),
        "{e}"
    );
}

#[test]
fn flash_run_refuses_parameters_of_another_model() {
    let dir = temp_dir("decode-run-mismatch");
    let (mlir, params) = (dir.join("step.mlir"), dir.join("params.safetensors"));
    ok(&[
        "compile",
        "--preset",
        "flash-tiny",
        "--decode",
        "-o",
        &s(&mlir),
    ]);
    ok(&[
        "init",
        "--preset",
        "transformer++-tiny",
        "--seed",
        "1",
        "-o",
        &s(&params),
    ]);
    let e = fails(&["run", &s(&mlir), "--inputs", &s(&params)]);
    assert!(e.contains("params.safetensors"), "{e}");
}
