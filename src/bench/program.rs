//! One benchmark case before XLA sees it: the model config, the graph (LM loss or train
//! step), our compilation of it (timed: graph building, passes and emission together), its
//! cost, and host inputs for it.

use super::error::BenchError;
use super::options::{BenchOptions, Workload};
use crate::compiler::{compile, Program};
use crate::config::{ModelConfig, ModelKind};
use crate::cost::{formulas, graph_cost, Cost};
use crate::ir::{Graph, Op};
use crate::models::{build_lm, init_params, param_specs, BuildOptions, Mode, ParamSpec};
use crate::parallel::Parallelism;
use crate::passes::PipelineOptions;
use crate::target::Target;
use crate::tensor::{HostTensor, TensorError};
use crate::train::step::build_train_step;
use crate::train::{Remat, StepLayout, TrainError, TrainOverrides};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A compiled (by us) benchmark case.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The model config.
    pub cfg: ModelConfig,
    /// Sequences per batch.
    pub batch: usize,
    /// Sequence length.
    pub seq_len: usize,
    /// The lowered graph and its StableHLO.
    pub program: Program,
    /// Graph building + passes + emission.
    pub our_compile: Duration,
    /// FLOPs of the lowered graph (the cost model).
    pub cost: Cost,
    /// The closed-form matmul FLOPs (forward: B x `lm_forward`; train step: 3x that).
    pub formula_flops: u64,
    /// The model's parameter specs.
    pub specs: Vec<ParamSpec>,
}

/// Builds and compiles `kind` at sequence length `t` for `opts` on `target` (which sets the
/// floor of `--chunk auto` and whether mixed-precision dots are widened).
pub fn prepare(
    kind: ModelKind,
    t: usize,
    opts: &BenchOptions,
    target: Target,
) -> Result<Prepared, BenchError> {
    let batch = opts.batch(t)?;
    let mut cfg = opts.config(kind)?;
    if let (ModelKind::Flash, Some(choice)) = (kind, opts.chunk) {
        cfg.chunk = choice.size(&cfg, t, target);
    }
    let start = Instant::now();
    let mut graph = build_graph(&cfg, batch, t, opts.workload, opts.remat)?;
    if let Some(par) = &opts.parallel {
        annotate(par, &mut graph, &cfg, opts.workload).map_err(|e| BenchError::Parallel {
            model: kind.name(),
            seq_len: t,
            message: e.to_string(),
        })?;
    }
    let pipeline = PipelineOptions {
        verify_each: false,
        cumsum: opts.cumsum,
        ..PipelineOptions::for_target(target)
    };
    let program = compile(graph, &pipeline)?;
    let our_compile = start.elapsed();
    let cost = graph_cost(&program.graph)?;
    let passes = match opts.workload {
        Workload::Forward => 1,
        Workload::Train => 3,
    };
    let formula_flops = passes * batch as u64 * formulas::lm_forward(&cfg, t);
    let specs = param_specs(&cfg).map_err(|source| BenchError::Model {
        model: kind.name(),
        seq_len: t,
        source,
    })?;
    Ok(Prepared {
        cfg,
        batch,
        seq_len: t,
        program,
        our_compile,
        cost,
        formula_flops,
        specs,
    })
}

/// Annotates `graph` (the `workload` program of `cfg`) for `par`'s mesh.
fn annotate(
    par: &Parallelism,
    graph: &mut Graph,
    cfg: &ModelConfig,
    workload: Workload,
) -> Result<(), TrainError> {
    let layout = StepLayout::of(cfg)?;
    match workload {
        Workload::Forward => par.annotate_lm(graph, &layout)?,
        Workload::Train => par.annotate_step(graph, &layout)?,
    }
    Ok(())
}

/// The LM loss graph or the train-step graph of `cfg`.
fn build_graph(
    cfg: &ModelConfig,
    batch: usize,
    t: usize,
    workload: Workload,
    remat: Remat,
) -> Result<Graph, BenchError> {
    let model = cfg.kind.name();
    match workload {
        Workload::Forward => {
            let opts = BuildOptions {
                batch,
                seq_len: t,
                mode: Mode::Lm,
                forward: false,
            };
            build_lm(cfg, &opts).map_err(|source| BenchError::Model {
                model,
                seq_len: t,
                source,
            })
        }
        Workload::Train => {
            let opts = TrainOverrides {
                batch: Some(batch),
                seq_len: Some(t),
                remat: Some(remat),
                ..TrainOverrides::default()
            }
            .options(cfg, 1000);
            build_train_step(cfg, &opts).map_err(|e| BenchError::TrainStep {
                model,
                seq_len: t,
                message: e.to_string(),
            })
        }
    }
}

/// Host inputs for every parameter of `graph`, in order: model parameters (by name) get their
/// initial values, `tokens` random bytes below `vocab`, everything else (optimizer state, the
/// step counter) zeros.
pub fn inputs(
    graph: &Graph,
    specs: &[ParamSpec],
    vocab: usize,
    seed: u64,
) -> Result<Vec<HostTensor>, TensorError> {
    let mut init: HashMap<String, HostTensor> = init_params(specs, seed).into_iter().collect();
    let params = graph.params();
    let declared = params.iter().filter_map(|&v| match &graph.node(v).op {
        Op::Parameter { name, ty, .. } => Some((name, ty)),
        _ => None,
    });
    declared
        .map(|(name, ty)| match init.remove(name) {
            Some(t) if &t.ty == ty => Ok(t),
            _ if name == "tokens" => {
                HostTensor::try_random(ty.clone(), seed ^ 0x70_6b, vocab as i64)
            }
            _ => HostTensor::try_zeros(ty.clone()),
        })
        .collect()
}
