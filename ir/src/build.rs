//! The builder: typed helper functions that append ops to a graph with a given call site and
//! scope. The DSL wraps these with tensor handles; lowering passes call them directly, so
//! shapes are re-inferred and locations kept (DESIGN.md, point 8).

use crate::dtype::{DType, TensorType};
use crate::error::IrError;
use crate::graph::{Graph, Location, ValueId};
use crate::op::{BinaryOp, CmpDir, DotDims, Literal, Op, ReduceKind, UnaryOp};
use crate::sharding::Sharding;
use std::sync::Arc;

/// Result of a builder call.
pub type BuildResult = Result<ValueId, IrError>;

/// Appends ops to `graph`, stamping each with `loc` and `scope`.
pub struct Builder<'g> {
    /// The graph being extended.
    pub graph: &'g mut Graph,
    /// Call site given to new nodes.
    pub loc: Location,
    /// Scope path given to new nodes.
    pub scope: Arc<str>,
}

impl<'g> Builder<'g> {
    /// A builder with an unknown location and an empty scope.
    pub fn new(graph: &'g mut Graph) -> Self {
        Builder {
            graph,
            loc: Location::unknown(),
            scope: Arc::from(""),
        }
    }

    /// A builder that stamps new nodes with `loc` and `scope`.
    pub fn at(graph: &'g mut Graph, loc: Location, scope: Arc<str>) -> Self {
        Builder { graph, loc, scope }
    }

    /// Appends `op` applied to `operands`.
    pub fn op(&mut self, op: Op, operands: Vec<ValueId>) -> BuildResult {
        self.graph
            .add(op, operands, self.loc.clone(), self.scope.clone())
    }

    /// The type of `v`.
    pub fn ty(&self, v: ValueId) -> &TensorType {
        self.graph.ty(v)
    }

    /// The shape of `v`.
    pub fn shape(&self, v: ValueId) -> Vec<usize> {
        self.graph.ty(v).shape.clone()
    }

    /// The dtype of `v`.
    pub fn dtype(&self, v: ValueId) -> DType {
        self.graph.ty(v).dtype
    }

    /// A new parameter with the next free index.
    pub fn param(&mut self, name: &str, ty: TensorType) -> BuildResult {
        let index = self.graph.params().len();
        self.op(
            Op::Parameter {
                index,
                name: name.to_string(),
                ty,
            },
            vec![],
        )
    }

    /// A constant with every element equal to `value`.
    pub fn splat(&mut self, value: f64, ty: TensorType) -> BuildResult {
        self.op(
            Op::Constant {
                value: Literal::Splat(value),
                ty,
            },
            vec![],
        )
    }

    /// A scalar constant.
    pub fn scalar(&mut self, value: f64, dtype: DType) -> BuildResult {
        self.splat(value, TensorType::scalar(dtype))
    }

    /// A constant of the same type as `like` filled with `value`.
    pub fn splat_like(&mut self, value: f64, like: ValueId) -> BuildResult {
        let ty = self.ty(like).clone();
        self.splat(value, ty)
    }

    /// A dense constant (row-major values).
    pub fn dense(&mut self, values: Vec<f64>, ty: TensorType) -> BuildResult {
        self.op(
            Op::Constant {
                value: Literal::Dense(values),
                ty,
            },
            vec![],
        )
    }

    /// Indices along `dim` of a tensor of type `ty`.
    pub fn iota(&mut self, dim: usize, ty: TensorType) -> BuildResult {
        self.op(Op::Iota { dim, ty }, vec![])
    }

    /// An elementwise unary op.
    pub fn unary(&mut self, u: UnaryOp, x: ValueId) -> BuildResult {
        self.op(Op::Unary(u), vec![x])
    }

    /// An elementwise binary op on operands of equal type.
    pub fn binary(&mut self, b: BinaryOp, x: ValueId, y: ValueId) -> BuildResult {
        self.op(Op::Binary(b), vec![x, y])
    }

    /// `x + y`.
    pub fn add(&mut self, x: ValueId, y: ValueId) -> BuildResult {
        self.binary(BinaryOp::Add, x, y)
    }

    /// `x - y`.
    pub fn sub(&mut self, x: ValueId, y: ValueId) -> BuildResult {
        self.binary(BinaryOp::Sub, x, y)
    }

