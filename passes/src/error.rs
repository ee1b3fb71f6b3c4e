//! The error type of every pass and of the pipeline runner.

use flash_ir::IrError;
use thiserror::Error;

/// Why a pass or the pipeline failed. Data first: node ids, op names, types and pass names.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum PassError {
    /// Building a node failed (an op's constraint does not hold for the new operands).
    #[error(transparent)]
    Ir(#[from] IrError),
    /// A rewrite replaced a value by one of another type.
    #[error("node %{node} ({op}): the replacement has type {new} but the original has {old}")]
    TypeChanged {
        /// The replaced node (old numbering).
        node: u32,
        /// Its op name.
        op: &'static str,
        /// The original type.
        old: String,
        /// The replacement's type.
        new: String,
    },
    /// An output uses a value that the pass dropped.
    #[error("output {output} uses %{operand}, which the pass removed")]
    OutputDropped {
        /// The output position.
        output: usize,
        /// The removed value (old numbering).
        operand: u32,
    },
    /// A pass failed; `source` says why.
    #[error("pass {pass} failed: {source}")]
    InPass {
        /// The pass name.
        pass: &'static str,
        /// The failure.
        source: Box<PassError>,
    },
    /// The graph given to the pipeline does not verify.
    #[error("the input graph is invalid: {0}")]
    InvalidInput(IrError),
    /// The verifier rejected the graph a pass produced.
    #[error("the IR is invalid after pass {pass}: {source}")]
    VerifyAfter {
        /// The pass that broke the IR.
        pass: &'static str,
        /// The verifier's error.
        source: IrError,
    },
    /// `print_after` names a pass that is not in the pipeline.
    #[error("unknown pass {name:?}; valid names: {}", valid.join(", "))]
    UnknownPass {
        /// The requested name.
        name: String,
        /// The pipeline's pass names, in order.
        valid: Vec<&'static str>,
    },
}
