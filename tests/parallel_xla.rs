//! Sharded training on several XLA CPU devices gives the one-device numbers: one train step
//! of FLASH and Transformer++ on `data=4`, `data=2,model=2` and `model=4` (and data-parallel
//! with ZeRO-1) matches the unsharded step in loss, gradient norm and every updated state
//! tensor, and the evaluation loss matches too; XLA's partitioned steps hold the collectives
//! the strategies need (none on one device).

mod common;

use flash::compiler::compile;
use flash::config::ModelConfig;
use flash::parallel::{parse_mesh, Parallelism, Placement};
use flash::passes::PipelineOptions;
use flash::tensor::HostTensor;
use flash::train::session::{StepSpec, Trainer};
use flash::train::{build_train_step, StepLayout, TrainOptions};

/// A two-layer model of `preset`, small enough to compile quickly.
fn small(preset: &str) -> ModelConfig {
    let mut cfg = ModelConfig::preset(preset).unwrap();
    cfg.layers = 2;
    cfg
}

/// The options of the steps compared: batch 4 of 32 tokens.
fn step_options(cfg: &ModelConfig) -> TrainOptions {
    let mut opts = TrainOptions::defaults_for(cfg, 10);
    opts.batch = 4;
    opts.seq_len = 32;
    // AdamW's first update is about `lr * sign(g)`: with the default tiny eps, a gradient
    // entry near zero flips sign under a different summation order. A larger eps makes the
    // update smooth in `g`, so the comparison sees the partitioning, not that amplification.
    opts.adamw.eps = 1e-2;
    opts
}

/// What one step reports: loss, gradient norm, the new state, and an evaluation loss.
struct StepResult {
    loss: f32,
    grad_norm: f32,
    state: Vec<HostTensor>,
    eval: f64,
}

/// One train step (then an evaluation) of `cfg` on `parallel`'s mesh.
fn one_step(cfg: &ModelConfig, parallel: Option<&Parallelism>) -> StepResult {
    let layout = StepLayout::of(cfg).unwrap();
    let opts = step_options(cfg);
    let spec = StepSpec {
        cfg,
        layout: &layout,
        opts: &opts,
        parallel,
    };
    let state = layout.initial_state(7);
    let pipeline = PipelineOptions::default();
    let mut trainer = Trainer::new(common::client(), spec, &state, 0, &pipeline)
        .unwrap_or_else(|e| panic!("trainer on {parallel:?}: {e}"));
    let tokens = HostTensor::random(
        flash::ir::TensorType::new(flash::ir::DType::I32, vec![4, 33]),
        11,
        cfg.vocab as i64,
    );
    let loss = trainer.train_step(&tokens).unwrap();
    StepResult {
        loss,
        grad_norm: trainer.last_grad_norm().unwrap().unwrap(),
        state: trainer.state_to_host().unwrap(),
        eval: trainer.eval_loss(&[tokens]).unwrap(),
    }
}

/// The largest difference between two state lists, relative to the largest magnitude,
/// with the index of the tensor where it is and the two values.
fn max_rel_diff(a: &[HostTensor], b: &[HostTensor]) -> (f64, usize, f64, f64) {
    let mut worst = (0.0, 0, 0.0, 0.0);
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        for (x, y) in x.to_f64().into_iter().zip(y.to_f64()) {
            let d = (x - y).abs() / (1e-3 + x.abs().max(y.abs()));
            if d > worst.0 {
                worst = (d, i, x, y);
            }
        }
    }
    worst
}

fn check_meshes(preset: &str) {
    let cfg = small(preset);
    let base = one_step(&cfg, None);
    for (mesh, zero) in [
        ("data=4", false),
        ("data=4", true),
        ("data=2,model=2", false),
        ("model=4", false),
    ] {
        let par = Parallelism {
            mesh: parse_mesh(mesh).unwrap(),
            shard_optimizer: zero,
        };
        let got = one_step(&cfg, Some(&par));
        let what = format!("{preset} on {mesh} (zero: {zero})");
        assert!(
            (got.loss - base.loss).abs() < 1e-4,
            "{what}: loss {} vs {}",
            got.loss,
            base.loss
        );
        let gn = (got.grad_norm - base.grad_norm).abs() / base.grad_norm;
        assert!(
            gn < 1e-3,
            "{what}: grad norm {} vs {}",
            got.grad_norm,
            base.grad_norm
        );
        assert!(
            (got.eval - base.eval).abs() < 1e-4,
            "{what}: eval {} vs {}",
            got.eval,
            base.eval
        );
        assert_eq!(got.state.len(), base.state.len());
        let (d, i, x, y) = max_rel_diff(&got.state, &base.state);
        assert!(d < 1e-3, "{what}: state {i} differs by {d:e} ({x} vs {y})");
    }
}

#[test]
fn flash_train_step_is_the_same_on_every_mesh() {
    check_meshes("flash-tiny");
}

#[test]
fn transformer_pp_train_step_is_the_same_on_every_mesh() {
    check_meshes("transformer++-tiny");
}

/// The opcodes of the collectives XLA's SPMD partitioner may insert.
const COLLECTIVES: [&str; 5] = [
    "all-reduce",
    "all-gather",
    "reduce-scatter",
    "all-to-all",
    "collective-permute",
];

/// The collectives in XLA's optimised train step of `cfg` on `mesh` (`None`: one device).
fn step_collectives(cfg: &ModelConfig, mesh: Option<&str>) -> Vec<&'static str> {
    let layout = StepLayout::of(cfg).unwrap();
    let mut graph = build_train_step(cfg, &step_options(cfg)).unwrap();
    let parallel = mesh.map(|m| Parallelism {
        mesh: parse_mesh(m).unwrap(),
        shard_optimizer: false,
    });
    if let Some(par) = &parallel {
        par.annotate_step(&mut graph, &layout).unwrap();
    }
    let program = compile(graph, &PipelineOptions::default()).unwrap();
    let placement = Placement::new(common::client(), parallel.as_ref().map(|p| &p.mesh)).unwrap();
    let exe = placement
        .client()
        .compile_with(&program.mlir, &placement.compile_options().unwrap())
        .unwrap_or_else(|e| panic!("the step on {mesh:?} does not compile: {e}"));
    assert_eq!(exe.devices().len(), placement.device_count());
    if mesh.is_some_and(|m| m.contains("data")) {
        assert!(
            exe.has_opcode("all-reduce").unwrap(),
            "no gradient all-reduce on {mesh:?}"
        );
    }
    let opcodes = exe.optimized_opcodes().unwrap();
    COLLECTIVES
        .into_iter()
        .filter(|c| opcodes.iter().any(|o| o == c))
        .collect()
}

#[test]
fn partitioned_train_steps_hold_collectives_and_the_one_device_step_none() {
    let cfg = small("flash-tiny");
    assert_eq!(step_collectives(&cfg, None), Vec::<&str>::new());
    assert!(step_collectives(&cfg, Some("data=4")).contains(&"all-reduce"));
    let model = step_collectives(&cfg, Some("model=4"));
    assert!(!model.is_empty(), "the model=4 step holds no collective");
}
