//! Timing on a PJRT client: XLA compilation, one upload of the inputs, untimed warm-up
//! executions, then timed ones; and the dense-matmul peak the FLOP rates are compared with.
//!
//! Programs that donate inputs to outputs (the train step's parameters and optimizer state,
//! listed in the graph's aliases) are run with the state threaded through: after each
//! execution, every donated input is replaced by the output it aliases, so each run reads
//! valid, live buffers, exactly as a training loop does.

use super::error::BenchError;
use crate::compiler::compile;
use crate::dsl::{Ctx, DType};
use crate::ir::Graph;
use crate::parallel::Placement;
use crate::passes::PipelineOptions;
use crate::runtime::{Buffer, Client, ExecuteOptions, MemoryStats};
use crate::tensor::HostTensor;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What timing one program gave.
#[derive(Clone, Debug)]
pub struct Measured {
    /// XLA's compile time.
    pub xla_compile: Duration,
    /// Wall time of each timed execution, in order.
    pub times: Vec<Duration>,
    /// XLA's compiled memory statistics, where the plugin gives them.
    pub memory: Option<MemoryStats>,
}

impl Measured {
    /// The median execution time (mean of the middle two for an even count).
    pub fn median(&self) -> Duration {
        median(&self.times)
    }

    /// The fastest execution.
    pub fn min(&self) -> Duration {
        self.times.iter().copied().min().unwrap_or_default()
    }
}

/// The median of `times` (zero when empty).
pub fn median(times: &[Duration]) -> Duration {
    let mut t = times.to_vec();
    t.sort();
    match t.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => t[n / 2],
        n => (t[n / 2 - 1] + t[n / 2]) / 2,
    }
}

/// How many executions to run and what to call back after each.
pub struct Runs<'a> {
    /// Untimed executions first.
    pub warmup: usize,
    /// Timed executions.
    pub reps: usize,
    /// Called with (execution number, warm-up + reps) after each execution.
    pub on_run: &'a mut dyn FnMut(usize, usize),
}

/// Compiles `mlir` (the program of `graph`) with XLA for the devices of `placement`, uploads
/// `inputs` once (each device its piece, by `graph`'s parameter shardings) and times `runs`,
/// threading the outputs of `graph`'s aliases (`(input, output)` pairs) back into their
/// inputs on every device after every execution.
pub fn measure(
    placement: &Placement,
    mlir: &str,
    graph: &Graph,
    inputs: &[HostTensor],
    runs: Runs<'_>,
) -> Result<Measured, BenchError> {
    let start = Instant::now();
    let options = placement.compile_options()?;
    let executable = placement.client().compile_with(mlir, &options)?;
    let xla_compile = start.elapsed();
    crate::exec::check_memory(placement.client(), &executable)?;
    let memory = executable.memory_stats()?;
    let tensors: Vec<_> = (inputs.iter().enumerate())
        .map(|(i, t)| (t, graph.param_sharding(i)))
        .collect();
    let mut args = placement.upload_args(&tensors)?;
    let total = runs.warmup + runs.reps;
    let mut times = Vec::with_capacity(runs.reps);
    for run in 0..total {
        let start = Instant::now();
        let refs: Vec<Vec<&Buffer>> = args.iter().map(|list| list.iter().collect()).collect();
        let outputs = executable.execute_sharded(&refs, &ExecuteOptions::default())?;
        let elapsed = start.elapsed();
        if run >= runs.warmup {
            times.push(elapsed);
        }
        for (list, outputs) in args.iter_mut().zip(outputs) {
            thread_state(list, outputs, &graph.aliases);
        }
        (runs.on_run)(run + 1, total);
    }
    Ok(Measured {
        xla_compile,
        times,
        memory,
    })
}

/// Replaces each aliased input by the output that now holds its value.
fn thread_state(args: &mut [Buffer], outputs: Vec<Buffer>, aliases: &[(usize, usize)]) {
    let mut outputs: Vec<Option<Buffer>> = outputs.into_iter().map(Some).collect();
    for &(input, output) in aliases {
        let fresh = outputs.get_mut(output).and_then(Option::take);
        if let (Some(slot), Some(fresh)) = (args.get_mut(input), fresh) {
            *slot = fresh;
        }
    }
}

/// The dense-matmul peak of a client: the best of several runs of an `n x n x n` matmul.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Peak {
    /// The matrix size n.
    pub size: usize,
    /// The matrices' dtype.
    pub dtype: DType,
    /// `2 n^3`.
    pub flops: u64,
    /// The fastest run.
    pub best: Duration,
}

impl Peak {
    /// FLOP/s of the fastest run.
    pub fn flops_per_s(&self) -> f64 {
        self.flops as f64 / self.best.as_secs_f64().max(1e-12)
    }
}

/// Measures [`Peak`] for size `n` and `dtype` (compiled by our compiler, `reps` timed runs
/// after one warm-up).
pub fn measure_peak(
    client: &Arc<Client>,
    n: usize,
    dtype: DType,
    reps: usize,
) -> Result<Peak, BenchError> {
    let ctx = Ctx::new("peak_matmul");
    let a = ctx.input("a", dtype, &[n, n]);
    let b = ctx.input("b", dtype, &[n, n]);
    let graph = ctx.finish(&[a.matmul(&b)])?;
    let program = compile(graph, &PipelineOptions::default())?;
    let ty = crate::ir::TensorType::new(dtype, vec![n, n]);
    let inputs = [
        HostTensor::try_random(ty.clone(), 1, 0)?,
        HostTensor::try_random(ty, 2, 0)?,
    ];
    let runs = Runs {
        warmup: 1,
        reps: reps.max(1),
        on_run: &mut |_, _| {},
    };
    let placement = Placement::single(client.clone());
    let measured = measure(&placement, &program.mlir, &program.graph, &inputs, runs)?;
    let best = measured.min();
    Ok(Peak {
        size: n,
        dtype,
        flops: 2 * (n as u64).pow(3), // n <= MAX_PEAK_SIZE (options), so this cannot wrap
        best,
    })
}
