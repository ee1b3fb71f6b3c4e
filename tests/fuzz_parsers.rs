//! Fuzzing every parser of untrusted input (issue 10, "Also"): the IR text form, model
//! configs (TOML and JSON), safetensors files and training checkpoints, and the StableHLO
//! signature reader, the environment's values (every `FLASH_*` variable and `XLA_FLAGS`,
//! through the readers and through the `flash` binary), and the records `bench --from-json`
//! reads and plots (issue 23: each case must also end within a time bound). Inputs are mutations of real printed/written artefacts (deleted, inserted
//! and overwritten bytes, huge numbers spliced in) plus random bytes; each parser must return
//! `Ok` or `Err`, never panic. `FLASH_FUZZ_CASES` (default 256 per target, under a minute in
//! all) sets the budget; RELIABILITY.md records a long run.

mod cli_support;

use flash::compiler::compile;
use flash::config::ModelConfig;
use flash::ir::{parse_graph, print_graph};
use flash::ir::{DType, TensorType};
use flash::mlir_signature::{parse_signature, Argument, Signature};
use flash::models::{build_lm, init_params, param_specs, BuildOptions, Mode};
use flash::passes::PipelineOptions;
use flash::runtime::env::{parse_switch, parse_whole_number, parse_xla_flags};
use flash::runtime::XlaLog;
use flash::safetensors_io::{read_tensors, write_tensors};
use flash::train::checkpoint::{checkpoint_path, Checkpoint, FORMAT};
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

/// Cases per target: `FLASH_FUZZ_CASES`, else 256.
fn config() -> Config {
    let cases = std::env::var("FLASH_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Numbers that stress size arithmetic, spliced in by [`Edit::Number`].
const NUMBERS: [&str; 6] = [
    "18446744073709551616",
    "9223372036854775807",
    "2147483647",
    "1000000000000",
    "-1",
    "0",
];

/// One mutation of an input.
#[derive(Clone, Debug)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Overwrite(usize, Vec<u8>),
    Number(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let bytes = prop::collection::vec(any::<u8>(), 1..12);
    prop_oneof![
        (any::<usize>(), 1usize..64).prop_map(|(p, n)| Edit::Delete(p, n)),
        (any::<usize>(), bytes.clone()).prop_map(|(p, b)| Edit::Insert(p, b)),
        (any::<usize>(), bytes).prop_map(|(p, b)| Edit::Overwrite(p, b)),
        (any::<usize>(), 0..NUMBERS.len()).prop_map(|(p, i)| Edit::Number(p, i)),
    ]
}

/// `base` with `edits` applied in order (positions taken modulo the current length).
fn mutate(base: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut out = base.to_vec();
    for e in edits {
        let at = |p: usize, len: usize| if len == 0 { 0 } else { p % (len + 1) };
        match e {
            Edit::Delete(p, n) => {
                let start = at(*p, out.len());
                let end = (start + n).min(out.len());
                out.drain(start..end);
            }
            Edit::Insert(p, b) => {
                let i = at(*p, out.len());
                out.splice(i..i, b.iter().copied());
            }
            Edit::Overwrite(p, b) => {
                let i = at(*p, out.len());
                for (k, &byte) in b.iter().enumerate() {
                    if let Some(slot) = out.get_mut(i + k) {
                        *slot = byte;
                    }
                }
            }
            Edit::Number(p, n) => {
                let i = at(*p, out.len());
                out.splice(i..i, NUMBERS[*n].bytes());
            }
        }
    }
    out
}

/// A mutated copy of `base`, or random bytes one time in eight.
fn input(base: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        7 => prop::collection::vec(edit(), 1..6).prop_map(move |e| mutate(base, &e)),
        1 => prop::collection::vec(any::<u8>(), 0..512),
    ]
}

/// A flash-tiny loss graph at T = 8, printed (its text has every layer's ops).
fn printed_graph() -> &'static [u8] {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let cfg = ModelConfig::preset("flash-tiny").unwrap();
        let opts = BuildOptions {
            batch: 1,
            seq_len: 8,
            mode: Mode::Lm,
            forward: true,
        };
        print_graph(&build_lm(&cfg, &opts).unwrap())
    })
    .as_bytes()
}

