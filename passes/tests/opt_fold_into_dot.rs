//! Tests of `fold_into_dot`: snapshots of each rule and of the cases it must leave alone, and
//! every transpose of every operand of a small batched dot checked with the interpreter.

mod common;

use common::{apply, assert_same_values, parse};
use flash_ir::verify::verify;
use flash_ir::{Builder, DType, DotDims, Graph, Op, TensorType};
use flash_passes::{Dce, FoldIntoDot, Pass, PassOptions, Tuning};
use insta::assert_snapshot;

fn fold(src: &str) -> String {
    apply(&FoldIntoDot, src)
}

fn count(g: &Graph, name: &str) -> usize {
    g.nodes.iter().filter(|n| n.op.name() == name).count()
}

#[test]
fn operand_transpose_of_k_becomes_a_contracting_dim() {
    // MHSA's q k^T: the transpose of the last two dims of k is folded into rhs_contract.
    assert_snapshot!(fold(
        r#"graph @main {
  %0 = parameter {index = 0, name = "q"} : f32[2,4,3]
  %1 = parameter {index = 1, name = "k"} : f32[2,5,3]
  %2 = transpose(%1) {perm = [0, 2, 1]} : f32[2,3,5]
  %3 = dot_general(%0, %2) {lhs_batch = [0], rhs_batch = [0], lhs_contract = [2], rhs_contract = [1], out = f32} : f32[2,4,5]
  return %3
}"#
    ));
}

#[test]
fn head_transpose_that_would_leave_inner_batch_dims_is_kept() {
    // [B, T, H, D] -> [B, H, T, D]: folded, the batch dims would be [0, 2], and XLA would
    // canonicalise the dot by transposing both operands (the other one can be huge).
    assert_snapshot!(fold(
        r#"graph @main {
  %0 = parameter {index = 0, name = "x"} : f32[1,4,2,3]
  %1 = parameter {index = 1, name = "y"} : f32[1,2,3,5]
  %2 = transpose(%0) {perm = [0, 2, 1, 3]} : f32[1,2,4,3]
  %3 = dot_general(%2, %1) {lhs_batch = [0, 1], rhs_batch = [0, 1], lhs_contract = [3], rhs_contract = [2], out = f32} : f32[1,2,4,5]
  return %3
}"#
    ));
}

#[test]
fn operand_transpose_that_reorders_free_dims_is_kept() {
    assert_snapshot!(fold(
        r#"graph @main {
  %0 = parameter {index = 0, name = "x"} : f32[2,3,4]
  %1 = parameter {index = 1, name = "w"} : f32[4,5]
  %2 = transpose(%0) {perm = [1, 0, 2]} : f32[3,2,4]
  %3 = dot_general(%2, %1) {lhs_batch = [], rhs_batch = [], lhs_contract = [2], rhs_contract = [0], out = f32} : f32[3,2,5]
  return %3
}"#
    ));
}

#[test]
fn result_transpose_swapping_the_free_blocks_swaps_the_operands() {
    // Autodiff's (a b)^T = b^T a^T on a batched chunk product.
    assert_snapshot!(fold(
        r#"graph @main {
  %0 = parameter {index = 0, name = "a"} : f32[2,3,4,6]
  %1 = parameter {index = 1, name = "b"} : f32[2,3,4,5]
  %2 = dot_general(%0, %1) {lhs_batch = [0, 1], rhs_batch = [0, 1], lhs_contract = [2], rhs_contract = [2], out = f32} : f32[2,3,6,5]
  %3 = transpose(%2) {perm = [0, 1, 3, 2]} : f32[2,3,5,6]
  return %3
}"#
    ));
}

#[test]
fn result_transpose_is_kept_where_the_tuning_turns_rule_2_off() {
    let src = r#"graph @main {
  %0 = parameter {index = 0, name = "a"} : f32[2,3,4,6]
  %1 = parameter {index = 1, name = "b"} : f32[2,3,4,5]
  %2 = dot_general(%0, %1) {lhs_batch = [0, 1], rhs_batch = [0, 1], lhs_contract = [2], rhs_contract = [2], out = f32} : f32[2,3,6,5]
  %3 = transpose(%2) {perm = [0, 1, 3, 2]} : f32[2,3,5,6]
  return %3
}"#;
    let opts = PassOptions {
        tuning: Tuning {
            swap_dot_results: false,
            ..Tuning::XLA_CPU
        },
        ..PassOptions::default()
    };
    let out = FoldIntoDot.run(parse(src), &opts).unwrap();
    assert_eq!(out.node(out.outputs[0]).op.name(), "transpose");
}

#[test]
fn result_transpose_is_kept_when_swapping_would_transpose_a_larger_operand() {
    // Transformer++'s dV^T = dO^T P: swapped, the [T, T] probabilities would become an lhs
    // contracted over its rows, which XLA copies; the [D, T] result transpose is cheaper.
    assert_snapshot!(fold(
        r#"graph @main {
  %0 = parameter {index = 0, name = "do"} : f32[2,16,4]
  %1 = parameter {index = 1, name = "p"} : f32[2,16,16]
  %2 = dot_general(%0, %1) {lhs_batch = [0], rhs_batch = [0], lhs_contract = [1], rhs_contract = [1], out = f32} : f32[2,4,16]
  %3 = transpose(%2) {perm = [0, 2, 1]} : f32[2,16,4]
  return %3
}"#
    ));
}

