//! bf16 compute with f32 master weights trains on the XLA CPU plugin (its mixed
//! bf16 x bf16 -> f32 dots are widened by `upcast_mixed_dots`) and tracks the f32 run.

mod cli_support;

fn train(dir: &std::path::Path, config: &str, data: &std::path::Path) -> Vec<f64> {
    let cfg = dir.join(format!("{config}.toml"));
    let precision = if config == "bf16" { "bf16" } else { "f32" };
    std::fs::write(&cfg, format!("kind = \"flash\"\nwidth = 32\nlayers = 1\nshared = 16\nchunk = 8\nprecision = \"{precision}\"\n")).unwrap();
    let out_dir = dir.join(config);
    let out = cli_support::flash_command()
        .args([
            "train",
            "--config",
            cfg.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
        ])
        .args([
            "--seq-len",
            "16",
            "--batch",
            "4",
            "--steps",
            "6",
            "--log-every",
            "1",
            "--eval-every",
            "6",
        ])
        .args(["--out", out_dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{precision}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metrics = std::fs::read_to_string(out_dir.join("metrics.jsonl")).unwrap();
    metrics
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["train_loss"]
                .as_f64()
                .unwrap()
        })
        .collect()
}

#[test]
fn bf16_training_runs_and_tracks_f32() {
    let dir = std::env::temp_dir().join(format!("flash-bf16-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("data.txt");
    std::fs::write(
        &data,
        "the quick brown fox jumps over the lazy dog. ".repeat(60),
    )
    .unwrap();
    let (bf16, f32) = (train(&dir, "bf16", &data), train(&dir, "f32", &data));
    assert_eq!(bf16.len(), f32.len());
    for (step, (a, b)) in bf16.iter().zip(&f32).enumerate() {
        assert!(a.is_finite(), "bf16 loss at step {step} is {a}");
        assert!(
            (a - b).abs() < 0.05 * b,
            "step {step}: bf16 loss {a} vs f32 {b}"
        );
    }
}
