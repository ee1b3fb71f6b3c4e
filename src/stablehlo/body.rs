//! The function body being printed: SSA names, operand lookup and one line per op.
//!
//! Parameters are the block arguments `%argK` (K = parameter index); every other node `%N`
//! is named by its index in the graph's arena, so names are deterministic and match the IR
//! text form. Helper values an op needs (such as a reduction's init constant) are named
//! `%initN` after the node they serve.

use flash_ir::{Graph, Mesh, Node, Op, TensorType, ValueId};

use super::locations::LocTable;
use super::sharding::ShardingFormat;

/// Indentation of the ops inside `func.func`.
pub const INDENT: &str = "    ";

/// The printer state of one function body.
pub struct Body<'g> {
    graph: &'g Graph,
    /// Location aliases used so far.
    pub locs: LocTable,
    /// The printed ops.
    out: String,
    /// The node being printed.
    id: ValueId,
    /// Its location reference (`loc(#locN)`).
    loc: String,
    /// The sharding spelling and the (checked) mesh, for a graph partitioned over one.
    sharding: Option<(ShardingFormat, &'g Mesh)>,
}

impl<'g> Body<'g> {
    /// An empty body for `graph`, whose shardings (if any) are spelled in `format` over
    /// `mesh`.
    pub fn new(graph: &'g Graph, sharding: Option<(ShardingFormat, &'g Mesh)>) -> Self {
        Body {
            graph,
            locs: LocTable::new(),
            out: String::new(),
            id: ValueId(0),
            loc: "loc(unknown)".into(),
            sharding,
        }
    }

    /// The sharding spelling and mesh (`None` for a one-device program).
    pub fn sharding(&self) -> Option<(ShardingFormat, &'g Mesh)> {
        self.sharding
    }

    /// Starts printing node `id`: later lines carry its location.
    pub fn start(&mut self, id: ValueId, node: &Node) {
        self.id = id;
        self.loc = self.locs.reference(&node.loc, &node.scope);
    }

    /// The SSA name of `v`: `%argK` for parameter K, `%N` for any other node N.
    pub fn name(&self, v: ValueId) -> String {
        match self.graph.nodes.get(v.index()).map(|n| &n.op) {
            Some(Op::Parameter { index, .. }) => format!("%arg{index}"),
            _ => format!("%{}", v.0),
        }
    }

    /// The SSA name of the node being printed.
    pub fn result(&self) -> String {
        self.name(self.id)
    }

    /// The name of a helper value of the node being printed, e.g. `%init7`.
    pub fn helper(&self, prefix: &str) -> String {
        format!("%{prefix}{}", self.id.0)
    }

    /// The index of the node being printed.
    pub fn node_id(&self) -> u32 {
        self.id.0
    }

    /// The SSA name of operand `i` of `node`.
    pub fn operand(&self, node: &Node, i: usize) -> String {
        node.operands
            .get(i)
            .map_or_else(|| "%missing".into(), |&v| self.name(v))
    }

    /// The type of operand `i` of `node` (the node's own type if it is missing, which the
    /// arity check before printing rules out).
    pub fn operand_ty<'n>(&self, node: &'n Node, i: usize) -> &'n TensorType
    where
        'g: 'n,
    {
        node.operands
            .get(i)
            .and_then(|v| self.graph.nodes.get(v.index()))
            .map_or(&node.ty, |n| &n.ty)
    }

    /// The types of all operands of `node`.
    pub fn operand_tys<'n>(&self, node: &'n Node) -> Vec<&'n TensorType>
    where
        'g: 'n,
    {
        (0..node.operands.len())
            .map(|i| self.operand_ty(node, i))
            .collect()
    }

    /// Prints `%name = <op>` with the current node's location.
    pub fn def(&mut self, name: &str, op: &str) {
        self.raw(&format!("{name} = {op} {}", self.loc));
    }

    /// Prints the node's result `%N = <op>` with its location.
    pub fn def_result(&mut self, op: &str) {
        let name = self.result();
        self.def(&name, op);
    }

    /// Prints `text` as one indented line, without adding a location.
    pub fn raw(&mut self, text: &str) {
        self.out.push_str(INDENT);
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// The current node's location reference.
    pub fn loc(&self) -> &str {
        &self.loc
    }

    /// The printed ops and the location table.
    pub fn finish(self) -> (String, LocTable) {
        (self.out, self.locs)
    }
}
