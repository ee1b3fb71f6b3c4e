//! The ops of the IR, declared once: one row per op gives its doc (semantics and numbered
//! constraints), its attributes, its text name, its arity and its traits.
//!
//! Constraint names (`C1`, `C2`, ...) are cited by [`crate::infer`], the verifier's errors and
//! the negative tests. Ops with the [`Traits::COMPOSITE`] trait have a lowering pass in
//! `flash-passes` that rewrites them into primitive ops before emission. The table is expanded
//! by `declare_ops!` (`declare.rs`) into [`Op`], [`OpKind`] and the text form's attribute printer
//! and parser; the places that give an op its meaning (inference, the interpreter, the VJP
//! rules, the StableHLO emitter, the cost model) match [`Op`] exhaustively.

mod attrs;
mod declare;
mod spec;

pub use attrs::{
    BinaryOp, ChunkAttention, CmpDir, DotDims, LinearNorm, Literal, ReduceKind, ScoreFn, UnaryOp,
};
pub use spec::{Arity, OpSpec, Traits};

use crate::dtype::{DType, TensorType};
use crate::sharding::Sharding;
use crate::text::attr::{AttrInput, AttrPrinter, AttrValue};
use crate::text::ParseError;
use declare::declare_ops;

const PURE: Traits = Traits::PURE;
const SOURCE: Traits = Traits::PURE.with(Traits::SOURCE);
const ELEMENTWISE: Traits = Traits::PURE.with(Traits::ELEMENTWISE);
const LAYOUT: Traits = Traits::PURE.with(Traits::LAYOUT);
const REDUCTION: Traits = Traits::PURE.with(Traits::REDUCTION);
const COMPOSITE: Traits = Traits::PURE.with(Traits::COMPOSITE);

