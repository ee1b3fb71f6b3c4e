//! A command never destroys its own input (RELIABILITY.md, second round, class 1): an output
//! path that is one of the command's input files (by name, through a link or a hard link, or
//! as `/dev/stdin`), or a folder output that holds an input, is refused before any work, and
//! the input is left byte for byte as it was. And no input makes a command hang (class 4):
//! `bench --from-json --plot` of a record it cannot draw ends at once with the file and record.

mod cli_support;

use cli_support::{fails, flash_command, temp_dir};
use std::fs;
use std::path::Path;
use std::process::Stdio;

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// Runs `args`, which must fail naming `needle`; `input` must keep `content`.
fn refused(args: &[String], needle: &str, input: &Path, content: &[u8]) {
    let err = fails(args);
    assert!(
        err.contains(needle),
        "{args:?}: expected {needle:?} in {err}"
    );
    assert!(err.contains("would destroy that input"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        fs::read(input).unwrap() == content,
        "{args:?} changed {input:?}"
    );
}

#[test]
fn tokenizer_train_refuses_to_write_over_its_training_text() {
    let dir = temp_dir("in-tok");
    let text = dir.join("t.txt");
    fs::write(&text, "hello world\n".repeat(20)).unwrap();
    let link = dir.join("link.txt");
    std::os::unix::fs::symlink(&text, &link).unwrap();
    for out in [&text, &link] {
        let args = [
            "tokenizer",
            "train",
            "--vocab",
            "260",
            "--data",
            &s(&text),
            "-o",
            &s(out),
        ];
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        refused(
            &args,
            "is the input --data",
            &text,
            &fs::read(&text).unwrap(),
        );
    }
}

#[test]
fn compile_refuses_to_write_over_its_graph_also_through_stdin_and_a_hard_link() {
    let dir = temp_dir("in-compile");
    let graph = dir.join("x.fir");
    let content = b"not even IR, but the user's only copy\n";
    fs::write(&graph, content).unwrap();
    let args = |input: &str, out: &Path| vec!["compile".into(), input.into(), "-o".into(), s(out)];
    refused(&args(&s(&graph), &graph), "-o", &graph, content);
    let hard = dir.join("hard.fir");
    fs::hard_link(&graph, &hard).unwrap();
    refused(
        &args(&s(&graph), &hard),
        "is the input GRAPH",
        &graph,
        content,
    );
    let out = flash_command()
        .args(args("/dev/stdin", &graph))
        .stdin(Stdio::from(fs::File::open(&graph).unwrap()))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.starts_with("error: "), "{err}");
    assert!(err.contains("is the input GRAPH /dev/stdin"), "{err}");
    assert_eq!(fs::read(&graph).unwrap(), content);
}

#[test]
fn compile_and_init_refuse_to_write_over_their_config() {
    let dir = temp_dir("in-config");
    let config = dir.join("model.json");
    let content = br#"{"kind": "flash", "width": 32, "layers": 1, "shared": 16, "chunk": 16}"#;
    fs::write(&config, content).unwrap();
    for command in ["compile", "init"] {
        let args: Vec<String> = [command, "--config", &s(&config), "-o", &s(&config)]
            .iter()
            .map(|a| a.to_string())
            .collect();
        refused(&args, "is the input --config", &config, content);
    }
}

#[test]
fn run_refuses_to_write_its_outputs_over_its_program_or_inputs() {
    let dir = temp_dir("in-run");
    let program = dir.join("p.mlir");
    let content = b"func.func @main() -> () { return }\n";
    fs::write(&program, content).unwrap();
    let args: Vec<String> = ["run", &s(&program), "--random", "--output", &s(&program)]
        .iter()
        .map(|a| a.to_string())
        .collect();
    refused(&args, "is the input PROGRAM", &program, content);
    let inputs = dir.join("in.safetensors");
    fs::write(&inputs, b"tensors").unwrap();
    let args: Vec<String> = ["run", &s(&program), "--inputs", &s(&inputs)]
        .iter()
        .chain(&["--output", &s(&inputs)])
        .map(|a| a.to_string())
        .collect();
    refused(&args, "is the input --inputs", &inputs, b"tensors");
}

#[test]
fn bench_from_json_refuses_to_write_over_the_records_it_reads() {
    let dir = temp_dir("in-bench");
    let records = dir.join("r.json");
    fs::write(&records, b"[]").unwrap();
    let args: Vec<String> = ["bench", "--from-json", &s(&records), "--json", &s(&records)]
        .iter()
        .map(|a| a.to_string())
        .collect();
    refused(&args, "is the input --from-json", &records, b"[]");
}

#[test]
fn data_prepare_refuses_a_folder_that_holds_its_data() {
    let dir = temp_dir("in-prepare");
    let ds = dir.join("ds");
    fs::create_dir(&ds).unwrap();
    let bin = ds.join("train.bin");
    fs::write(&bin, b"\x01\x00\x02\x00").unwrap();
    let args: Vec<String> = ["data", "prepare", "--data", &s(&bin), "-o", &s(&ds)]
        .iter()
        .map(|a| a.to_string())
        .collect();
    refused(&args, "holds the input --data", &bin, b"\x01\x00\x02\x00");
}

#[test]
fn bench_replot_of_a_record_with_seq_len_0_ends_naming_the_file_and_record() {
    let dir = temp_dir("in-replot");
    let (json, png) = (dir.join("r.json"), dir.join("r.png"));
    let record = r#"{"model": "flash", "workload": "train", "seq_len": 0, "batch": 16,
        "layers": 4, "width": 256, "expansion": 2, "shared": 128, "chunk": 256,
        "params": 1, "reps": 3, "median_s": 0.25, "min_s": 0.24, "flops": 1,
        "elementwise_flops": 1, "reduce_flops": 1, "formula_flops": 1, "flops_per_s": 4,
        "peak_flops_per_s": null, "peak_fraction": null, "best_peak_fraction": null,
        "xla_compile_s": 1.5, "our_compile_s": 0.1, "memory": null, "platform": "cpu"}"#;
    fs::write(&json, format!("[{record}]")).unwrap();
    let start = std::time::Instant::now();
    let err = fails(&["bench", "--from-json", &s(&json), "--plot", &s(&png)]);
    assert!(start.elapsed().as_secs() < 30, "took {:?}", start.elapsed());
    let want = format!(
        "error: {}: record 0 (\"flash\", T = 0): batch 16 and seq_len 0",
        s(&json)
    );
    assert!(err.starts_with(&want), "{err}");
    assert!(!png.exists());
}

#[test]
fn data_prepare_may_reuse_the_tokenizer_of_the_folder_it_replaces() {
    let dir = temp_dir("in-retok");
    let (text, tok, ds) = (dir.join("t.txt"), dir.join("tok.json"), dir.join("ds"));
    fs::write(&text, "hello world, hello there\n".repeat(40)).unwrap();
    let train = [
        "tokenizer",
        "train",
        "--vocab",
        "270",
        "--data",
        &s(&text),
        "-o",
        &s(&tok),
    ];
    cli_support::ok(&train);
    let prepare = |tokenizer: &Path| {
        let args = [
            "data",
            "prepare",
            "--data",
            &s(&text),
            "--tokenizer",
            &s(tokenizer),
        ];
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args.extend(["-o".to_string(), s(&ds)]);
        cli_support::ok(&args);
        fs::read_to_string(ds.join("meta.json")).unwrap()
    };
    let first = prepare(&tok);
    // The folder's own tokenizer is read before the folder is replaced.
    assert_eq!(prepare(&ds.join("tokenizer.json")), first);
}
