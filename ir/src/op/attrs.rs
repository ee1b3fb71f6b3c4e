//! The attribute types ops carry: literals, the members of the unary and binary families,
//! comparison directions, reduction kinds, dot dimension numbers and chunk-attention settings.

use crate::dtype::DType;

/// A constant's payload. Values are stored as `f64` and converted to the result dtype
/// (integers up to 2^53 are exact; bools are 0 or 1).
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// Every element has this value.
    Splat(f64),
    /// One value per element, row-major.
    Dense(Vec<f64>),
}

/// Elementwise unary functions. Float operands only, except `Neg` and `Abs` which also take
/// integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x`.
    Neg,
    /// `|x|`.
    Abs,
    /// `e^x`.
    Exp,
    /// Natural logarithm.
    Log,
    /// Hyperbolic tangent.
    Tanh,
    /// `1 / (1 + e^-x)`.
    Logistic,
    /// Square root.
    Sqrt,
    /// `1 / sqrt(x)`.
    Rsqrt,
    /// Sine.
    Sin,
    /// Cosine.
    Cos,
}

/// Elementwise binary functions on two operands of the same type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `a + b`.
    Add,
    /// `a - b`.
    Sub,
    /// `a * b`.
    Mul,
    /// `a / b` (integer division truncates toward zero).
    Div,
    /// Elementwise maximum.
    Max,
    /// Elementwise minimum.
    Min,
    /// `a ^ b` (floats only).
    Pow,
}

/// Comparison directions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpDir {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// Reduction kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReduceKind {
    /// Sum, identity 0.
    Sum,
    /// Maximum, identity -inf (or the dtype's minimum for integers).
    Max,
}

/// Dimension numbers and result dtype of a `dot_general`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DotDims {
    /// Batch dimensions of the left operand.
    pub lhs_batch: Vec<usize>,
    /// Batch dimensions of the right operand (paired with `lhs_batch`).
    pub rhs_batch: Vec<usize>,
    /// Contracting dimensions of the left operand.
    pub lhs_contract: Vec<usize>,
    /// Contracting dimensions of the right operand (paired with `lhs_contract`).
    pub rhs_contract: Vec<usize>,
    /// Element type of the result (accumulation type); may differ from the operands'.
    pub out: DType,
}

/// Score function of the local (quadratic) part of mixed-chunk attention.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScoreFn {
    /// `relu(q.k / C)^2` (the paper's default).
    Relu2,
    /// Row softmax of `q.k / sqrt(s)` over the visible keys of the chunk.
    Softmax,
    /// The bounded "laplace" function of `x = q.k / C`:
    /// `0.5 * (1 + erf((x - mu) / (sigma * sqrt 2)))` with `mu = sqrt(0.5)`,
    /// `sigma = sqrt(1 / (4 pi))`, erf computed by its tanh approximation
    /// `erf(y) ~ tanh(1.1283791671 * (y + 0.08943 * y^3))` (masked positions give 0).
    Laplace,
}

/// Normalisation of the causal linear (global) part of mixed-chunk attention.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinearNorm {
    /// Sum of earlier chunks' `k^T v / C`, divided by the number of chunks summed.
    Mean,
    /// Sum of earlier chunks' `k^T v / C`, not averaged.
    Sum,
}

/// Attributes of the mixed-chunk attention composite.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChunkAttention {
    /// Chunk size C.
    pub chunk: usize,
    /// Causal (auto-regressive) masking.
    pub causal: bool,
    /// Normalisation of the causal linear part.
    pub linear_norm: LinearNorm,
    /// Score function of the local part.
    pub score: ScoreFn,
}

impl UnaryOp {
    /// Every unary op.
    pub const ALL: [UnaryOp; 10] = [
        UnaryOp::Neg,
        UnaryOp::Abs,
        UnaryOp::Exp,
        UnaryOp::Log,
        UnaryOp::Tanh,
        UnaryOp::Logistic,
        UnaryOp::Sqrt,
        UnaryOp::Rsqrt,
        UnaryOp::Sin,
        UnaryOp::Cos,
    ];

    /// Text-form name.
    pub fn name(self) -> &'static str {
        match self {
            UnaryOp::Neg => "neg",
            UnaryOp::Abs => "abs",
            UnaryOp::Exp => "exp",
            UnaryOp::Log => "log",
            UnaryOp::Tanh => "tanh",
            UnaryOp::Logistic => "logistic",
            UnaryOp::Sqrt => "sqrt",
            UnaryOp::Rsqrt => "rsqrt",
            UnaryOp::Sin => "sin",
            UnaryOp::Cos => "cos",
        }
    }
}

impl BinaryOp {
    /// Every binary op.
    pub const ALL: [BinaryOp; 7] = [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Max,
        BinaryOp::Min,
        BinaryOp::Pow,
    ];

    /// Text-form name.
    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Max => "max",
            BinaryOp::Min => "min",
            BinaryOp::Pow => "pow",
        }
    }
}

impl CmpDir {
    /// Every direction.
    pub const ALL: [CmpDir; 6] = [
        CmpDir::Eq,
        CmpDir::Ne,
        CmpDir::Lt,
        CmpDir::Le,
        CmpDir::Gt,
        CmpDir::Ge,
    ];

    /// Text-form name (`eq`, `lt`, ...), also StableHLO's direction in upper case.
    pub fn name(self) -> &'static str {
        match self {
            CmpDir::Eq => "eq",
            CmpDir::Ne => "ne",
            CmpDir::Lt => "lt",
            CmpDir::Le => "le",
            CmpDir::Gt => "gt",
            CmpDir::Ge => "ge",
        }
    }
}

impl ReduceKind {
    /// Text-form name.
    pub fn name(self) -> &'static str {
        match self {
            ReduceKind::Sum => "sum",
            ReduceKind::Max => "max",
        }
    }
}

impl UnaryOp {
    /// True for the functions backends evaluate by a polynomial or table (not a few
    /// arithmetic instructions): exp, log, tanh, logistic, sin, cos.
    pub fn is_transcendental(self) -> bool {
        match self {
            UnaryOp::Exp
            | UnaryOp::Log
            | UnaryOp::Tanh
            | UnaryOp::Logistic
            | UnaryOp::Sin
            | UnaryOp::Cos => true,
            UnaryOp::Neg | UnaryOp::Abs | UnaryOp::Sqrt | UnaryOp::Rsqrt => false,
        }
    }
}

impl ReduceKind {
    /// Every reduction kind.
    pub const ALL: [ReduceKind; 2] = [ReduceKind::Sum, ReduceKind::Max];
}

impl ScoreFn {
    /// Every score function.
    pub const ALL: [ScoreFn; 3] = [ScoreFn::Relu2, ScoreFn::Softmax, ScoreFn::Laplace];

    /// Text-form name.
    pub fn name(self) -> &'static str {
        match self {
            ScoreFn::Relu2 => "relu2",
            ScoreFn::Softmax => "softmax",
            ScoreFn::Laplace => "laplace",
        }
    }
}

impl LinearNorm {
    /// Every normalisation.
    pub const ALL: [LinearNorm; 2] = [LinearNorm::Mean, LinearNorm::Sum];

    /// Text-form name.
    pub fn name(self) -> &'static str {
        match self {
            LinearNorm::Mean => "mean",
            LinearNorm::Sum => "sum",
        }
    }
}
