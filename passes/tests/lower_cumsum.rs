//! Tests of `lower_cumsum`: snapshots of each strategy's output, and every strategy x
//! {inclusive, exclusive} x {forward, reverse} x shapes, dims and dtypes evaluated with the
//! reference interpreter before and after lowering.

mod common;

use common::{apply_with, assert_same_values, parse};
use flash_ir::{Builder, DType, Graph, Location, Op, TensorType};
use flash_passes::{CumsumStrategy, LowerCumsum, Pass, PassOptions, Tuning};
use insta::assert_snapshot;
use proptest::prelude::*;
use std::sync::Arc;

const STRATEGIES: [CumsumStrategy; 4] = CumsumStrategy::ALL;

fn opts(cumsum: CumsumStrategy) -> PassOptions {
    PassOptions {
        cumsum,
        ..PassOptions::default()
    }
}

/// One cumsum of a parameter of type `ty`.
fn cumsum_graph(ty: TensorType, dim: usize, exclusive: bool, reverse: bool) -> Graph {
    let mut g = Graph::default();
    let mut b = Builder::new(&mut g);
    let x = b.param("x", ty).expect("param");
    let y = b.cumsum(x, dim, exclusive, reverse).expect("cumsum");
    g.outputs = vec![y];
    g
}

fn lower(g: &Graph, strategy: CumsumStrategy) -> Graph {
    LowerCumsum
        .run(g.clone(), &opts(strategy))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn snapshot(strategy: CumsumStrategy, src: &str) -> String {
    apply_with(&LowerCumsum, src, &opts(strategy), 1e-5)
}

const FORWARD_5: &str = r#"graph @main {
  %0 = parameter {index = 0, name = "x"} : f32[5]
  %1 = cumsum(%0) {dim = 0, exclusive = false, reverse = false} : f32[5]
  return %1
}"#;

const EXCLUSIVE_REVERSE_DIM0: &str = r#"graph @main {
  %0 = parameter {index = 0, name = "x"} : f32[3,2]
  %1 = cumsum(%0) {dim = 0, exclusive = true, reverse = true} : f32[3,2]
  return %1
}"#;

#[test]
fn matmul_inclusive_is_a_dot_with_a_lower_triangle_from_iota() {
    assert_snapshot!(snapshot(CumsumStrategy::Matmul, FORWARD_5));
}

#[test]
fn matmul_exclusive_reverse_on_dim_0_puts_the_triangle_first_and_needs_no_transpose() {
    assert_snapshot!(snapshot(CumsumStrategy::Matmul, EXCLUSIVE_REVERSE_DIM0));
}

#[test]
fn matmul_on_a_middle_dim_is_batched_over_the_leading_dims_without_a_transpose() {
    // FLASH's chunk-level prefix sum: [B, G, s, e] over G. On CPU a transpose around the dot
    // is a full copy, so the triangle is broadcast over B and the dot needs none.
    assert_snapshot!(snapshot(
        CumsumStrategy::Matmul,
        r#"graph @main {
  %0 = parameter {index = 0, name = "m"} : f32[2,3,2,4]
  %1 = cumsum(%0) {dim = 1, exclusive = true, reverse = false} : f32[2,3,2,4]
  return %1
}"#
    ));
}

#[test]
fn matmul_on_a_middle_dim_longer_than_the_rest_falls_back_to_a_transpose() {
    // n = 5 > 3 trailing elements: a broadcast triangle would outgrow the operand.
    assert_snapshot!(snapshot(
        CumsumStrategy::Matmul,
        r#"graph @main {
  %0 = parameter {index = 0, name = "x"} : f32[2,5,3]
  %1 = cumsum(%0) {dim = 1, exclusive = false, reverse = false} : f32[2,5,3]
  return %1
}"#
    ));
}

