//! Snapshot tests of `cse`: what merges and what must not.

mod common;

use common::apply;
use flash_passes::Cse;
use insta::assert_snapshot;

#[test]
fn merges_equal_ops_on_equal_operands_transitively() {
    assert_snapshot!(apply(
        &Cse,
        r#"graph @main {
  %0 = parameter {index = 0, name = "x"} : f32[4]
  %1 = exp(%0) : f32[4]
  %2 = exp(%0) : f32[4]
  %3 = neg(%1) : f32[4]
  %4 = neg(%2) : f32[4]
  %5 = add(%3, %4) : f32[4]
  return %5
}"#
    ));
}

#[test]
fn never_merges_parameters() {
    assert_snapshot!(apply(
        &Cse,
        r#"graph @main {
  %0 = parameter {index = 0, name = "a"} : f32[4]
  %1 = parameter {index = 1, name = "b"} : f32[4]
  %2 = exp(%0) : f32[4]
  %3 = exp(%1) : f32[4]
  %4 = add(%2, %3) : f32[4]
  return %4
}"#
    ));
}

#[test]
fn merges_constants_with_equal_literal_and_type() {
    assert_snapshot!(apply(
        &Cse,
        r#"graph @main {
  %0 = parameter {index = 0, name = "x"} : f32[3]
  %1 = constant {value = splat(2.0)} : f32[3]
  %2 = constant {value = splat(2.0)} : f32[3]
  %3 = constant {value = dense([1.0, nan, 3.0])} : f32[3]
  %4 = constant {value = dense([1.0, nan, 3.0])} : f32[3]
  %5 = mul(%0, %1) : f32[3]
  %6 = mul(%5, %2) : f32[3]
  %7 = add(%6, %3) : f32[3]
  %8 = add(%7, %4) : f32[3]
  return %8
}"#
    ));
}

#[test]
fn keeps_signed_zeros_and_different_types_apart() {
    assert_snapshot!(apply(
        &Cse,
        r#"graph @main {
  %0 = constant {value = splat(0.0)} : f32[2]
  %1 = constant {value = splat(-0.0)} : f32[2]
  %2 = constant {value = splat(0.0)} : f32[3]
  %3 = constant {value = splat(0)} : i32[2]
  return %0, %1, %2, %3
}"#
    ));
}

#[test]
fn keeps_ops_with_different_attributes_apart() {
    assert_snapshot!(apply(
        &Cse,
        r#"graph @main {
  %0 = parameter {index = 0, name = "x"} : f32[2,2]
  %1 = compare(%0, %0) {dir = lt} : bool[2,2]
  %2 = compare(%0, %0) {dir = le} : bool[2,2]
  %3 = iota {dim = 0} : i32[2,2]
  %4 = iota {dim = 1} : i32[2,2]
  %5 = iota {dim = 1} : i32[2,2]
  return %1, %2, %3, %4, %5
}"#
    ));
}
