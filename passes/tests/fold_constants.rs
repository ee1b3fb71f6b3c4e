//! Snapshot tests of `fold_constants`: what folds, how results are rounded, and what must not
//! fold.

mod common;

use common::apply;
use flash_ir::{Builder, DType, Literal, Op, TensorType};
use flash_passes::fold_constants::MAX_DENSE;
use flash_passes::{FoldConstants, Pass, PassOptions};
use insta::assert_snapshot;

fn fold(src: &str) -> String {
    apply(&FoldConstants, src)
}

#[test]
fn splat_binary_and_unary_fold_to_splats() {
    assert_snapshot!(fold(
        r#"graph @main {
  %0 = constant {value = splat(2.0)} : f32[1000,1000]
  %1 = constant {value = splat(3.0)} : f32[1000,1000]
  %2 = mul(%0, %1) : f32[1000,1000]
  %3 = neg(%2) : f32[1000,1000]
  return %3
}"#
    ));
}

#[test]
fn results_round_to_the_dtype() {
    assert_snapshot!(fold(
        r#"graph @main {
  %0 = constant {value = splat(1.0)} : f32[]
  %1 = exp(%0) : f32[]
  %2 = constant {value = splat(1.0)} : bf16[]
  %3 = constant {value = splat(0.00390625)} : bf16[]
  %4 = add(%2, %3) : bf16[]
  %5 = constant {value = splat(0.1)} : f16[]
  %6 = mul(%5, %5) : f16[]
  return %1, %4, %6
}"#
    ));
}

#[test]
fn compare_select_and_convert_fold() {
    assert_snapshot!(fold(
        r#"graph @main {
  %0 = constant {value = splat(2.0)} : f32[3]
  %1 = constant {value = splat(nan)} : f32[3]
  %2 = compare(%0, %1) {dir = ne} : bool[3]
  %3 = select(%2, %0, %1) : f32[3]
  %4 = convert(%3) {to = i32} : i32[3]
  %5 = convert(%1) {to = bool} : bool[3]
  return %3, %4, %5
}"#
    ));
}

#[test]
fn float_to_int_of_a_non_integral_value_does_not_fold() {
    assert_snapshot!(fold(
        r#"graph @main {
  %0 = constant {value = splat(2.5)} : f32[3]
  %1 = convert(%0) {to = i32} : i32[3]
  return %1
}"#
    ));
}

#[test]
fn shape_ops_of_a_splat_fold_to_splats() {
    assert_snapshot!(fold(
        r#"graph @main {
  %0 = constant {value = splat(1.5)} : f32[2]
  %1 = broadcast_in_dim(%0) {shape = [3, 2], dims = [1]} : f32[3,2]
  %2 = reshape(%1) {shape = [6]} : f32[6]
  %3 = transpose(%1) {perm = [1, 0]} : f32[2,3]
  %4 = slice(%3) {start = [0, 1], limit = [2, 3], stride = [1, 1]} : f32[2,2]
  %5 = concatenate(%4, %4) {dim = 0} : f32[4,2]
  return %2, %5
}"#
    ));
}

#[test]
fn pad_folds_only_with_the_same_value() {
    assert_snapshot!(fold(
        r#"graph @main {
  %0 = constant {value = splat(0.0)} : f32[2]
  %1 = constant {value = splat(0.0)} : f32[]
  %2 = constant {value = splat(1.0)} : f32[]
  %3 = pad(%0, %1) {low = [1], high = [2], interior = [1]} : f32[6]
  %4 = pad(%0, %2) {low = [1], high = [2], interior = [1]} : f32[6]
  return %3, %4
}"#
    ));
}

#[test]
fn small_dense_elementwise_folds() {
    assert_snapshot!(fold(
        r#"graph @main {
  %0 = constant {value = dense([1.0, -2.0, 3.5])} : f32[3]
  %1 = constant {value = splat(2.0)} : f32[3]
  %2 = mul(%0, %1) : f32[3]
  %3 = abs(%2) : f32[3]
  %4 = reshape(%3) {shape = [3, 1]} : f32[3,1]
  return %4
}"#
    ));
}

