//! What a train step computes besides the model: batch shape, AdamW hyper-parameters,
//! gradient clipping and the learning-rate [`Schedule`], with validation that names the
//! option; and the one set of defaults ([`TrainOverrides::options`]) that `flash train`,
//! `flash compile --train` and `flash bench` share.

use super::error::TrainError;
use super::remat::Remat;
use super::schedule::{Schedule, ScheduleKind};
use crate::config::names::by_name;
use crate::config::{ModelConfig, ModelKind};
use serde::{Deserialize, Serialize};
use std::fmt::Display;

/// AdamW with bias correction and decoupled weight decay.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdamW {
    /// First-moment decay.
    pub beta1: f64,
    /// Second-moment decay.
    pub beta2: f64,
    /// Added to `sqrt(v_hat)`. The default, 1e-12, is small enough not to damp the GAU
    /// kinds' tiny early gradients (about 1e-9 for gamma at initialisation).
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
            eps: 1e-12,
            weight_decay: 0.1,
            clip_norm: 1.0,
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
    /// What the backward pass recomputes (no effect on the numbers).
    #[serde(default, with = "by_name")]
    pub remat: Remat,
}

impl TrainOptions {
    /// The defaults for `config`'s model over a run of `steps` steps (see
    /// [`TrainOverrides::options`]).
    pub fn defaults_for(config: &ModelConfig, steps: u64) -> TrainOptions {
        TrainOverrides::default().options(config, steps)
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
        const POSITIVE: &str = "a finite number above 0";
        const NOT_NEGATIVE: &str = "a finite number of at least 0";
        const FRACTION: &str = "in [0, 1)";
        let checks: [(&'static str, f64, bool, &str); 7] = [
            ("lr", s.lr, s.lr > 0.0, POSITIVE),
            ("min-lr", s.min_lr, s.min_lr >= 0.0, NOT_NEGATIVE),
            ("beta1", a.beta1, (0.0..1.0).contains(&a.beta1), FRACTION),
            ("beta2", a.beta2, (0.0..1.0).contains(&a.beta2), FRACTION),
            ("adam-eps", a.eps, a.eps > 0.0, POSITIVE),
            (
                "weight-decay",
                a.weight_decay,
                a.weight_decay >= 0.0,
                NOT_NEGATIVE,
            ),
            (
                "clip",
                a.clip_norm,
                a.clip_norm >= 0.0,
                "0 (off) or a finite number above 0",
            ),
        ];
        for (option, value, ok, valid) in checks {
            if !ok || !value.is_finite() {
                return bad(option, format!("{value} is out of range: give {valid}"));
            }
            if let Some(why) = not_an_f32(value) {
                return bad(option, format!("{value} {why}"));
            }
        }
        Ok(())
    }
}

/// Why a finite option value cannot be the f32 the training step computes with (infinite
/// there, or a non-zero value that rounds to 0), or `None` if it can.
fn not_an_f32(value: f64) -> Option<&'static str> {
    let single = value as f32;
    if !single.is_finite() {
        Some("is out of range: the training step computes in f32, whose largest value is 3.4e38")
    } else if single == 0.0 && value != 0.0 {
        Some("is out of range: it rounds to 0 in f32, which the training step computes in")
    } else {
        None
    }
}

/// The default peak learning rate of a model kind. The GAU kinds start with tiny attention
/// scores (gamma ~ N(0, 0.02) enters relu(q.k / C)^2 to the fourth power), so they want a
/// larger step than the softmax Transformers; measured on tinyshakespeare (BENCHMARKS.md).
pub fn default_lr(kind: ModelKind) -> f64 {
    match kind {
        ModelKind::Flash | ModelKind::FlashQuad => 1e-2,
        ModelKind::Transformer | ModelKind::TransformerPlusPlus => 3e-3,
    }
}

/// The training settings given explicitly (on the command line); the others take their
/// defaults. Each field is named like its flag.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrainOverrides {
    /// Sequences per step [default: 16].
    pub batch: Option<usize>,
    /// Tokens per sequence [default: 256].
    pub seq_len: Option<usize>,
    /// Peak learning rate [default: [`default_lr`] of the model kind].
    pub lr: Option<f64>,
    /// The cosine's floor [default: lr / 10].
    pub min_lr: Option<f64>,
    /// Warm-up steps [default: a tenth of the schedule's span, at most 100].
    pub warmup: Option<u64>,
    /// The curve [default: cosine].
    pub schedule: Option<ScheduleKind>,
    /// Steps the cosine spans [default: the run's steps].
    pub schedule_steps: Option<u64>,
    /// Decoupled weight decay [default: [`AdamW::default`]'s].
    pub weight_decay: Option<f64>,
    /// Global-norm clip [default: [`AdamW::default`]'s].
    pub clip: Option<f64>,
    /// AdamW's epsilon [default: [`AdamW::default`]'s].
    pub adam_eps: Option<f64>,
    /// Rematerialisation [default: none].
    pub remat: Option<Remat>,
}

