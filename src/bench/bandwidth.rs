//! The memory bandwidth a decode step is compared with, measured in the same run on the same
//! plugin as the step: the best of several executions of `y = 2 x` over a large f32 array,
//! which reads and writes every byte once (a "large copy" that no pass can fold away).
//! A decode step reads its parameters and its state ([`DecodeRecord::bytes_per_step`]);
//! bytes over this bandwidth is the least time it can take.
//!
//! [`DecodeRecord::bytes_per_step`]: super::decode::DecodeRecord::bytes_per_step

use super::error::BenchError;
use super::measure::{measure, Runs};
use crate::compiler::compile;
use crate::dsl::{Ctx, DType};
use crate::ir::TensorType;
use crate::parallel::Placement;
use crate::passes::PipelineOptions;
use crate::runtime::Client;
use crate::tensor::HostTensor;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// The largest array the measurement takes, in MiB.
pub const MAX_BANDWIDTH_MIB: usize = 4096;

/// A measured bandwidth.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bandwidth {
    /// Bytes read and written by one execution (twice the array).
    pub bytes: u64,
    /// The fastest execution, in seconds.
    pub best_s: f64,
}

impl Bandwidth {
    /// Bytes per second of the fastest execution.
    pub fn bytes_per_s(&self) -> f64 {
        self.bytes as f64 / self.best_s.max(1e-12)
    }

    /// The least time moving `bytes` takes at this bandwidth.
    pub fn time_for(&self, bytes: u64) -> Duration {
        Duration::from_secs_f64(bytes as f64 / self.bytes_per_s())
    }
}

/// Measures [`Bandwidth`] with an array of `mib` MiB (1 to [`MAX_BANDWIDTH_MIB`]) and `reps`
/// timed executions after one warm-up.
pub fn measure_bandwidth(
    client: &Arc<Client>,
    mib: usize,
    reps: usize,
) -> Result<Bandwidth, BenchError> {
    if !(1..=MAX_BANDWIDTH_MIB).contains(&mib) {
        return Err(BenchError::Option {
            option: "bandwidth-size",
            message: format!("{mib} MiB: give 1 to {MAX_BANDWIDTH_MIB} (0 skips the measurement)"),
        });
    }
    let n = mib * (1 << 20) / DType::F32.size_bytes();
    let ctx = Ctx::new("bandwidth");
    let x = ctx.input("x", DType::F32, &[n]);
    let graph = ctx.finish(&[&x * 2.0])?;
    let program = compile(graph, &PipelineOptions::default())?;
    let input = HostTensor::try_random(TensorType::new(DType::F32, vec![n]), 1, 0)?;
    let runs = Runs {
        warmup: 1,
        reps: reps.max(1),
        on_run: &mut |_, _| {},
    };
    let placement = Placement::single(client.clone());
    let measured = measure(&placement, &program.mlir, &program.graph, &[input], runs)?;
    Ok(Bandwidth {
        bytes: (2 * mib as u64) << 20,
        best_s: measured.min().as_secs_f64(),
    })
}
