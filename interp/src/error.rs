//! The interpreter's error type: bad inputs, invalid graphs, and the few ops that can fail on
//! their data.

use flash_ir::{IrError, TensorType};
use thiserror::Error;

/// Why a graph could not be evaluated.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum InterpError {
    /// The graph does not verify.
    #[error("invalid graph: {0}")]
    Graph(#[from] IrError),
    /// The number of inputs differs from the number of parameters.
    #[error("expected {expected} input(s), one per parameter, got {got}{}", missing_note(.missing))]
    InputCount {
        /// Number of parameters of the graph.
        expected: usize,
        /// Number of inputs given.
        got: usize,
        /// The first parameter left without an input (none when there are too many inputs).
        missing: Option<String>,
    },
    /// An input's type differs from its parameter's declared type.
    #[error("input {index} for parameter {name:?}: expected {expected}, got {got}")]
    InputType {
        /// Parameter index.
        index: usize,
        /// Parameter name.
        name: String,
        /// Declared type.
        expected: TensorType,
        /// Type of the given array.
        got: TensorType,
    },
    /// An input holds a number of values different from its type's element count.
    #[error("input {index} for parameter {name:?} of type {ty}: expected {expected} value(s), got {got}")]
    InputLength {
        /// Parameter index.
        index: usize,
        /// Parameter name.
        name: String,
        /// Declared type.
        ty: TensorType,
        /// Element count of the type.
        expected: usize,
        /// Number of values given.
        got: usize,
    },
    /// An array holds a number of values different from its type's element count.
    #[error("array of type {ty} needs {expected} value(s), got {got}")]
    DataLength {
        /// The array's type.
        ty: TensorType,
        /// Element count of the type.
        expected: usize,
        /// Number of values held.
        got: usize,
    },
    /// A gather must produce elements but its table has no rows to clamp the indices to.
    #[error("node %{node} (gather): the table has no rows but {count} index(es) to look up")]
    EmptyGatherTable {
        /// The gather node.
        node: u32,
        /// Number of indices.
        count: usize,
    },
    /// A value was released before its last use (a bug in the interpreter, not in the input).
    #[error("internal error: value %{value} was released before node %{node} used it")]
    Released {
        /// The released value.
        value: u32,
        /// The node that needed it.
        node: u32,
    },
}

fn missing_note(missing: &Option<String>) -> String {
    match missing {
        Some(name) => format!(" (no input for parameter {name:?})"),
        None => String::new(),
    }
}
