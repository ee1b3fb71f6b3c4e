//! `flash bench` end to end on a tiny configuration (train step and forward), checking the
//! table, the JSON records and the PNG; and one clear error for every bad argument.

mod cli_support;

use cli_support::{fails, flash, temp_dir};
use serde_json::Value;

const TINY: [&str; 14] = [
    "bench",
    "--width",
    "32",
    "--layers",
    "1",
    "--seq-lens",
    "16,32",
    "--tokens-per-batch",
    "64",
    "--reps",
    "2",
    "--peak-size",
    "128",
    "--models=transformer++,flash-quad,flash",
];

/// Runs the tiny benchmark with `extra` arguments, writing JSON and PNG into a fresh folder;
/// returns stdout, the records and the PNG bytes.
fn run_tiny(name: &str, extra: &[&str]) -> (String, Vec<Value>, Vec<u8>) {
    let dir = temp_dir(&format!("bench-{name}"));
    let (json, png) = (dir.join("out.json"), dir.join("out.png"));
    let mut args: Vec<&str> = TINY.to_vec();
    args.extend(extra);
    args.extend([
        "--json",
        json.to_str().unwrap(),
        "--plot",
        png.to_str().unwrap(),
    ]);
    let out = flash(&args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let png = std::fs::read(&png).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (stdout, records, png)
}

fn check_records(records: &[Value], workload: &str) {
    assert_eq!(records.len(), 6, "3 models x 2 lengths");
    let pairs: Vec<(&str, u64)> = records
        .iter()
        .map(|r| (r["model"].as_str().unwrap(), r["seq_len"].as_u64().unwrap()))
        .collect();
    let expected = [
        ("transformer++", 16),
        ("transformer++", 32),
        ("flash-quad", 16),
        ("flash-quad", 32),
        ("flash", 16),
        ("flash", 32),
    ];
    assert_eq!(pairs, expected);
    for r in records {
        let t = r["seq_len"].as_u64().unwrap();
        assert_eq!(r["batch"].as_u64(), Some(64 / t));
        assert_eq!(r["width"].as_u64(), Some(32));
        let layers = if r["model"] == "transformer++" { 1 } else { 2 };
        assert_eq!(r["layers"].as_u64(), Some(layers), "GAU models get 2L");
        assert_eq!(r["workload"], workload);
        assert_eq!(r["reps"].as_u64(), Some(2));
        for key in [
            "median_s",
            "min_s",
            "xla_compile_s",
            "our_compile_s",
            "flops_per_s",
            "peak_flops_per_s",
            "peak_fraction",
            "best_peak_fraction",
        ] {
            assert!(r[key].as_f64().is_some_and(|v| v > 0.0), "{key} in {r}");
        }
        assert!(r["min_s"].as_f64() <= r["median_s"].as_f64());
        assert!(r["flops"].as_u64().is_some_and(|f| f > 0));
        assert!(r["memory"]["argument_bytes"].as_i64().is_some(), "{r}");
    }
}

fn check_png(png: &[u8]) {
    assert!(png.len() > 1000, "a PNG of {} bytes", png.len());
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn train_step_bench_writes_table_json_and_png() {
    let (stdout, records, png) = run_tiny("train", &["--train"]);
    assert!(
        stdout.contains("peak:") && stdout.contains("flash-quad"),
        "{stdout}"
    );
    check_records(&records, "train");
    for r in &records {
        // The train step donates parameters and AdamW state: XLA reports aliased bytes.
        assert!(
            r["memory"]["alias_bytes"].as_i64().is_some_and(|b| b > 0),
            "{r}"
        );
        let (flops, formula) = (
            r["flops"].as_u64().unwrap(),
            r["formula_flops"].as_u64().unwrap(),
        );
        assert!(
            flops >= formula,
            "the counted step {flops} covers three forward passes {formula}"
        );
    }
    check_png(&png);
}

#[test]
fn bf16_train_bench_records_its_precision_remat_and_a_bf16_peak() {
    let (stdout, records, _) = run_tiny(
        "bf16",
        &["--train", "--precision", "bf16", "--remat", "attention"],
    );
    assert!(stdout.contains("128^3 bf16 matmul"), "{stdout}");
    check_records(&records, "train");
    for r in &records {
        assert_eq!(
            (&r["precision"], &r["remat"]),
            (&"bf16".into(), &"attention".into())
        );
    }
    let (_, forward, _) = run_tiny("f32-forward", &["--forward"]);
    for r in &forward {
        assert_eq!(
            (&r["precision"], &r["remat"]),
            (&"f32".into(), &"none".into())
        );
    }
}

#[test]
fn forward_bench_counts_the_closed_form() {
    let (_, records, png) = run_tiny("forward", &["--forward"]);
    check_records(&records, "forward");
    for r in &records {
        assert_eq!(r["flops"], r["formula_flops"], "{r}");
    }
    check_png(&png);
    // --from-json redraws the table and plot without running anything.
    let dir = temp_dir("bench-replot");
    let (json, png) = (dir.join("in.json"), dir.join("again.png"));
    std::fs::write(&json, serde_json::to_string(&records).unwrap()).unwrap();
    let args = [
        "bench",
        "--from-json",
        json.to_str().unwrap(),
        "--plot",
        png.to_str().unwrap(),
    ];
    let out = flash(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 7);
    check_png(&std::fs::read(&png).unwrap());
    std::fs::write(&json, "{}").unwrap();
    let e = fails(&["bench", "--from-json", json.to_str().unwrap()]);
    assert!(e.contains("not a list of bench records"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--chunk auto` picks FLASH's chunk per length (one chunk up to twice the CPU floor of 128,
/// then the cheapest power of two); a number fixes it; the models without chunks keep theirs.
#[test]
fn chunk_auto_chooses_flash_chunks_per_length() {
    let chunks = |choice: &str| -> Vec<(String, u64, u64)> {
        let mut args = vec![
            "bench",
            "--width",
            "32",
            "--layers",
            "1",
            "--forward",
            "--seq-lens",
            "64,512",
            "--tokens-per-batch",
            "512",
            "--reps",
            "1",
            "--peak-size",
            "0",
            "--models",
            "flash,flash-quad",
            "--chunk",
            choice,
        ];
        let dir = temp_dir(&format!("bench-chunk-{choice}"));
        let json = dir.join("out.json");
        args.extend(["--json", json.to_str().unwrap()]);
        let out = flash(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let records: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        records
            .iter()
            .map(|r| {
                let model = r["model"].as_str().unwrap().to_string();
                (
                    model,
                    r["seq_len"].as_u64().unwrap(),
                    r["chunk"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let auto = chunks("auto");
    assert_eq!(
        &auto[..2],
        [("flash".into(), 64, 64), ("flash".into(), 512, 128)]
    );
    let fixed = chunks("32");
    assert_eq!(
        &fixed[..2],
        [("flash".into(), 64, 32), ("flash".into(), 512, 32)]
    );
    assert_eq!(auto[2..], fixed[2..], "flash-quad has no chunks to choose");
}

#[test]
fn bad_arguments_give_clear_errors() {
    let base = [
        "bench",
        "--width",
        "32",
        "--layers",
        "1",
        "--peak-size",
        "0",
    ];
    let with = |extra: &[&str]| -> String {
        let mut args = base.to_vec();
        args.extend(extra);
        fails(&args)
    };
    let e = with(&["--models", "flash,gpt"]);
    assert!(
        e.contains("unknown model \"gpt\"") && e.contains("flash-quad"),
        "{e}"
    );
    let e = with(&["--seq-lens", "0,16"]);
    assert!(e.contains("--seq-lens") && e.contains("at least 1"), "{e}");
    let e = with(&["--seq-lens", "48", "--tokens-per-batch", "64"]);
    assert!(e.contains("--tokens-per-batch") && e.contains("48"), "{e}");
    let e = with(&["--seq-lens", "128", "--tokens-per-batch", "64"]);
    assert!(e.contains("--tokens-per-batch"), "{e}");
    let e = with(&["--reps", "0"]);
    assert!(e.contains("--reps") && e.contains("at least 1"), "{e}");
    let e = with(&["--layers", "0"]);
    assert!(e.contains("--layers"), "{e}");
    let e = with(&["--cumsum", "fast"]);
    assert!(e.contains("cumsum"), "{e}");
    let e = with(&["--train", "--forward"]);
    assert!(e.contains("--forward") || e.contains("--train"), "{e}");
    let e = with(&["--chunk", "0"]);
    assert!(
        e.contains("--chunk") && e.contains("positive chunk size"),
        "{e}"
    );
    let e = with(&["--seq-lens", "abc"]);
    assert!(e.contains("abc"), "{e}");
    let e = with(&["--precision", "f16"]);
    assert!(e.contains("f16") && e.contains("bf16"), "{e}");
    for workload in ["--forward", "--decode"] {
        let e = with(&[workload, "--remat", "layer"]);
        assert!(e.contains("--remat") && e.contains(workload), "{e}");
    }
}