    /// `x * y`.
    pub fn mul(&mut self, x: ValueId, y: ValueId) -> BuildResult {
        self.binary(BinaryOp::Mul, x, y)
    }

    /// `x / y`.
    pub fn div(&mut self, x: ValueId, y: ValueId) -> BuildResult {
        self.binary(BinaryOp::Div, x, y)
    }

    /// `max(x, y)`.
    pub fn max(&mut self, x: ValueId, y: ValueId) -> BuildResult {
        self.binary(BinaryOp::Max, x, y)
    }

    /// `x * c` for a scalar constant `c` (broadcast).
    pub fn scale(&mut self, x: ValueId, c: f64) -> BuildResult {
        let k = self.splat_like(c, x)?;
        self.mul(x, k)
    }

    /// Elementwise comparison, bool result.
    pub fn compare(&mut self, dir: CmpDir, x: ValueId, y: ValueId) -> BuildResult {
        self.op(Op::Compare(dir), vec![x, y])
    }

    /// `pred ? a : b`, elementwise.
    pub fn select(&mut self, pred: ValueId, a: ValueId, b: ValueId) -> BuildResult {
        self.op(Op::Select, vec![pred, a, b])
    }

    /// Converts to `to` (no op emitted if already that dtype).
    pub fn convert(&mut self, x: ValueId, to: DType) -> BuildResult {
        if self.dtype(x) == to {
            return Ok(x);
        }
        self.op(Op::Convert { to }, vec![x])
    }

    /// `sharding_constraint(x)`: `x` laid out over the graph's mesh as `sharding` says.
    pub fn with_sharding(&mut self, x: ValueId, sharding: &Sharding) -> BuildResult {
        let op = Op::ShardingConstraint {
            sharding: sharding.clone(),
        };
        self.op(op, vec![x])
    }

    /// Explicit broadcast: operand dim i goes to result dim `dims[i]`.
    pub fn broadcast_in_dim(&mut self, x: ValueId, shape: &[usize], dims: &[usize]) -> BuildResult {
        let op = Op::BroadcastInDim {
            shape: shape.to_vec(),
            dims: dims.to_vec(),
        };
        self.op(op, vec![x])
    }

    /// NumPy-style broadcast of `x` to `shape` (trailing dims aligned); no op if equal.
    pub fn broadcast_to(&mut self, x: ValueId, shape: &[usize]) -> BuildResult {
        let xs = self.shape(x);
        if xs == shape {
            return Ok(x);
        }
        let offset = shape.len().checked_sub(xs.len()).ok_or_else(|| {
            self.invalid(
                "broadcast_in_dim",
                format!("cannot broadcast {xs:?} to {shape:?}"),
            )
        })?;
        let dims: Vec<usize> = (offset..shape.len()).collect();
        self.broadcast_in_dim(x, shape, &dims)
    }

    /// Reshape to `shape`; no op if equal.
    pub fn reshape(&mut self, x: ValueId, shape: &[usize]) -> BuildResult {
        if self.shape(x) == shape {
            return Ok(x);
        }
        self.op(
            Op::Reshape {
                shape: shape.to_vec(),
            },
            vec![x],
        )
    }

    /// Permute dims; no op for the identity.
    pub fn transpose(&mut self, x: ValueId, perm: &[usize]) -> BuildResult {
        if perm.iter().enumerate().all(|(i, &p)| i == p) && perm.len() == self.ty(x).rank() {
            return Ok(x);
        }
        self.op(
            Op::Transpose {
                perm: perm.to_vec(),
            },
            vec![x],
        )
    }

    /// Strided slice.
    pub fn slice(
        &mut self,
        x: ValueId,
        start: &[usize],
        limit: &[usize],
        stride: &[usize],
    ) -> BuildResult {
        let op = Op::Slice {
            start: start.to_vec(),
            limit: limit.to_vec(),
            stride: stride.to_vec(),
        };
        self.op(op, vec![x])
    }

