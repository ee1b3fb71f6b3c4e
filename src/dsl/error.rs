//! DSL errors: what went wrong (data first, [`ErrorKind`]) and where the user asked for it
//! ([`DslError`]: the call site, scope path and DSL op).
//!
//! Rendered as `file:line:col: op: constraint: message`, e.g.
//! `tests/dsl_errors.rs:42:13: add: C1: operand types differ: f32[2,3] vs f32[3,2]`. When the
//! failing IR op differs from the DSL function called (a `matmul` lowers to `dot_general`), the
//! IR op is named too: `...: matmul: dot_general: C1: ...`.

use flash_ir::{InferError, IrError, Location, TensorType};
use std::sync::Arc;
use thiserror::Error;

/// The first error recorded by a graph context, located at the user's call site.
#[derive(Clone, Debug, PartialEq, Error)]
#[error("{loc}: {op}: {}{kind}", self.ir_op_prefix())]
pub struct DslError {
    /// The user's call site (the line that called the DSL function).
    pub loc: Location,
    /// Scope path at the time of the call (`layers.0.attn`), empty at top level.
    pub scope: Arc<str>,
    /// The DSL function or operator that failed (`add`, `matmul`, `reshape`, ...).
    pub op: &'static str,
    /// What went wrong.
    pub kind: ErrorKind,
}

impl DslError {
    /// The failed constraint: the IR's name (`C1`, `C2`, ...) for inference failures, or the
    /// DSL check's name (`axis`, `broadcast`, `reshape`, `param`, ...).
    pub fn constraint(&self) -> &'static str {
        self.kind.constraint()
    }

    fn ir_op_prefix(&self) -> String {
        match &self.kind {
            ErrorKind::Infer { ir_op, .. } if *ir_op != self.op => format!("{ir_op}: "),
            _ => String::new(),
        }
    }
}

/// What went wrong, as data. Each variant's text starts with its constraint name.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum ErrorKind {
    /// The IR's inference rule of `ir_op` rejected the operands (constraint `C1`, `C2`, ...).
    #[error("{failed}")]
    Infer {
        /// The IR op whose rule failed.
        ir_op: &'static str,
        /// The failed constraint and why.
        failed: InferError,
    },
    /// Any other IR-level error.
    #[error("ir: {0}")]
    Ir(Box<IrError>),
    /// An axis outside `-rank..rank`.
    #[error("axis: {axis} is out of range for rank {rank}")]
    Axis {
        /// The axis as given.
        axis: i64,
        /// The rank it was checked against.
        rank: usize,
    },
    /// An index outside `-size..=size` (slices).
    #[error("index: {index} is out of range for an axis of size {size}")]
    Index {
        /// The index as given.
        index: i64,
        /// Size of the axis.
        size: usize,
    },
    /// Shapes that do not broadcast together (NumPy rules).
    #[error("broadcast: shapes {lhs:?} and {rhs:?} are not broadcast-compatible")]
    Broadcast {
        /// First shape.
        lhs: Vec<usize>,
        /// Second shape (or the target shape).
        rhs: Vec<usize>,
    },
    /// A reshape target that cannot be resolved (several `-1`, negative sizes, or a `-1`
    /// that does not divide the element count).
    #[error("reshape: cannot reshape {from} to {to:?}")]
    Reshape {
        /// The operand type.
        from: TensorType,
        /// The requested shape.
        to: Vec<i64>,
    },
    /// `squeeze` of an axis whose size is not 1.
    #[error("squeeze: axis {axis} has size {size}, not 1")]
    Squeeze {
        /// The (normalised) axis.
        axis: usize,
        /// Its size.
        size: usize,
    },
    /// A parameter name used twice.
    #[error("param: parameter name {name:?} is already defined at {first}")]
    DuplicateParam {
        /// The full (scoped) name.
        name: String,
        /// Call site of the first definition.
        first: Location,
    },
    /// A tensor of another graph context was passed in.
    #[error("context: the tensor belongs to another graph context")]
    ForeignTensor,
    /// The context was used after `finish`.
    #[error("context: the graph was already finished")]
    Finished,
    /// Any other invalid argument.
    #[error("argument: {0}")]
    Argument(String),
    /// The finished graph failed verification.
    #[error("verify: {0}")]
    Verify(Box<IrError>),
}

impl ErrorKind {
    /// The constraint name this error reports (see [`DslError::constraint`]).
    pub fn constraint(&self) -> &'static str {
        match self {
            ErrorKind::Infer { failed, .. } => failed.constraint,
            ErrorKind::Ir(_) => "ir",
            ErrorKind::Axis { .. } => "axis",
            ErrorKind::Index { .. } => "index",
            ErrorKind::Broadcast { .. } => "broadcast",
            ErrorKind::Reshape { .. } => "reshape",
            ErrorKind::Squeeze { .. } => "squeeze",
            ErrorKind::DuplicateParam { .. } => "param",
            ErrorKind::ForeignTensor | ErrorKind::Finished => "context",
            ErrorKind::Argument(_) => "argument",
            ErrorKind::Verify(_) => "verify",
        }
    }
}

impl From<IrError> for ErrorKind {
    fn from(e: IrError) -> Self {
        match e {
            IrError::Invalid { op, source, .. } => ErrorKind::Infer {
                ir_op: op,
                failed: source,
            },
            other => ErrorKind::Ir(Box::new(other)),
        }
    }
}
