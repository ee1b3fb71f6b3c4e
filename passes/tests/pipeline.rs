//! Tests of the pipeline runner: order, the per-target lists and tuning, verification after
//! each pass, IR dumps, timings, and the whole pipeline on a FLASH-style chunk-level exclusive
//! prefix sum.

mod common;

use common::{assert_same_values, parse, MIXED_DOTS};
use flash_ir::text::print_graph;
use flash_ir::{DType, Graph, Node, Op, TensorType};
use flash_passes::{
    pass_names, pipeline, run_passes, run_pipeline, CumsumStrategy, Dce, Pass, PassError,
    PassOptions, PipelineOptions, Target, Tuning,
};
use insta::assert_snapshot;

/// The chunk-level prefix sum of FLASH.md section 2: an exclusive cumsum over G = 4 chunks of
/// `M_g: [B=1, G=4, s=2, e=3]`, divided by `max(g, 1)`.
const CHUNK_PREFIX: &str = r#"graph @main {
  %0 = parameter {index = 0, name = "m"} : f32[1,4,2,3]
  %1 = cumsum(%0) {dim = 1, exclusive = true, reverse = false} : f32[1,4,2,3] scope("layers.0.attn")
  %2 = iota {dim = 1} : f32[1,4,2,3]
  %3 = constant {value = splat(1.0)} : f32[1,4,2,3]
  %4 = max(%2, %3) : f32[1,4,2,3]
  %5 = div(%1, %4) : f32[1,4,2,3]
  %6 = constant {value = splat(1.0)} : f32[1,4,2,3]
  %7 = mul(%5, %6) : f32[1,4,2,3]
  return %7
}"#;

fn options() -> PipelineOptions {
    PipelineOptions {
        verify_each: true,
        ..PipelineOptions::default()
    }
}

/// The passes the default options (CPU) run.
fn cpu_names() -> Vec<&'static str> {
    pass_names(&Tuning::of(Target::Cpu))
}

#[test]
fn the_pipeline_runs_in_the_documented_order() {
    let names = cpu_names();
    assert_eq!(
        names,
        [
            "lower_chunk_attention",
            "lower_cumsum",
            "upcast_mixed_dots",
            "canonicalize",
            "fold_into_dot",
            "collapse_contracting_dims",
            "fold_constants",
            "cse",
            "materialize_tables",
            "dce"
        ]
    );
}

#[test]
fn the_pipeline_lowers_and_cleans_the_chunk_prefix_sum() {
    let g = parse(CHUNK_PREFIX);
    let (out, _) = run_pipeline(g.clone(), &options()).unwrap();
    assert_same_values(&g, &out, 1e-5);
    assert!(out.nodes.iter().all(|n| !n.op.is_composite()));
    assert_snapshot!(print_graph(&out));
}

#[test]
fn every_strategy_gives_the_same_values_through_the_pipeline() {
    let g = parse(CHUNK_PREFIX);
    for cumsum in CumsumStrategy::ALL {
        let opts = PipelineOptions {
            cumsum,
            ..options()
        };
        let (out, _) = run_pipeline(g.clone(), &opts).unwrap();
        assert_same_values(&g, &out, 1e-5);
    }
}

#[test]
fn timings_are_listed_for_each_pass_in_order() {
    let (_, report) = run_pipeline(parse(CHUNK_PREFIX), &options()).unwrap();
    let timed: Vec<&str> = report.timings.iter().map(|t| t.name).collect();
    assert_eq!(timed, cpu_names());
    let table = report.to_string();
    let mut at = 0;
    for name in cpu_names().into_iter().chain(["total"]) {
        let found = table[at..]
            .find(name)
            .unwrap_or_else(|| panic!("{name} missing:\n{table}"));
        at += found + name.len();
    }
    assert!(table.starts_with("pass"), "{table}");
}

#[test]
fn print_after_dumps_the_ir_after_the_named_passes_only() {
    let opts = PipelineOptions {
        print_after: vec!["cse".into(), "lower_cumsum".into()],
        ..options()
    };
    let (_, report) = run_pipeline(parse(CHUNK_PREFIX), &opts).unwrap();
    let dumped: Vec<&str> = report.dumps.iter().map(|(name, _)| *name).collect();
    assert_eq!(dumped, ["lower_cumsum", "cse"]);
    let (after_lowering, after_cse) = (&report.dumps[0].1, &report.dumps[1].1);
    assert!(after_lowering.contains("dot_general") && !after_lowering.contains("cumsum"));
    assert!(after_lowering.contains("mul(") && !after_cse.contains("mul("));
}

#[test]
fn print_after_all_dumps_after_every_pass() {
    let opts = PipelineOptions {
        print_after_all: true,
        ..options()
    };
    let (out, report) = run_pipeline(parse(CHUNK_PREFIX), &opts).unwrap();
    let dumped: Vec<&str> = report.dumps.iter().map(|(name, _)| *name).collect();
    assert_eq!(dumped, cpu_names());
    assert_eq!(
        report.dumps.last().map(|d| d.1.clone()),
        Some(print_graph(&out))
    );
}

