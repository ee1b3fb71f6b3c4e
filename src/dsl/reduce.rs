//! Reductions over axes (sum, mean, max, min, with or without kept axes) and the cumulative
//! sum composite. Axes may be negative.

use super::error::ErrorKind;
use super::tensor::{DimArg, Tensor};
use flash_ir::build::BuildResult;
use flash_ir::{Builder, Location, ValueId};

impl Tensor {
    /// Sum over `axes`; `keepdim` keeps them as size-1 axes.
    #[track_caller]
    pub fn sum<A: DimArg>(&self, axes: &[A], keepdim: bool) -> Tensor {
        let loc = Location::caller();
        self.reduce_at(&loc, "sum", axes, keepdim, |b, v, dims| {
            b.reduce_sum(v, dims)
        })
    }

    /// Mean over `axes` (sum divided by the count; integer division for integer dtypes).
    #[track_caller]
    pub fn mean<A: DimArg>(&self, axes: &[A], keepdim: bool) -> Tensor {
        let loc = Location::caller();
        self.reduce_at(&loc, "mean", axes, keepdim, |b, v, dims| {
            let shape = b.shape(v);
            let count: usize = dims.iter().map(|&d| shape[d]).product();
            let s = b.reduce_sum(v, dims)?;
            let n = b.splat_like(count as f64, s)?;
            b.div(s, n)
        })
    }

    /// Maximum over `axes`.
    #[track_caller]
    pub fn max<A: DimArg>(&self, axes: &[A], keepdim: bool) -> Tensor {
        let loc = Location::caller();
        self.reduce_at(&loc, "max", axes, keepdim, |b, v, dims| {
            b.reduce_max(v, dims)
        })
    }

    /// Minimum over `axes` (as `-max(-x)`).
    #[track_caller]
    pub fn min<A: DimArg>(&self, axes: &[A], keepdim: bool) -> Tensor {
        let loc = Location::caller();
        self.reduce_at(&loc, "min", axes, keepdim, |b, v, dims| {
            let n = b.unary(flash_ir::UnaryOp::Neg, v)?;
            let m = b.reduce_max(n, dims)?;
            b.unary(flash_ir::UnaryOp::Neg, m)
        })
    }

    /// Sum of all elements (a scalar).
    #[track_caller]
    pub fn sum_all(&self) -> Tensor {
        let axes: Vec<usize> = (0..self.rank()).collect();
        self.sum(&axes, false)
    }

    /// Mean of all elements (a scalar).
    #[track_caller]
    pub fn mean_all(&self) -> Tensor {
        let axes: Vec<usize> = (0..self.rank()).collect();
        self.mean(&axes, false)
    }

    /// Cumulative sum along `axis`; `exclusive` shifts by one (the first element gets 0),
    /// `reverse` sums from the end. A composite op, lowered by a pass.
    #[track_caller]
    pub fn cumsum(&self, axis: impl DimArg, exclusive: bool, reverse: bool) -> Tensor {
        let loc = Location::caller();
        let Some(axis) = self.norm_axis(&loc, "cumsum", axis) else {
            return self.poisoned();
        };
        self.apply(&loc, "cumsum", |b, v| {
            Ok(b.cumsum(v, axis, exclusive, reverse)?)
        })
    }

    /// Reduces over the normalised `axes` with `f`, then restores them as size-1 axes when
    /// `keepdim`.
    fn reduce_at<A: DimArg>(
        &self,
        loc: &Location,
        op: &'static str,
        axes: &[A],
        keepdim: bool,
        f: impl FnOnce(&mut Builder<'_>, ValueId, &[usize]) -> BuildResult,
    ) -> Tensor {
        let Some(dims) = self.norm_axes(loc, op, axes) else {
            return self.poisoned();
        };
        self.apply(loc, op, |b, v| {
            let mut kept = b.shape(v);
            let r = f(b, v, &dims)?;
            if !keepdim {
                return Ok(r);
            }
            dims.iter().for_each(|&d| kept[d] = 1);
            b.reshape(r, &kept).map_err(ErrorKind::from)
        })
    }
}
