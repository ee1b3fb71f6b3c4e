//! The op enum: every operation the IR knows, with its semantics and numbered constraints.
//!
//! Constraint names (`C1`, `C2`, ...) are cited by [`crate::infer`], the verifier's errors and
//! the negative tests. Ops marked *composite* have a lowering pass in `flash-passes` that
//! rewrites them into primitive ops before emission.

use crate::dtype::{DType, TensorType};

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

/// One IR operation. Each variant documents its operands, result and constraints.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// Graph input number `index` called `name`, of type `ty`. No operands.
    /// C1: indices are 0..n-1 without gaps or repeats, names are unique (verifier).
    Parameter {
        /// Position among the graph's inputs.
        index: usize,
        /// Scoped name, e.g. `layers.0.attn.w_q`.
        name: String,
        /// Declared type.
        ty: TensorType,
    },
    /// A constant of type `ty`. No operands.
    /// C1: a dense literal has exactly `ty.num_elements()` values.
    Constant {
        /// The values.
        value: Literal,
        /// Result type.
        ty: TensorType,
    },
    /// The result element at index `i` holds `i[dim]` converted to `ty.dtype`. No operands.
    /// C1: `dim < rank(ty)`.
    Iota {
        /// The dimension counted along.
        dim: usize,
        /// Result type.
        ty: TensorType,
    },
    /// Elementwise unary function of one operand; result type = operand type.
    /// C1: the operand is float (Neg and Abs also take integers).
    Unary(UnaryOp),
    /// Elementwise binary function of two operands.
    /// C1: both operands have the same type (broadcasting is explicit in the IR).
    /// C2: the dtype is numeric (not bool); Pow needs floats.
    Binary(BinaryOp),
    /// Elementwise comparison of two operands of the same type; result is bool.
    /// C1: both operands have the same type.
    Compare(CmpDir),
    /// `select(pred, on_true, on_false)`, elementwise.
    /// C1: pred is bool with the shape of the other two. C2: on_true and on_false have the
    /// same type, which is the result type.
    Select,
    /// Elementwise conversion to `to`.
    Convert {
        /// Target element type.
        to: DType,
    },
    /// Broadcast the operand to `shape`: operand dim i maps to result dim `dims[i]`.
    /// C1: `len(dims) = rank(operand)`. C2: dims strictly increasing and `< len(shape)`.
    /// C3: each operand dim is 1 or equals the result dim it maps to.
    BroadcastInDim {
        /// Result shape.
        shape: Vec<usize>,
        /// Result dim of each operand dim.
        dims: Vec<usize>,
    },
    /// Row-major reshape to `shape`. C1: the element count is unchanged.
    Reshape {
        /// Result shape.
        shape: Vec<usize>,
    },
    /// Result dim i is operand dim `perm[i]`. C1: `perm` is a permutation of 0..rank.
    Transpose {
        /// The permutation.
        perm: Vec<usize>,
    },
    /// Strided slice `[start, limit)` with `stride` per dim.
    /// C1: all three have length rank. C2: `start <= limit <= dim`, `stride >= 1`.
    Slice {
        /// First index per dim.
        start: Vec<usize>,
        /// One past the last index per dim.
        limit: Vec<usize>,
        /// Step per dim.
        stride: Vec<usize>,
    },
    /// Concatenate one or more operands along `dim`.
    /// C1: at least one operand. C2: same dtype and rank; all dims but `dim` equal.
    /// C3: `dim < rank`.
    Concatenate {
        /// The dimension joined along.
        dim: usize,
    },
    /// `pad(x, value)`: pad x with the scalar `value` (`low`/`high` may be negative to crop;
    /// `interior` inserts that many elements between neighbours).
    /// C1: value is a scalar of x's dtype. C2: the three vectors have length rank(x).
    /// C3: every result dim is non-negative.
    Pad {
        /// Padding before each dim.
        low: Vec<i64>,
        /// Padding after each dim.
        high: Vec<i64>,
        /// Padding between elements of each dim.
        interior: Vec<usize>,
    },
    /// Reduce the operand over `dims` (removed from the shape).
    /// C1: dims distinct and `< rank`. C2: numeric dtype.
    Reduce {
        /// Sum or max.
        kind: ReduceKind,
        /// Dimensions reduced.
        dims: Vec<usize>,
    },
    /// Sliding-window reduction (identity-padded), as StableHLO `reduce_window`.
    /// Result dim = `(dim + lo + hi - window) / stride + 1`.
    /// C1: window, strides, padding have length rank. C2: window and strides `>= 1`, the
    /// padded dim is at least the window.
    ReduceWindow {
        /// Sum or max.
        kind: ReduceKind,
        /// Window size per dim.
        window: Vec<usize>,
        /// Stride per dim.
        strides: Vec<usize>,
        /// (low, high) padding per dim.
        padding: Vec<(usize, usize)>,
    },
    /// Generalised matrix product. Result dims: batch dims, then lhs free dims, then rhs free
    /// dims (in order).
    /// C1: batch and contracting lists pair up in length and size. C2: no dim listed twice
    /// and every listed dim `< rank`. C3: operands have the same float dtype, or both are
    /// integers. C4: `out` is float when operands are.
    DotGeneral(DotDims),
    /// Embedding lookup: `gather(table, indices)` picks rows of `table` along dim 0.
    /// Result shape `indices.shape ++ table.shape[1..]`.
    /// C1: indices are i32 or i64. C2: table has rank >= 1.
    /// Out-of-range indices are clamped (as StableHLO gather does).
    Gather,
    /// *Composite.* Cumulative sum along `dim`; `exclusive` shifts by one (element 0 gets
    /// zero), `reverse` sums from the end. Result type = operand type.
    /// C1: `dim < rank`. C2: numeric dtype.
    Cumsum {
        /// The dimension summed along.
        dim: usize,
        /// Exclude the element itself.
        exclusive: bool,
        /// Sum from the last element towards the first.
        reverse: bool,
    },
    /// *Composite.* FLASH mixed-chunk attention (FLASH.md section 2) of operands
    /// `q_quad, k_quad, q_lin, k_lin: [B, T, s]` and `v: [B, T, e]`; result `[B, T, e]`.
    /// C1: all operands rank 3 with equal B and T, equal float dtype; the four q/k share s.
    /// C2: `chunk >= 1`.
    ChunkAttention(ChunkAttention),
}

impl Op {
    /// The op's name in the IR text form and in error messages.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Parameter { .. } => "parameter",
            Op::Constant { .. } => "constant",
            Op::Iota { .. } => "iota",
            Op::Unary(u) => u.name(),
            Op::Binary(b) => b.name(),
            Op::Compare(_) => "compare",
            Op::Select => "select",
            Op::Convert { .. } => "convert",
            Op::BroadcastInDim { .. } => "broadcast_in_dim",
            Op::Reshape { .. } => "reshape",
            Op::Transpose { .. } => "transpose",
            Op::Slice { .. } => "slice",
            Op::Concatenate { .. } => "concatenate",
            Op::Pad { .. } => "pad",
            Op::Reduce { .. } => "reduce",
            Op::ReduceWindow { .. } => "reduce_window",
            Op::DotGeneral(_) => "dot_general",
            Op::Gather => "gather",
            Op::Cumsum { .. } => "cumsum",
            Op::ChunkAttention(_) => "chunk_attention",
        }
    }

    /// True for composite ops, which must be lowered before emission.
    pub fn is_composite(&self) -> bool {
        matches!(self, Op::Cumsum { .. } | Op::ChunkAttention(_))
    }
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
