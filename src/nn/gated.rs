//! The projections GAU and FLASH share (FLASH.md sections 1 and 2): one fused input
//! projection `[u | v | z] = silu(h W_in + b_in)`, cheap per-dimension affine "heads" of the
//! shared z (`z * gamma[i] + beta[i]`), and the gated output `x + (u * y) W_out + b_out`.
//!
//! Parameters (current scope): `w_in` `[d, 2e + s]`, `b_in`, `gamma` `[heads, s]`
//! (N(0, 0.02)), `beta` `[heads, s]` (zero), `w_out` `[e, d]`, `b_out`.

use super::dense::Dense;
use super::params::{Init, Params};
use crate::dsl::Tensor;

/// The expansion e and shared attention width s of a gated unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GatedWidths {
    /// Expansion e (width of u and v).
    pub expansion: usize,
    /// Shared attention width s (width of z).
    pub shared: usize,
}

/// The shared projections of a gated attention unit with `heads` affine heads.
#[derive(Clone, Debug)]
pub struct GatedUnit {
    w_in: Dense,
    gamma: Tensor,
    beta: Tensor,
    w_out: Dense,
    widths: GatedWidths,
    heads: usize,
}

/// The projected input: the gate u, the values v and the affine heads of z.
#[derive(Clone, Debug)]
pub struct Projected {
    /// Gate `[B, T, e]`.
    pub u: Tensor,
    /// Values `[B, T, e]`.
    pub v: Tensor,
    /// `z * gamma[i] + beta[i]` for each head i, `[B, T, s]` each.
    pub heads: Vec<Tensor>,
}

impl GatedUnit {
    /// Creates the parameters for model width `d` in the current scope.
    pub fn new(p: &Params, d: usize, widths: GatedWidths, heads: usize) -> GatedUnit {
        let GatedWidths {
            expansion: e,
            shared: s,
        } = widths;
        GatedUnit {
            w_in: Dense::new(p, "in", d, 2 * e + s, true),
            gamma: p.param("gamma", &[heads, s], Init::weight()),
            beta: p.param("beta", &[heads, s], Init::Zeros),
            w_out: Dense::new(p, "out", e, d, true),
            widths,
            heads,
        }
    }

    /// `silu(h W_in + b_in)` split into u, v and the affine heads of z.
    pub fn project(&self, h: &Tensor) -> Projected {
        self.activate(&self.project_in(h))
    }

    /// `h W_in + b_in`: the fused input projection before its activation.
    pub fn project_in(&self, h: &Tensor) -> Tensor {
        self.w_in.forward(h)
    }

    /// `silu` of the fused input projection `projected`, split into u, v and the affine
    /// heads of z.
    pub fn activate(&self, projected: &Tensor) -> Projected {
        let GatedWidths {
            expansion: e,
            shared: s,
        } = self.widths;
        let parts = projected.silu().split(-1, &[e, e, s]);
        let [u, v, z] = [parts[0].clone(), parts[1].clone(), parts[2].clone()];
        let heads = (0..self.heads)
            .map(|i| &z * self.gamma.slice(0, i, i + 1) + self.beta.slice(0, i, i + 1))
            .collect();
        Projected { u, v, heads }
    }

    /// The gated output with the residual: `x + (u * y) W_out + b_out`.
    pub fn output(&self, x: &Tensor, u: &Tensor, y: &Tensor) -> Tensor {
        self.output_gated(x, &(u * y))
    }

    /// The output with the residual for the gated attention `gated = u * y`:
    /// `x + gated W_out + b_out`.
    pub fn output_gated(&self, x: &Tensor, gated: &Tensor) -> Tensor {
        x + self.w_out.forward(gated)
    }
}
