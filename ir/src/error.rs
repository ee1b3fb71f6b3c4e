//! Error types of the IR: inference failures (data first) and graph-level errors that add the
//! node, op and call site.

use crate::graph::Location;
use crate::sharding::{Mesh, MeshError, Sharding, ShardingError};
use thiserror::Error;

/// A shape/dtype inference failure: which constraint of the op's doc failed, and why.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{constraint}: {message}")]
pub struct InferError {
    /// Constraint name from the op's documentation (`C1`, `C2`, ... or `operands`).
    pub constraint: &'static str,
    /// What was wrong, with the shapes or values involved.
    pub message: String,
}

impl InferError {
    /// A failure of constraint `constraint`.
    pub fn new(constraint: &'static str, message: impl Into<String>) -> Self {
        InferError {
            constraint,
            message: message.into(),
        }
    }
}

/// An error about a graph, located at a node and its DSL call site.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum IrError {
    /// An op's constraint does not hold.
    #[error("{op} at {loc}: {source}")]
    Invalid {
        /// Op name.
        op: &'static str,
        /// Call site of the node.
        loc: Location,
        /// The failed constraint.
        source: InferError,
    },
    /// A node uses a value that is not defined before it.
    #[error("node %{node} ({op}) at {loc}: operand %{operand} is not defined before use")]
    UseBeforeDef {
        /// The using node.
        node: u32,
        /// Its op name.
        op: &'static str,
        /// Its call site.
        loc: Location,
        /// The undefined value.
        operand: u32,
    },
    /// A node's recorded type differs from the inferred one.
    #[error(
        "node %{node} ({op}) at {loc}: recorded type {recorded} but inference gives {inferred}"
    )]
    TypeMismatch {
        /// The node.
        node: u32,
        /// Its op name.
        op: &'static str,
        /// Its call site.
        loc: Location,
        /// Type stored on the node.
        recorded: String,
        /// Type the op's rule infers.
        inferred: String,
    },
    /// A sharding (of a parameter, a result or a `sharding_constraint` node) does not fit
    /// the graph's mesh or its value.
    #[error("{site}: {source}")]
    Sharding {
        /// What carries the sharding: `parameter 0 ("x")`, `output 1`,
        /// `node %5 (sharding_constraint) at src/lib.rs:3:9`.
        site: String,
        /// What is wrong with it (boxed: the error types that wrap this one stay small).
        source: Box<ShardingError>,
    },
    /// A sharding is given but the graph has no mesh.
    #[error("{site} is sharded as {sharding} but the graph has no mesh (add `mesh axis=N, ...`)")]
    NoMesh {
        /// What carries the sharding (as in [`IrError::Sharding`]).
        site: String,
        /// The sharding.
        sharding: Sharding,
    },
    /// The graph's mesh is malformed.
    #[error("graph mesh {mesh}: {source}")]
    Mesh {
        /// The mesh.
        mesh: Mesh,
        /// What is wrong with it.
        source: MeshError,
    },
    /// A graph-level property does not hold (parameters, outputs, aliases).
    #[error("graph: {0}")]
    Graph(String),
}
