//! Snapshot tests of `canonicalize`: one per rule, and the identities it must not apply.

mod common;

use common::apply;
use flash_passes::Canonicalize;
use insta::assert_snapshot;

/// A graph with parameter `%0 = x : f32[2,3]` followed by `body`.
fn with_x(body: &str) -> String {
    format!("graph @main {{\n  %0 = parameter {{index = 0, name = \"x\"}} : f32[2,3]\n{body}\n}}")
}

fn canon(body: &str) -> String {
    apply(&Canonicalize, &with_x(body))
}

#[test]
fn mul_by_one_either_side_is_removed() {
    assert_snapshot!(canon(
        "  %1 = constant {value = splat(1.0)} : f32[2,3]
  %2 = mul(%0, %1) : f32[2,3]
  %3 = mul(%1, %2) : f32[2,3]
  return %3"
    ));
}

#[test]
fn div_by_one_is_removed() {
    assert_snapshot!(canon(
        "  %1 = constant {value = splat(1.0)} : f32[2,3]
  %2 = div(%0, %1) : f32[2,3]
  return %2"
    ));
}

#[test]
fn one_behind_a_broadcast_is_recognised() {
    assert_snapshot!(canon(
        "  %1 = constant {value = splat(1.0)} : f32[]
  %2 = broadcast_in_dim(%1) {shape = [2, 3], dims = []} : f32[2,3]
  %3 = mul(%0, %2) : f32[2,3]
  return %3"
    ));
}

#[test]
fn add_negative_zero_is_removed_for_floats() {
    assert_snapshot!(canon(
        "  %1 = constant {value = splat(-0.0)} : f32[2,3]
  %2 = add(%0, %1) : f32[2,3]
  %3 = add(%1, %2) : f32[2,3]
  return %3"
    ));
}

/// `-0.0 + +0.0` is `+0.0`: removing the add would turn a `+0.0` result into `-0.0`.
#[test]
fn add_positive_zero_is_kept_for_floats() {
    assert_snapshot!(canon(
        "  %1 = constant {value = splat(0.0)} : f32[2,3]
  %2 = add(%0, %1) : f32[2,3]
  return %2"
    ));
}

#[test]
fn sub_positive_zero_is_removed_and_sub_negative_zero_kept() {
    assert_snapshot!(canon(
        "  %1 = constant {value = splat(0.0)} : f32[2,3]
  %2 = constant {value = splat(-0.0)} : f32[2,3]
  %3 = sub(%0, %1) : f32[2,3]
  %4 = sub(%3, %2) : f32[2,3]
  return %4"
    ));
}

#[test]
fn add_and_sub_zero_are_removed_for_integers() {
    assert_snapshot!(apply(
        &Canonicalize,
        r#"graph @main {
  %0 = parameter {index = 0, name = "n"} : i32[4]
  %1 = constant {value = splat(0)} : i32[4]
  %2 = add(%1, %0) : i32[4]
  %3 = sub(%2, %1) : i32[4]
  return %3
}"#
    ));
}

/// `x * 0` is NaN for x = inf or NaN, so it is not zero.
#[test]
fn mul_by_zero_is_kept() {
    assert_snapshot!(canon(
        "  %1 = constant {value = splat(0.0)} : f32[2,3]
  %2 = mul(%0, %1) : f32[2,3]
  return %2"
    ));
}

#[test]
fn neg_of_neg_is_removed() {
    assert_snapshot!(canon(
        "  %1 = neg(%0) : f32[2,3]
  %2 = neg(%1) : f32[2,3]
  %3 = neg(%2) : f32[2,3]
  return %3"
    ));
}

#[test]
fn convert_to_the_same_dtype_is_removed() {
    assert_snapshot!(canon(
        "  %1 = convert(%0) {to = f32} : f32[2,3]
  %2 = convert(%1) {to = f64} : f64[2,3]
  return %2"
    ));
}

#[test]
fn reshape_to_the_same_shape_is_removed() {
    assert_snapshot!(canon(
        "  %1 = reshape(%0) {shape = [2, 3]} : f32[2,3]
  return %1"
    ));
}

#[test]
fn reshape_of_reshape_becomes_one_reshape() {
    assert_snapshot!(canon(
        "  %1 = reshape(%0) {shape = [6]} : f32[6]
  %2 = reshape(%1) {shape = [3, 2]} : f32[3,2]
  %3 = reshape(%2) {shape = [1, 6]} : f32[1,6]
  return %3"
    ));
}

#[test]
fn reshape_of_reshape_back_to_the_original_shape_is_removed() {
    assert_snapshot!(canon(
        "  %1 = reshape(%0) {shape = [6]} : f32[6]
  %2 = reshape(%1) {shape = [2, 3]} : f32[2,3]
  return %2"
    ));
}

#[test]
fn transpose_of_transpose_is_composed() {
    assert_snapshot!(apply(
        &Canonicalize,
        r#"graph @main {
  %0 = parameter {index = 0, name = "x"} : f32[2,3,4]
  %1 = transpose(%0) {perm = [1, 2, 0]} : f32[3,4,2]
  %2 = transpose(%1) {perm = [1, 0, 2]} : f32[4,3,2]
  return %2
}"#
    ));
}

#[test]
fn transpose_of_transpose_that_cancels_is_removed() {
    assert_snapshot!(apply(
        &Canonicalize,
        r#"graph @main {
  %0 = parameter {index = 0, name = "x"} : f32[2,3,4]
  %1 = transpose(%0) {perm = [1, 2, 0]} : f32[3,4,2]
  %2 = transpose(%1) {perm = [2, 0, 1]} : f32[2,3,4]
  %3 = transpose(%2) {perm = [0, 1, 2]} : f32[2,3,4]
  return %3
}"#
    ));
}

#[test]
fn broadcast_to_the_same_shape_with_identity_dims_is_removed() {
    assert_snapshot!(canon(
        "  %1 = broadcast_in_dim(%0) {shape = [2, 3], dims = [0, 1]} : f32[2,3]
  %2 = broadcast_in_dim(%1) {shape = [4, 2, 3], dims = [1, 2]} : f32[4,2,3]
  return %2"
    ));
}

#[test]
fn slice_covering_the_whole_operand_is_removed() {
    assert_snapshot!(canon(
        "  %1 = slice(%0) {start = [0, 0], limit = [2, 3], stride = [1, 1]} : f32[2,3]
  %2 = slice(%1) {start = [0, 1], limit = [2, 3], stride = [1, 1]} : f32[2,2]
  return %2"
    ));
}

#[test]
fn concatenate_of_one_operand_and_pad_by_nothing_are_removed() {
    assert_snapshot!(canon(
        "  %1 = concatenate(%0) {dim = 0} : f32[2,3]
  %2 = constant {value = splat(0.0)} : f32[]
  %3 = pad(%1, %2) {low = [0, 0], high = [0, 0], interior = [0, 0]} : f32[2,3]
  return %3"
    ));
}