/// The StableHLO our compiler emits for a small graph.
fn emitted_mlir() -> &'static [u8] {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let text = "graph @main {\n  %x = parameter {index = 0, name = \"x\"} : f32[2,3]\n  \
                    %y = exp(%x) : f32[2,3]\n  return %y\n}\n";
        let g = parse_graph(text).unwrap();
        compile(g, &PipelineOptions::default()).unwrap().mlir
    })
    .as_bytes()
}

/// flash-tiny's config as JSON and as TOML.
fn config_texts() -> &'static (String, String) {
    static TEXTS: OnceLock<(String, String)> = OnceLock::new();
    TEXTS.get_or_init(|| {
        let cfg = ModelConfig::preset("flash-tiny").unwrap();
        (
            serde_json::to_string(&cfg).unwrap(),
            toml::to_string(&cfg).unwrap(),
        )
    })
}

/// A scratch folder for this process.
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flash-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A checkpoint-shaped safetensors file: two tensors and the checkpoint's metadata keys.
fn checkpoint_bytes() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let cfg = ModelConfig::preset("flash-tiny").unwrap();
        let specs = param_specs(&cfg).unwrap();
        let tensors = init_params(&specs[..2], 0);
        let meta = HashMap::from([
            ("format".to_string(), FORMAT.to_string()),
            ("step".to_string(), "3".to_string()),
            ("model".to_string(), "flash-tiny".to_string()),
            ("config".to_string(), serde_json::to_string(&cfg).unwrap()),
            ("settings".to_string(), "{}".to_string()),
            ("tokenizer_sha256".to_string(), "bytes".to_string()),
        ]);
        let path = scratch().join("base.safetensors");
        write_tensors(&path, &tensors, Some(meta)).unwrap();
        std::fs::read(path).unwrap()
    })
}

/// Values the environment takes, the bases of the fuzzed environment values.
const ENV_BASES: [&str; 6] = [
    "1",
    "off",
    "4096",
    " 64 ",
    "info",
    "--xla_dump_to=/tmp/x --xla_b",
];

/// The variables flash reads, fuzzed through the binary.
const ENV_NAMES: [&str; 8] = [
    "FLASH_CACHE",
    "FLASH_CACHE_LOG",
    "FLASH_CACHE_MAX_MB",
    "FLASH_OFFLINE",
    "FLASH_KEEP_HOST_MEMORY",
    "FLASH_CPU_DEVICES",
    "FLASH_XLA_LOG",
    "XLA_FLAGS",
];

/// A mutated environment value (NUL bytes, which no variable can hold, removed).
fn env_value() -> impl Strategy<Value = String> {
    prop::sample::select(ENV_BASES.to_vec())
        .prop_flat_map(|base| input(base.as_bytes()))
        .prop_map(|bytes| String::from_utf8_lossy(&bytes).replace('\0', ""))
}

/// A few cases of the binary per run: each starts a process.
fn binary_config() -> Config {
    let base = config();
    Config {
        cases: (base.cases / 8).max(4),
        ..base
    }
}

proptest! {
    #![proptest_config(binary_config())]

    #[test]
    fn flash_takes_or_refuses_every_environment_value_in_one_line(
        name in prop::sample::select(ENV_NAMES.to_vec()),
        value in env_value(),
    ) {
        let out = cli_support::flash_command()
            .args(["params", "--preset", "flash-tiny"])
            .env(name, &value)
            .output()
            .unwrap();
        let e = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            prop_assert_eq!(out.status.code(), Some(1), "{}={:?}: {}", name, value, e);
            prop_assert!(e.starts_with("error: ") && e.lines().count() == 1, "{}", e);
            prop_assert!(e.contains(name), "{}", e);
        }
    }
}

/// The element types of generated signatures.
const DTYPES: [DType; 4] = [DType::F32, DType::BF16, DType::I32, DType::Bool];

fn tensor_type() -> impl Strategy<Value = TensorType> {
    (0..DTYPES.len(), prop::collection::vec(1usize..6, 0..3))
        .prop_map(|(d, shape)| TensorType::new(DTYPES[d], shape))
}