#[test]
fn result_transpose_of_a_dot_with_other_uses_is_kept() {
    // Swapping would compute the product twice.
    assert_snapshot!(fold(
        r#"graph @main {
  %0 = parameter {index = 0, name = "a"} : f32[3,4]
  %1 = parameter {index = 1, name = "b"} : f32[4,5]
  %2 = dot_general(%0, %1) {lhs_batch = [], rhs_batch = [], lhs_contract = [1], rhs_contract = [0], out = f32} : f32[3,5]
  %3 = transpose(%2) {perm = [1, 0]} : f32[5,3]
  return %2, %3
}"#
    ));
}

#[test]
fn broadcast_batch_dim_of_the_rhs_becomes_a_free_dim_of_the_lhs() {
    // x [B, M, K] times a weight broadcast over B: one [B*M, K] x [K, N] product.
    assert_snapshot!(fold(
        r#"graph @main {
  %0 = parameter {index = 0, name = "x"} : f32[2,3,4]
  %1 = parameter {index = 1, name = "w"} : f32[4,5]
  %2 = broadcast_in_dim(%1) {shape = [2, 4, 5], dims = [1, 2]} : f32[2,4,5]
  %3 = dot_general(%0, %2) {lhs_batch = [0], rhs_batch = [0], lhs_contract = [2], rhs_contract = [1], out = f32} : f32[2,3,5]
  return %3
}"#
    ));
}

#[test]
fn broadcast_on_the_lhs_or_expanding_a_dim_is_kept() {
    // lhs: the result would need a transpose; the cumsum lowering builds exactly this on
    // purpose. Expanding a size-1 dim is not a pure batch broadcast.
    assert_snapshot!(fold(
        r#"graph @main {
  %0 = parameter {index = 0, name = "t"} : f32[3,3]
  %1 = parameter {index = 1, name = "m"} : f32[2,3,4]
  %2 = broadcast_in_dim(%0) {shape = [2, 3, 3], dims = [1, 2]} : f32[2,3,3]
  %3 = dot_general(%2, %1) {lhs_batch = [0], rhs_batch = [0], lhs_contract = [2], rhs_contract = [1], out = f32} : f32[2,3,4]
  %4 = parameter {index = 2, name = "w"} : f32[1,4,5]
  %5 = broadcast_in_dim(%4) {shape = [2, 4, 5], dims = [0, 1, 2]} : f32[2,4,5]
  %6 = dot_general(%1, %5) {lhs_batch = [0], rhs_batch = [0], lhs_contract = [2], rhs_contract = [1], out = f32} : f32[2,3,5]
  return %3, %6
}"#
    ));
}

/// `x: [2, 3, 4]` transposed by `perm`, then contracted with `y` along the dim that came from
/// x's dim 2 and batched along the one from x's dim 0.
fn transposed_dot(perm: &[usize]) -> Graph {
    let mut g = Graph::default();
    let mut b = Builder::new(&mut g);
    let x = b
        .param("x", TensorType::new(DType::F64, [2, 3, 4]))
        .unwrap();
    let y = b
        .param("y", TensorType::new(DType::F64, [2, 4, 5]))
        .unwrap();
    let t = b.transpose(x, perm).unwrap();
    let at = |d: usize| perm.iter().position(|&p| p == d).unwrap();
    let dims = DotDims {
        lhs_batch: vec![at(0)],
        rhs_batch: vec![0],
        lhs_contract: vec![at(2)],
        rhs_contract: vec![1],
        out: DType::F64,
    };
    let z = b.dot_general(t, y, dims.clone()).unwrap();
    let w = b.dot_general(y, t, swap(&dims)).unwrap();
    g.outputs = vec![z, w];
    g
}

fn swap(d: &DotDims) -> DotDims {
    DotDims {
        lhs_batch: d.rhs_batch.clone(),
        rhs_batch: d.lhs_batch.clone(),
        lhs_contract: d.rhs_contract.clone(),
        rhs_contract: d.lhs_contract.clone(),
        out: d.out,
    }
}

#[test]
fn every_operand_transpose_folds_and_keeps_the_values() {
    let perms = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    for perm in perms {
        let g = transposed_dot(&perm);
        let opts = PassOptions::default();
        let folded = FoldIntoDot.run(g.clone(), &opts).unwrap();
        let folded = Dce.run(folded, &opts).unwrap();
        verify(&folded).unwrap();
        assert_same_values(&g, &folded, 0.0);
        // One free dim per operand: the transpose always folds away.
        assert_eq!(count(&folded, "transpose"), 0, "perm {perm:?}");
    }
}

#[test]
fn folded_dots_keep_the_location_and_scope() {
    let src = r#"graph @main {
  %0 = parameter {index = 0, name = "a"} : f32[4,3]
  %1 = parameter {index = 1, name = "b"} : f32[4,5]
  %2 = dot_general(%0, %1) {lhs_batch = [], rhs_batch = [], lhs_contract = [0], rhs_contract = [0], out = f32} : f32[3,5] loc("src/nn/gau.rs":7:9) scope("layers.0")
  %3 = transpose(%2) {perm = [1, 0]} : f32[5,3] loc("src/nn/gau.rs":8:3) scope("layers.0.t")
  return %3
}"#;
    let g = parse(src);
    let folded = FoldIntoDot.run(g, &PassOptions::default()).unwrap();
    let out = folded.node(folded.outputs[0]);
    assert!(matches!(out.op, Op::DotGeneral(_)));
    assert_eq!(out.loc.line, 8);
    assert_eq!(&*out.scope, "layers.0.t");
}
