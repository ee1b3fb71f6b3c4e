//! The one graph walk every pass builds on.
//!
//! [`rebuild`] visits the nodes of a graph in definition order and builds a new graph. It keeps
//! a map from old values to new ones, hands the callback each node together with its already
//! remapped operands and a [`Builder`] stamped with the node's location and scope (so whatever
//! the callback builds inherits them), and then applies the callback's [`Action`]. Outputs are
//! remapped; aliases, bounds, the mesh and the parameter and result shardings are kept
//! ([`Graph::copy_annotations`]: parameters and output positions never change). Every
//! replacement is checked to have the type of the value it replaces.

use crate::error::PassError;
use flash_ir::{Builder, Graph, IrError, Node, Op, ValueId};

/// What [`rebuild`] does with one node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Copy the node (same op, remapped operands, same location and scope).
    Keep,
    /// Use this value of the new graph instead (built by the callback or found earlier).
    Replace(ValueId),
    /// Leave the node out. Nodes using it are left out too (without consulting the
    /// callback); an output using it is an error.
    Drop,
}

/// Rebuilds `g` node by node, asking `f` what to do with each non-parameter node.
///
/// Parameters are always copied without consulting `f`: they are the program's signature.
/// A node with a dropped operand is dropped as well. `f` receives a builder on the new graph (carrying the node's location and scope), the old
/// node's value id and the node, and its operands already mapped into the new graph.
pub fn rebuild<F>(g: &Graph, mut f: F) -> Result<Graph, PassError>
where
    F: FnMut(&mut Builder<'_>, ValueId, &Node, &[ValueId]) -> Result<Action, PassError>,
{
    let mut out = Graph::new(g.name.clone());
    let mut map: Vec<Option<ValueId>> = Vec::with_capacity(g.nodes.len());
    for (i, node) in g.nodes.iter().enumerate() {
        let new = match remap_operands(&map, node, i)? {
            Some(operands) => apply(&mut out, ValueId(i as u32), node, operands, &mut f)?,
            None => None,
        };
        if let Some(v) = new {
            check_type(&out, i, node, v)?;
        }
        map.push(new);
    }
    let outputs = remap_outputs(&map, &g.outputs)?;
    out.outputs = outputs;
    out.copy_annotations(g);
    Ok(out)
}

fn apply<F>(
    out: &mut Graph,
    id: ValueId,
    node: &Node,
    operands: Vec<ValueId>,
    f: &mut F,
) -> Result<Option<ValueId>, PassError>
where
    F: FnMut(&mut Builder<'_>, ValueId, &Node, &[ValueId]) -> Result<Action, PassError>,
{
    let mut b = Builder::at(out, node.loc.clone(), node.scope.clone());
    let action = if matches!(node.op, Op::Parameter { .. }) {
        Action::Keep
    } else {
        f(&mut b, id, node, &operands)?
    };
    Ok(match action {
        Action::Keep => Some(b.op(node.op.clone(), operands)?),
        Action::Replace(v) => Some(v),
        Action::Drop => None,
    })
}

/// The operands mapped into the new graph, or `None` if one of them was dropped.
fn remap_operands(
    map: &[Option<ValueId>],
    node: &Node,
    index: usize,
) -> Result<Option<Vec<ValueId>>, PassError> {
    let mut operands = Vec::with_capacity(node.operands.len());
    for o in &node.operands {
        match map.get(o.index()) {
            Some(Some(v)) => operands.push(*v),
            Some(None) => return Ok(None),
            None => {
                return Err(PassError::Ir(IrError::UseBeforeDef {
                    node: index as u32,
                    op: node.op.name(),
                    loc: node.loc.clone(),
                    operand: o.0,
                }))
            }
        }
    }
    Ok(Some(operands))
}

fn remap_outputs(map: &[Option<ValueId>], outputs: &[ValueId]) -> Result<Vec<ValueId>, PassError> {
    outputs
        .iter()
        .enumerate()
        .map(|(k, o)| {
            map.get(o.index())
                .copied()
                .flatten()
                .ok_or(PassError::OutputDropped {
                    output: k,
                    operand: o.0,
                })
        })
        .collect()
}

fn check_type(out: &Graph, index: usize, node: &Node, v: ValueId) -> Result<(), PassError> {
    let new = out.nodes.get(v.index()).map(|n| &n.ty);
    if new == Some(&node.ty) {
        return Ok(());
    }
    Err(PassError::TypeChanged {
        node: index as u32,
        op: node.op.name(),
        old: node.ty.to_string(),
        new: new.map_or_else(|| format!("undefined value {v}"), |t| t.to_string()),
    })
}
