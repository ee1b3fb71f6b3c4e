//! Rotary position embeddings (RoPE), "rotate half" layout, base 10000, over the last axis,
//! with positions along the second-to-last axis:
//!
//! `rope(x)_t = x_t * cos(t w) + rotate_half(x_t) * sin(t w)`, where for a width n the
//! frequencies are `w_i = base^(-2i/n)` (i < n/2) repeated twice, and
//! `rotate_half([x1, x2]) = [-x2, x1]` for the two halves. Scores `rope(q)_i . rope(k)_j`
//! depend only on `i - j` (FLASH.md section 4).

use crate::dsl::{DType, Tensor};

/// The RoPE base.
pub const ROPE_BASE: f64 = 10000.0;

/// RoPE of `x` (`[.., T, n]`, n even) at positions `0..T`.
pub fn rope(x: &Tensor) -> Tensor {
    rope_from(x, 0)
}

/// RoPE of `x` (`[.., T, n]`, n even) at positions `start..start + T`.
pub fn rope_from(x: &Tensor, start: usize) -> Tensor {
    rotate(x, Halves::Sliced, |positions| positions + start as f64)
}

/// RoPE of `x` (`[.., T, n]`, n even) at positions `start..start + T` for an integer scalar
/// tensor `start` (a decode step's position). The halves are swapped by a product with a
/// signed permutation, which is exact: on XLA's CPU runtime one small dot costs less than the
/// two slices, the negation and the concatenation it replaces, a few kernels per head of a
/// decode step where every kernel launch counts.
pub fn rope_at(x: &Tensor, start: &Tensor) -> Tensor {
    rotate(x, Halves::Permuted, |positions| {
        let offset = start.cast(positions.dtype());
        positions + offset
    })
}

/// How `rotate_half` is computed (the same values either way).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Halves {
    /// Slices of the two halves, concatenated.
    Sliced,
    /// A product with the `[n, n]` signed permutation.
    Permuted,
}

/// `rotate_half(x) = [-x2, x1]` over the last axis (of even width `n`).
fn rotate_half(x: &Tensor, n: usize, how: Halves) -> Tensor {
    let half = n / 2;
    match how {
        Halves::Sliced => {
            let (x1, x2) = (x.slice(-1, 0, half), x.slice(-1, half, n));
            x.ctx().concat(&[-x2, x1], -1)
        }
        Halves::Permuted => {
            // Column j < n/2 takes -x[j + n/2]; column j >= n/2 takes x[j - n/2].
            let mut p = vec![0.0; n * n];
            for j in 0..half {
                p[(j + half) * n + j] = -1.0;
                p[j * n + j + half] = 1.0;
            }
            x.matmul(&x.ctx().constant_dense(&p, x.dtype(), &[n, n]))
        }
    }
}

/// RoPE of `x` at the positions `shift` makes of `0..T` (a `[T, n]` iota), its halves
/// swapped `how`.
fn rotate(x: &Tensor, how: Halves, shift: impl FnOnce(Tensor) -> Tensor) -> Tensor {
    let (t, n) = (x.dim(-2), x.dim(-1));
    if n % 2 != 0 {
        x.ctx()
            .fail("rope", format!("RoPE needs an even last axis, got {n}"));
        return x.clone();
    }
    let freqs = frequencies(x, n);
    let positions = shift(x.ctx().iota(angle_dtype(x), &[t, n], 0));
    let (cos, sin) = tables(x, &freqs, positions);
    let rotated = rotate_half(x, n, how);
    x * cos + rotated * sin
}

/// Angles are computed in f32, or f64 for f64 tensors.
fn angle_dtype(x: &Tensor) -> DType {
    if x.dtype() == DType::F64 {
        DType::F64
    } else {
        DType::F32
    }
}

/// The `[n]` frequencies `base^(-2i/n)`, each half repeated.
fn frequencies(x: &Tensor, n: usize) -> Tensor {
    let freqs: Vec<f64> = (0..n)
        .map(|i| ROPE_BASE.powf(-2.0 * (i % (n / 2)) as f64 / n as f64))
        .collect();
    x.ctx().constant_dense(&freqs, angle_dtype(x), &[n])
}

/// The `[T, n]` cos and sin tables, in `x`'s dtype, of `positions` (`[T, n]`).
fn tables(x: &Tensor, freqs: &Tensor, positions: Tensor) -> (Tensor, Tensor) {
    let angles = positions * freqs;
    (angles.cos().cast(x.dtype()), angles.sin().cast(x.dtype()))
}
