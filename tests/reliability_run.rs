//! Run folders under stress, on the real XLA CPU plugin: SIGINT/SIGTERM during `flash train`
//! (checkpoint, exit 130/143, `--resume` continues; a second signal exits at once), `kill -9`
//! then `--resume`, the folder lock (a second run refused naming the holder's pid, a stale
//! lock ignored), `--overwrite` replacing the old run only once the new one has a checkpoint,
//! per-tensor checksums (a flipped byte names its tensor; the same run writes the same bytes),
//! leftover temporaries removed, and `--resume` with other data refused.

mod cli_support;

use cli_support::{fails, flash, flash_command, ok, temp_dir, with_test_cache};
use flash::safetensors_io::{read_tensors, write_tensors};
use flash::train::folder::{LOCK_FILE, STAGING_DIR};
use flash::train::metrics::read_metrics;
use flash::train::Checkpoint;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const CONFIG: &str = r#"{"kind": "flash", "width": 32, "layers": 1, "shared": 16, "chunk": 16}"#;

/// Steps no test waits for: a run this long ends only by a signal or a kill.
const ENDLESS: &str = "1000000";

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// A fresh folder with the config and two different texts.
fn setup(name: &str) -> PathBuf {
    let dir = temp_dir(&format!("rel-run-{name}"));
    std::fs::write(dir.join("model.json"), CONFIG).unwrap();
    std::fs::write(dir.join("data.txt"), "abcdefghij\n".repeat(400)).unwrap();
    std::fs::write(dir.join("other.txt"), "zyxwvutsrq\n".repeat(400)).unwrap();
    dir
}

/// `train --config model.json --data data.txt --seq-len 16 --batch 2 --out DIR/run`, then `extra`.
fn train_args(dir: &Path, extra: &[&str]) -> Vec<String> {
    train_args_at(dir, &dir.join("run"), extra)
}

/// [`train_args`] with the config and data of `inputs` and `--out OUT`.
fn train_args_at(inputs: &Path, out: &Path, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = ["train", "--config"].map(String::from).to_vec();
    a.push(s(&inputs.join("model.json")));
    a.extend(["--data".into(), s(&inputs.join("data.txt"))]);
    a.extend(["--seq-len", "16", "--batch", "2", "--out"].map(String::from));
    a.push(s(out));
    a.extend(extra.iter().map(|x| x.to_string()));
    a
}

/// `flash resume DIR/run --data FILE` and `extra`.
fn resume_args(dir: &Path, data: &str, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = vec!["train".into(), "--resume".into(), s(&dir.join("run"))];
    a.extend(["--data".into(), s(&dir.join(data))]);
    a.extend(extra.iter().map(|x| x.to_string()));
    a
}

/// Starts `flash` with `args`, its output captured.
fn spawn(args: &[String]) -> Child {
    flash_command()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start flash")
}

/// Waits (at most two minutes) until `metrics` holds a record.
fn wait_for_a_record(child: &mut Child, metrics: &Path) {
    let began = Instant::now();
    while read_metrics(metrics).unwrap().is_empty() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("flash ended ({status}) before logging a step");
        }
        assert!(began.elapsed() < Duration::from_secs(120), "no step logged");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `signal` (`INT`, `TERM`) to `child`.
fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits for `child`; its status and stderr.
fn finish(child: Child) -> (ExitStatus, String) {
    let out = child.wait_with_output().unwrap();
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The step of the checkpoint in `run`.
fn checkpoint_step(run: &Path) -> u64 {
    Checkpoint::load(run).unwrap().step
}

/// Steps of the records of `run/metrics.jsonl`.
fn logged_steps(run: &Path) -> Vec<u64> {
    let records = read_metrics(&run.join("metrics.jsonl")).unwrap();
    records.iter().map(|r| r.step).collect()
}

#[test]
fn sigint_saves_a_checkpoint_exits_130_and_resume_continues_while_the_folder_is_locked() {
    let dir = setup("sigint");
    let run = dir.join("run");
    let endless = ["--steps", ENDLESS, "--eval-every", "0", "--log-every", "1"];
    let mut child = spawn(&train_args(&dir, &endless));
    wait_for_a_record(&mut child, &run.join("metrics.jsonl"));
    // A second run of the same folder while the first holds it.
    let err = fails(&train_args(&dir, &["--steps", "3", "--overwrite"]));
    assert!(
        err.contains(&format!("in use by process {}", child.id())),
        "{err}"
    );
    assert!(err.contains(&s(&run)), "{err}");
    signal(&child, "INT");
    let (status, stderr) = finish(child);
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("stopped by SIGINT"), "{stderr}");
    assert!(
        stderr.contains(&format!("flash train --resume {}", s(&run))),
        "{stderr}"
    );
    let step = checkpoint_step(&run);
    assert_eq!(logged_steps(&run), (1..=step).collect::<Vec<_>>());
    assert!(run.join("loss.png").is_file(), "the plot is drawn");
    let target = (step + 3).to_string();
    ok(&resume_args(
        &dir,
        "data.txt",
        &["--steps", &target, "--log-every", "1"],
    ));
    assert_eq!(checkpoint_step(&run), step + 3);
    assert_eq!(logged_steps(&run), (1..=step + 3).collect::<Vec<_>>());
}