/// Names with the characters a string literal must escape.
fn name() -> impl Strategy<Value = String> {
    "[a-z0-9_\\\\\"\n ()>{},:=/]{0,8}"
}

fn argument() -> impl Strategy<Value = Argument> {
    let bound = prop::option::of(any::<u64>());
    (tensor_type(), prop::option::of(name()), bound).prop_map(|(ty, name, bound)| Argument {
        ty,
        name,
        bound,
    })
}

fn signature() -> impl Strategy<Value = Signature> {
    let args = prop::collection::vec(argument(), 0..4);
    let results = prop::collection::vec(tensor_type(), 0..3);
    (args, results).prop_map(|(args, results)| Signature { args, results })
}

/// How a generated program hides decoys around its signature.
#[derive(Clone, Debug)]
struct Noise {
    /// Texts of `//` comments (no newline) and string attributes (any characters).
    texts: Vec<String>,
    /// `func.func public @main` rather than `func.func @main`.
    public: bool,
    /// Give names as `loc("name")` rather than `flash.name`.
    loc_names: bool,
}

fn noise() -> impl Strategy<Value = Noise> {
    let text = prop_oneof![
        Just("func.func @main(%d: tensor<7xi8>) -> tensor<7xi8> {".to_string()),
        Just("flash.name = \"decoy\", flash.bound = 3 : i64}".to_string()),
        "[ -~]{0,24}",
    ];
    (
        prop::collection::vec(text, 4..8),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(texts, public, loc_names)| Noise {
            texts,
            public,
            loc_names,
        })
}

/// An MLIR string literal of `s`.
fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for b in s.bytes() {
        match b {
            b'"' | b'\\' => out.extend(['\\', b as char]),
            b' '..=b'~' => out.push(b as char),
            _ => out.push_str(&format!("\\{b:02X}")),
        }
    }
    out + "\""
}

/// The MLIR spelling of a tensor type.
fn mlir_type(t: &TensorType) -> String {
    let dims: String = t.shape.iter().map(|d| format!("{d}x")).collect();
    format!("tensor<{dims}{}>", t.dtype.mlir_name())
}

impl Noise {
    /// Noise text `i` (cycled).
    fn text(&self, i: usize) -> &str {
        &self.texts[i % self.texts.len()]
    }

    /// A `//` comment of text `i` with its newline (newlines of the text dropped).
    fn comment(&self, i: usize) -> String {
        format!(" // {}\n", self.text(i).replace(['\n', '\r'], " "))
    }

    /// Argument `i` with its attributes, a nested dictionary of decoys and a comment.
    fn argument(&self, i: usize, a: &Argument) -> String {
        let mut attrs = vec![format!(
            "meta = {{flash.name = {}, inner = {{flash.bound = 1 : i64, s = {}}}}}",
            quote(self.text(i)),
            quote(self.text(i + 1))
        )];
        if let (Some(name), false) = (&a.name, self.loc_names) {
            attrs.push(format!("flash.name = {}", quote(name)));
        }
        if let Some(b) = a.bound {
            attrs.push(format!("flash.bound = {b} : i64"));
        }
        let loc = match (&a.name, self.loc_names) {
            (Some(name), true) => format!("loc({})", quote(name)),
            _ => "loc(#loc1)".to_string(),
        };
        let ty = mlir_type(&a.ty);
        format!(
            "%a{i}: {ty} {{{}}} {loc}{}",
            attrs.join(", "),
            self.comment(i + 2)
        )
    }

    /// The whole program: decoys, then `@main` with `sig`.
    fn program(&self, sig: &Signature) -> String {
        let args: Vec<String> = sig
            .args
            .iter()
            .enumerate()
            .map(|(i, a)| self.argument(i, a))
            .collect();
        let results: Vec<String> = sig
            .results
            .iter()
            .enumerate()
            .map(|(i, t)| {
                format!(
                    "{} {{jax.result_info = {}}}",
                    mlir_type(t),
                    quote(self.text(i))
                )
            })
            .collect();
        let public = if self.public { "public " } else { "" };
        format!(
            "//{}module @m attributes {{note = {}, nest = {{a = {{b = {}}}}}}} {{\n  \
             func.func private @main_decoy(%h: tensor<3xi8>) -> tensor<3xi8> {{\n    \
             return %h : tensor<3xi8>\n  }}\n  func.func {public}@main({}) -> ({}) {{{}    \
             return\n  }}\n}}\n#loc1 = loc({})\n",
            self.comment(0),
            quote(self.text(1)),
            quote(self.text(2)),
            args.join(","),
            results.join(", "),
            self.comment(3),
            quote(self.text(4)),
        )
    }
}