declare_ops! {
    /// Graph input number `index` called `name`, of type `ty`. No operands.
    /// C1: indices are 0..n-1 without gaps or repeats, names are unique (verifier).
    Parameter {
        /// Position among the graph's inputs.
        index: usize,
        /// Scoped name, e.g. `layers.0.attn.w_q`.
        name: String,
        /// Declared type.
        ty: TensorType,
    } => "parameter", Arity::Fixed(0), Traits::SOURCE;

    /// A constant of type `ty`. No operands.
    /// C1: a dense literal has exactly `ty.num_elements()` values.
    Constant {
        /// The values.
        value: Literal,
        /// Result type.
        ty: TensorType,
    } => "constant", Arity::Fixed(0), SOURCE;

    /// The result element at index `i` holds `i[dim]` converted to `ty.dtype`. No operands.
    /// C1: `dim < rank(ty)`.
    Iota {
        /// The dimension counted along.
        dim: usize,
        /// Result type.
        ty: TensorType,
    } => "iota", Arity::Fixed(0), SOURCE;

    /// Elementwise unary function of one operand; result type = operand type.
    /// C1: the operand is float (Neg and Abs also take integers).
    Unary(function: UnaryOp) => "unary", Arity::Fixed(1), ELEMENTWISE;

    /// Elementwise binary function of two operands.
    /// C1: both operands have the same type (broadcasting is explicit in the IR).
    /// C2: the dtype is numeric (not bool); Pow needs floats.
    Binary(function: BinaryOp) => "binary", Arity::Fixed(2), ELEMENTWISE;

    /// Elementwise comparison of two operands of the same type; result is bool.
    /// C1: both operands have the same type.
    Compare(dir: CmpDir) => "compare", Arity::Fixed(2), ELEMENTWISE;

    /// `select(pred, on_true, on_false)`, elementwise.
    /// C1: pred is bool with the shape of the other two. C2: on_true and on_false have the
    /// same type, which is the result type.
    Select => "select", Arity::Fixed(3), ELEMENTWISE;

    /// Elementwise conversion to `to`.
    Convert {
        /// Target element type.
        to: DType,
    } => "convert", Arity::Fixed(1), ELEMENTWISE;

    /// Broadcast the operand to `shape`: operand dim i maps to result dim `dims[i]`.
    /// C1: `len(dims) = rank(operand)`. C2: dims strictly increasing and `< len(shape)`.
    /// C3: each operand dim is 1 or equals the result dim it maps to.
    BroadcastInDim {
        /// Result shape.
        shape: Vec<usize>,
        /// Result dim of each operand dim.
        dims: Vec<usize>,
    } => "broadcast_in_dim", Arity::Fixed(1), LAYOUT;

    /// Row-major reshape to `shape`. C1: the element count is unchanged.
    Reshape {
        /// Result shape.
        shape: Vec<usize>,
    } => "reshape", Arity::Fixed(1), LAYOUT;

    /// Result dim i is operand dim `perm[i]`. C1: `perm` is a permutation of 0..rank.
    Transpose {
        /// The permutation.
        perm: Vec<usize>,
    } => "transpose", Arity::Fixed(1), LAYOUT;

    /// Strided slice `[start, limit)` with `stride` per dim.
    /// C1: all three have length rank. C2: `start <= limit <= dim`, `stride >= 1`.
    Slice {
        /// First index per dim.
        start: Vec<usize>,
        /// One past the last index per dim.
        limit: Vec<usize>,
        /// Step per dim.
        stride: Vec<usize>,
    } => "slice", Arity::Fixed(1), PURE;

    /// `dynamic_slice(x, i_0, ..., i_{r-1})`: the block of shape `sizes` of `x` that starts at
    /// the scalar indices, each clamped to `[0, dim - size]` (as StableHLO does), so the block
    /// always lies inside `x`.
    /// C1: one scalar index per dim of x, all of one integer dtype. C2: `len(sizes) =
    /// rank(x)` and `sizes[d] <= dim d`.
    DynamicSlice {
        /// Block shape.
        sizes: Vec<usize>,
    } => "dynamic_slice", Arity::Variadic, PURE;

    /// `dynamic_update_slice(x, update, i_0, ..., i_{r-1})`: `x` with the block that starts at
    /// the scalar indices (clamped to `[0, dim - update dim]`) replaced by `update`. Result
    /// type = x's type.
    /// C1: update has x's dtype and rank, each dim at most x's. C2: one scalar index per dim
    /// of x, all of one integer dtype.
    DynamicUpdateSlice => "dynamic_update_slice", Arity::Variadic, PURE;

    /// Concatenate one or more operands along `dim`.
    /// C1: at least one operand. C2: same dtype and rank; all dims but `dim` equal.
    /// C3: `dim < rank`.
    Concatenate {
        /// The dimension joined along.
        dim: usize,
    } => "concatenate", Arity::Variadic, PURE;

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
    } => "pad", Arity::Fixed(2), PURE;

    /// Reduce the operand over `dims` (removed from the shape).
    /// C1: dims distinct and `< rank`. C2: numeric dtype.
    Reduce {
        /// Sum or max.
        kind: ReduceKind,
        /// Dimensions reduced.
        dims: Vec<usize>,
    } => "reduce", Arity::Fixed(1), REDUCTION;

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
    } => "reduce_window", Arity::Fixed(1), REDUCTION;

    /// Generalised matrix product. Result dims: batch dims, then lhs free dims, then rhs free
    /// dims (in order).
    /// C1: batch and contracting lists pair up in length and size. C2: no dim listed twice
    /// and every listed dim `< rank`. C3: operands have the same float dtype, or both are
    /// integers. C4: `out` is float when operands are.
    DotGeneral(dims: DotDims) => "dot_general", Arity::Fixed(2), PURE;

    /// Embedding lookup: `gather(table, indices)` picks rows of `table` along dim 0.
    /// Result shape `indices.shape ++ table.shape[1..]`.
    /// C1: indices are i32 or i64. C2: table has rank >= 1.
    /// Out-of-range indices are clamped (as StableHLO gather does).
    Gather => "gather", Arity::Fixed(2), PURE;

    /// Row scatter-add, the transpose of [`Op::Gather`]:
    /// `scatter_add(operand, indices, updates)` is `operand` with each row `updates[i...]`
    /// added to row `indices[i...]` of dim 0 (rows hit several times sum every update).
    /// Result type = operand type. Out-of-range indices are skipped (as StableHLO scatter
    /// does); the VJP of `gather` clamps its indices first, as the gather did.
    /// C1: indices are i32 or i64. C2: operand has rank >= 1. C3: updates have the
    /// operand's dtype and shape `indices.shape ++ operand.shape[1..]`.
    ScatterAdd => "scatter_add", Arity::Fixed(3), PURE;

    /// `sharding_constraint(x)`: `x` itself, with the promise to XLA's SPMD partitioner that
    /// the value is laid out over the graph's mesh as `sharding` says (JAX's
    /// `with_sharding_constraint`). Result type = operand type. It computes nothing, but no
    /// pass removes it as an identity (ARCHITECTURE.md, "Shardings").
    /// C1: the sharding lists one entry per dimension of x. Its axes are checked against the
    /// graph's mesh by the verifier.
    ShardingConstraint {
        /// How the value is split over the mesh.
        sharding: Sharding,
    } => "sharding_constraint", Arity::Fixed(1), PURE;

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
    } => "cumsum", Arity::Fixed(1), COMPOSITE;

    /// *Composite.* FLASH mixed-chunk attention (FLASH.md section 2) of operands
    /// `q_quad, k_quad, q_lin, k_lin: [B, T, s]` and `v: [B, T, e]`; result `[B, T, e]`.
    /// C1: all operands rank 3 with equal B and T, equal float dtype; the four q/k share s.
    /// C2: `chunk >= 1`.
    ChunkAttention(attrs: ChunkAttention) => "chunk_attention", Arity::Fixed(5), COMPOSITE;
}

impl Op {
    /// The declared name, arity and traits of this op.
    pub fn spec(&self) -> OpSpec {
        self.kind().spec()
    }

    /// True if the op has every trait of `traits`.
    pub fn has(&self, traits: Traits) -> bool {
        self.spec().traits.contains(traits)
    }

    /// True for composite ops, which must be lowered before emission.
    pub fn is_composite(&self) -> bool {
        self.has(Traits::COMPOSITE)
    }
}