#[test]
fn sigterm_saves_a_checkpoint_and_exits_143() {
    let dir = setup("sigterm");
    let run = dir.join("run");
    let endless = ["--steps", ENDLESS, "--eval-every", "0", "--log-every", "1"];
    let mut child = spawn(&train_args(&dir, &endless));
    wait_for_a_record(&mut child, &run.join("metrics.jsonl"));
    signal(&child, "TERM");
    let (status, stderr) = finish(child);
    assert_eq!(status.code(), Some(143), "{stderr}");
    assert!(stderr.contains("stopped by SIGTERM"), "{stderr}");
    assert!(checkpoint_step(&run) >= 1);
}

#[test]
fn a_second_signal_exits_at_once_without_the_final_save() {
    let dir = setup("twice");
    let run = dir.join("run");
    // Hundreds of validation batches: the final evaluation takes far longer than two kills.
    let slow_stop = [
        "--steps",
        ENDLESS,
        "--eval-every",
        "0",
        "--log-every",
        "1",
        "--eval-batches",
        "400",
    ];
    let mut child = spawn(&train_args(&dir, &slow_stop));
    wait_for_a_record(&mut child, &run.join("metrics.jsonl"));
    signal(&child, "INT");
    signal(&child, "INT");
    let (status, stderr) = finish(child);
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(!stderr.contains("stopped by"), "{stderr}");
    assert!(!run.join("checkpoint.safetensors").exists());
}

#[test]
fn kill_9_then_resume_continues_from_the_last_checkpoint() {
    let dir = setup("kill9");
    let run = dir.join("run");
    let endless = ["--steps", ENDLESS, "--eval-every", "2", "--log-every", "1"];
    let mut child = spawn(&train_args(&dir, &endless));
    let began = Instant::now();
    while !run.join("checkpoint.safetensors").exists() {
        assert!(began.elapsed() < Duration::from_secs(120), "no checkpoint");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    let _ = finish(child);
    let step = checkpoint_step(&run);
    let target = (step + 2).to_string();
    ok(&resume_args(
        &dir,
        "data.txt",
        &["--steps", &target, "--log-every", "1"],
    ));
    assert_eq!(checkpoint_step(&run), step + 2);
    assert_eq!(logged_steps(&run), (1..=step + 2).collect::<Vec<_>>());
}

#[test]
fn a_folder_locked_by_a_live_process_is_refused_and_a_stale_lock_file_is_not() {
    let dir = setup("lock");
    let run = dir.join("run");
    std::fs::create_dir_all(&run).unwrap();
    let lock = std::fs::File::create(run.join(LOCK_FILE)).unwrap();
    lock.try_lock().unwrap();
    std::fs::write(run.join(LOCK_FILE), std::process::id().to_string()).unwrap();
    let err = fails(&train_args(&dir, &["--steps", "2"]));
    assert!(
        err.contains(&format!("in use by process {}", std::process::id())),
        "{err}"
    );
    assert!(!run.join("checkpoint.safetensors").exists());
    drop(lock);
    // The file is left with a pid, but no process holds the lock any more.
    std::fs::write(run.join(LOCK_FILE), "999999999").unwrap();
    ok(&train_args(&dir, &["--steps", "2"]));
    assert_eq!(checkpoint_step(&run), 2);
}

/// The bytes of the run files of `run`.
fn run_files(run: &Path) -> Vec<(String, Vec<u8>)> {
    ["checkpoint.safetensors", "metrics.jsonl", "loss.png"]
        .iter()
        .map(|f| (f.to_string(), std::fs::read(run.join(f)).unwrap()))
        .collect()
}

#[test]
fn a_killed_overwrite_leaves_the_old_run_intact_and_a_finished_one_replaces_it() {
    let dir = setup("overwrite");
    let run = dir.join("run");
    ok(&train_args(&dir, &["--steps", "5", "--log-every", "1"]));
    let old = run_files(&run);
    let endless = [
        "--steps",
        ENDLESS,
        "--eval-every",
        "0",
        "--log-every",
        "1",
        "--overwrite",
    ];
    let mut child = spawn(&train_args(&dir, &endless));
    wait_for_a_record(&mut child, &run.join(STAGING_DIR).join("metrics.jsonl"));
    child.kill().unwrap();
    let _ = finish(child);
    assert_eq!(run_files(&run), old, "the old run is unchanged");
    assert_eq!(checkpoint_step(&run), 5);
    ok(&train_args(
        &dir,
        &["--steps", "2", "--log-every", "1", "--overwrite"],
    ));
    assert_eq!(checkpoint_step(&run), 2);
    assert_eq!(logged_steps(&run), vec![1, 2]);
    assert!(!run.join(STAGING_DIR).exists());
}

#[test]
fn leftover_temporaries_and_staging_folders_are_removed_at_the_next_run() {
    let dir = setup("leftovers");
    let run = dir.join("run");
    std::fs::create_dir_all(run.join(STAGING_DIR)).unwrap();
    std::fs::write(run.join(STAGING_DIR).join("metrics.jsonl"), "{}").unwrap();
    let leftovers = [
        ".checkpoint.safetensors.tmp4242",
        ".metrics.jsonl.tmp7",
        ".loss.tmp9.png",
    ];
    for f in leftovers {
        std::fs::write(run.join(f), "partial").unwrap();
    }
    std::fs::write(run.join("notes.txt"), "mine").unwrap();
    ok(&train_args(&dir, &["--steps", "2"]));
    for f in leftovers {
        assert!(!run.join(f).exists(), "{f} is left");
    }
    assert!(!run.join(STAGING_DIR).exists());
    assert!(run.join("notes.txt").exists(), "other files are kept");
}

/// Flips one byte inside tensor `name`'s data in the checkpoint of `run`.
fn flip_a_byte_of(run: &Path, name: &str) {
    let path = run.join("checkpoint.safetensors");
    let mut bytes = std::fs::read(&path).unwrap();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + header_len]).unwrap();
    let start = header[name]["data_offsets"][0].as_u64().unwrap() as usize;
    bytes[8 + header_len + start] ^= 0x40;
    std::fs::write(&path, bytes).unwrap();
}

