//! The benchmark's pieces that need no plugin: option validation, the derived model configs,
//! the median, the table and the plot of synthetic records.

use flash::bench::measure::median;
#[cfg(feature = "cli")]
use flash::bench::plot::plot_latency;
use flash::bench::record::{table, Record};
use flash::bench::{bench_config, parse_model, BenchError, BenchOptions};
use flash::config::{ModelKind, Precision};
use std::time::Duration;

#[test]
fn configs_follow_the_presets_with_twice_the_layers_for_gau_models() {
    let t = bench_config(ModelKind::TransformerPlusPlus, 256, 2, 8192, Precision::F32).unwrap();
    assert_eq!((t.width, t.layers, t.heads, t.vocab), (256, 2, 4, 256));
    let f = bench_config(ModelKind::Flash, 256, 2, 8192, Precision::F32).unwrap();
    assert_eq!(
        (f.width, f.layers, f.expansion(), f.shared, f.chunk),
        (256, 4, 512, 128, 256)
    );
    let q = bench_config(ModelKind::FlashQuad, 256, 3, 8192, Precision::F32).unwrap();
    assert_eq!(q.layers, 6);
    let tiny = bench_config(ModelKind::Flash, 32, 1, 64, Precision::F32).unwrap();
    assert_eq!(
        (tiny.shared, tiny.chunk, tiny.layers, tiny.expansion()),
        (64, 64, 2, 64)
    );
    let plain = bench_config(ModelKind::Transformer, 256, 1, 10_000, Precision::F32).unwrap();
    assert!(
        plain.max_len >= 10_000,
        "positions cover the longest sequence"
    );
}

#[test]
fn bad_options_name_the_option() {
    let opts = BenchOptions::default();
    assert!(opts.validate().is_ok());
    assert_eq!(opts.batch(2048).unwrap(), 4);
    let option_of = |o: BenchOptions| match o.validate() {
        Err(BenchError::Option { option, .. }) => option,
        other => panic!("expected an option error, got {other:?}"),
    };
    assert_eq!(
        option_of(BenchOptions {
            reps: 0,
            ..BenchOptions::default()
        }),
        "reps"
    );
    assert_eq!(
        option_of(BenchOptions {
            seq_lens: vec![0],
            ..BenchOptions::default()
        }),
        "seq-lens"
    );
    assert_eq!(
        option_of(BenchOptions {
            seq_lens: vec![],
            ..BenchOptions::default()
        }),
        "seq-lens"
    );
    assert_eq!(
        option_of(BenchOptions {
            seq_lens: vec![3000],
            ..BenchOptions::default()
        }),
        "tokens-per-batch"
    );
    assert_eq!(
        option_of(BenchOptions {
            models: vec![],
            ..BenchOptions::default()
        }),
        "models"
    );
    assert_eq!(
        option_of(BenchOptions {
            width: 0,
            ..BenchOptions::default()
        }),
        "width"
    );
    assert!(matches!(
        parse_model("gpt"),
        Err(BenchError::UnknownModel { .. })
    ));
    assert_eq!(parse_model("flash-quad").unwrap(), ModelKind::FlashQuad);
}

#[test]
fn median_of_odd_and_even_counts() {
    let ms = |v: &[u64]| {
        v.iter()
            .map(|&m| Duration::from_millis(m))
            .collect::<Vec<_>>()
    };
    assert_eq!(median(&ms(&[5, 1, 3])), Duration::from_millis(3));
    assert_eq!(median(&ms(&[4, 1, 3, 2])), Duration::from_micros(2500));
    assert_eq!(median(&[]), Duration::ZERO);
}

fn record(model: &str, seq_len: usize, median_s: f64) -> Record {
    Record {
        model: model.into(),
        workload: "train".into(),
        seq_len,
        batch: 8192 / seq_len,
        layers: 2,
        width: 256,
        expansion: 512,
        shared: 128,
        chunk: 256,
        params: 1000,
        reps: 3,
        median_s,
        min_s: median_s * 0.9,
        flops: 1_000_000_000,
        elementwise_flops: 1,
        reduce_flops: 1,
        formula_flops: 1_000_000_000,
        flops_per_s: 1e9 / median_s,
        peak_flops_per_s: Some(1e10),
        peak_fraction: Some(0.1 / median_s),
        best_peak_fraction: Some(0.11 / median_s),
        xla_compile_s: 1.0,
        our_compile_s: 0.01,
        memory: None,
        platform: "cpu".into(),
        mesh: None,
        shard_optimizer: false,
        precision: Default::default(),
        remat: Default::default(),
    }
}

/// Two models at three lengths.
fn synthetic_records() -> Vec<Record> {
    [("transformer++", 1.0), ("flash", 0.5)]
        .iter()
        .flat_map(|&(m, base)| [512, 2048, 8192].map(|t| record(m, t, base * t as f64 / 512.0)))
        .collect()
}

#[test]
fn table_of_synthetic_records() {
    let text = table(&synthetic_records());
    assert_eq!(text.lines().count(), 7);
    assert!(text.lines().next().unwrap().contains("%peak"));
}

/// The plot needs the plotting crates of the `cli` feature.
#[cfg(feature = "cli")]
#[test]
fn plot_of_synthetic_records() {
    let records = synthetic_records();
    let dir = std::env::temp_dir().join(format!("flash-bench-plot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let png = dir.join("latency.png");
    plot_latency(&records, &png).unwrap();
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert!(matches!(plot_latency(&[], &png), Err(BenchError::Plot(_))));
    let _ = std::fs::remove_dir_all(&dir);
}
