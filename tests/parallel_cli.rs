//! `flash train`, `compile` and `info` on device meshes of the XLA CPU plugin (4 devices):
//! 20 data-parallel steps log the one-device losses, a 4-device checkpoint resumes on one
//! device (and a one-device one on `data=2,model=2`) continuing the same run, ZeRO-1 logs
//! the plain data-parallel losses, the annotated StableHLO of a tiny model's train step is
//! snapshotted and compiles partitioned, `info` shows meshes and device counts, and every
//! bad mesh or device flag is one clear error.

mod cli_support;
mod common;

use cli_support::{ok, temp_dir};
use flash::parallel::{parse_mesh, Placement};
use flash::train::metrics::{read_metrics, Record};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The model of the training runs: one small FLASH layer.
const MODEL: &str = r#"{"kind": "flash", "width": 32, "layers": 1, "shared": 16, "chunk": 16}"#;

/// The model of the compile snapshot: as small as a FLASH layer gets.
const TINY: &str =
    r#"{"kind": "flash", "width": 16, "layers": 1, "shared": 8, "chunk": 8, "vocab": 32}"#;

/// Steps of the first leg of every run.
const FIRST_LEG: &str = "20";

/// Steps of the whole run (the schedule's span; a first leg resumed ends here).
const WHOLE_RUN: &str = "30";

/// The largest difference allowed between two runs' losses (nats) or bits per byte: the
/// meshes sum in another order, a few ulps a step (measured: below 3e-6 after 30 steps).
const LOSS_TOLERANCE: f64 = 1e-4;

/// A text of words drawn by a fixed linear congruential sequence: varied enough that the
/// loss keeps falling over 30 steps, the same on every run.
fn text() -> String {
    const WORDS: [&str; 12] = [
        "the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "and", "runs",
        "far.\n",
    ];
    let mut state: u64 = 1;
    (0..4000)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            WORDS[(state >> 33) as usize % WORDS.len()]
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// The scratch folder of this test binary, with both model configs and the text.
fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = temp_dir("parallel-cli");
        std::fs::write(dir.join("model.json"), MODEL).unwrap();
        std::fs::write(dir.join("tiny.json"), TINY).unwrap();
        std::fs::write(dir.join("data.txt"), text()).unwrap();
        dir
    })
}

/// `flash train` of a new run into `out`: the first leg of a 30-step schedule (explicit
/// warm-up, so a resumed run and a straight one share it), on `mesh_flags`' devices.
/// AdamW's eps is large so that its sign-like first steps do not amplify the meshes'
/// rounding (see tests/parallel_xla.rs).
fn train_new(out: &str, steps: &str, mesh_flags: &[&str]) -> PathBuf {
    let run = dir().join(out);
    let mut args = vec![
        "train".to_string(),
        "--config".into(),
        s(&dir().join("model.json")),
        "--seq-len".into(),
        "32".into(),
        "--batch".into(),
        "4".into(),
        "--adam-eps".into(),
        "1e-2".into(),
        "--lr".into(),
        "1e-2".into(),
        "--warmup".into(),
        "3".into(),
        "--schedule-steps".into(),
        WHOLE_RUN.into(),
        "--steps".into(),
        steps.into(),
        "--out".into(),
        s(&run),
        "--overwrite".into(),
    ];
    args.extend(mesh_flags.iter().map(|f| f.to_string()));
    args.extend(logging_flags());
    ok(&args);
    run
}

/// Evaluate every 10 steps, log every step; and the data.
fn logging_flags() -> Vec<String> {
    ["--eval-every", "10", "--log-every", "1", "--data"]
        .iter()
        .map(|a| a.to_string())
        .chain([s(&dir().join("data.txt"))])
        .collect()
}

/// A copy of run folder `run` (named `copy`) resumed to the whole run on `mesh_flags`.
fn resume_copy(run: &Path, copy: &str, mesh_flags: &[&str]) -> PathBuf {
    let to = dir().join(copy);
    let _ = std::fs::remove_dir_all(&to);
    std::fs::create_dir_all(&to).unwrap();
    for entry in std::fs::read_dir(run).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
    let mut args = vec![
        "train".to_string(),
        "--steps".into(),
        WHOLE_RUN.into(),
        "--resume".into(),
        s(&to),
    ];
    args.extend(mesh_flags.iter().map(|f| f.to_string()));
    args.extend(logging_flags());
    ok(&args);
    to
}

/// The first leg on one device.
fn one_device_leg() -> &'static PathBuf {
    static RUN: OnceLock<PathBuf> = OnceLock::new();
    RUN.get_or_init(|| train_new("one-device", FIRST_LEG, &[]))
}

/// The first leg on `data=4`.
fn data_parallel_leg() -> &'static PathBuf {
    static RUN: OnceLock<PathBuf> = OnceLock::new();
    RUN.get_or_init(|| train_new("data4", FIRST_LEG, &["--mesh", "data=4"]))
}