impl TrainOverrides {
    /// The options of a run of `steps` steps of `config`'s model: the fields given, and the
    /// defaults (the one place they are stated) for the others.
    pub fn options(&self, config: &ModelConfig, steps: u64) -> TrainOptions {
        let lr = self.lr.unwrap_or(default_lr(config.kind));
        let span = self.schedule_steps.unwrap_or(steps);
        let schedule = Schedule {
            kind: self.schedule.unwrap_or(ScheduleKind::Cosine),
            lr,
            warmup: self.warmup.unwrap_or((span / 10).min(100)),
            total_steps: span,
            min_lr: self.min_lr.unwrap_or(lr / 10.0),
        };
        let d = AdamW::default();
        let adamw = AdamW {
            eps: self.adam_eps.unwrap_or(d.eps),
            weight_decay: self.weight_decay.unwrap_or(d.weight_decay),
            clip_norm: self.clip.unwrap_or(d.clip_norm),
            ..d
        };
        TrainOptions {
            batch: self.batch.unwrap_or(16),
            seq_len: self.seq_len.unwrap_or(256),
            adamw,
            schedule,
            remat: self.remat.unwrap_or_default(),
        }
    }

    /// Fails if a field given differs from `stored` (a resumed run keeps its settings).
    pub fn check_kept(&self, stored: &TrainOptions) -> Result<(), TrainError> {
        let (s, a) = (&stored.schedule, &stored.adamw);
        check_kept("batch", self.batch, stored.batch)?;
        check_kept("seq-len", self.seq_len, stored.seq_len)?;
        check_kept("lr", self.lr, s.lr)?;
        check_kept("min-lr", self.min_lr, s.min_lr)?;
        check_kept("warmup", self.warmup, s.warmup)?;
        check_kept("schedule", self.schedule, s.kind)?;
        check_kept("schedule-steps", self.schedule_steps, s.total_steps)?;
        check_kept("weight-decay", self.weight_decay, a.weight_decay)?;
        check_kept("clip", self.clip, a.clip_norm)?;
        check_kept("adam-eps", self.adam_eps, a.eps)
    }
}

/// Fails if `given` (the value of `--option`, if given) differs from the `stored` one.
pub fn check_kept<T: PartialEq + Display>(
    option: &'static str,
    given: Option<T>,
    stored: T,
) -> Result<(), TrainError> {
    match given {
        Some(v) if v != stored => Err(TrainError::Kept {
            option,
            given: v.to_string(),
            stored: stored.to_string(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_flash_trains() {
        let flash = ModelConfig::preset("flash-tiny").unwrap_or_else(|e| panic!("{e}"));
        let t = TrainOptions::defaults_for(&flash, 500);
        assert_eq!((t.batch, t.seq_len, t.adamw.eps), (16, 256, 1e-12));
        let s = &t.schedule;
        assert_eq!((s.kind, s.lr, s.min_lr), (ScheduleKind::Cosine, 1e-2, 1e-3));
        assert_eq!((s.warmup, s.total_steps), (50, 500));
        let tpp = ModelConfig::new(ModelKind::TransformerPlusPlus, 64, 1);
        assert_eq!(TrainOptions::defaults_for(&tpp, 5000).schedule.lr, 3e-3);
        assert_eq!(TrainOptions::defaults_for(&tpp, 5000).schedule.warmup, 100);
        // A run that is the first part of a longer schedule warms up as the whole would.
        let first_part = TrainOverrides {
            schedule_steps: Some(800),
            ..TrainOverrides::default()
        };
        let s = first_part.options(&flash, 200).schedule;
        assert_eq!((s.warmup, s.total_steps), (80, 800));
    }

    #[test]
    fn values_finite_in_f64_but_not_an_f32_are_refused() {
        let flash = ModelConfig::preset("flash-tiny").unwrap_or_else(|e| panic!("{e}"));
        let mut t = TrainOptions::defaults_for(&flash, 10);
        t.schedule.lr = 1e39;
        let e = t.validate().unwrap_err().to_string();
        assert!(e.contains("lr") && e.contains("f32"), "{e}");
        t.schedule.lr = 1e-3;
        t.adamw.eps = 1e-50;
        let e = t.validate().unwrap_err().to_string();
        assert!(e.contains("adam-eps") && e.contains("rounds to 0"), "{e}");
        t.adamw.eps = 1e-12;
        assert!(t.validate().is_ok());
    }
}
