//! Elementwise ops: unary and binary arithmetic, compare, select and convert.

use flash_ir::{BinaryOp, CmpDir, Node, UnaryOp};

use crate::stablehlo::body::Body;
use crate::stablehlo::types::{comparison_type, function_type, tensor_type};

/// The StableHLO op of a unary function.
fn unary_name(u: UnaryOp) -> &'static str {
    match u {
        UnaryOp::Neg => "stablehlo.negate",
        UnaryOp::Abs => "stablehlo.abs",
        UnaryOp::Exp => "stablehlo.exponential",
        UnaryOp::Log => "stablehlo.log",
        UnaryOp::Tanh => "stablehlo.tanh",
        UnaryOp::Logistic => "stablehlo.logistic",
        UnaryOp::Sqrt => "stablehlo.sqrt",
        UnaryOp::Rsqrt => "stablehlo.rsqrt",
        UnaryOp::Sin => "stablehlo.sine",
        UnaryOp::Cos => "stablehlo.cosine",
    }
}

/// The StableHLO op of a binary function.
fn binary_name(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "stablehlo.add",
        BinaryOp::Sub => "stablehlo.subtract",
        BinaryOp::Mul => "stablehlo.multiply",
        BinaryOp::Div => "stablehlo.divide",
        BinaryOp::Max => "stablehlo.maximum",
        BinaryOp::Min => "stablehlo.minimum",
        BinaryOp::Pow => "stablehlo.power",
    }
}

/// The StableHLO comparison direction.
fn direction(dir: CmpDir) -> &'static str {
    match dir {
        CmpDir::Eq => "EQ",
        CmpDir::Ne => "NE",
        CmpDir::Lt => "LT",
        CmpDir::Le => "LE",
        CmpDir::Gt => "GT",
        CmpDir::Ge => "GE",
    }
}

/// `%N = stablehlo.exponential %x : tensor<...>`.
pub fn unary(b: &mut Body<'_>, node: &Node, u: UnaryOp) {
    let x = b.operand(node, 0);
    b.def_result(&format!(
        "{} {x} : {}",
        unary_name(u),
        tensor_type(&node.ty)
    ));
}

/// `%N = stablehlo.add %a, %b : tensor<...>`.
pub fn binary(b: &mut Body<'_>, node: &Node, op: BinaryOp) {
    let (x, y) = (b.operand(node, 0), b.operand(node, 1));
    b.def_result(&format!(
        "{} {x}, {y} : {}",
        binary_name(op),
        tensor_type(&node.ty)
    ));
}

/// `%N = stablehlo.compare  LT, %a, %b,  FLOAT : (...) -> tensor<...xi1>`.
pub fn compare(b: &mut Body<'_>, node: &Node, dir: CmpDir) {
    let (x, y) = (b.operand(node, 0), b.operand(node, 1));
    let operand_ty = b.operand_ty(node, 0);
    let ty = function_type(&b.operand_tys(node), &node.ty);
    b.def_result(&format!(
        "stablehlo.compare  {}, {x}, {y},  {} : {ty}",
        direction(dir),
        comparison_type(operand_ty.dtype)
    ));
}

/// `%N = stablehlo.select %pred, %on_true, %on_false : (...) -> tensor<...>`.
pub fn select(b: &mut Body<'_>, node: &Node) {
    let (p, x, y) = (b.operand(node, 0), b.operand(node, 1), b.operand(node, 2));
    let ty = function_type(&b.operand_tys(node), &node.ty);
    b.def_result(&format!("stablehlo.select {p}, {x}, {y} : {ty}"));
}

/// `%N = stablehlo.convert %x : (tensor<...>) -> tensor<...>`.
pub fn convert(b: &mut Body<'_>, node: &Node) {
    let x = b.operand(node, 0);
    let ty = function_type(&b.operand_tys(node), &node.ty);
    b.def_result(&format!("stablehlo.convert {x} : {ty}"));
}