#[test]
fn checkpoints_are_byte_reproducible_and_a_flipped_byte_names_its_tensor() {
    let (a, b) = (setup("repro-a"), setup("repro-b"));
    // The same config and data paths for both (they are part of the checkpoint's metadata).
    let inputs = setup("repro-inputs");
    ok(&train_args_at(&inputs, &a.join("run"), &["--steps", "3"]));
    ok(&train_args_at(&inputs, &b.join("run"), &["--steps", "3"]));
    let read = |d: &Path| std::fs::read(d.join("run/checkpoint.safetensors")).unwrap();
    assert!(
        read(&a) == read(&b),
        "two identical runs wrote different checkpoints"
    );
    let tensor = read_tensors(&a.join("run/checkpoint.safetensors")).unwrap()[0]
        .0
        .clone();
    flip_a_byte_of(&a.join("run"), &tensor);
    let err = fails(&resume_args(&a, "data.txt", &["--steps", "4"]));
    assert!(
        err.contains(&format!(
            "tensor {tensor:?} does not match its recorded sha256"
        )),
        "{err}"
    );
}

#[test]
fn a_checkpoint_without_checksums_still_loads() {
    let dir = setup("old-format");
    ok(&train_args(&dir, &["--steps", "2"]));
    let path = dir.join("run/checkpoint.safetensors");
    let bytes = std::fs::read(&path).unwrap();
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let mut metadata = meta.metadata().clone().unwrap();
    assert!(metadata.remove("tensor_sha256").is_some());
    assert!(metadata.remove("data").is_some());
    write_tensors(&path, &read_tensors(&path).unwrap(), Some(metadata)).unwrap();
    let ckpt = Checkpoint::load(&dir.join("run")).unwrap();
    assert_eq!((ckpt.step, ckpt.data), (2, None));
    ok(&resume_args(&dir, "other.txt", &["--steps", "3"]));
}

#[test]
fn resume_with_other_data_is_refused_naming_both_files_unless_new_data_is_given() {
    let dir = setup("other-data");
    ok(&train_args(&dir, &["--steps", "2"]));
    let err = fails(&resume_args(&dir, "other.txt", &["--steps", "3"]));
    assert!(err.contains(&s(&dir.join("other.txt"))), "{err}");
    assert!(err.contains(&s(&dir.join("data.txt"))), "{err}");
    assert!(err.contains("--new-data"), "{err}");
    assert_eq!(
        checkpoint_step(&dir.join("run")),
        2,
        "the refused resume wrote nothing"
    );
    // The same bytes under another name are the same data.
    std::fs::copy(dir.join("data.txt"), dir.join("moved.txt")).unwrap();
    ok(&resume_args(&dir, "moved.txt", &["--steps", "3"]));
    ok(&resume_args(
        &dir,
        "other.txt",
        &["--steps", "4", "--new-data"],
    ));
    assert_eq!(checkpoint_step(&dir.join("run")), 4);
    let out = flash(&["train", "--data", "x.txt", "--steps", "1", "--new-data"]);
    assert!(!out.status.success(), "--new-data needs --resume");
}

#[test]
fn a_file_size_limit_during_a_checkpoint_write_is_an_error_and_keeps_the_last_checkpoint() {
    let dir = setup("fsize");
    let run = dir.join("run");
    ok(&train_args(&dir, &["--steps", "2"]));
    let before = std::fs::read(run.join("checkpoint.safetensors")).unwrap();
    // 100 blocks of 512 bytes: less than a checkpoint, so its write fails (SIGXFSZ, EFBIG).
    let out = with_test_cache(&mut Command::new("sh"))
        .arg("-c")
        .arg("ulimit -f 100; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_flash"))
        .args(resume_args(&dir, "data.txt", &["--steps", "4"]))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("checkpoint.safetensors: File too large"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(run.join("checkpoint.safetensors")).unwrap(),
        before
    );
    let names: Vec<String> = std::fs::read_dir(&run)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains(".tmp")), "{names:?}");
}
