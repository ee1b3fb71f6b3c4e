//! Snapshot tests of `dce`: one per guarantee.

mod common;

use common::apply;
use flash_passes::Dce;
use insta::assert_snapshot;

#[test]
fn removes_nodes_the_outputs_do_not_use() {
    assert_snapshot!(apply(
        &Dce,
        r#"graph @main {
  %0 = parameter {index = 0, name = "x"} : f32[4]
  %1 = exp(%0) : f32[4]
  %2 = neg(%0) : f32[4]
  %3 = tanh(%1) : f32[4]
  return %2
}"#
    ));
}

#[test]
fn keeps_unused_parameters() {
    assert_snapshot!(apply(
        &Dce,
        r#"graph @main {
  %0 = parameter {index = 0, name = "x"} : f32[4]
  %1 = parameter {index = 1, name = "unused"} : f32[4]
  %2 = exp(%1) : f32[4]
  %3 = parameter {index = 2, name = "y"} : f32[4]
  %4 = add(%0, %3) : f32[4]
  return %4
}"#
    ));
}

#[test]
fn renumbers_compactly_and_keeps_aliases_loc_and_scope() {
    assert_snapshot!(apply(
        &Dce,
        r#"graph @step {
  %0 = parameter {index = 0, name = "w"} : f32[2]
  %1 = constant {value = splat(3.0)} : f32[2]
  %2 = constant {value = splat(0.5)} : f32[2] loc("src/nn.rs":10:5) scope("opt")
  %3 = mul(%0, %2) : f32[2] loc("src/nn.rs":11:5) scope("opt")
  %4 = sub(%0, %3) : f32[2] loc("src/nn.rs":12:5) scope("opt")
  return %4, %0
  alias param 0 -> output 0
}"#
    ));
}

#[test]
fn keeps_a_graph_without_dead_nodes_unchanged() {
    let src = r#"graph @main {
  %0 = parameter {index = 0, name = "x"} : f32[4]
  %1 = neg(%0) : f32[4]
  return %1, %0
}"#;
    let out = apply(&Dce, src);
    let (before, after) = out.split_once("// after dce:\n").unwrap();
    assert_eq!(before, after);
}