#[test]
fn print_after_an_unknown_pass_is_an_error_listing_the_valid_names() {
    let opts = PipelineOptions {
        print_after: vec!["dce".into(), "gvn".into()],
        ..options()
    };
    let err = run_pipeline(parse(CHUNK_PREFIX), &opts).unwrap_err();
    assert_eq!(
        err,
        PassError::UnknownPass {
            name: "gvn".into(),
            valid: cpu_names()
        }
    );
    assert_eq!(
        err.to_string(),
        "unknown pass \"gvn\"; valid names: lower_chunk_attention, lower_cumsum, upcast_mixed_dots, canonicalize, fold_into_dot, collapse_contracting_dims, fold_constants, cse, materialize_tables, dce"
    );
}

/// A deliberately broken pass: appends a node whose recorded type is wrong.
struct Corrupt;

impl Pass for Corrupt {
    fn name(&self) -> &'static str {
        "corrupt"
    }

    fn run(&self, mut g: Graph, _: &PassOptions) -> Result<Graph, PassError> {
        let x = g.outputs[0];
        let mut node: Node = g.node(x).clone();
        node.op = Op::Unary(flash_ir::UnaryOp::Neg);
        node.operands = vec![x];
        node.ty = TensorType::new(DType::F32, [7]);
        g.nodes.push(node);
        Ok(g)
    }
}

#[test]
fn verify_each_names_the_pass_that_broke_the_ir() {
    let passes: Vec<Box<dyn Pass>> = vec![Box::new(Dce), Box::new(Corrupt), Box::new(Dce)];
    let err = run_passes(parse(CHUNK_PREFIX), &passes, &options()).unwrap_err();
    let PassError::VerifyAfter { pass, source } = &err else {
        panic!("{err}")
    };
    assert_eq!(*pass, "corrupt");
    assert!(
        source.to_string().contains("recorded type f32[7]"),
        "{source}"
    );

    let unchecked = PipelineOptions {
        verify_each: false,
        ..options()
    };
    assert!(run_passes(parse(CHUNK_PREFIX), &passes, &unchecked).is_ok());
}

#[test]
fn verify_each_rejects_an_invalid_input() {
    let mut g = parse(CHUNK_PREFIX);
    g.outputs.push(flash_ir::ValueId(99));
    let err = run_pipeline(g, &options()).unwrap_err();
    assert!(matches!(err, PassError::InvalidInput(_)), "{err}");
}

#[test]
fn a_failing_pass_is_named_in_the_error() {
    struct Fails;
    impl Pass for Fails {
        fn name(&self) -> &'static str {
            "fails"
        }
        fn run(&self, _: Graph, _: &PassOptions) -> Result<Graph, PassError> {
            Err(PassError::UnknownPass {
                name: "x".into(),
                valid: vec![],
            })
        }
    }
    let passes: Vec<Box<dyn Pass>> = vec![Box::new(Fails)];
    let err = run_passes(parse(CHUNK_PREFIX), &passes, &options()).unwrap_err();
    assert!(err.to_string().starts_with("pass fails failed: "), "{err}");
}

#[test]
fn verify_each_defaults_to_debug_builds() {
    assert_eq!(
        PipelineOptions::default().verify_each,
        cfg!(debug_assertions)
    );
    assert_eq!(pipeline(&Tuning::XLA_CPU).len(), cpu_names().len());
}

#[test]
fn gpu_and_tpu_differ_from_cpu_only_by_keeping_mixed_dots() {
    for target in [Target::Gpu, Target::Tpu] {
        let tuning = Tuning::of(target);
        assert_eq!(
            tuning,
            Tuning {
                upcast_mixed_dots: false,
                ..Tuning::XLA_CPU
            }
        );
        let names = pass_names(&tuning);
        let cpu: Vec<&str> = cpu_names()
            .into_iter()
            .filter(|&n| n != "upcast_mixed_dots")
            .collect();
        assert_eq!(names, cpu, "{target}");
    }
    assert_eq!(Tuning::of(Target::Cpu), Tuning::XLA_CPU);
}

#[test]
fn the_options_hand_the_target_and_its_tuning_to_the_passes() {
    let gpu = PipelineOptions::for_target(Target::Gpu);
    assert_eq!(gpu.target, Target::Gpu);
    assert_eq!(gpu.tuning(), Tuning::of(Target::Gpu));
    assert_eq!(
        PassOptions::for_target(Target::Tpu).tuning,
        Tuning::of(Target::Tpu)
    );
    assert_eq!(PassOptions::default(), PassOptions::for_target(Target::Cpu));
}

#[test]
fn keep_mixed_dots_drops_the_widening_on_cpu() {
    let opts = PipelineOptions {
        keep_mixed_dots: true,
        ..options()
    };
    assert!(!opts.tuning().upcast_mixed_dots);
    assert!(options().tuning().upcast_mixed_dots);
    let converts = |opts: &PipelineOptions| {
        let (out, _) = run_pipeline(parse(MIXED_DOTS), opts).unwrap();
        out.nodes
            .iter()
            .filter(|n| n.op.name() == "convert")
            .count()
    };
    assert_eq!(converts(&options()), 2);
    assert_eq!(converts(&opts), 0);
    assert_eq!(converts(&PipelineOptions::for_target(Target::Gpu)), 0);
}
