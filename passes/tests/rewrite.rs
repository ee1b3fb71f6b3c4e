//! Tests of the shared rewrite walk: what it keeps, and the misuse it reports.

mod common;

use common::parse;
use flash_ir::text::print_graph;
use flash_passes::rewrite::{rebuild, Action};
use flash_passes::PassError;

const SRC: &str = r#"graph @main {
  %0 = parameter {index = 0, name = "x"} : f32[2]
  %1 = exp(%0) : f32[2] loc("a.rs":1:2) scope("s")
  %2 = neg(%1) : f32[2]
  %3 = reshape(%2) {shape = [1, 2]} : f32[1,2]
  return %2, %3
  alias param 0 -> output 0
}"#;

#[test]
fn keeping_every_node_reproduces_the_graph() {
    let g = parse(SRC);
    let out = rebuild(&g, |_, _, _, _| Ok(Action::Keep)).unwrap();
    assert_eq!(out, g);
}

#[test]
fn built_nodes_inherit_the_location_and_scope_of_the_node_they_replace() {
    let g = parse(SRC);
    let out = rebuild(&g, |b, id, _, ops| {
        if id.0 != 1 {
            return Ok(Action::Keep);
        }
        Ok(Action::Replace(b.unary(flash_ir::UnaryOp::Exp, ops[0])?))
    })
    .unwrap();
    assert_eq!(print_graph(&out), print_graph(&g));
}

#[test]
fn a_replacement_of_another_type_is_an_error() {
    let g = parse(SRC);
    let err = rebuild(&g, |_, id, _, ops| {
        Ok(if id.0 == 3 {
            Action::Replace(ops[0])
        } else {
            Action::Keep
        })
    })
    .unwrap_err();
    assert_eq!(
        err,
        PassError::TypeChanged {
            node: 3,
            op: "reshape",
            old: "f32[1,2]".into(),
            new: "f32[2]".into()
        }
    );
}

#[test]
fn dropping_a_value_drops_its_users_and_an_output_using_it_is_an_error() {
    let g = parse(SRC);
    let err = rebuild(&g, |_, id, _, _| {
        Ok(if id.0 == 1 {
            Action::Drop
        } else {
            Action::Keep
        })
    })
    .unwrap_err();
    assert_eq!(
        err,
        PassError::OutputDropped {
            output: 0,
            operand: 2
        }
    );
}
