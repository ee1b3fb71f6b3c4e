//! Shape ops on [`Tensor`]: reshape (one `-1` inferred), permutations, broadcasting,
//! inserting and removing unit axes, slicing (static and dynamic), splitting, concatenation and
//! padding, and sharding constraints.
//! Axes may be negative (counted from the end, as in NumPy).

use super::context::Ctx;
use super::error::ErrorKind;
use super::tensor::{check_broadcast_to, DimArg, Tensor};
use flash_ir::{Location, Op, Sharding, TensorType};
use std::borrow::Borrow;

impl Tensor {
    /// `self` constrained to lie over the graph's mesh as `sharding` says (a
    /// `sharding_constraint` node, JAX's `with_sharding_constraint`): the value is unchanged,
    /// XLA's partitioner places it so. `sharding` lists one entry per axis of `self`; its
    /// axes must be those of the mesh set with [`Ctx::set_mesh`] (checked by `finish`).
    #[track_caller]
    pub fn with_sharding(&self, sharding: &Sharding) -> Tensor {
        let loc = Location::caller();
        self.apply(&loc, "with_sharding", |b, v| {
            Ok(b.with_sharding(v, sharding)?)
        })
    }

    /// Row-major reshape to `shape`; at most one entry may be `-1`, inferred from the element
    /// count.
    #[track_caller]
    pub fn reshape<D: DimArg>(&self, shape: &[D]) -> Tensor {
        let loc = Location::caller();
        let to: Vec<i64> = shape.iter().map(|d| d.to_i64()).collect();
        self.apply(&loc, "reshape", |b, v| {
            let shape = resolve_reshape(b.ty(v), &to)?;
            Ok(b.reshape(v, &shape)?)
        })
    }

    /// Flattens to one dimension.
    #[track_caller]
    pub fn flatten(&self) -> Tensor {
        self.reshape(&[-1])
    }

    /// Permutes the axes: result axis i is operand axis `perm[i]`.
    #[track_caller]
    pub fn permute<D: DimArg>(&self, perm: &[D]) -> Tensor {
        let loc = Location::caller();
        let Some(perm) = self.norm_axes(&loc, "permute", perm) else {
            return self.poisoned();
        };
        self.apply(&loc, "permute", |b, v| Ok(b.transpose(v, &perm)?))
    }

    /// Swaps axes `a` and `b`.
    #[track_caller]
    pub fn transpose(&self, a: impl DimArg, b: impl DimArg) -> Tensor {
        let loc = Location::caller();
        let (Some(a), Some(b)) = (
            self.norm_axis(&loc, "transpose", a),
            self.norm_axis(&loc, "transpose", b),
        ) else {
            return self.poisoned();
        };
        let mut perm: Vec<usize> = (0..self.rank()).collect();
        perm.swap(a, b);
        self.apply(&loc, "transpose", |bd, v| Ok(bd.transpose(v, &perm)?))
    }

    /// Swaps the last two axes (the matrix transpose of every batch item).
    #[track_caller]
    pub fn t(&self) -> Tensor {
        self.transpose(-2, -1)
    }

    /// NumPy-style broadcast to `shape` (trailing axes aligned, size-1 axes stretch), as an
    /// explicit `broadcast_in_dim`; no op if the shape is already `shape`.
    #[track_caller]
    pub fn broadcast_to(&self, shape: &[usize]) -> Tensor {
        let loc = Location::caller();
        self.apply(&loc, "broadcast_to", |b, v| {
            check_broadcast_to(&b.shape(v), shape)?;
            Ok(b.broadcast_to(v, shape)?)
        })
    }

    /// Inserts a size-1 axis at `axis` (in `-(rank+1)..=rank`).
    #[track_caller]
    pub fn unsqueeze(&self, axis: impl DimArg) -> Tensor {
        let loc = Location::caller();
        let Some(axis) = self.ctx().axis(&loc, "unsqueeze", axis, self.rank() + 1) else {
            return self.poisoned();
        };
        let mut shape = self.shape();
        shape.insert(axis, 1);
        self.apply(&loc, "unsqueeze", |b, v| Ok(b.reshape(v, &shape)?))
    }

    /// Removes the size-1 axis `axis`.
    #[track_caller]
    pub fn squeeze(&self, axis: impl DimArg) -> Tensor {
        let loc = Location::caller();
        let Some(axis) = self.norm_axis(&loc, "squeeze", axis) else {
            return self.poisoned();
        };
        let mut shape = self.shape();
        self.apply(&loc, "squeeze", |b, v| {
            if shape[axis] != 1 {
                return Err(ErrorKind::Squeeze {
                    axis,
                    size: shape[axis],
                });
            }
            shape.remove(axis);
            Ok(b.reshape(v, &shape)?)
        })
    }

    /// Elements `start..end` along `axis`; negative `start`/`end` count from the end.
    #[track_caller]
    pub fn slice(&self, axis: impl DimArg, start: impl DimArg, end: impl DimArg) -> Tensor {
        self.slice_step(axis, start, end, 1)
    }

    /// Every `step`-th element of `start..end` along `axis`; negative `start`/`end` count
    /// from the end.
    #[track_caller]
    pub fn slice_step(
        &self,
        axis: impl DimArg,
        start: impl DimArg,
        end: impl DimArg,
        step: usize,
    ) -> Tensor {
        let loc = Location::caller();
        let Some(axis) = self.norm_axis(&loc, "slice", axis) else {
            return self.poisoned();
        };
        let shape = self.shape();
        let size = shape[axis];
        self.apply(&loc, "slice", |b, v| {
            let (mut lo, mut hi) = (vec![0; shape.len()], shape.clone());
            let mut stride = vec![1; shape.len()];
            lo[axis] = index(start, size)?;
            hi[axis] = index(end, size)?;
            stride[axis] = step;
            Ok(b.slice(v, &lo, &hi, &stride)?)
        })
    }

