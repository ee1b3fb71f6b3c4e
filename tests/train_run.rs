//! `flash train` and `flash generate` end to end on the XLA CPU plugin with a tiny FLASH
//! model: the loss of a repeating text falls below half its start, a run stopped half way and
//! resumed ends with bitwise the same parameters as a straight run, and generation prints the
//! prompt and the sampled bytes.

mod cli_support;

use cli_support::ok;
use flash::decode::Sampling;
use flash::passes::PipelineOptions;
use flash::safetensors_io::read_tensors;
use flash::train::metrics::{read_metrics, Record};
use flash::train::{Checkpoint, Generator};
use std::path::{Path, PathBuf};

const CONFIG: &str = r#"{"kind": "flash", "width": 32, "layers": 1, "shared": 16, "chunk": 16}"#;

/// A fresh folder with the config and a repeating-pattern text.
fn setup(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flash-train-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("model.json"), CONFIG).unwrap();
    std::fs::write(
        dir.join("data.txt"),
        "the quick brown fox jumps over the lazy dog.\n".repeat(200),
    )
    .unwrap();
    dir
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// `flash train` on the folder's config and data, with `extra` flags.
fn train(dir: &Path, extra: &[&str]) -> String {
    let mut args: Vec<String> = [
        "train",
        "--config",
        &s(&dir.join("model.json")),
        "--data",
        &s(&dir.join("data.txt")),
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    args.extend(
        ["--seq-len", "32", "--batch", "8"]
            .iter()
            .map(|a| a.to_string()),
    );
    args.extend(extra.iter().map(|a| a.to_string()));
    ok(&args)
}

#[test]
fn loss_on_a_repeating_text_falls_below_half_and_generate_prints_the_sampled_bytes() {
    let dir = setup("fall");
    let run = dir.join("run");
    train(
        &dir,
        &[
            "--steps",
            "60",
            "--lr",
            "1e-2",
            "--eval-every",
            "30",
            "--log-every",
            "1",
            "--out",
            &s(&run),
        ],
    );
    let records = read_metrics(&run.join("metrics.jsonl")).unwrap();
    assert_eq!(
        records.iter().map(|r| r.step).collect::<Vec<_>>(),
        (1..=60).collect::<Vec<_>>()
    );
    let (first, last) = (records[0].train_loss, records[59].train_loss);
    assert!(last < 0.5 * first, "loss went from {first} to {last}");
    let measured: Vec<u64> = records
        .iter()
        .filter(|r| r.val_bpb.is_some())
        .map(|r| r.step)
        .collect();
    assert_eq!(measured, [30, 60]);
    assert!(records[59].val_bpb.unwrap() < records[29].val_bpb.unwrap());
    assert!(records.iter().all(|r| r.tokens_per_s > 0.0 && r.lr > 0.0));
    let png = std::fs::read(run.join("loss.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");

    let args = [
        "generate",
        "--checkpoint",
        &s(&run),
        "--prompt",
        "the quick",
        "--tokens",
        "24",
        "--temperature",
        "0",
    ];
    let printed = ok(&args.map(String::from));
    let ckpt = Checkpoint::load(&run).unwrap();
    cli_support::test_cache();
    let client = flash::runtime::shared_client(None).unwrap();
    let generator = Generator::new(client, &ckpt, &PipelineOptions::default()).unwrap();
    let bytes = generator
        .generate(b"the quick", 24, &Sampling::greedy())
        .unwrap();
    assert_eq!(bytes.len(), 24);
    assert_eq!(
        printed,
        format!("the quick{}\n", String::from_utf8_lossy(&bytes))
    );
}

fn losses(records: &[Record]) -> Vec<(u64, f64, Option<f64>)> {
    records
        .iter()
        .map(|r| (r.step, r.train_loss, r.val_bpb))
        .collect()
}

#[test]
fn a_run_resumed_half_way_ends_bitwise_equal_to_a_straight_run() {
    let dir = setup("resume");
    let (straight, split) = (dir.join("straight"), dir.join("split"));
    let common = [
        "--warmup",
        "2",
        "--eval-every",
        "4",
        "--log-every",
        "1",
        "--seed",
        "3",
    ];
    train(
        &dir,
        &[&common[..], &["--steps", "8", "--out", &s(&straight)]].concat(),
    );
    train(
        &dir,
        &[
            &common[..],
            &["--steps", "4", "--schedule-steps", "8", "--out", &s(&split)],
        ]
        .concat(),
    );
    assert_eq!(Checkpoint::load(&split).unwrap().step, 4);
    train(
        &dir,
        &[
            "--steps",
            "8",
            "--eval-every",
            "4",
            "--log-every",
            "1",
            "--resume",
            &s(&split),
        ],
    );

    let a = read_tensors(&straight.join("checkpoint.safetensors")).unwrap();
    let b = read_tensors(&split.join("checkpoint.safetensors")).unwrap();
    assert_eq!(a.len(), b.len());
    for ((na, ta), (nb, tb)) in a.iter().zip(&b) {
        assert_eq!(na, nb);
        assert!(
            ta.bytes == tb.bytes,
            "{na} differs between the straight and the resumed run"
        );
    }
    assert_eq!(Checkpoint::load(&split).unwrap().step, 8);
    let (ra, rb) = (
        read_metrics(&straight.join("metrics.jsonl")).unwrap(),
        read_metrics(&split.join("metrics.jsonl")).unwrap(),
    );
    assert_eq!(losses(&ra), losses(&rb));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--chunk auto` picks the chunk for the run's sequence length on the plugin's machine (the
/// CPU floor, 128, at T = 512 where the config says 16) and the checkpoint keeps it, so a
/// resumed run (which keeps its settings) trains with the same chunks.
#[test]
fn chunk_auto_is_chosen_for_the_sequence_length_and_kept_in_the_checkpoint() {
    let dir = setup("chunk");
    let run = dir.join("run");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a = vec![
            "train".to_string(),
            "--data".into(),
            s(&dir.join("data.txt")),
            "--out".into(),
            s(&run),
        ];
        a.extend(extra.iter().map(|x| x.to_string()));
        a
    };
    let config = s(&dir.join("model.json"));
    ok(&args(&[
        "--config",
        &config,
        "--seq-len",
        "512",
        "--batch",
        "2",
        "--steps",
        "1",
        "--chunk",
        "auto",
    ]));
    assert_eq!(Checkpoint::load(&run).unwrap().config.chunk, 128);
    ok(&args(&[
        "--steps",
        "2",
        "--resume",
        &s(&run),
        "--chunk",
        "128",
    ]));
    let resumed = Checkpoint::load(&run).unwrap();
    assert_eq!((resumed.step, resumed.config.chunk), (2, 128));
    let _ = std::fs::remove_dir_all(&dir);
}