#[test]
fn matmul_of_integers_is_an_integer_dot() {
    assert_snapshot!(snapshot(
        CumsumStrategy::Matmul,
        r#"graph @main {
  %0 = parameter {index = 0, name = "n"} : i32[2,4]
  %1 = cumsum(%0) {dim = 1, exclusive = true, reverse = false} : i32[2,4]
  return %1
}"#
    ));
}

#[test]
fn reduce_window_inclusive_pads_n_minus_1_before() {
    assert_snapshot!(snapshot(CumsumStrategy::ReduceWindow, FORWARD_5));
}

#[test]
fn reduce_window_exclusive_reverse_pads_after_then_shifts() {
    assert_snapshot!(snapshot(
        CumsumStrategy::ReduceWindow,
        EXCLUSIVE_REVERSE_DIM0
    ));
}

#[test]
fn log_scan_takes_ceil_log2_n_steps() {
    assert_snapshot!(snapshot(CumsumStrategy::LogScan, FORWARD_5));
}

#[test]
fn log_scan_exclusive_reverse_shifts_towards_lower_indices() {
    assert_snapshot!(snapshot(CumsumStrategy::LogScan, EXCLUSIVE_REVERSE_DIM0));
}

#[test]
fn log_scan_of_length_one_is_the_operand_or_zeros() {
    assert_snapshot!(snapshot(
        CumsumStrategy::LogScan,
        r#"graph @main {
  %0 = parameter {index = 0, name = "x"} : f32[4,1]
  %1 = cumsum(%0) {dim = 1, exclusive = false, reverse = false} : f32[4,1]
  %2 = cumsum(%0) {dim = 1, exclusive = true, reverse = false} : f32[4,1]
  return %1, %2
}"#
    ));
}

/// (shape, dim) cases: n = 1, powers of two and not, every position of the dim.
const CASES: &[(&[usize], usize)] = &[
    (&[1], 0),
    (&[2], 0),
    (&[5], 0),
    (&[8], 0),
    (&[3, 7], 0),
    (&[3, 7], 1),
    (&[4, 1], 1),
    (&[2, 3, 4], 0),
    (&[2, 3, 4], 1),
    (&[2, 5, 3], 1),
    (&[2, 5, 3], 2),
    (&[2, 3, 2, 4], 1),
    (&[2, 17], 1),
];

/// Every strategy x inclusive/exclusive x forward/reverse x case, for `dtype`.
fn check_all(dtype: DType, rel: f64) {
    for &(shape, dim) in CASES {
        for strategy in STRATEGIES {
            for exclusive in [false, true] {
                for reverse in [false, true] {
                    let ty = TensorType::new(dtype, shape);
                    let g = cumsum_graph(ty, dim, exclusive, reverse);
                    let lowered = lower(&g, strategy);
                    let no_cumsum = lowered.nodes.iter().all(|n| !n.op.is_composite());
                    assert!(no_cumsum, "{strategy} left a cumsum");
                    assert_same_values(&g, &lowered, rel);
                }
            }
        }
    }
}

#[test]
fn every_strategy_matches_the_interpreter_on_f32() {
    check_all(DType::F32, 1e-5);
}

#[test]
fn every_strategy_matches_the_interpreter_on_f64() {
    check_all(DType::F64, 1e-12);
}

#[test]
fn every_strategy_is_exact_on_integers() {
    check_all(DType::I32, 0.0);
    check_all(DType::I64, 0.0);
}

#[test]
fn long_cumsums_match_the_interpreter() {
    // n = 300 > 256: Auto picks the matmul for f32 (small work) and the log-scan for i32.
    for dtype in [DType::F32, DType::I32] {
        for strategy in STRATEGIES {
            let g = cumsum_graph(TensorType::new(dtype, [2, 300]), 1, true, false);
            let rel = if dtype == DType::F32 { 1e-5 } else { 0.0 };
            assert_same_values(&g, &lower(&g, strategy), rel);
        }
    }
}

