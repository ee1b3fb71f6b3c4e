//! Text names of the small enums that `op.rs` does not name itself, shared by the printer and
//! the parser.

use crate::op::{LinearNorm, ReduceKind, ScoreFn};

/// Every reduction kind.
pub(super) const REDUCE_KINDS: [ReduceKind; 2] = [ReduceKind::Sum, ReduceKind::Max];

/// Every score function of chunk attention.
pub(super) const SCORES: [ScoreFn; 3] = [ScoreFn::Relu2, ScoreFn::Softmax, ScoreFn::Laplace];

/// Every normalisation of chunk attention's linear part.
pub(super) const NORMS: [LinearNorm; 2] = [LinearNorm::Mean, LinearNorm::Sum];

/// Text name of a score function.
pub(super) fn score_name(s: ScoreFn) -> &'static str {
    match s {
        ScoreFn::Relu2 => "relu2",
        ScoreFn::Softmax => "softmax",
        ScoreFn::Laplace => "laplace",
    }
}

/// Text name of a linear-part normalisation.
pub(super) fn norm_name(n: LinearNorm) -> &'static str {
    match n {
        LinearNorm::Mean => "mean",
        LinearNorm::Sum => "sum",
    }
}
