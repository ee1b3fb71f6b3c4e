//! The op declaration table: every op has a distinct text name that the parser maps back to
//! it, traits agree with what the passes rely on, and arities match inference.

use flash_ir::op::{Arity, OpKind, Traits};
use flash_ir::{BinaryOp, UnaryOp};
use std::collections::HashSet;

fn is_family(kind: OpKind) -> bool {
    matches!(kind, OpKind::Unary | OpKind::Binary)
}

#[test]
fn every_written_name_is_distinct() {
    let mut names: Vec<&str> = OpKind::ALL
        .iter()
        .filter(|k| !is_family(**k))
        .map(|k| k.spec().name)
        .collect();
    names.extend(UnaryOp::ALL.iter().map(|u| u.name()));
    names.extend(BinaryOp::ALL.iter().map(|b| b.name()));
    let distinct: HashSet<&str> = names.iter().copied().collect();
    assert_eq!(distinct.len(), names.len(), "{names:?}");
}

#[test]
fn only_parameters_are_impure() {
    let impure: Vec<OpKind> = OpKind::ALL
        .iter()
        .copied()
        .filter(|k| !k.spec().traits.contains(Traits::PURE))
        .collect();
    assert_eq!(impure, [OpKind::Parameter]);
}

#[test]
fn sources_take_no_operands_and_composites_are_the_lowered_ops() {
    for kind in OpKind::ALL {
        let spec = kind.spec();
        if spec.traits.contains(Traits::SOURCE) {
            assert_eq!(spec.arity, Arity::Fixed(0), "{kind:?}");
        }
    }
    let composites: Vec<OpKind> = OpKind::ALL
        .iter()
        .copied()
        .filter(|k| k.spec().traits.contains(Traits::COMPOSITE))
        .collect();
    assert_eq!(composites, [OpKind::Cumsum, OpKind::ChunkAttention]);
}

#[test]
fn layout_ops_are_broadcast_reshape_and_transpose() {
    let layout: Vec<&str> = OpKind::ALL
        .iter()
        .filter(|k| k.spec().traits.contains(Traits::LAYOUT))
        .map(|k| k.spec().name)
        .collect();
    assert_eq!(layout, ["broadcast_in_dim", "reshape", "transpose"]);
}

#[test]
fn variadic_ops_are_concatenate_and_the_dynamic_slices() {
    let variadic: Vec<OpKind> = OpKind::ALL
        .iter()
        .copied()
        .filter(|k| k.spec().arity == Arity::Variadic)
        .collect();
    assert_eq!(
        variadic,
        [
            OpKind::DynamicSlice,
            OpKind::DynamicUpdateSlice,
            OpKind::Concatenate
        ]
    );
}
