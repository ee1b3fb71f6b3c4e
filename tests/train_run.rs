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
    for r in &records {
        // Bytes: one token is one byte, so bits per byte are the loss in bits.
        let want = r.train_loss / std::f64::consts::LN_2;
        assert!((r.train_bpb.unwrap() - want).abs() < 1e-9 * want, "{r:?}");
    }
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
    // To a pipe: the prompt and the sampled bytes, no newline added.
    assert_eq!(
        printed,
        format!("the quick{}", String::from_utf8_lossy(&bytes))
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

/// The commands of the README's "Set-up: two commands" block, continuation lines joined.
fn readme_commands(readme: &str) -> Vec<String> {
    let section = readme
        .split("## Set-up: two commands")
        .nth(1)
        .expect("the README has its set-up section");
    let block = section
        .split("```sh")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("the set-up section has a sh block");
    let joined = block.replace("\\\n", " ");
    joined
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// A copy of the repository's tracked files, as `git clone` would give them (with this
/// working tree's edits), in a folder with nothing beside it (no `../shared`).
fn fresh_clone(dir: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let listed = std::process::Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root)
        .output()
        .expect("git ls-files (the tests run from a git checkout)");
    assert!(listed.status.success());
    let clone = dir.join("alone").join("flash");
    for name in listed.stdout.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let name = std::str::from_utf8(name).unwrap();
        let (from, to) = (root.join(name), clone.join(name));
        if from.is_file() {
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(&from, &to).unwrap();
        }
    }
    assert!(!clone.parent().unwrap().join("shared").exists());
    clone
}

#[test]
fn the_readme_main_job_runs_from_a_fresh_clone_and_ci_runs_its_test_command() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let commands = readme_commands(&readme);
    assert_eq!(commands.len(), 2, "two commands: {commands:?}");
    let (main_job, test) = (&commands[0], &commands[1]);
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    assert!(
        ci.lines().any(|l| l.trim() == test),
        ".ci/run runs the README's test command {test:?}"
    );
    // The main job exactly as written, but for its length: a few steps, not 10 minutes.
    let args = main_job
        .strip_prefix("cargo run --release -- ")
        .expect("the main job runs the flash binary")
        .replace("--steps 1000", "--steps 3")
        .replace("--eval-every 100", "--eval-every 3");
    assert!(args.contains("--steps 3"), "{args}");
    let dir = cli_support::temp_dir("fresh-clone");
    let clone = fresh_clone(&dir);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flash"))
        .args(args.split(' '))
        .current_dir(&clone)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args}:\n{stdout}\n{stderr}");
    assert!(stdout.contains("step 3: bits per byte: train "), "{stdout}");
    let run = clone.join("runs/flash-tiny");
    let records = read_metrics(&run.join("metrics.jsonl")).unwrap();
    assert_eq!(records.last().unwrap().step, 3);
    assert!(run.join("checkpoint.safetensors").is_file());
    assert!(run.join("loss.png").is_file());
    assert!(!run.join(".flash-train.lock").exists(), "the lock goes");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_run_ended_by_its_time_limit_says_where_and_why_it_stopped() {
    let dir = setup("time-limit");
    let run = dir.join("run");
    let stdout = train(
        &dir,
        &["--steps", "50", "--time-limit", "0.0001", "--out", &s(&run)],
    );
    assert!(
        stdout.starts_with("step 1 of 50 (the 0.0001 min time limit): bits per byte: train "),
        "{stdout}"
    );
    let records = read_metrics(&run.join("metrics.jsonl")).unwrap();
    assert_eq!(
        records.last().unwrap().step,
        1,
        "evaluated and saved at the stop"
    );
    assert!(!run.join(".flash-train.lock").exists());
}

/// Keeps every step report.
#[derive(Default)]
struct Reports(Vec<flash::train::StepReport>);

impl flash::train::Observer for Reports {
    fn stepped(&mut self, r: &flash::train::StepReport) {
        self.0.push(r.clone());
    }
}

#[test]
fn the_last_step_report_and_the_summary_agree_on_throughput_and_bits_per_byte() {
    let dir = setup("agree");
    let config: flash::config::ModelConfig = serde_json::from_str(CONFIG).unwrap();
    let overrides = flash::train::TrainOverrides {
        batch: Some(4),
        seq_len: Some(32),
        ..Default::default()
    };
    let spec = flash::train::RunSpec {
        settings: flash::train::RunSettings {
            train: overrides.options(&config, 5),
            seed: 0,
            eval_batches: 1,
        },
        config,
        model_name: "model.json".into(),
        data: dir.join("data.txt"),
        tokenizer: None,
        steps: 5,
        eval_every: 0,
        log_every: 1,
        out: dir.join("run"),
        resume: None,
        resumed_from: None,
        overwrite: false,
        plugin: None,
        client_options: Default::default(),
        pipeline: PipelineOptions::default(),
        time_limit: None,
        stop: flash::train::StopRequest::new(),
        new_data: false,
        parallel: None,
    };
    cli_support::test_cache();
    let mut reports = Reports::default();
    let summary = flash::train::run_training(&spec, &mut reports).unwrap();
    let last = reports.0.last().unwrap();
    assert_eq!(reports.0.len(), 5);
    assert_eq!(last.tokens_per_s, summary.tokens_per_s, "one throughput");
    assert_eq!(last.bits_per_byte, summary.last_bpb);
    // Bytes: bits per byte are the loss in bits.
    let want = f64::from(last.loss) / std::f64::consts::LN_2;
    assert!((last.bits_per_byte - want).abs() < 1e-6 * want, "{last:?}");
}