/// The whole run, straight, on one device.
fn straight_run() -> &'static PathBuf {
    static RUN: OnceLock<PathBuf> = OnceLock::new();
    RUN.get_or_init(|| train_new("straight", WHOLE_RUN, &[]))
}

fn records(run: &Path) -> Vec<Record> {
    read_metrics(&run.join("metrics.jsonl")).unwrap()
}

/// Asserts that two runs logged the same steps with the same losses and bits per byte.
fn assert_same_losses(what: &str, got: &Path, want: &Path, steps: u64) {
    let (got, want) = (records(got), records(want));
    let logged: Vec<u64> = got.iter().map(|r| r.step).collect();
    assert_eq!(logged, (1..=steps).collect::<Vec<_>>(), "{what}: steps");
    assert_eq!(got.len(), want.len(), "{what}: records");
    for (g, w) in got.iter().zip(&want) {
        let step = g.step;
        assert!(
            (g.train_loss - w.train_loss).abs() < LOSS_TOLERANCE,
            "{what}: step {step} loss {} vs {}",
            g.train_loss,
            w.train_loss
        );
        assert_eq!(
            g.val_bpb.is_some(),
            w.val_bpb.is_some(),
            "{what}: step {step}"
        );
        if let (Some(a), Some(b)) = (g.val_bpb, w.val_bpb) {
            assert!(
                (a - b).abs() < LOSS_TOLERANCE,
                "{what}: step {step} bpb {a} vs {b}"
            );
        }
    }
    let (first, last) = (want[0].train_loss, want[want.len() - 1].train_loss);
    assert!(
        last < first - 0.5,
        "{what}: the loss went from {first} to {last}"
    );
}

#[test]
fn twenty_data_parallel_steps_log_the_one_device_losses() {
    assert_same_losses(
        "data=4 vs one device",
        data_parallel_leg(),
        one_device_leg(),
        20,
    );
}

#[test]
fn a_four_device_checkpoint_resumes_on_one_device_continuing_the_run() {
    let resumed = resume_copy(data_parallel_leg(), "data4-then-one", &[]);
    assert_same_losses("data=4 then one device", &resumed, straight_run(), 30);
}

#[test]
fn a_one_device_checkpoint_resumes_on_a_two_by_two_mesh_continuing_the_run() {
    let resumed = resume_copy(
        one_device_leg(),
        "one-then-2x2",
        &["--mesh", "data=2,model=2"],
    );
    assert_same_losses(
        "one device then data=2,model=2",
        &resumed,
        straight_run(),
        30,
    );
}

#[test]
fn sharding_the_optimizer_state_logs_the_data_parallel_losses() {
    let zero = train_new(
        "data4-zero",
        FIRST_LEG,
        &["--mesh", "data=4", "--shard-optimizer"],
    );
    assert_same_losses("ZeRO-1 vs data=4", &zero, data_parallel_leg(), 20);
}

/// The module header and the `@main` signature of `mlir`, one argument or result a line,
/// without locations (the body is long and says nothing about shardings).
fn signature(mlir: &str) -> String {
    let mut lines = mlir.lines();
    let header: Vec<&str> = lines
        .by_ref()
        .take_while(|l| !l.contains("func.func public @main"))
        .collect();
    let main = mlir
        .lines()
        .find(|l| l.contains("func.func public @main"))
        .expect("an @main function");
    let main = without_locations(main)
        .replace(", %arg", ",\n    %arg")
        .replace("@main(", "@main(\n    ")
        .replace(") -> (", "\n  ) -> (\n    ")
        .replace("}, tensor<", "},\n    tensor<");
    format!("{}\n{main}\n", header.join("\n"))
}

