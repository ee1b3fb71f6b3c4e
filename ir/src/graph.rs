//! The graph: an arena of nodes addressed by [`ValueId`], its outputs, and the builder entry
//! point [`Graph::add`] that runs shape inference.

use crate::dtype::TensorType;
use crate::error::IrError;
use crate::infer::infer;
use crate::op::Op;
use crate::sharding::{Mesh, Sharding};
use std::fmt;
use std::sync::Arc;

/// A value: the index of the node that defines it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ValueId(pub u32);

impl ValueId {
    /// The arena index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for ValueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%{}", self.0)
    }
}

/// A source location: the Rust call site that created a node (or `unknown`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Location {
    /// Source file path.
    pub file: Arc<str>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
}

impl Location {
    /// The location of a node with no known call site.
    pub fn unknown() -> Self {
        Location {
            file: Arc::from("unknown"),
            line: 0,
            col: 0,
        }
    }

    /// True if this is [`Location::unknown`].
    pub fn is_unknown(&self) -> bool {
        self.line == 0 && self.col == 0 && &*self.file == "unknown"
    }

    /// The location of the caller of a `#[track_caller]` function.
    #[track_caller]
    pub fn caller() -> Self {
        let l = std::panic::Location::caller();
        Location {
            file: Arc::from(l.file()),
            line: l.line(),
            col: l.column(),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// One node: an op applied to operands, producing one value of type `ty`.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The operation.
    pub op: Op,
    /// Operand values, all defined by earlier nodes.
    pub operands: Vec<ValueId>,
    /// Result type (always equal to what [`infer`] gives).
    pub ty: TensorType,
    /// Call site that created the node.
    pub loc: Location,
    /// Scope path (`layers.3.attn`), empty at top level.
    pub scope: Arc<str>,
}

/// A typed SSA graph: nodes in definition order, and the values it returns.
#[derive(Clone, Debug, PartialEq)]
pub struct Graph {
    /// Graph name (`main` by default).
    pub name: String,
    /// The arena; `ValueId(i)` is `nodes[i]`.
    pub nodes: Vec<Node>,
    /// Returned values, in order.
    pub outputs: Vec<ValueId>,
    /// Input/output aliases `(parameter index, output index)`: the output may reuse (donate)
    /// the parameter's buffer.
    pub aliases: Vec<(usize, usize)>,
    /// Exclusive upper bounds `(parameter index, bound)` of integer parameters: the program
    /// means something only for values in `0..bound` (a decode step's `position` within its
    /// key/value cache). Runners check inputs against them; the emitter writes them as
    /// `flash.bound` argument attributes.
    pub bounds: Vec<(usize, u64)>,
    /// The device mesh the program is partitioned over; `None` for a one-device program.
    /// Every sharding of the graph (parameters, results, `sharding_constraint` nodes) names
    /// axes of this mesh.
    pub mesh: Option<Mesh>,
    /// Shardings `(parameter index, sharding)` of the program's inputs; a parameter without
    /// one is left to the partitioner (XLA propagates a sharding to it).
    pub param_shardings: Vec<(usize, Sharding)>,
    /// Shardings `(output index, sharding)` of the program's results.
    pub result_shardings: Vec<(usize, Sharding)>,
}

impl Default for Graph {
    fn default() -> Self {
        Graph::new("main")
    }
}

impl Graph {
    /// An empty graph.
    pub fn new(name: impl Into<String>) -> Self {
        Graph {
            name: name.into(),
            nodes: Vec::new(),
            outputs: Vec::new(),
            aliases: Vec::new(),
            bounds: Vec::new(),
            mesh: None,
            param_shardings: Vec::new(),
            result_shardings: Vec::new(),
        }
    }

    /// Copies the signature-level annotations of `from` (aliases, bounds, mesh, parameter
    /// and result shardings) onto `self`: what every pass that rebuilds a graph keeps, since
    /// parameter indices and output positions never change.
    pub fn copy_annotations(&mut self, from: &Graph) {
        self.aliases = from.aliases.clone();
        self.bounds = from.bounds.clone();
        self.mesh = from.mesh.clone();
        self.param_shardings = from.param_shardings.clone();
        self.result_shardings = from.result_shardings.clone();
    }

    /// True if the graph carries any sharding annotation (a mesh, a parameter or result
    /// sharding or a `sharding_constraint` node).
    pub fn is_sharded(&self) -> bool {
        self.mesh.is_some()
            || !self.param_shardings.is_empty()
            || !self.result_shardings.is_empty()
            || self
                .nodes
                .iter()
                .any(|n| matches!(n.op, Op::ShardingConstraint { .. }))
    }

    /// Sets the device mesh.
    pub fn set_mesh(&mut self, mesh: Mesh) {
        self.mesh = Some(mesh);
    }

    /// The sharding of parameter `index`, if it has one.
    pub fn param_sharding(&self, index: usize) -> Option<&Sharding> {
        lookup(&self.param_shardings, index)
    }

    /// The sharding of output `index`, if it has one.
    pub fn result_sharding(&self, index: usize) -> Option<&Sharding> {
        lookup(&self.result_shardings, index)
    }

    /// Shards parameter `index` (replacing an earlier sharding of it).
    pub fn shard_param(&mut self, index: usize, sharding: Sharding) {
        replace(&mut self.param_shardings, index, sharding);
    }

    /// Shards output `index` (replacing an earlier sharding of it).
    pub fn shard_result(&mut self, index: usize, sharding: Sharding) {
        replace(&mut self.result_shardings, index, sharding);
    }

    /// Appends a node after inferring its type; fails (naming the op, constraint and call
    /// site) if an operand is undefined or a constraint does not hold.
    pub fn add(
        &mut self,
        op: Op,
        operands: Vec<ValueId>,
        loc: Location,
        scope: Arc<str>,
    ) -> Result<ValueId, IrError> {
        let id = self.nodes.len() as u32;
        let mut types = Vec::with_capacity(operands.len());
        for &v in &operands {
            match self.nodes.get(v.index()) {
                Some(n) => types.push(&n.ty),
                None => {
                    return Err(IrError::UseBeforeDef {
                        node: id,
                        op: op.name(),
                        loc,
                        operand: v.0,
                    })
                }
            }
        }
        let ty = infer(&op, &types).map_err(|source| IrError::Invalid {
            op: op.name(),
            loc: loc.clone(),
            source,
        })?;
        self.nodes.push(Node {
            op,
            operands,
            ty,
            loc,
            scope,
        });
        Ok(ValueId(id))
    }

    /// The node defining `v`.
    pub fn node(&self, v: ValueId) -> &Node {
        &self.nodes[v.index()]
    }

    /// The type of `v`.
    pub fn ty(&self, v: ValueId) -> &TensorType {
        &self.nodes[v.index()].ty
    }

    /// Parameter values ordered by parameter index.
    pub fn params(&self) -> Vec<ValueId> {
        let mut ps: Vec<(usize, ValueId)> = self
            .nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| match &n.op {
                Op::Parameter { index, .. } => Some((*index, ValueId(i as u32))),
                _ => None,
            })
            .collect();
        ps.sort();
        ps.into_iter().map(|(_, v)| v).collect()
    }

    /// The name of parameter value `v`, if it is one.
    pub fn param_name(&self, v: ValueId) -> Option<&str> {
        match &self.node(v).op {
            Op::Parameter { name, .. } => Some(name),
            _ => None,
        }
    }

    /// Number of uses of each value (outputs count as uses).
    pub fn use_counts(&self) -> Vec<usize> {
        let mut uses = vec![0; self.nodes.len()];
        for n in &self.nodes {
            for o in &n.operands {
                uses[o.index()] += 1;
            }
        }
        for o in &self.outputs {
            uses[o.index()] += 1;
        }
        uses
    }
}

/// The sharding recorded for `index`.
fn lookup(entries: &[(usize, Sharding)], index: usize) -> Option<&Sharding> {
    entries.iter().find(|(i, _)| *i == index).map(|(_, s)| s)
}

/// Records `sharding` for `index`, replacing an earlier entry in place (so the order of
/// first assignment is kept) or appending.
fn replace(entries: &mut Vec<(usize, Sharding)>, index: usize, sharding: Sharding) {
    match entries.iter_mut().find(|(i, _)| *i == index) {
        Some(entry) => entry.1 = sharding,
        None => entries.push((index, sharding)),
    }
}