#[test]
fn matmul_builds_no_dense_literal() {
    let g = cumsum_graph(TensorType::new(DType::F32, [4, 256]), 1, false, false);
    let lowered = lower(&g, CumsumStrategy::Matmul);
    let constants = lowered
        .nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Constant { .. }))
        .count();
    assert_eq!(constants, 0);
    assert!(lowered
        .nodes
        .iter()
        .any(|n| matches!(n.op, Op::DotGeneral(_))));
}

#[test]
fn lowered_nodes_keep_the_location_and_scope_of_the_cumsum() {
    let src = r#"graph @main {
  %0 = parameter {index = 0, name = "x"} : f32[3,5]
  %1 = cumsum(%0) {dim = 1, exclusive = true, reverse = false} : f32[3,5] loc("src/nn/flash.rs":42:17) scope("layers.2.attn")
  return %1
}"#;
    let g = parse(src);
    let want = Location {
        file: Arc::from("src/nn/flash.rs"),
        line: 42,
        col: 17,
    };
    for strategy in STRATEGIES {
        let lowered = lower(&g, strategy);
        for n in &lowered.nodes[1..] {
            assert_eq!(n.loc, want, "{strategy}: {} lost its location", n.op.name());
            assert_eq!(
                &*n.scope,
                "layers.2.attn",
                "{strategy}: {} lost its scope",
                n.op.name()
            );
        }
    }
}

/// The thresholds documented on `CumsumStrategy` (XLA CPU's).
const CPU: flash_passes::CumsumAuto = Tuning::XLA_CPU.cumsum_auto;

#[test]
fn auto_picks_matmul_for_short_or_small_float_cumsums_else_log_scan() {
    let auto = |dtype, shape: &[usize], dim| {
        CumsumStrategy::Auto.resolve(&TensorType::new(dtype, shape), dim, &CPU)
    };
    assert_eq!(auto(DType::F32, &[8, 64, 256], 2), CumsumStrategy::Matmul);
    assert_eq!(auto(DType::I32, &[1024, 256], 1), CumsumStrategy::Matmul);
    assert_eq!(auto(DType::F32, &[16, 1024], 1), CumsumStrategy::Matmul);
    assert_eq!(
        auto(DType::F32, &[1, 1024, 128, 128], 1),
        CumsumStrategy::Matmul
    );
    assert_eq!(
        auto(DType::F32, &[1, 2048, 128, 128], 1),
        CumsumStrategy::LogScan
    );
    assert_eq!(auto(DType::I32, &[1, 512, 128], 1), CumsumStrategy::LogScan);
    assert_eq!(auto(DType::F32, &[64, 4096], 1), CumsumStrategy::LogScan);
    assert_eq!(auto(DType::I32, &[2, 300], 1), CumsumStrategy::LogScan);
    for s in [
        CumsumStrategy::Matmul,
        CumsumStrategy::ReduceWindow,
        CumsumStrategy::LogScan,
    ] {
        assert_eq!(
            s.resolve(&TensorType::new(DType::F32, [1 << 20]), 0, &CPU),
            s
        );
    }
}

#[test]
fn strategy_names_round_trip_and_unknown_names_are_errors() {
    for s in STRATEGIES {
        assert_eq!(s.name().parse::<CumsumStrategy>(), Ok(s));
    }
    let err = "scan".parse::<CumsumStrategy>().unwrap_err().to_string();
    assert!(err.contains("log-scan"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random shapes, dims, flags and strategies: integer results are exact.
    #[test]
    fn random_integer_cumsums_are_exact(
        shape in proptest::collection::vec(1usize..7, 1..4),
        dim_seed in 0usize..3,
        exclusive: bool,
        reverse: bool,
        strategy in 0usize..4,
    ) {
        let dim = dim_seed % shape.len();
        let g = cumsum_graph(TensorType::new(DType::I64, shape), dim, exclusive, reverse);
        assert_same_values(&g, &lower(&g, STRATEGIES[strategy]), 0.0);
    }
}
