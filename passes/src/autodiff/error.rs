//! [`AutodiffError`]: why [`grad`](super::grad) could not build a gradient graph. Data first:
//! node ids, op names, types and call sites.

use flash_ir::{IrError, Location};
use thiserror::Error;

/// Why a gradient graph could not be built.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum AutodiffError {
    /// The graph given to [`grad`](super::grad) does not verify.
    #[error("the input graph is invalid: {0}")]
    InvalidInput(IrError),
    /// The graph returns nothing, so there is no loss to differentiate.
    #[error("the graph has no outputs; output 0 must be the scalar loss")]
    NoOutputs,
    /// Output 0 is not a float scalar.
    #[error("output 0 (%{value}) must be a float scalar loss, got {ty}")]
    NonScalarLoss {
        /// The value returned as output 0.
        value: u32,
        /// Its type.
        ty: String,
    },
    /// A `wrt` index names no parameter.
    #[error("wrt index {index} is not a parameter: the graph has {count} parameter(s)")]
    NotAParameter {
        /// The requested parameter index.
        index: usize,
        /// The number of parameters of the graph.
        count: usize,
    },
    /// An op (or one of its configurations) has no VJP rule.
    #[error("cannot differentiate %{node} ({op}) at {loc}: {message}")]
    Unsupported {
        /// The forward node.
        node: u32,
        /// Its op name.
        op: &'static str,
        /// Its call site.
        loc: Location,
        /// Why, and what to do instead.
        message: String,
    },
    /// A checkpointed region is empty, out of order, overlapping or out of range.
    #[error("checkpointed region {start}..{end} is not an ascending, disjoint, non-empty range of the graph's {nodes} nodes")]
    BadRegion {
        /// First node of the region.
        start: usize,
        /// One past its last node.
        end: usize,
        /// The graph's node count.
        nodes: usize,
    },
    /// Building a node of the reverse pass failed (a bug in a VJP rule).
    #[error("building the reverse pass failed: {0}")]
    Build(#[from] IrError),
    /// A VJP rule produced a gradient whose type differs from its operand's (a bug in a rule).
    #[error(
        "the VJP of %{node} ({op}) gives operand {operand} a gradient of type {got}, expected {expected}"
    )]
    GradientType {
        /// The forward node.
        node: u32,
        /// Its op name.
        op: &'static str,
        /// The operand position.
        operand: usize,
        /// The operand's type.
        expected: String,
        /// The gradient's type.
        got: String,
    },
}
