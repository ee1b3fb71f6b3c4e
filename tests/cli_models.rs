//! The model commands end to end: `flash params`, `flash init`, `flash compile --preset`, and
//! `flash run` of the result with parameters and tokens from one safetensors file.

mod cli_support;

use clap::Parser;
use cli_support::{flash, ok};
use flash::ir::{DType, TensorType};
use flash::safetensors_io::{read_tensors, write_tensors};
use flash::tensor::HostTensor;

#[test]
fn params_lists_names_shapes_and_total() {
    let out = ok(&["params", "--preset", "flash-tiny"]);
    assert!(
        out.contains("embed.table") && out.contains("f32[256,128]"),
        "{out}"
    );
    assert!(
        out.contains("layers.3.flash.gamma") && out.contains("f32[4,64]"),
        "{out}"
    );
    assert!(out.lines().last().unwrap().starts_with("total: "), "{out}");
    let err = flash(&["params", "--preset", "flash-huge"]);
    assert!(!err.status.success());
    assert!(String::from_utf8_lossy(&err.stderr).contains("flash-tiny"));
}

#[test]
fn init_compile_and_run_a_model_program() {
    let dir = std::env::temp_dir().join(format!("flash-cli-models-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (params, program, inputs, outputs) = (
        dir.join("params.st"),
        dir.join("lm.mlir"),
        dir.join("inputs.st"),
        dir.join("out.st"),
    );
    let p = |p: &std::path::Path| p.to_str().unwrap().to_string();
    ok(&[
        "init",
        "--preset",
        "flash-tiny",
        "--seed",
        "3",
        "-o",
        &p(&params),
    ]);
    ok(&[
        "compile",
        "--preset",
        "flash-tiny",
        "--seq-len",
        "70",
        "--batch",
        "2",
        "--forward",
        "-o",
        &p(&program),
    ]);
    let mut tensors = read_tensors(&params).unwrap();
    let tokens: Vec<f64> = (0..2 * 71).map(|i| ((i * 37) % 256) as f64).collect();
    tensors.push((
        "tokens".into(),
        HostTensor::from_f64(TensorType::new(DType::I32, vec![2, 71]), &tokens),
    ));
    write_tensors(&inputs, &tensors, None).unwrap();
    ok(&[
        "run",
        &p(&program),
        "--inputs",
        &p(&inputs),
        "--output",
        &p(&outputs),
    ]);
    let out = read_tensors(&outputs).unwrap();
    let loss = out[0].1.to_f64()[0];
    assert!(
        (loss - 256f64.ln()).abs() < 0.2,
        "loss at init {loss} should be near ln 256"
    );
    assert_eq!(
        out[1].1.ty,
        TensorType::new(DType::F32, vec![2, 70, 256]),
        "logits"
    );
}

/// `flash compile --chunk`: the chunked attention's reshapes show C (`[B, G, C, s]`): the
/// preset's 256, the CPU choice of `auto` at T = 2048 (128), the TPU floor (256), a number.
#[test]
fn compile_chunk_flag_sets_the_chunk_size() {
    let dir = std::env::temp_dir().join(format!("flash-cli-chunk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("lm.mlir");
    let compiled = |extra: &[&str]| -> String {
        let mut args = vec!["compile", "--preset", "flash-base", "--seq-len", "2048"];
        args.extend(extra);
        args.extend(["-o", out.to_str().unwrap()]);
        ok(&args);
        std::fs::read_to_string(&out).unwrap()
    };
    let cases: [(&[&str], &str); 4] = [
        (&[], "tensor<1x8x256x128xf32>"),
        (&["--chunk", "auto"], "tensor<1x16x128x128xf32>"),
        (
            &["--chunk", "auto", "--target", "tpu"],
            "tensor<1x8x256x128xf32>",
        ),
        (&["--chunk", "512"], "tensor<1x4x512x128xf32>"),
    ];
    for (extra, shape) in cases {
        let mlir = compiled(extra);
        assert!(mlir.contains(shape), "{extra:?}: no {shape}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    let err = |args: &[&str]| {
        let out = flash(args);
        assert!(!out.status.success(), "{args:?} should fail");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let e = err(&[
        "compile",
        "--preset",
        "transformer++-tiny",
        "--chunk",
        "auto",
        "-o",
        "/tmp/never.mlir",
    ]);
    assert!(e.contains("flash models only"), "{e}");
    let e = err(&[
        "compile",
        "--preset",
        "flash-tiny",
        "--chunk",
        "0",
        "-o",
        "/tmp/never.mlir",
    ]);
    assert!(e.contains("positive chunk size"), "{e}");
}

#[test]
fn bad_model_flags() {
    let out = flash(&[
        "compile",
        "--preset",
        "flash-tiny",
        "--seq-len",
        "0",
        "-o",
        "/tmp/never.mlir",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--seq-len"));
    let out = flash(&["compile", "-o", "/tmp/never.mlir"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a graph file or a model is required"
    );
}

/// Parses a `flash` command line with the CLI's own parser.
fn parse(args: &[&str]) -> flash::cli::Command {
    let argv = std::iter::once("flash").chain(args.iter().copied());
    flash::cli::Cli::try_parse_from(argv).unwrap().command
}

#[test]
fn compile_train_emits_the_step_flash_train_runs_for_the_same_flags() {
    use flash::cli::Command;
    use flash::compiler::compile;
    use flash::config::ModelConfig;
    use flash::passes::PipelineOptions;
    use flash::target::Target;
    use flash::train::build_train_step;

    let dir = cli_support::temp_dir("compile-train");
    let cfg = ModelConfig::preset("flash-tiny").unwrap();
    let common = ["--preset", "flash-tiny", "--seq-len", "32", "--steps", "40"];
    for flags in [
        &[][..],
        &[
            "--batch",
            "2",
            "--lr",
            "0.02",
            "--schedule",
            "inverse-sqrt",
            "--warmup",
            "5",
        ],
        &[
            "--schedule",
            "constant",
            "--adam-eps",
            "1e-9",
            "--clip",
            "0",
            "--weight-decay",
            "0",
        ],
        &["--min-lr", "1e-4", "--schedule-steps", "100"],
    ] {
        let mlir = dir.join("step.mlir");
        let mut compile_args = vec!["compile", "--train", "-o", mlir.to_str().unwrap()];
        compile_args.extend(common.iter().chain(flags));
        ok(&compile_args);
        let emitted = std::fs::read_to_string(&mlir).unwrap();

        let mut train_args = vec!["train", "--data", "unused.txt"];
        train_args.extend(common.iter().chain(flags));
        let Command::Train(train) = parse(&train_args) else {
            panic!("not a train command")
        };
        let Command::Compile(compile_cmd) = parse(&compile_args) else {
            panic!("not a compile command")
        };
        let options = train.new_settings(&cfg).train;
        assert_eq!(compile_cmd.train_options(&cfg), options, "{flags:?}");
        let pipeline = PipelineOptions::for_target(Target::Cpu);
        let program = compile(build_train_step(&cfg, &options).unwrap(), &pipeline).unwrap();
        assert!(program.mlir == emitted, "{flags:?}: the programs differ");
    }
}
