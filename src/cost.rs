//! The cost model: FLOPs of an IR graph, counted op by op from the types in the graph.
//!
//! - `dot_general`: `2 x prod(batch) x prod(lhs free) x prod(rhs free) x prod(contract)`
//!   (two FLOPs per multiply-add), reported as [`Cost::matmul`].
//! - Elementwise ops (unary, binary, compare, select, convert): one FLOP per output element,
//!   reported apart as [`Cost::elementwise`].
//! - Reductions: `reduce` one FLOP per input element, `reduce_window` one per output element
//!   and window position, reported as [`Cost::reduce`].
//! - Data movement (parameter, constant, iota, broadcast, reshape, transpose, slice,
//!   concatenate, pad, gather): zero FLOPs. `scatter_add`: one add per update element,
//!   reported as [`Cost::elementwise`].
//! - Composites (`chunk_attention`, `cumsum`) are costed AFTER LOWERING: the node alone is
//!   copied into a scratch graph and rewritten by the same passes the pipeline runs
//!   (`lower_chunk_attention`, then `lower_cumsum` with [`CumsumStrategy::Auto`]), and that
//!   graph is counted. So a graph costs the same before and after the pipeline (as long as the
//!   pipeline uses the `Auto` strategy), and the count is that of what XLA is handed.
//!
//! [`formulas`] holds the closed forms of FLASH.md section 5 that the tests check this
//! count against.

pub mod formulas;

use crate::ir::{DotDims, Graph, Node, Op, TensorType, ValueId};
use crate::passes::chunk_attention::LowerChunkAttention;
use crate::passes::{CumsumStrategy, LowerCumsum, Pass, PassError, PassOptions};
use serde::Serialize;
use std::ops::{Add, AddAssign};
use thiserror::Error;

/// FLOPs of a graph or op, split by kind of work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Cost {
    /// `dot_general` FLOPs (2 per multiply-add).
    pub matmul: u64,
    /// Elementwise FLOPs (1 per output element).
    pub elementwise: u64,
    /// Reduction FLOPs (1 per element reduced).
    pub reduce: u64,
}

impl Cost {
    /// All FLOPs together.
    pub fn total(&self) -> u64 {
        self.matmul + self.elementwise + self.reduce
    }
}

impl Add for Cost {
    type Output = Cost;

    fn add(self, o: Cost) -> Cost {
        Cost {
            matmul: self.matmul + o.matmul,
            elementwise: self.elementwise + o.elementwise,
            reduce: self.reduce + o.reduce,
        }
    }
}

impl AddAssign for Cost {
    fn add_assign(&mut self, o: Cost) {
        *self = *self + o;
    }
}

/// Why a graph could not be costed.
#[derive(Debug, Error)]
pub enum CostError {
    /// An operand of a node is not defined earlier in the graph.
    #[error("node %{node} ({op}) uses undefined value %{operand}")]
    Undefined {
        /// The node.
        node: usize,
        /// Its op name.
        op: &'static str,
        /// The missing operand.
        operand: u32,
    },
    /// Lowering a composite for costing failed.
    #[error("cannot lower composite node %{node} ({op}) for costing: {source}")]
    Lowering {
        /// The node.
        node: usize,
        /// Its op name.
        op: &'static str,
        /// The pass error.
        source: Box<PassError>,
    },
    /// The lowering passes left a composite op behind (a bug in a pass).
    #[error("lowering composite node %{node} ({op}) left a composite op behind")]
    Unlowered {
        /// The node.
        node: usize,
        /// Its op name.
        op: &'static str,
    },
}

/// The FLOPs of every node of `g` (see the module docs for what is counted).
pub fn graph_cost(g: &Graph) -> Result<Cost, CostError> {
    let mut total = Cost::default();
    for (i, node) in g.nodes.iter().enumerate() {
        // The identity products of `materialize_tables` only pin a table in memory.
        if flash_passes::materialize_tables::is_identity_product(g, flash_ir::ValueId(i as u32)) {
            continue;
        }
        let operands = operand_types(g, i, node)?;
        total += node_cost(i, node, &operands)?;
    }
    Ok(total)
}