    /// Contiguous slice `[start, limit)` along one dim.
    pub fn slice_dim(&mut self, x: ValueId, dim: usize, start: usize, limit: usize) -> BuildResult {
        let shape = self.shape(x);
        if dim >= shape.len() {
            return Err(self.invalid("slice", format!("dim {dim} out of range for {shape:?}")));
        }
        let mut lo = vec![0; shape.len()];
        let mut hi = shape.clone();
        lo[dim] = start;
        hi[dim] = limit;
        self.slice(x, &lo, &hi, &vec![1; shape.len()])
    }

    /// Concatenate along `dim`.
    pub fn concat(&mut self, xs: Vec<ValueId>, dim: usize) -> BuildResult {
        if xs.len() == 1 {
            return Ok(xs[0]);
        }
        self.op(Op::Concatenate { dim }, xs)
    }

    /// Pad with the constant `value` (low/high may be negative).
    pub fn pad(&mut self, x: ValueId, value: f64, low: &[i64], high: &[i64]) -> BuildResult {
        let v = self.scalar(value, self.dtype(x))?;
        let interior = vec![0; low.len()];
        let op = Op::Pad {
            low: low.to_vec(),
            high: high.to_vec(),
            interior,
        };
        self.op(op, vec![x, v])
    }

    /// Pad one dim with `lo` and `hi` elements of `value`.
    pub fn pad_dim(&mut self, x: ValueId, dim: usize, lo: i64, hi: i64, value: f64) -> BuildResult {
        let rank = self.ty(x).rank();
        let (mut low, mut high) = (vec![0; rank], vec![0; rank]);
        if dim < rank {
            low[dim] = lo;
            high[dim] = hi;
        }
        self.pad(x, value, &low, &high)
    }

    /// Sum over `dims`.
    pub fn reduce_sum(&mut self, x: ValueId, dims: &[usize]) -> BuildResult {
        self.op(
            Op::Reduce {
                kind: ReduceKind::Sum,
                dims: dims.to_vec(),
            },
            vec![x],
        )
    }

    /// Max over `dims`.
    pub fn reduce_max(&mut self, x: ValueId, dims: &[usize]) -> BuildResult {
        self.op(
            Op::Reduce {
                kind: ReduceKind::Max,
                dims: dims.to_vec(),
            },
            vec![x],
        )
    }

    /// General dot product.
    pub fn dot_general(&mut self, x: ValueId, y: ValueId, dims: DotDims) -> BuildResult {
        self.op(Op::DotGeneral(dims), vec![x, y])
    }

    /// Batched matrix product over the last dim of `x` and dim `rank-2` of `y`, with the
    /// leading `batch` dims of both as batch dims. Result dtype = operand dtype.
    pub fn matmul_batched(&mut self, x: ValueId, y: ValueId, batch: usize) -> BuildResult {
        let (rx, ry) = (self.ty(x).rank(), self.ty(y).rank());
        if rx < batch + 1 || ry < batch + 1 {
            return Err(self.invalid(
                "dot_general",
                format!("ranks {rx} and {ry} too small for {batch} batch dims"),
            ));
        }
        let dims = DotDims {
            lhs_batch: (0..batch).collect(),
            rhs_batch: (0..batch).collect(),
            lhs_contract: vec![rx - 1],
            rhs_contract: vec![batch],
            out: self.dtype(x),
        };
        self.dot_general(x, y, dims)
    }

    /// Row gather (embedding lookup).
    pub fn gather(&mut self, table: ValueId, indices: ValueId) -> BuildResult {
        self.op(Op::Gather, vec![table, indices])
    }

    /// Row scatter-add, the transpose of [`Builder::gather`].
    pub fn scatter_add(
        &mut self,
        operand: ValueId,
        indices: ValueId,
        updates: ValueId,
    ) -> BuildResult {
        self.op(Op::ScatterAdd, vec![operand, indices, updates])
    }

    /// Cumulative sum composite.
    pub fn cumsum(
        &mut self,
        x: ValueId,
        dim: usize,
        exclusive: bool,
        reverse: bool,
    ) -> BuildResult {
        self.op(
            Op::Cumsum {
                dim,
                exclusive,
                reverse,
            },
            vec![x],
        )
    }

    /// An `IrError::Invalid` at the builder's location, for helper-level argument errors.
    pub fn invalid(&self, op: &'static str, message: String) -> IrError {
        IrError::Invalid {
            op,
            loc: self.loc.clone(),
            source: crate::error::InferError::new("builder", message),
        }
    }
}
