//! One printer per op family, and the dispatch over every [`Op`] variant.
//!
//! | family | file | form |
//! |---|---|---|
//! | constant, iota | `source.rs` | pretty |
//! | unary, binary, compare, select, convert | `elementwise.rs` | pretty |
//! | broadcast_in_dim, reshape, transpose, slice, dynamic_slice, dynamic_update_slice, concatenate, pad | `shape.rs` | pretty |
//! | reduce | `reduce.rs` | pretty (`applies`) |
//! | reduce_window | `reduce.rs` | generic, with a region |
//! | dot_general | `contract.rs` | pretty |
//! | gather | `contract.rs` | generic |
//! | scatter_add | `contract.rs` | generic `stablehlo.scatter`, with an add region |
//! | sharding_constraint | `shape.rs` | `sdy.sharding_constraint` or `custom_call @Sharding` |
//!
//! Parameters print nothing here (they are block arguments); composites are refused.

mod contract;
mod elementwise;
mod reduce;
mod shape;
mod source;

use flash_ir::infer::expected_arity;
use flash_ir::{Node, Op, ValueId};

use super::body::Body;
use super::error::EmitError;

/// Prints node `id` of the graph (nothing for a parameter).
pub fn emit_node(b: &mut Body<'_>, id: ValueId, node: &Node) -> Result<(), EmitError> {
    check_operands(id, node)?;
    if let Op::Parameter { .. } = node.op {
        return Ok(());
    }
    b.start(id, node);
    match &node.op {
        Op::Parameter { .. } => {}
        Op::Constant { value, ty } => return source::constant(b, value, ty, &node.loc),
        Op::Iota { dim, ty } => source::iota(b, *dim, ty),
        Op::Unary(u) => elementwise::unary(b, node, *u),
        Op::Binary(op) => elementwise::binary(b, node, *op),
        Op::Compare(dir) => elementwise::compare(b, node, *dir),
        Op::Select => elementwise::select(b, node),
        Op::Convert { .. } => elementwise::convert(b, node),
        Op::BroadcastInDim { dims, .. } => shape::broadcast_in_dim(b, node, dims),
        Op::Reshape { .. } => shape::reshape(b, node),
        Op::Transpose { perm } => shape::transpose(b, node, perm),
        Op::Slice {
            start,
            limit,
            stride,
        } => shape::slice(b, node, start, limit, stride),
        Op::DynamicSlice { sizes } => shape::dynamic_slice(b, node, sizes),
        Op::DynamicUpdateSlice => shape::dynamic_update_slice(b, node),
        Op::Concatenate { dim } => shape::concatenate(b, node, *dim),
        Op::Pad {
            low,
            high,
            interior,
        } => shape::pad(b, node, low, high, interior),
        Op::Reduce { kind, dims } => return reduce::reduce(b, node, *kind, dims),
        Op::ReduceWindow {
            kind,
            window,
            strides,
            padding,
        } => return reduce::reduce_window(b, node, *kind, window, strides, padding),
        Op::DotGeneral(dims) => contract::dot_general(b, node, dims),
        Op::Gather => contract::gather(b, node),
        Op::ScatterAdd => contract::scatter_add(b, node),
        Op::ShardingConstraint { sharding } => {
            return shape::sharding_constraint(b, node, sharding)
        }
        Op::Cumsum { .. } | Op::ChunkAttention(_) => {
            return Err(EmitError::Composite {
                op: node.op.name(),
                loc: node.loc.clone(),
            })
        }
    }
    Ok(())
}

/// Checks the operand count and that every operand is defined before the node, so the
/// printers can index operands freely.
fn check_operands(id: ValueId, node: &Node) -> Result<(), EmitError> {
    let (expected, ok) = match expected_arity(&node.op) {
        Some(n) => (n, node.operands.len() == n),
        None => (1, !node.operands.is_empty()),
    };
    if !ok {
        return Err(EmitError::Arity {
            node: id.0,
            op: node.op.name(),
            loc: node.loc.clone(),
            expected,
            got: node.operands.len(),
        });
    }
    match node.operands.iter().find(|v| v.0 >= id.0) {
        Some(v) => Err(EmitError::UseBeforeDef {
            node: id.0,
            op: node.op.name(),
            loc: node.loc.clone(),
            operand: v.0,
        }),
        None => Ok(()),
    }
}