#[test]
fn integer_arithmetic_folds_exactly() {
    assert_snapshot!(fold(
        r#"graph @main {
  %0 = constant {value = dense([7, -7, 9])} : i32[3]
  %1 = constant {value = splat(2)} : i32[3]
  %2 = div(%0, %1) : i32[3]
  %3 = mul(%2, %1) : i32[3]
  %4 = sub(%0, %3) : i32[3]
  return %2, %4
}"#
    ));
}

/// Overflow and division by zero are backend-defined for integers: left to the backend.
#[test]
fn integer_overflow_and_division_by_zero_do_not_fold() {
    assert_snapshot!(fold(
        r#"graph @main {
  %0 = constant {value = splat(2147483647)} : i32[2]
  %1 = constant {value = splat(1)} : i32[2]
  %2 = constant {value = splat(0)} : i32[2]
  %3 = add(%0, %1) : i32[2]
  %4 = div(%1, %2) : i32[2]
  return %3, %4
}"#
    ));
}

#[test]
fn max_propagates_nan_and_signed_zero_ties_do_not_fold() {
    assert_snapshot!(fold(
        r#"graph @main {
  %0 = constant {value = splat(nan)} : f32[]
  %1 = constant {value = splat(1.0)} : f32[]
  %2 = constant {value = splat(0.0)} : f32[]
  %3 = constant {value = splat(-0.0)} : f32[]
  %4 = max(%1, %0) : f32[]
  %5 = min(%2, %3) : f32[]
  return %4, %5
}"#
    ));
}

#[test]
fn reduce_max_and_integer_sum_of_a_splat_fold_but_float_sum_does_not() {
    assert_snapshot!(fold(
        r#"graph @main {
  %0 = constant {value = splat(0.1)} : f32[4,5]
  %1 = reduce(%0) {kind = max, dims = [1]} : f32[4]
  %2 = reduce(%0) {kind = sum, dims = [1]} : f32[4]
  %3 = constant {value = splat(3)} : i64[4,5]
  %4 = reduce(%3) {kind = sum, dims = [0, 1]} : i64[]
  return %1, %2, %4
}"#
    ));
}

/// A triangle built from iota stays iota + compare: it is never turned into a literal.
#[test]
fn iota_and_ops_on_it_do_not_fold() {
    assert_snapshot!(fold(
        r#"graph @main {
  %0 = iota {dim = 0} : i32[3,3]
  %1 = iota {dim = 1} : i32[3,3]
  %2 = compare(%0, %1) {dir = le} : bool[3,3]
  return %2
}"#
    ));
}

#[test]
fn dense_results_larger_than_the_limit_do_not_fold() {
    let mut g = flash_ir::Graph::default();
    let mut b = Builder::new(&mut g);
    let n = MAX_DENSE + 1;
    let ty = TensorType::new(DType::F32, vec![n]);
    let x = b
        .dense((0..n).map(|i| i as f64).collect(), ty.clone())
        .unwrap();
    let y = b.splat(1.0, ty).unwrap();
    let z = b.add(x, y).unwrap();
    g.outputs = vec![z];
    let out = FoldConstants.run(g, &PassOptions::default()).unwrap();
    let last = out.node(out.outputs[0]);
    assert!(matches!(last.op, Op::Binary(_)), "folded: {:?}", last.op);

    let mut g = flash_ir::Graph::default();
    let mut b = Builder::new(&mut g);
    let ty = TensorType::new(DType::F32, vec![MAX_DENSE]);
    let x = b
        .dense(
            vec![2.0; MAX_DENSE - 1].into_iter().chain([3.0]).collect(),
            ty.clone(),
        )
        .unwrap();
    let y = b.splat(1.0, ty).unwrap();
    let z = b.add(x, y).unwrap();
    g.outputs = vec![z];
    let out = FoldConstants.run(g, &PassOptions::default()).unwrap();
    let Op::Constant {
        value: Literal::Dense(vs),
        ..
    } = &out.node(out.outputs[0]).op
    else {
        panic!("not folded");
    };
    assert_eq!(vs.len(), MAX_DENSE);
    assert_eq!(vs[MAX_DENSE - 1], 4.0);
}