/// Two bench records (`bench --json`'s form) of two models.
const RECORDS: &str = r#"[
 {"model": "flash", "workload": "train", "seq_len": 512, "batch": 16, "layers": 4,
  "width": 256, "expansion": 2, "shared": 128, "chunk": 256, "params": 1000000, "reps": 3,
  "median_s": 0.25, "min_s": 0.24, "flops": 1000000000, "elementwise_flops": 10,
  "reduce_flops": 10, "formula_flops": 1000000000, "flops_per_s": 4e9,
  "peak_flops_per_s": null, "peak_fraction": null, "best_peak_fraction": null,
  "xla_compile_s": 1.5, "our_compile_s": 0.1, "memory": null, "platform": "cpu"},
 {"model": "transformer++", "workload": "train", "seq_len": 1024, "batch": 8, "layers": 2,
  "width": 256, "expansion": 4, "shared": 0, "chunk": 0, "params": 1000000, "reps": 3,
  "median_s": 1.25, "min_s": 1.2, "flops": 1000000000, "elementwise_flops": 10,
  "reduce_flops": 10, "formula_flops": 1000000000, "flops_per_s": 8e8,
  "peak_flops_per_s": 1e11, "peak_fraction": 0.008, "best_peak_fraction": 0.01,
  "xla_compile_s": 1.5, "our_compile_s": 0.1, "memory": null, "platform": "cpu"}
]"#;

/// Lengths and batches that stress the plot's log axis and the title's product.
const COUNTS: [u64; 6] = [0, 1, 3, 4096, 1 << 40, u64::MAX];
/// Times that stress the time axis (zero, negative, subnormal, huge).
const TIMES: [f64; 8] = [0.0, -1.0, 5e-324, 1e-300, 0.5, 3.0, 1e299, f64::MAX];

/// Records with their lengths, batches and times drawn from [`COUNTS`] and [`TIMES`].
fn drawn_records() -> impl Strategy<Value = Vec<u8>> {
    let one = (
        0..COUNTS.len(),
        0..COUNTS.len(),
        0..TIMES.len(),
        0..TIMES.len(),
        0..3usize,
    );
    prop::collection::vec(one, 0..5).prop_map(|picks| {
        let base: Vec<serde_json::Value> = serde_json::from_str(RECORDS).unwrap();
        let records: Vec<serde_json::Value> = picks
            .into_iter()
            .map(|(t, b, median, min, model)| {
                let mut r = base[model % 2].clone();
                r["seq_len"] = COUNTS[t].into();
                r["batch"] = COUNTS[b].into();
                r["median_s"] = TIMES[median].into();
                r["min_s"] = TIMES[min].into();
                r["model"] = ["flash", "flash-quad", "transformer++"][model].into();
                r
            })
            .collect();
        serde_json::to_vec(&records).unwrap()
    })
}

