//! Reductions: `reduce`, `reduce_window` and the composite `cumsum`.
//!
//! Sums accumulate in `f64` (exactly in `i128` for integers) and are rounded once; `max`
//! propagates NaN and starts from the identity (-inf, or the integer minimum).

use crate::array::Array;
use crate::index::{for_each_index, strides};
use crate::round::Acc;
use flash_ir::scalar::ieee_max;
use flash_ir::{DType, ReduceKind, TensorType};

/// The running reduction of one result element.
#[derive(Clone, Copy)]
enum Running {
    Sum(Acc),
    Max(f64),
}

impl Running {
    fn new(kind: ReduceKind, dtype: DType) -> Running {
        match kind {
            ReduceKind::Sum => Running::Sum(Acc::zero(dtype)),
            ReduceKind::Max => Running::Max(max_identity(dtype)),
        }
    }

    fn push(&mut self, x: f64) {
        match self {
            Running::Sum(acc) => acc.add(x),
            Running::Max(m) => *m = ieee_max(*m, x),
        }
    }

    fn finish(self, dtype: DType) -> f64 {
        match self {
            Running::Sum(acc) => acc.value(dtype),
            Running::Max(m) => m,
        }
    }
}

/// The identity of `max`: -inf for floats, the minimum for integers (0 for bool).
fn max_identity(dtype: DType) -> f64 {
    match dtype {
        DType::F32 | DType::F64 | DType::BF16 | DType::F16 => f64::NEG_INFINITY,
        DType::I32 => i32::MIN as f64,
        DType::I64 => i64::MIN as f64,
        DType::Bool => 0.0,
    }
}

/// `reduce` over `dims`: operand element `idx` joins the result element made of its other
/// coordinates. Elements are visited in row-major order.
pub fn reduce(kind: ReduceKind, x: &Array, dims: &[usize], ty: &TensorType) -> Array {
    let os = strides(&ty.shape);
    let mut steps = vec![0; x.ty.rank()];
    let kept = (0..x.ty.rank()).filter(|k| !dims.contains(k));
    for (k, s) in kept.zip(&os) {
        steps[k] = *s;
    }
    let mut acc = vec![Running::new(kind, x.dtype()); ty.num_elements()];
    for_each_index(x.shape(), |flat, idx| {
        let at: usize = idx.iter().zip(&steps).map(|(i, s)| i * s).sum();
        acc[at].push(x.data[flat]);
    });
    let data = acc.into_iter().map(|r| r.finish(ty.dtype)).collect();
    Array {
        ty: ty.clone(),
        data,
    }
}

/// `reduce_window`: result element `o` reduces operand positions `o * stride + w - low` for
/// every window offset `w`; positions in the padding hold the identity, so they are skipped.
pub fn reduce_window(
    kind: ReduceKind,
    x: &Array,
    ty: &TensorType,
    window: &[usize],
    window_strides: &[usize],
    padding: &[(usize, usize)],
) -> Array {
    let xs = strides(x.shape());
    let mut data = Vec::with_capacity(ty.num_elements());
    for_each_index(&ty.shape, |_, o| {
        let mut r = Running::new(kind, x.dtype());
        for_each_index(window, |_, w| {
            let mut at = 0;
            for k in 0..o.len() {
                let pos = (o[k] * window_strides[k] + w[k]) as i64 - padding[k].0 as i64;
                if pos < 0 || pos >= x.shape()[k] as i64 {
                    return;
                }
                at += pos as usize * xs[k];
            }
            r.push(x.data[at]);
        });
        data.push(r.finish(ty.dtype));
    });
    Array {
        ty: ty.clone(),
        data,
    }
}

/// `cumsum` along `dim`: element k holds the sum of elements `0..=k` (`0..k` if `exclusive`),
/// or of `k..n` (`k+1..n`) if `reverse`. Each running sum is kept in full precision and each
/// output rounded once.
pub fn cumsum(x: &Array, dim: usize, exclusive: bool, reverse: bool) -> Array {
    let shape = x.shape();
    let n = shape[dim];
    let outer: usize = shape[..dim].iter().product();
    let inner: usize = shape[dim + 1..].iter().product();
    let mut data = vec![0.0; x.data.len()];
    for o in 0..outer {
        for i in 0..inner {
            let mut acc = Acc::zero(x.dtype());
            for step in 0..n {
                let k = if reverse { n - 1 - step } else { step };
                let at = (o * n + k) * inner + i;
                if exclusive {
                    data[at] = acc.value(x.dtype());
                    acc.add(x.data[at]);
                } else {
                    acc.add(x.data[at]);
                    data[at] = acc.value(x.dtype());
                }
            }
        }
    }
    Array {
        ty: x.ty.clone(),
        data,
    }
}