/// `text` without its ` loc("...")` attributes.
fn without_locations(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(" loc(\"") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("\")").expect("a closed location") + start + 2;
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn the_annotated_train_step_of_a_tiny_model_is_snapshotted_and_compiles_on_its_mesh() {
    let out = dir().join("tiny-data2.mlir");
    let tiny = s(&dir().join("tiny.json"));
    ok(&[
        "compile",
        "--config",
        &tiny,
        "--train",
        "--mesh",
        "data=2",
        "--seq-len",
        "8",
        "--batch",
        "2",
        "--output",
        &s(&out),
    ]);
    let mlir = std::fs::read_to_string(&out).unwrap();
    insta::assert_snapshot!(signature(&mlir));

    let client = common::client();
    assert_eq!(
        client.devices().len(),
        4,
        "the CPU plugin's default devices"
    );
    let placement = Placement::new(client.clone(), Some(&parse_mesh("data=2").unwrap())).unwrap();
    let exe = client
        .compile_with(&mlir, &placement.compile_options().unwrap())
        .unwrap_or_else(|e| panic!("the data=2 train step does not compile: {e}"));
    assert_eq!(exe.devices().len(), 2);
    assert!(
        exe.has_opcode("all-reduce").unwrap(),
        "no gradient all-reduce"
    );
}

/// The lines of `flash info` that start with `prefix`.
fn info_lines(args: &[&str], prefix: &str) -> Vec<String> {
    let mut all = vec!["info"];
    all.extend(args);
    ok(&all)
        .lines()
        .filter(|l| l.starts_with(prefix))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn info_lists_the_mesh_layout_and_the_chosen_device_count() {
    let mesh = info_lines(&["--mesh", "data=2,model=2"], "");
    let from = mesh
        .iter()
        .position(|l| l.starts_with("mesh:"))
        .expect("a mesh line");
    assert_eq!(
        mesh[from..from + 5],
        [
            "mesh: data=2, model=2 (4 devices)",
            "data=0 model=0: device 0",
            "data=0 model=1: device 1",
            "data=1 model=0: device 2",
            "data=1 model=1: device 3",
        ]
    );
    let two = info_lines(&["--cpu-devices", "2"], "device ");
    assert_eq!(
        two,
        [
            "device 0: cpu (CpuDevice(id=0))",
            "device 1: cpu (CpuDevice(id=1))"
        ]
    );
    assert_eq!(info_lines(&[], "device ").len(), 4);
    assert!(info_lines(&[], "mesh:").is_empty());
}

/// `flash train` of the run model for one step into a scratch folder, with `extra` flags
/// (a later `--batch` is refused by clap, so the batch is among them).
fn train_args(extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "train".to_string(),
        "--config".into(),
        s(&dir().join("model.json")),
        "--data".into(),
        s(&dir().join("data.txt")),
        "--seq-len".into(),
        "16".into(),
        "--steps".into(),
        "1".into(),
        "--out".into(),
        s(&dir().join("refused")),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    args
}

/// Asserts that `flash args` (with the environment variable `env`, if any) fails with exit
/// `code` and one clear message (`error:` first, no panic) naming each of `needles`.
fn assert_refused(args: &[String], env: Option<(&str, &str)>, code: i32, needles: &[&str]) {
    let mut command = cli_support::flash_command();
    command.args(args);
    if let Some((key, value)) = env {
        command.env(key, value);
    }
    let out = command.output().expect("run flash");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "{args:?}: {stderr:?} lacks {needle:?}"
        );
    }
}

#[test]
fn bad_meshes_and_device_counts_are_one_clear_error_each() {
    let batch4 = ["--batch", "4"];
    let cases: [(&[&str], i32, &[&str]); 9] = [
        (
            &["--mesh", "data=8"],
            1,
            &["data=8 needs 8 devices", "has 4", "--cpu-devices"],
        ),
        (
            &["--cpu-devices", "2", "--mesh", "data=4"],
            1,
            &["needs 4 devices", "has 2"],
        ),
        (
            &["--mesh", "pipe=2"],
            2,
            &["unknown mesh axis `pipe`", "data, model"],
        ),
        (
            &["--mesh", "data"],
            2,
            &["`data` is not `axis=size`", "data=4"],
        ),
        (
            &["--mesh", "data=x"],
            2,
            &["size `x` of axis `data`", "whole number"],
        ),
        (&["--mesh", "data=0"], 2, &["size 0", "at least 1"]),
        (&["--shard-optimizer"], 2, &["--mesh"]),
        (
            &["--cpu-devices", "0"],
            2,
            &["'0' for '--cpu-devices", "1..="],
        ),
        (
            &["--mesh", "model=3"],
            1,
            &["cannot be split over model=3", "multiple of 3"],
        ),
    ];
    for (flags, code, needles) in cases {
        assert_refused(
            &train_args(&[&batch4[..], flags].concat()),
            None,
            code,
            needles,
        );
    }
    assert_refused(
        &train_args(&["--batch", "6", "--mesh", "data=4"]),
        None,
        1,
        &[
            "--batch",
            "size 6 cannot be split over data=4",
            "multiple of 4",
        ],
    );
    assert_refused(
        &train_args(&batch4),
        Some(("FLASH_CPU_DEVICES", "banana")),
        1,
        &["FLASH_CPU_DEVICES=\"banana\"", "whole number"],
    );
    let decode = [
        "compile",
        "--preset",
        "flash-tiny",
        "--decode",
        "--mesh",
        "data=2",
        "--output",
    ]
    .iter()
    .map(|a| a.to_string())
    .chain([s(&dir().join("decode.mlir"))])
    .collect::<Vec<_>>();
    assert_refused(&decode, None, 1, &["--mesh", "--decode"]);
    assert!(!dir()
        .join("refused")
        .join("checkpoint.safetensors")
        .exists());
}