/// Runs `bench --from-json`'s replot of `bytes` (table and plot) on another thread: it must
/// return within a minute, without a panic.
fn replot_ends(bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let dir = scratch();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (json, png) = (dir.join("records.json"), dir.join("records.png"));
        let text = String::from_utf8_lossy(&bytes);
        let ended = flash::bench::plot::replot(&text, &json, Some(&png)).map(|_| ());
        let _ = tx.send(ended.map_err(|e| e.to_string()));
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(_) => Ok(()),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            Err(TestCaseError::fail("the replot did not end within 60 s"))
        }
        Err(_) => Err(TestCaseError::fail("the replot panicked")),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn bench_records_replot_ends_without_a_panic(
        bytes in prop_oneof![input(RECORDS.as_bytes()), drawn_records()]
    ) {
        replot_ends(bytes)?;
    }

    #[test]
    fn environment_readers_never_panic_and_keep_their_ranges(value in env_value()) {
        let word = value.trim().to_ascii_lowercase();
        let known = ["", "1", "on", "true", "yes", "0", "off", "false", "no"];
        prop_assert_eq!(parse_switch(&value, true).is_some(), known.contains(&word.as_str()));
        if let Ok(Some(n)) = parse_whole_number(&value, &(1..=4096)) {
            prop_assert!((1..=4096).contains(&n) && value.trim().parse::<u64>() == Ok(n));
        }
        let _ = parse_xla_flags(&value);
        let _ = XlaLog::parse(&value);
    }

    #[test]
    fn ir_text_parser_never_panics(bytes in input(printed_graph())) {
        let _ = parse_graph(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn stablehlo_signature_reader_never_panics(bytes in input(emitted_mlir())) {
        let _ = parse_signature(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn stablehlo_signature_reader_reads_the_real_signature_around_decoys(
        sig in signature(),
        noise in noise(),
        edits in prop::collection::vec(edit(), 1..4),
    ) {
        let text = noise.program(&sig);
        prop_assert_eq!(parse_signature(&text), Ok(sig.clone()), "{}", text);
        let _ = parse_signature(&String::from_utf8_lossy(&mutate(text.as_bytes(), &edits)));
    }

    #[test]
    fn json_config_parser_never_panics(bytes in input(config_texts().0.as_bytes())) {
        if let Ok(cfg) = serde_json::from_slice::<ModelConfig>(&bytes) {
            let _ = cfg.validate();
        }
    }

    #[test]
    fn toml_config_parser_never_panics(bytes in input(config_texts().1.as_bytes())) {
        if let Ok(cfg) = toml::from_str::<ModelConfig>(&String::from_utf8_lossy(&bytes)) {
            let _ = cfg.validate();
        }
    }

    #[test]
    fn safetensors_and_checkpoint_readers_never_panic(bytes in input(checkpoint_bytes())) {
        let dir = scratch().join("case");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(checkpoint_path(&dir), &bytes).unwrap();
        let _ = read_tensors(&checkpoint_path(&dir));
        let _ = Checkpoint::load(&dir);
    }
}

/// The records of [`RECORDS`] with the first one's `field` set to `value`.
fn records_with(field: &str, value: serde_json::Value) -> String {
    let mut records: Vec<serde_json::Value> = serde_json::from_str(RECORDS).unwrap();
    records[0][field] = value;
    serde_json::to_string(&records).unwrap()
}

#[test]
fn a_record_with_seq_len_0_or_a_zero_time_is_refused_naming_the_file_and_record() {
    let dir = scratch();
    let (json, png) = (dir.join("zero.json"), dir.join("zero.png"));
    for (field, value, needle) in [
        ("seq_len", 0.into(), "batch 16 and seq_len 0"),
        ("median_s", 0.0.into(), "median_s is 0"),
        ("min_s", (-1.0).into(), "min_s is -1"),
    ] {
        let text = records_with(field, value);
        let err = flash::bench::plot::replot(&text, &json, Some(&png))
            .unwrap_err()
            .to_string();
        let want = format!("{}: record 0 (\"flash\", T = ", json.display());
        assert!(err.starts_with(&want) && err.contains(needle), "{err}");
    }
    assert!(!png.exists(), "no plot drawn from a refused record");
}

#[test]
fn the_plot_itself_refuses_points_it_cannot_draw() {
    let mut records: Vec<flash::bench::record::Record> = serde_json::from_str(RECORDS).unwrap();
    records[0].seq_len = 0;
    let png = scratch().join("unchecked.png");
    let err = flash::bench::plot::plot_latency(&records, &png).unwrap_err();
    assert!(err.to_string().contains("flash at T = 0"), "{err}");
    records[0].seq_len = 512;
    records[1].median_s = f64::NAN;
    let err = flash::bench::plot::plot_latency(&records, &png).unwrap_err();
    assert!(err.to_string().contains("cannot be drawn"), "{err}");
}