/// The FLOPs of one `dot_general` of operands with shapes `lhs` and `rhs`.
pub fn dot_general_flops(lhs: &[usize], rhs: &[usize], dims: &DotDims) -> u64 {
    let batch = product(dims.lhs_batch.iter().map(|&d| lhs[d]));
    let contract = product(dims.lhs_contract.iter().map(|&d| lhs[d]));
    let lhs_free = free(lhs, &dims.lhs_batch, &dims.lhs_contract);
    let rhs_free = free(rhs, &dims.rhs_batch, &dims.rhs_contract);
    2 * batch * lhs_free * rhs_free * contract
}

/// The product of the dims of `shape` not listed in `batch` or `contract`.
fn free(shape: &[usize], batch: &[usize], contract: &[usize]) -> u64 {
    let listed = |d: &usize| batch.contains(d) || contract.contains(d);
    product((0..shape.len()).filter(|d| !listed(d)).map(|d| shape[d]))
}

fn product(xs: impl Iterator<Item = usize>) -> u64 {
    xs.map(|x| x as u64).product()
}

fn operand_types<'g>(
    g: &'g Graph,
    i: usize,
    node: &Node,
) -> Result<Vec<&'g TensorType>, CostError> {
    node.operands
        .iter()
        .map(|v| match g.nodes.get(v.index()) {
            Some(n) if v.index() < i => Ok(&n.ty),
            _ => Err(CostError::Undefined {
                node: i,
                op: node.op.name(),
                operand: v.0,
            }),
        })
        .collect()
}

/// The FLOPs of node number `i` whose operands have types `operands`.
fn node_cost(i: usize, node: &Node, operands: &[&TensorType]) -> Result<Cost, CostError> {
    let out = node.ty.num_elements() as u64;
    let cost = match &node.op {
        Op::Parameter { .. }
        | Op::Constant { .. }
        | Op::Iota { .. }
        | Op::BroadcastInDim { .. }
        | Op::Reshape { .. }
        | Op::Transpose { .. }
        | Op::Slice { .. }
        | Op::DynamicSlice { .. }
        | Op::DynamicUpdateSlice
        | Op::Concatenate { .. }
        | Op::Pad { .. }
        | Op::Gather
        | Op::ShardingConstraint { .. } => Cost::default(),
        Op::ScatterAdd => Cost {
            elementwise: operands.get(2).map_or(0, |t| t.num_elements() as u64),
            ..Cost::default()
        },
        Op::Unary(_) | Op::Binary(_) | Op::Compare(_) | Op::Select | Op::Convert { .. } => Cost {
            elementwise: out,
            ..Cost::default()
        },
        Op::Reduce { .. } => {
            let inputs = operands.first().map_or(0, |t| t.num_elements() as u64);
            Cost {
                reduce: inputs,
                ..Cost::default()
            }
        }
        Op::ReduceWindow { window, .. } => Cost {
            reduce: out * product(window.iter().copied()),
            ..Cost::default()
        },
        Op::DotGeneral(dims) => match operands {
            [l, r] => Cost {
                matmul: dot_general_flops(&l.shape, &r.shape, dims),
                ..Cost::default()
            },
            _ => Cost::default(),
        },
        Op::Cumsum { .. } | Op::ChunkAttention(_) => composite_cost(i, node, operands)?,
    };
    Ok(cost)
}

/// Costs a composite by lowering it alone in a scratch graph (see the module docs).
fn composite_cost(i: usize, node: &Node, operands: &[&TensorType]) -> Result<Cost, CostError> {
    let err = |e: PassError| CostError::Lowering {
        node: i,
        op: node.op.name(),
        source: Box::new(e),
    };
    let mut g = Graph::new("composite");
    let mut args = Vec::with_capacity(operands.len());
    for (index, ty) in operands.iter().enumerate() {
        let op = Op::Parameter {
            index,
            name: format!("x{index}"),
            ty: (*ty).clone(),
        };
        args.push(
            g.add(op, vec![], node.loc.clone(), node.scope.clone())
                .map_err(|e| err(e.into()))?,
        );
    }
    let out: ValueId = g
        .add(node.op.clone(), args, node.loc.clone(), node.scope.clone())
        .map_err(|e| err(e.into()))?;
    g.outputs = vec![out];
    let opts = PassOptions {
        cumsum: CumsumStrategy::Auto,
        ..PassOptions::default()
    };
    let g = LowerChunkAttention.run(g, &opts).map_err(err)?;
    let g = LowerCumsum.run(g, &opts).map_err(err)?;
    if g.nodes.iter().any(|n| n.op.is_composite()) {
        return Err(CostError::Unlowered {
            node: i,
            op: node.op.name(),
        });
    }
    graph_cost(&g)
}
