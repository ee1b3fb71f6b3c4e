//! Cross-entropy losses, computed in f32 from f32 logits through `log_softmax`.
//!
//! The target's log-probability is picked with a one-hot mask (an iota compared with the
//! targets), so no general gather is needed.

use crate::dsl::{DType, Tensor};

/// The per-token cross entropy `[B, T]` of f32 logits `[B, T, V]` and i32 targets `[B, T]`.
pub fn cross_entropy(logits: &Tensor, targets: &Tensor) -> Tensor {
    let logp = logits.log_softmax(-1);
    let classes = logits.ctx().iota(DType::I32, &logits.shape(), -1);
    let picked = classes.eq(targets.unsqueeze(-1)).select(&logp, 0.0);
    -picked.sum(&[-1], false)
}

/// The mean of `ce` over every token (LM).
pub fn mean_loss(ce: &Tensor) -> Tensor {
    ce.mean_all()
}

/// `sum(mask * ce) / max(sum(mask), 1)` (MLM).
pub fn masked_mean_loss(ce: &Tensor, mask: &Tensor) -> Tensor {
    (ce * mask).sum_all() / mask.sum_all().maximum(1.0)
}
