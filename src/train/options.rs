//! What a train step computes besides the model: batch shape, AdamW hyper-parameters,
//! gradient clipping and the learning-rate schedule, with validation that names the option,
//! and the host-side (f64) value of the schedule for logging and tests.

use super::error::TrainError;
use serde::{Deserialize, Serialize};

/// AdamW with bias correction and decoupled weight decay.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdamW {
    /// First-moment decay.
    pub beta1: f64,
    /// Second-moment decay.
    pub beta2: f64,
    /// Added to `sqrt(v_hat)`.
    pub eps: f64,
    /// Decoupled weight decay (multiplied by the learning rate), applied only where
    /// [`super::decays`] says so.
    pub weight_decay: f64,
    /// Clip the gradients' global L2 norm to this value; 0 disables clipping.
    pub clip_norm: f64,
}

impl Default for AdamW {
    fn default() -> Self {
        AdamW {
            beta1: 0.9,
            beta2: 0.95,
            eps: 1e-8,
            weight_decay: 0.1,
            clip_norm: 1.0,
        }
    }
}

/// The shape of the learning-rate curve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScheduleKind {
    /// Linear warm-up, then cosine decay to `min_lr` at `total_steps` (held after).
    Cosine,
    /// Linear warm-up, then `lr * sqrt(warmup / (step + 1))`.
    InverseSqrt,
    /// Linear warm-up, then constant.
    Constant,
}

/// The learning-rate schedule, computed in the train-step graph from the step number.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    /// The curve.
    pub kind: ScheduleKind,
    /// Peak learning rate.
    pub lr: f64,
    /// Warm-up steps: step `k < warmup` uses `lr * (k + 1) / warmup`.
    pub warmup: u64,
    /// Steps over which the cosine decays (the run's length unless set otherwise).
    pub total_steps: u64,
    /// The floor the cosine decays to.
    pub min_lr: f64,
}

impl Schedule {
    /// The learning rate of (0-based) step `step`, in f64 (the graph computes it in f32).
    pub fn lr_at(&self, step: u64) -> f64 {
        let k = step as f64;
        let w = self.warmup as f64;
        if k < w {
            return self.lr * (k + 1.0) / w;
        }
        match self.kind {
            ScheduleKind::Constant => self.lr,
            ScheduleKind::InverseSqrt => self.lr * (w.max(1.0) / (k + 1.0)).sqrt(),
            ScheduleKind::Cosine => {
                let span = (self.total_steps as f64 - w).max(1.0);
                let progress = ((k - w) / span).clamp(0.0, 1.0);
                let cosine = 0.5 * (1.0 + (std::f64::consts::PI * progress).cos());
                self.min_lr + (self.lr - self.min_lr) * cosine
            }
        }
    }
}

/// Everything a train-step program needs besides the model config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    /// Sequences per step (B).
    pub batch: usize,
    /// Tokens per sequence (T); each window holds `T + 1` bytes.
    pub seq_len: usize,
    /// The optimizer.
    pub adamw: AdamW,
    /// The learning-rate schedule.
    pub schedule: Schedule,
}

impl TrainOptions {
    /// Defaults for `batch` x `seq_len` over a run of `steps` steps: AdamW(0.9, 0.95, 1e-8,
    /// decay 0.1, clip 1.0), peak lr 3e-3 with 10% warm-up (at most 100 steps) and a cosine
    /// decay to a tenth of the peak.
    pub fn new(batch: usize, seq_len: usize, steps: u64) -> TrainOptions {
        let lr = 3e-3;
        let schedule = Schedule {
            kind: ScheduleKind::Cosine,
            lr,
            warmup: (steps / 10).min(100),
            total_steps: steps,
            min_lr: lr / 10.0,
        };
        TrainOptions {
            batch,
            seq_len,
            adamw: AdamW::default(),
            schedule,
        }
    }

    /// Checks every option; the first problem names it.
    pub fn validate(&self) -> Result<(), TrainError> {
        let bad =
            |option: &'static str, message: String| Err(TrainError::Option { option, message });
        if self.batch == 0 {
            return bad("batch", "must be at least 1".into());
        }
        if self.seq_len == 0 {
            return bad("seq-len", "must be at least 1".into());
        }
        let a = &self.adamw;
        let s = &self.schedule;
        let checks: [(&'static str, f64, bool); 7] = [
            ("lr", s.lr, s.lr > 0.0),
            ("min-lr", s.min_lr, s.min_lr >= 0.0),
            ("beta1", a.beta1, (0.0..1.0).contains(&a.beta1)),
            ("beta2", a.beta2, (0.0..1.0).contains(&a.beta2)),
            ("eps", a.eps, a.eps > 0.0),
            ("weight-decay", a.weight_decay, a.weight_decay >= 0.0),
            ("clip", a.clip_norm, a.clip_norm >= 0.0),
        ];
        for (option, value, ok) in checks {
            if !ok || !value.is_finite() {
                return bad(option, format!("{value} is out of range"));
            }
        }
        Ok(())
    }
}
