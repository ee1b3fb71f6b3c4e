//! Data-movement ops: broadcast_in_dim, reshape, transpose, slice, concatenate and pad, and
//! sharding_constraint (which moves nothing itself: it tells XLA's partitioner where data is).

use flash_ir::{Node, Sharding};

use crate::stablehlo::body::Body;
use crate::stablehlo::error::EmitError;
use crate::stablehlo::sharding::constraint_op;
use crate::stablehlo::syntax::{join, list};
use crate::stablehlo::types::function_type;

/// The node's function type `(operands) -> result`.
fn signature(b: &Body<'_>, node: &Node) -> String {
    function_type(&b.operand_tys(node), &node.ty)
}

/// `%N = stablehlo.broadcast_in_dim %x, dims = [0, 2] : (...) -> ...`.
pub fn broadcast_in_dim(b: &mut Body<'_>, node: &Node, dims: &[usize]) {
    let x = b.operand(node, 0);
    let ty = signature(b, node);
    b.def_result(&format!(
        "stablehlo.broadcast_in_dim {x}, dims = {} : {ty}",
        list(dims)
    ));
}

/// `%N = sdy.sharding_constraint %x <@mesh, [{"data"}, {}]> : ...` (Shardy) or
/// `%N = stablehlo.custom_call @Sharding(%x) {mhlo.sharding = "..."} : ...` (GSPMD).
pub fn sharding_constraint(
    b: &mut Body<'_>,
    node: &Node,
    sharding: &Sharding,
) -> Result<(), EmitError> {
    let Some((format, mesh)) = b.sharding() else {
        return Err(EmitError::NoMesh {
            site: format!("node %{} at {}", b.node_id(), node.loc),
        });
    };
    let x = b.operand(node, 0);
    b.def_result(&constraint_op(format, mesh, sharding, &x, &node.ty));
    Ok(())
}

/// `%N = stablehlo.reshape %x : (...) -> ...`.
pub fn reshape(b: &mut Body<'_>, node: &Node) {
    let x = b.operand(node, 0);
    let ty = signature(b, node);
    b.def_result(&format!("stablehlo.reshape {x} : {ty}"));
}

/// `%N = stablehlo.transpose %x, dims = [1, 0] : (...) -> ...`.
pub fn transpose(b: &mut Body<'_>, node: &Node, perm: &[usize]) {
    let x = b.operand(node, 0);
    let ty = signature(b, node);
    b.def_result(&format!(
        "stablehlo.transpose {x}, dims = {} : {ty}",
        list(perm)
    ));
}

/// `%N = stablehlo.slice %x [0:2, 1:5:2] : (...) -> ...` (start:limit:stride per dim).
pub fn slice(b: &mut Body<'_>, node: &Node, start: &[usize], limit: &[usize], stride: &[usize]) {
    let x = b.operand(node, 0);
    let ranges: Vec<String> = start
        .iter()
        .zip(limit)
        .zip(stride)
        .map(|((s, l), st)| {
            if *st == 1 {
                format!("{s}:{l}")
            } else {
                format!("{s}:{l}:{st}")
            }
        })
        .collect();
    let ty = signature(b, node);
    b.def_result(&format!(
        "stablehlo.slice {x} [{}] : {ty}",
        ranges.join(", ")
    ));
}

/// `%N = stablehlo.dynamic_slice %x, %i, %j, sizes = [2, 3] : (...) -> ...`.
pub fn dynamic_slice(b: &mut Body<'_>, node: &Node, sizes: &[usize]) {
    variadic(
        b,
        node,
        "dynamic_slice",
        &format!(", sizes = {}", list(sizes)),
    );
}

/// `%N = stablehlo.dynamic_update_slice %x, %update, %i, %j : (...) -> ...`.
pub fn dynamic_update_slice(b: &mut Body<'_>, node: &Node) {
    variadic(b, node, "dynamic_update_slice", "");
}

/// `%N = stablehlo.concatenate %a, %b, dim = 0 : (...) -> ...`.
pub fn concatenate(b: &mut Body<'_>, node: &Node, dim: usize) {
    variadic(b, node, "concatenate", &format!(", dim = {dim}"));
}

/// `%N = stablehlo.OP %a, %b, ...ATTRS : (...) -> ...` over every operand of `node`.
fn variadic(b: &mut Body<'_>, node: &Node, op: &str, attrs: &str) {
    let xs: Vec<String> = (0..node.operands.len())
        .map(|i| b.operand(node, i))
        .collect();
    let ty = signature(b, node);
    b.def_result(&format!("stablehlo.{op} {}{attrs} : {ty}", join(&xs)));
}

/// `%N = stablehlo.pad %x, %v, low = [..], high = [..], interior = [..] : (...) -> ...`.
pub fn pad(b: &mut Body<'_>, node: &Node, low: &[i64], high: &[i64], interior: &[usize]) {
    let (x, v) = (b.operand(node, 0), b.operand(node, 1));
    let ty = signature(b, node);
    b.def_result(&format!(
        "stablehlo.pad {x}, {v}, low = {}, high = {}, interior = {} : {ty}",
        list(low),
        list(high),
        list(interior)
    ));
}
