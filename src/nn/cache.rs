//! The pieces decoding is built from: a key/value cache of fixed capacity for the attention
//! layers whose cost grows with the context (softmax MHSA, GAU), and the helpers that write one
//! token into a buffer at a position given as an integer scalar tensor.
//!
//! A cache holds `capacity` rows along its position axis; row `j` is the key (value) of token
//! `j`, and rows past the current position are zeros or stale, masked out by
//! [`visible_keys`].

use crate::dsl::{DType, Tensor};

/// The keys and values of one attention layer for positions `0..capacity`.
#[derive(Clone, Debug)]
pub struct KvCache {
    /// Keys, with positions along `axis`.
    pub k: Tensor,
    /// Values, with positions along `axis`.
    pub v: Tensor,
}

impl KvCache {
    /// The cache after a prompt: `k` and `v` (positions `0..P` along `axis`) zero-padded to
    /// `capacity` rows.
    pub fn from_prompt(k: &Tensor, v: &Tensor, axis: usize, capacity: usize) -> KvCache {
        let grow = |x: &Tensor| {
            let extra = capacity.saturating_sub(x.dim(axis)) as i64;
            x.pad_axis(axis, 0, extra, 0.0)
        };
        KvCache {
            k: grow(k),
            v: grow(v),
        }
    }

    /// The cache with one token's key and value (size 1 along `axis`) written at `position`.
    pub fn write(&self, k: &Tensor, v: &Tensor, axis: usize, position: &Tensor) -> KvCache {
        KvCache {
            k: write_at(&self.k, k, axis, position),
            v: write_at(&self.v, v, axis, position),
        }
    }
}

/// `buffer` with `rows` written at `position` along `axis` (start 0 along the other axes).
pub fn write_at(buffer: &Tensor, rows: &Tensor, axis: usize, position: &Tensor) -> Tensor {
    let zero = buffer.ctx().scalar(0.0, position.dtype());
    let starts: Vec<&Tensor> = (0..buffer.rank())
        .map(|a| if a == axis { position } else { &zero })
        .collect();
    buffer.dynamic_update_slice(&rows.cast(buffer.dtype()), &starts)
}

/// The `[1, capacity]` bool mask of the keys a query at `position` sees: `j <= position`.
pub fn visible_keys(position: &Tensor, capacity: usize) -> Tensor {
    let keys = position.ctx().iota(DType::I32, &[1, capacity], 1);
    keys.le(position.cast(DType::I32))
}
