//! Attention masks and position-dependent biases built from iotas: the causal mask and the
//! learned relative-position bias `b[i - j]` of GAU attention.

use super::params::{Init, Params};
use crate::dsl::{Ctx, DType, Tensor};

/// The `[T, T]` bool mask that is true where key `j <= query i`.
pub fn causal_mask(ctx: &Ctx, t: usize) -> Tensor {
    let query = ctx.iota(DType::I32, &[t, t], 0);
    let key = ctx.iota(DType::I32, &[t, t], 1);
    key.le(&query)
}

/// A learned additive bias `b[i - j]` for query i and key j, stored as the table `rel_bias`
/// `[2 * max_len - 1]` (entry `i - j + max_len - 1`), initialised to zero (no bias).
#[derive(Clone, Debug)]
pub struct RelPosBias {
    table: Tensor,
    max_len: usize,
}

impl RelPosBias {
    /// Creates `rel_bias` in the current scope for sequences of up to `max_len` tokens.
    pub fn new(p: &Params, max_len: usize) -> RelPosBias {
        let rows = (2 * max_len).saturating_sub(1);
        RelPosBias {
            table: p.param("rel_bias", &[rows], Init::Zeros),
            max_len,
        }
    }

    /// The `[T, T]` bias matrix for a sequence of `t` tokens (at most `max_len`).
    pub fn bias(&self, t: usize) -> Tensor {
        let ctx = self.table.ctx();
        if t > self.max_len {
            ctx.fail(
                "rel_pos_bias",
                format!("sequence length {t} exceeds max_len {}", self.max_len),
            );
            return ctx.zeros(self.table.dtype(), &[t, t]);
        }
        let offset = ctx.iota(DType::I32, &[t, t], 0) - ctx.iota(DType::I32, &[t, t], 1);
        self.table.gather(&(offset + (self.max_len - 1) as f64))
    }
}
