//! Tests of `collapse_contracting_dims`: snapshots of the weight-gradient case, of runs that
//! only partly collapse and of dots it must leave alone, and an interpreter check of many
//! contracting-dim layouts.

mod common;

use common::{apply, assert_same_values};
use flash_ir::verify::verify;
use flash_ir::{Builder, DType, DotDims, Graph, TensorType};
use flash_passes::{CollapseContractingDims, Dce, Pass, PassOptions};
use insta::assert_snapshot;

fn collapse(src: &str) -> String {
    apply(&CollapseContractingDims, src)
}

#[test]
fn weight_gradient_over_batch_and_tokens_contracts_one_dim() {
    // dW = x^T dy over [B, T]: XLA's CPU runtime would transpose x into a copy for two dims.
    assert_snapshot!(collapse(
        r#"graph @main {
  %0 = parameter {index = 0, name = "x"} : f32[2,3,4]
  %1 = parameter {index = 1, name = "dy"} : f32[2,3,5]
  %2 = dot_general(%0, %1) {lhs_batch = [], rhs_batch = [], lhs_contract = [0, 1], rhs_contract = [0, 1], out = f32} : f32[4,5]
  return %2
}"#
    ));
}

#[test]
fn batch_dims_before_a_collapsed_run_keep_their_place() {
    // Batch dim 0, contracting [2, 3] x [1, 2]: only the run collapses; batch is renumbered
    // where needed (it is not: it comes first).
    assert_snapshot!(collapse(
        r#"graph @main {
  %0 = parameter {index = 0, name = "a"} : f32[2,4,3,5]
  %1 = parameter {index = 1, name = "b"} : f32[2,3,5,6]
  %2 = dot_general(%0, %1) {lhs_batch = [0], rhs_batch = [0], lhs_contract = [2, 3], rhs_contract = [1, 2], out = f32} : f32[2,4,6]
  return %2
}"#
    ));
}

#[test]
fn contracting_dims_adjacent_in_one_operand_only_are_kept() {
    // lhs [0, 1] but rhs [1, 0]: the pairs run in opposite orders, no row-major merge exists.
    assert_snapshot!(collapse(
        r#"graph @main {
  %0 = parameter {index = 0, name = "x"} : f32[2,3,4]
  %1 = parameter {index = 1, name = "y"} : f32[3,2,5]
  %2 = dot_general(%0, %1) {lhs_batch = [], rhs_batch = [], lhs_contract = [0, 1], rhs_contract = [1, 0], out = f32} : f32[4,5]
  return %2
}"#
    ));
}

/// `x: [2, 3, 4, 5]` and `y` with the contracting dims `lc` of x paired with `rc` of y (both
/// taken from x's dims 1..=2 or 1..=3), the rest free.
fn dot_graph(lc: &[usize], rc: &[usize], y_shape: &[usize]) -> Graph {
    let mut g = Graph::default();
    let mut b = Builder::new(&mut g);
    let x = b
        .param("x", TensorType::new(DType::F64, [2, 3, 4, 5]))
        .unwrap();
    let y = b
        .param("y", TensorType::new(DType::F64, y_shape.to_vec()))
        .unwrap();
    let dims = DotDims {
        lhs_batch: vec![],
        rhs_batch: vec![],
        lhs_contract: lc.to_vec(),
        rhs_contract: rc.to_vec(),
        out: DType::F64,
    };
    let z = b.dot_general(x, y, dims).unwrap();
    g.outputs = vec![z];
    g
}

#[test]
fn collapsed_dots_compute_the_same_values() {
    let cases: [(&[usize], &[usize], &[usize]); 5] = [
        (&[1, 2], &[0, 1], &[3, 4, 7]),
        (&[1, 2], &[1, 2], &[7, 3, 4]),
        (&[2, 1], &[2, 1], &[7, 3, 4]),
        (&[1, 2, 3], &[0, 1, 2], &[3, 4, 5, 6]),
        (&[1, 3], &[0, 1], &[3, 5, 2]),
    ];
    for (lc, rc, ys) in cases {
        let g = dot_graph(lc, rc, ys);
        let opts = PassOptions::default();
        let out = CollapseContractingDims.run(g.clone(), &opts).unwrap();
        let out = Dce.run(out, &opts).unwrap();
        verify(&out).unwrap();
        // Up to summation order: [2, 1] x [2, 1] is summed in row-major order once merged.
        assert_same_values(&g, &out, 1e-12);
    }
}
