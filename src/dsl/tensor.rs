//! [`Tensor`] handles, the [`Operand`] and [`DimArg`] argument types, and the shared
//! machinery of elementwise ops: NumPy broadcasting made explicit as `broadcast_in_dim`, and
//! scalars made splat constants of the tensor's dtype.

use super::context::Ctx;
use super::error::ErrorKind;
use flash_ir::build::BuildResult;
use flash_ir::{Builder, DType, Location, TensorType, ValueId};
use std::fmt;

/// A value of a graph under construction: a [`ValueId`] plus its context. Cheap to clone.
///
/// A *poisoned* tensor is the result of a failed op (or of any op after the context's first
/// error); it has no value, its shape is empty and every op on it is a no-op.
#[derive(Clone)]
pub struct Tensor {
    ctx: Ctx,
    id: Option<ValueId>,
}

/// An integer usable as an axis, index or reshape size (negative values count from the end
/// where the function says so).
pub trait DimArg: Copy {
    /// The value as `i64` (saturating).
    fn to_i64(self) -> i64;
}

macro_rules! dim_arg {
    ($($t:ty),*) => {$(
        impl DimArg for $t {
            fn to_i64(self) -> i64 {
                i64::try_from(self).unwrap_or(i64::MAX)
            }
        }
    )*};
}
dim_arg!(i32, i64, isize, u32, usize);

/// The right-hand side of an elementwise op: a tensor or a scalar (which becomes a splat
/// constant of the other operand's dtype).
#[derive(Clone, Debug)]
pub enum Operand {
    /// A tensor.
    Tensor(Tensor),
    /// A scalar.
    Scalar(f64),
}

impl From<&Tensor> for Operand {
    fn from(t: &Tensor) -> Self {
        Operand::Tensor(t.clone())
    }
}

impl From<Tensor> for Operand {
    fn from(t: Tensor) -> Self {
        Operand::Tensor(t)
    }
}

impl From<f64> for Operand {
    fn from(v: f64) -> Self {
        Operand::Scalar(v)
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.id, self.ty()) {
            (Some(id), Some(ty)) => write!(f, "Tensor({id}: {ty})"),
            _ => f.write_str("Tensor(poisoned)"),
        }
    }
}

impl Tensor {
    pub(crate) fn from_parts(ctx: Ctx, id: Option<ValueId>) -> Tensor {
        Tensor { ctx, id }
    }

    /// The context this tensor belongs to.
    #[track_caller]
    pub fn ctx(&self) -> &Ctx {
        &self.ctx
    }

    /// The IR value, or `None` if poisoned.
    #[track_caller]
    pub fn id(&self) -> Option<ValueId> {
        self.id
    }

    /// True if this tensor is the result of a failed op.
    #[track_caller]
    pub fn is_poisoned(&self) -> bool {
        self.id.is_none()
    }

    /// The tensor type, or `None` if poisoned (or the graph was finished).
    #[track_caller]
    pub fn ty(&self) -> Option<TensorType> {
        self.id.and_then(|v| self.ctx.type_of(v))
    }

    /// The shape (empty if poisoned).
    #[track_caller]
    pub fn shape(&self) -> Vec<usize> {
        self.ty().map(|t| t.shape).unwrap_or_default()
    }

    /// The dtype (`F32` if poisoned).
    #[track_caller]
    pub fn dtype(&self) -> DType {
        self.ty().map_or(DType::F32, |t| t.dtype)
    }

    /// The rank (0 if poisoned).
    #[track_caller]
    pub fn rank(&self) -> usize {
        self.shape().len()
    }

    /// The size of `axis` (negative counts from the end). A bad axis records an error and
    /// gives 1, as does a poisoned tensor, so model code can size later ops without panicking.
    #[track_caller]
    pub fn dim(&self, axis: impl DimArg) -> usize {
        let loc = Location::caller();
        let shape = self.shape();
        match self.ctx.axis(&loc, "dim", axis, shape.len()) {
            Some(a) => shape[a],
            None => 1,
        }
    }

    /// Emits a one-operand op built by `f`.
    pub(crate) fn apply(
        &self,
        loc: &Location,
        op: &'static str,
        f: impl FnOnce(&mut Builder<'_>, ValueId) -> Result<ValueId, ErrorKind>,
    ) -> Tensor {
        self.ctx.emit(loc, op, &[self], |b, v| f(b, v[0]))
    }

    /// Normalises `axis` against this tensor's rank (recording an error when out of range).
    pub(crate) fn norm_axis(
        &self,
        loc: &Location,
        op: &'static str,
        axis: impl DimArg,
    ) -> Option<usize> {
        self.ctx.axis(loc, op, axis, self.rank())
    }

    /// Normalises several axes; `None` if any is out of range.
    pub(crate) fn norm_axes<A: DimArg>(
        &self,
        loc: &Location,
        op: &'static str,
        axes: &[A],
    ) -> Option<Vec<usize>> {
        axes.iter().map(|&a| self.norm_axis(loc, op, a)).collect()
    }

    /// A poisoned tensor of this context.
    pub(crate) fn poisoned(&self) -> Tensor {
        Tensor::from_parts(self.ctx.clone(), None)
    }
}

/// How the operands of an elementwise op are combined: scalars become splats of the dtype of
/// operand `dtype_from`; tensors are broadcast to their common shape when that exists and the
/// tensors from `same_dtype_from` on share a dtype. Otherwise they are passed through
/// unchanged, so the IR's rule reports the mismatch with the original types.
pub(crate) struct Elementwise<'a> {
    /// DSL op name for errors.
    pub op: &'static str,
    /// Index of the tensor operand whose dtype scalars take.
    pub dtype_from: usize,
    /// First operand index whose dtype must agree with the later ones (a select's predicate
    /// is bool, so it starts at 1).
    pub same_dtype_from: usize,
    /// The operands.
    pub operands: &'a [Operand],
}

