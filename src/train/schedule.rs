//! The learning-rate schedule, written once: [`Schedule::lr`] states the formula (linear
//! warm-up, then cosine decay, inverse square root or constant) over the few operations of
//! [`LrOps`], and two evaluators run it: [`Schedule::lr_at`] on the host in f64 (logging,
//! the progress bar, tests) and [`schedule_lr`] in the train-step graph in f32 (the update).
//!
//! With `k` the 0-based step, `w` the warm-up, `lr` the peak:
//!
//! ```text
//! k < w        lr * (k + 1) / w
//! constant     lr
//! inverse-sqrt lr * sqrt(max(w, 1)) / sqrt(k + 1)
//! cosine       min_lr + (lr - min_lr) * (1 + cos(pi * clamp((k - w) / span, 0, 1))) / 2,
//!              span = max(total_steps - w, 1)
//! ```

use super::error::TrainError;
use crate::config::names::{by_name, display_and_from_str_by_name, Named};
use crate::ir::{
    BinaryOp, Builder, CmpDir, DType, Graph, Location, Op, TensorType, UnaryOp, ValueId,
};
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use std::sync::Arc;

/// The shape of the learning-rate curve after the warm-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScheduleKind {
    /// Linear warm-up, then cosine decay to `min_lr` at `total_steps` (held after).
    Cosine,
    /// Linear warm-up, then `lr * sqrt(warmup / (step + 1))`.
    InverseSqrt,
    /// Linear warm-up, then constant.
    Constant,
}

impl Named for ScheduleKind {
    const WHAT: &'static str = "schedule";
    const ALL: &'static [ScheduleKind] = &[
        ScheduleKind::Cosine,
        ScheduleKind::InverseSqrt,
        ScheduleKind::Constant,
    ];
    fn name(self) -> &'static str {
        match self {
            ScheduleKind::Cosine => "cosine",
            ScheduleKind::InverseSqrt => "inverse-sqrt",
            ScheduleKind::Constant => "constant",
        }
    }
}

display_and_from_str_by_name!(ScheduleKind);

/// The learning-rate schedule, computed in the train-step graph from the step number.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    /// The curve.
    #[serde(with = "by_name")]
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

/// The arithmetic the schedule's formula is written in: scalars and the operations on them.
pub trait LrOps {
    /// A scalar.
    type Value: Copy;
    /// Why an operation failed.
    type Error;
    /// The constant `c`.
    fn constant(&mut self, c: f64) -> Result<Self::Value, Self::Error>;
    /// `x + c`.
    fn add(&mut self, x: Self::Value, c: f64) -> Result<Self::Value, Self::Error>;
    /// `x * c`.
    fn scale(&mut self, x: Self::Value, c: f64) -> Result<Self::Value, Self::Error>;
    /// `1 / sqrt(x)`.
    fn rsqrt(&mut self, x: Self::Value) -> Result<Self::Value, Self::Error>;
    /// `cos(x)`.
    fn cos(&mut self, x: Self::Value) -> Result<Self::Value, Self::Error>;
    /// `max(min(x, 1), 0)`.
    fn clamp01(&mut self, x: Self::Value) -> Result<Self::Value, Self::Error>;
    /// `then` where `k < limit`, else `otherwise`.
    fn below(
        &mut self,
        k: Self::Value,
        limit: f64,
        then: Self::Value,
        otherwise: Self::Value,
    ) -> Result<Self::Value, Self::Error>;
}

impl Schedule {
    /// The learning rate of step `k` (see the module docs), in `o`'s arithmetic.
    pub fn lr<O: LrOps>(&self, o: &mut O, k: O::Value) -> Result<O::Value, O::Error> {
        let w = self.warmup as f64;
        let kp1 = o.add(k, 1.0)?;
        let after = match self.kind {
            ScheduleKind::Constant => o.constant(self.lr)?,
            ScheduleKind::InverseSqrt => {
                let r = o.rsqrt(kp1)?;
                o.scale(r, self.lr * w.max(1.0).sqrt())?
            }
            ScheduleKind::Cosine => self.cosine(o, k)?,
        };
        if self.warmup == 0 {
            return Ok(after);
        }
        let warm = o.scale(kp1, self.lr / w)?;
        o.below(k, w, warm, after)
    }

    /// The cosine part after the warm-up.
    fn cosine<O: LrOps>(&self, o: &mut O, k: O::Value) -> Result<O::Value, O::Error> {
        let w = self.warmup as f64;
        let span = (self.total_steps as f64 - w).max(1.0);
        let shifted = o.add(k, -w)?;
        let progress = o.scale(shifted, 1.0 / span)?;
        let clamped = o.clamp01(progress)?;
        let angle = o.scale(clamped, std::f64::consts::PI)?;
        let cos = o.cos(angle)?;
        let half = o.add(cos, 1.0)?;
        let scaled = o.scale(half, 0.5 * (self.lr - self.min_lr))?;
        o.add(scaled, self.min_lr)
    }