    /// Splits along `axis` into consecutive pieces of the given sizes (which must add up to
    /// the axis size).
    #[track_caller]
    pub fn split(&self, axis: impl DimArg, sizes: &[usize]) -> Vec<Tensor> {
        let loc = Location::caller();
        let Some(a) = self.norm_axis(&loc, "split", axis) else {
            return vec![self.poisoned(); sizes.len()];
        };
        let total: usize = sizes.iter().sum();
        if total != self.shape()[a] {
            let msg = format!(
                "sizes {sizes:?} add up to {total}, not to the size {} of axis {a}",
                self.shape()[a]
            );
            self.ctx().record(&loc, "split", ErrorKind::Argument(msg));
            return vec![self.poisoned(); sizes.len()];
        }
        let mut start = 0;
        let mut parts = Vec::with_capacity(sizes.len());
        for &n in sizes {
            parts.push(self.slice(a, start, start + n));
            start += n;
        }
        parts
    }

    /// The block of shape `sizes` that starts at `starts` (one integer scalar tensor per
    /// axis, clamped so that the block lies inside), as StableHLO `dynamic_slice`.
    #[track_caller]
    pub fn dynamic_slice(&self, starts: &[&Tensor], sizes: &[usize]) -> Tensor {
        let loc = Location::caller();
        let inputs: Vec<&Tensor> = std::iter::once(self)
            .chain(starts.iter().copied())
            .collect();
        let op = Op::DynamicSlice {
            sizes: sizes.to_vec(),
        };
        self.ctx().emit(&loc, "dynamic_slice", &inputs, |b, ids| {
            Ok(b.op(op, ids.to_vec())?)
        })
    }

    /// This tensor with the block that starts at `starts` (one integer scalar tensor per
    /// axis, clamped so that the block lies inside) replaced by `update`, as StableHLO
    /// `dynamic_update_slice`.
    #[track_caller]
    pub fn dynamic_update_slice(&self, update: &Tensor, starts: &[&Tensor]) -> Tensor {
        let loc = Location::caller();
        let inputs: Vec<&Tensor> = [self, update]
            .into_iter()
            .chain(starts.iter().copied())
            .collect();
        self.ctx()
            .emit(&loc, "dynamic_update_slice", &inputs, |b, ids| {
                Ok(b.op(Op::DynamicUpdateSlice, ids.to_vec())?)
            })
    }

    /// Pads with `value`: `low[i]`/`high[i]` elements before/after axis i (negative crops).
    #[track_caller]
    pub fn pad(&self, low: &[i64], high: &[i64], value: f64) -> Tensor {
        let loc = Location::caller();
        self.apply(&loc, "pad", |b, v| Ok(b.pad(v, value, low, high)?))
    }

    /// Pads axis `axis` with `lo` elements before and `hi` after, all equal to `value`.
    #[track_caller]
    pub fn pad_axis(&self, axis: impl DimArg, lo: i64, hi: i64, value: f64) -> Tensor {
        let loc = Location::caller();
        let Some(axis) = self.norm_axis(&loc, "pad", axis) else {
            return self.poisoned();
        };
        self.apply(&loc, "pad", |b, v| Ok(b.pad_dim(v, axis, lo, hi, value)?))
    }
}

impl Ctx {
    /// Concatenates `tensors` (at least one) along `axis`.
    #[track_caller]
    pub fn concat<T: Borrow<Tensor>>(&self, tensors: &[T], axis: impl DimArg) -> Tensor {
        let loc = Location::caller();
        let inputs: Vec<&Tensor> = tensors.iter().map(|t| t.borrow()).collect();
        let Some(first) = inputs.first() else {
            self.record(
                &loc,
                "concat",
                ErrorKind::Argument("concat needs at least one tensor".into()),
            );
            return Tensor::from_parts(self.clone(), None);
        };
        let Some(axis) = self.axis(&loc, "concat", axis, first.rank()) else {
            return Tensor::from_parts(self.clone(), None);
        };
        self.emit(&loc, "concat", &inputs, |b, ids| {
            Ok(b.concat(ids.to_vec(), axis)?)
        })
    }
}

/// A slice bound in `-size..=size`, made non-negative.
fn index(i: impl DimArg, size: usize) -> Result<usize, ErrorKind> {
    let i = i.to_i64();
    let n = if i < 0 { i + size as i64 } else { i };
    if (0..=size as i64).contains(&n) {
        return Ok(n as usize);
    }
    Err(ErrorKind::Index { index: i, size })
}

/// The reshape target with its `-1` resolved.
fn resolve_reshape(from: &TensorType, to: &[i64]) -> Result<Vec<usize>, ErrorKind> {
    let bad = || ErrorKind::Reshape {
        from: from.clone(),
        to: to.to_vec(),
    };
    let inferred: Vec<usize> = (0..to.len()).filter(|&i| to[i] == -1).collect();
    if inferred.len() > 1 || to.iter().any(|&d| d < -1) {
        return Err(bad());
    }
    let mut shape: Vec<usize> = to.iter().map(|&d| d.max(0) as usize).collect();
    let mut sizes = to.iter().filter(|&&d| d >= 0);
    let known = sizes.try_fold(1usize, |acc, &d| acc.checked_mul(d as usize));
    let known = known.ok_or_else(bad)?;
    if let Some(&i) = inferred.first() {
        let n = from.num_elements();
        if known == 0 || !n.is_multiple_of(known) {
            return Err(bad());
        }
        shape[i] = n / known;
    }
    Ok(shape)
}
