//! The emitter's error type: what about a graph keeps it from being printed as StableHLO.

use flash_ir::{DType, Location, MeshError, ShardingError};
use thiserror::Error;

/// Why a graph could not be emitted. Each variant names the node (as `%N`, its index in the
/// graph's arena), its op and the DSL call site where there is one.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum EmitError {
    /// A composite op reached the emitter; composites must be lowered to primitive ops first.
    #[error(
        "{op} at {loc} is a composite op: run the lowering pipeline (flash_passes) before \
         emitting StableHLO"
    )]
    Composite {
        /// Op name (`cumsum`, `chunk_attention`).
        op: &'static str,
        /// Call site of the node.
        loc: Location,
    },
    /// A node uses a value that is not defined before it (the graph was not verified).
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
    /// A node has the wrong number of operands for its op.
    #[error("node %{node} ({op}) at {loc}: expects {expected} operand(s), got {got}")]
    Arity {
        /// The node.
        node: u32,
        /// Its op name.
        op: &'static str,
        /// Its call site.
        loc: Location,
        /// Operands the op takes (for concatenate: at least this many).
        expected: usize,
        /// Operands the node has.
        got: usize,
    },
    /// A constant holds a value its dtype cannot represent (a fraction or out-of-range value
    /// for an integer, anything but 0 or 1 for a bool).
    #[error("node %{node} (constant) at {loc}: {value} is not a valid {dtype} value")]
    Literal {
        /// The constant node.
        node: u32,
        /// Its call site.
        loc: Location,
        /// The offending value.
        value: f64,
        /// The constant's dtype.
        dtype: DType,
    },
    /// A graph output refers to a value that does not exist.
    #[error("graph output {index} refers to undefined value %{value}")]
    UndefinedOutput {
        /// Position among the outputs.
        index: usize,
        /// The missing value.
        value: u32,
    },
    /// Parameter indices are not exactly `0..count`.
    #[error("parameter indices must be 0..{count} without gaps or repeats; found index {index} at position {position}")]
    ParameterIndex {
        /// Position in parameter-index order.
        position: usize,
        /// The index found there.
        index: usize,
        /// Number of parameters.
        count: usize,
    },
    /// An input/output alias is out of range or repeats a parameter.
    #[error("alias (parameter {param}, output {output}): {reason}")]
    Alias {
        /// Parameter index.
        param: usize,
        /// Output index.
        output: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A sharding is given but the graph has no mesh.
    #[error("{site} is sharded but the graph has no mesh; set one (`Graph::set_mesh`)")]
    NoMesh {
        /// What carries the sharding (`parameter 0`, `output 1`, `node %5 at ...`).
        site: String,
    },
    /// The graph's mesh is malformed.
    #[error("mesh {mesh}: {source}")]
    Mesh {
        /// The mesh, as written in the text form.
        mesh: String,
        /// What is wrong with it.
        source: MeshError,
    },
    /// A sharding does not fit the mesh or its value.
    #[error("{site}: {source}")]
    Sharding {
        /// What carries the sharding.
        site: String,
        /// What is wrong with it (boxed: the error types that wrap this one stay small).
        source: Box<ShardingError>,
    },
    /// A parameter or output sharding names an index the graph does not have.
    #[error("{kind} {index} is sharded but the graph has {count} {kind}(s)")]
    ShardedIndex {
        /// `parameter` or `output`.
        kind: &'static str,
        /// The index given.
        index: usize,
        /// How many there are.
        count: usize,
    },
}