    /// The learning rate of (0-based) step `step`, in f64 (the graph computes it in f32).
    pub fn lr_at(&self, step: u64) -> f64 {
        match self.lr(&mut Host, step as f64) {
            Ok(lr) => lr,
            Err(never) => match never {},
        }
    }
}

/// The schedule evaluated on the host, in f64.
struct Host;

impl LrOps for Host {
    type Value = f64;
    type Error = Infallible;
    fn constant(&mut self, c: f64) -> Result<f64, Infallible> {
        Ok(c)
    }
    fn add(&mut self, x: f64, c: f64) -> Result<f64, Infallible> {
        Ok(x + c)
    }
    fn scale(&mut self, x: f64, c: f64) -> Result<f64, Infallible> {
        Ok(x * c)
    }
    fn rsqrt(&mut self, x: f64) -> Result<f64, Infallible> {
        Ok(1.0 / x.sqrt())
    }
    fn cos(&mut self, x: f64) -> Result<f64, Infallible> {
        Ok(x.cos())
    }
    fn clamp01(&mut self, x: f64) -> Result<f64, Infallible> {
        Ok(x.clamp(0.0, 1.0))
    }
    fn below(&mut self, k: f64, limit: f64, then: f64, otherwise: f64) -> Result<f64, Infallible> {
        Ok(if k < limit { then } else { otherwise })
    }
}

/// The schedule built into a graph, on f32 scalars.
struct InGraph<'a, 'g>(&'a mut Builder<'g>);

impl LrOps for InGraph<'_, '_> {
    type Value = ValueId;
    type Error = TrainError;
    fn constant(&mut self, c: f64) -> Result<ValueId, TrainError> {
        Ok(self.0.scalar(c, DType::F32)?)
    }
    fn add(&mut self, x: ValueId, c: f64) -> Result<ValueId, TrainError> {
        add_const(self.0, x, c)
    }
    fn scale(&mut self, x: ValueId, c: f64) -> Result<ValueId, TrainError> {
        Ok(self.0.scale(x, c)?)
    }
    fn rsqrt(&mut self, x: ValueId) -> Result<ValueId, TrainError> {
        Ok(self.0.unary(UnaryOp::Rsqrt, x)?)
    }
    fn cos(&mut self, x: ValueId) -> Result<ValueId, TrainError> {
        Ok(self.0.unary(UnaryOp::Cos, x)?)
    }
    fn clamp01(&mut self, x: ValueId) -> Result<ValueId, TrainError> {
        let b = &mut *self.0;
        let (zero, one) = (b.scalar(0.0, DType::F32)?, b.scalar(1.0, DType::F32)?);
        let upper = b.binary(BinaryOp::Min, x, one)?;
        Ok(b.max(upper, zero)?)
    }
    fn below(
        &mut self,
        k: ValueId,
        limit: f64,
        then: ValueId,
        otherwise: ValueId,
    ) -> Result<ValueId, TrainError> {
        let b = &mut *self.0;
        let limit = b.scalar(limit, DType::F32)?;
        let in_range = b.compare(CmpDir::Lt, k, limit)?;
        Ok(b.select(in_range, then, otherwise)?)
    }
}

/// `x + c` for an f32 scalar or tensor `x`.
pub(super) fn add_const(b: &mut Builder<'_>, x: ValueId, c: f64) -> Result<ValueId, TrainError> {
    let k = b.splat_like(c, x)?;
    Ok(b.add(x, k)?)
}

/// The learning rate of step `k` (an f32 scalar in `b`'s graph), as [`Schedule::lr`] says.
pub fn schedule_lr(b: &mut Builder<'_>, k: ValueId, s: &Schedule) -> Result<ValueId, TrainError> {
    s.lr(&mut InGraph(b), k)
}

/// A program of the schedule alone: input `step` (i32 scalar), output the learning rate (f32
/// scalar), computed as the train step computes it (for tests and inspection).
pub fn schedule_graph(s: &Schedule) -> Result<Graph, TrainError> {
    let mut g = Graph::new("lr_schedule");
    let mut b = Builder::at(&mut g, Location::caller(), Arc::from("schedule"));
    let step = b.op(
        Op::Parameter {
            index: 0,
            name: "step".into(),
            ty: TensorType::scalar(DType::I32),
        },
        vec![],
    )?;
    let k = b.convert(step, DType::F32)?;
    let lr = schedule_lr(&mut b, k, s)?;
    g.outputs = vec![lr];
    Ok(g)
}