impl Elementwise<'_> {
    /// Emits `make` applied to the prepared (splatted, broadcast) operands in `ctx`.
    pub(crate) fn emit(
        self,
        ctx: &Ctx,
        loc: &Location,
        make: impl FnOnce(&mut Builder<'_>, &[ValueId]) -> BuildResult,
    ) -> Tensor {
        let tensors: Vec<&Tensor> = self.operands.iter().filter_map(Operand::tensor).collect();
        ctx.emit(loc, self.op, &tensors, |b, ids| {
            let vals = self.prepare(b, ids)?;
            Ok(make(b, &vals)?)
        })
    }

    fn prepare(&self, b: &mut Builder<'_>, ids: &[ValueId]) -> Result<Vec<ValueId>, ErrorKind> {
        let mut next = ids.iter().copied();
        let vals: Vec<Option<ValueId>> = self
            .operands
            .iter()
            .map(|o| o.tensor().and_then(|_| next.next()))
            .collect();
        let typed = vals
            .get(self.dtype_from)
            .copied()
            .flatten()
            .or(ids.first().copied());
        let Some(typed) = typed else {
            return Err(ErrorKind::Argument(
                "at least one operand must be a tensor".into(),
            ));
        };
        let target = self.target_shape(b, &vals);
        let splat_shape = target.clone().unwrap_or_else(|| b.shape(typed));
        let splat_ty = TensorType::new(b.dtype(typed), splat_shape);
        let prepared = vals
            .iter()
            .zip(self.operands)
            .map(|(v, o)| match (v, o, &target) {
                (Some(v), _, Some(t)) => b.broadcast_to(*v, t),
                (Some(v), _, None) => Ok(*v),
                (None, Operand::Scalar(c), _) => b.splat(*c, splat_ty.clone()),
                (None, Operand::Tensor(_), _) => missing_operand(b),
            });
        prepared
            .collect::<Result<Vec<_>, _>>()
            .map_err(ErrorKind::from)
    }

    /// The common broadcast shape of the tensor operands, or `None` when they do not
    /// broadcast or their dtypes (from `same_dtype_from` on) differ.
    fn target_shape(&self, b: &Builder<'_>, vals: &[Option<ValueId>]) -> Option<Vec<usize>> {
        let checked = vals[self.same_dtype_from.min(vals.len())..]
            .iter()
            .flatten();
        let dtypes: Vec<DType> = checked.map(|&v| b.dtype(v)).collect();
        if dtypes.windows(2).any(|w| w[0] != w[1]) {
            return None;
        }
        let shapes: Vec<Vec<usize>> = vals.iter().flatten().map(|&v| b.shape(v)).collect();
        broadcast_shapes(&shapes)
    }
}

fn missing_operand(b: &Builder<'_>) -> BuildResult {
    Err(b.invalid("elementwise", "a tensor operand has no value".into()))
}

impl Operand {
    /// The tensor, if this operand is one.
    #[track_caller]
    pub fn tensor(&self) -> Option<&Tensor> {
        match self {
            Operand::Tensor(t) => Some(t),
            Operand::Scalar(_) => None,
        }
    }
}

/// The NumPy broadcast of `shapes` (trailing-aligned, size-1 dims stretch), or `None`.
pub(crate) fn broadcast_shapes(shapes: &[Vec<usize>]) -> Option<Vec<usize>> {
    let rank = shapes.iter().map(Vec::len).max().unwrap_or(0);
    let mut out = vec![1; rank];
    for s in shapes {
        let offset = rank - s.len();
        for (i, &d) in s.iter().enumerate() {
            let o = &mut out[offset + i];
            if *o == 1 {
                *o = d;
            } else if d != 1 && d != *o {
                return None;
            }
        }
    }
    Some(out)
}

/// `Err(Broadcast)` unless `from` broadcasts to exactly `to`.
pub(crate) fn check_broadcast_to(from: &[usize], to: &[usize]) -> Result<(), ErrorKind> {
    let ok = from.len() <= to.len()
        && from
            .iter()
            .rev()
            .zip(to.iter().rev())
            .all(|(&f, &t)| f == 1 || f == t);
    if ok {
        return Ok(());
    }
    Err(ErrorKind::Broadcast {
        lhs: from.to_vec(),
        rhs: to.to_vec(),
    })
}
