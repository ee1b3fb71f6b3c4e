//! VJP rules of the reductions: `reduce` (sum, max) and `reduce_window` (sum).
//!
//! - `reduce sum`: the cotangent broadcast back over the reduced dims.
//! - `reduce max`: the cotangent goes to the positions equal to the max, divided evenly
//!   among ties (as JAX does), so the rule is symmetric in the tied elements.
//! - `reduce_window sum`, any window, stride and padding: the transpose of a window sum is a
//!   window sum of the cotangent dilated by the stride (interior padding `stride - 1`) and
//!   padded by `window - 1 - low` before and what remains after (negative padding crops).
//!   For the stride-1 windows of the cumsum lowering this is one `reduce_window` with
//!   padding mirrored, e.g. `(n-1, 0)` -> `(0, n-1)`.
//! - `reduce_window max` is unsupported (an [`AutodiffError::Unsupported`](super::AutodiffError)).

use super::{pad_zeros, Ctx, RuleResult};
use flash_ir::{CmpDir, Op, ReduceKind};

/// `reduce` over `dims`.
pub(super) fn reduce(c: &mut Ctx<'_, '_>, kind: ReduceKind, dims: &[usize]) -> RuleResult {
    let (x, y, ct) = (c.x(0), c.y, c.ct);
    let xs = c.b.shape(x);
    let kept: Vec<usize> = (0..xs.len()).filter(|d| !dims.contains(d)).collect();
    let g = match kind {
        ReduceKind::Sum => c.b.broadcast_in_dim(ct, &xs, &kept)?,
        ReduceKind::Max => {
            let b = &mut c.b;
            let yb = b.broadcast_in_dim(y, &xs, &kept)?;
            let hit = b.compare(CmpDir::Eq, x, yb)?;
            let mask = b.convert(hit, b.dtype(x))?;
            let count = b.reduce_sum(mask, dims)?;
            let share = b.div(ct, count)?;
            let share = b.broadcast_in_dim(share, &xs, &kept)?;
            b.mul(mask, share)?
        }
    };
    Ok(vec![Some(g)])
}

/// `reduce_window` (see the module docs).
pub(super) fn reduce_window(
    c: &mut Ctx<'_, '_>,
    kind: ReduceKind,
    window: &[usize],
    strides: &[usize],
    padding: &[(usize, usize)],
) -> RuleResult {
    if kind == ReduceKind::Max {
        return Err(c.unsupported(
            "reduce_window max has no VJP rule; express the pooling with reduce max or reshape",
        ));
    }
    let (xs, out) = (c.b.shape(c.x(0)), c.b.shape(c.ct));
    let rank = xs.len();
    let (mut low, mut high) = (vec![0i64; rank], vec![0i64; rank]);
    for i in 0..rank {
        let (w, s, m) = (window[i] as i64, strides[i] as i64, out[i] as i64);
        let (lo, hi) = (padding[i].0 as i64, padding[i].1 as i64);
        let padded = xs[i] as i64 + lo + hi;
        low[i] = w - 1 - lo;
        high[i] = padded - (m - 1) * s - 1 - hi;
    }
    let interior: Vec<usize> = strides.iter().map(|&s| s - 1).collect();
    let simple = interior.iter().all(|&i| i == 0) && low.iter().chain(&high).all(|&p| p >= 0);
    let (src, win_pad) = if simple {
        let pads = low
            .iter()
            .zip(&high)
            .map(|(&l, &h)| (l as usize, h as usize))
            .collect();
        (c.ct, pads)
    } else {
        (
            pad_zeros(&mut c.b, c.ct, &low, &high, &interior)?,
            vec![(0, 0); rank],
        )
    };
    let op = Op::ReduceWindow {
        kind: ReduceKind::Sum,
        window: window.to_vec(),
        strides: vec![1; rank],
        padding: win_pad,
    };
    Ok(vec![Some(c.b.op(op, vec![src])?)])
}
