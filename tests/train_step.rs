//! The train-step program on the XLA CPU plugin against the same AdamW update computed in
//! plain Rust (f64) from the gradients of the separately compiled gradient program: learning
//! rate schedule (warm-up, cosine, floor), global-norm clipping, bias correction, and
//! decoupled weight decay on matrices only. Also the program's signature and donation, and
//! the learning-rate schedule's graph against its host value for every kind.

mod common;

use flash::compiler::compile;
use flash::config::names::Named;
use flash::config::{ModelConfig, ModelKind};
use flash::ir::{DType, Graph, TensorType};
use flash::models::{build_lm, init_params, param_specs, BuildOptions, Mode};
use flash::passes::autodiff::grad;
use flash::passes::chunk_attention::lower_all;
use flash::passes::PipelineOptions;
use flash::tensor::HostTensor;
use flash::train::schedule::schedule_graph;
use flash::train::{build_train_step, decays, ScheduleKind, StepLayout, TrainOptions};

fn tiny() -> ModelConfig {
    ModelConfig {
        shared: 8,
        chunk: 4,
        ..ModelConfig::new(ModelKind::Flash, 16, 1)
    }
}

fn options() -> TrainOptions {
    let mut o = TrainOptions {
        batch: 2,
        seq_len: 8,
        ..TrainOptions::defaults_for(&tiny(), 10)
    };
    o.schedule.warmup = 2;
    o.schedule.lr = 1e-2;
    o.schedule.min_lr = 1e-3;
    o.adamw.clip_norm = 0.05;
    o.adamw.weight_decay = 0.1;
    o
}

fn run(g: Graph, inputs: &[HostTensor]) -> Vec<Vec<f64>> {
    let opts = PipelineOptions {
        verify_each: true,
        ..PipelineOptions::default()
    };
    let program = compile(g, &opts).expect("compile");
    let client = common::client();
    let out = flash::exec::run_mlir(&client, &program.mlir, inputs).expect("run on XLA");
    out.iter().map(HostTensor::to_f64).collect()
}

/// Loss and gradients of every parameter, from the plain gradient program.
fn gradients(
    cfg: &ModelConfig,
    o: &TrainOptions,
    params: &[HostTensor],
    tokens: &HostTensor,
) -> Vec<Vec<f64>> {
    let build = BuildOptions {
        batch: o.batch,
        seq_len: o.seq_len,
        mode: Mode::Lm,
        forward: false,
    };
    let lowered = lower_all(build_lm(cfg, &build).unwrap()).unwrap();
    let g = grad(&lowered, &(0..params.len()).collect::<Vec<_>>()).unwrap();
    let mut inputs = params.to_vec();
    inputs.push(tokens.clone());
    run(g, &inputs)
}

struct Expected {
    params: Vec<Vec<f64>>,
    m: Vec<Vec<f64>>,
    v: Vec<Vec<f64>>,
    norm: f64,
}

/// AdamW in plain Rust, f64 throughout.
fn reference(
    o: &TrainOptions,
    layout: &StepLayout,
    state: &[Vec<f64>],
    grads: &[Vec<f64>],
    step: u64,
) -> Expected {
    let n = layout.n();
    let (a, lr) = (&o.adamw, o.schedule.lr_at(step));
    let norm = grads.iter().flatten().map(|g| g * g).sum::<f64>().sqrt();
    let clip = (a.clip_norm / (norm + 1e-6)).min(1.0);
    let t = (step + 1) as f64;
    let (bc1, bc2) = (1.0 - a.beta1.powf(t), 1.0 - a.beta2.powf(t));
    let mut e = Expected {
        params: vec![],
        m: vec![],
        v: vec![],
        norm,
    };
    for i in 0..n {
        let wd = if decays(&layout.params[i]) {
            a.weight_decay
        } else {
            0.0
        };
        let (mut p, mut m, mut v) = (
            state[i].clone(),
            state[n + i].clone(),
            state[2 * n + i].clone(),
        );
        for j in 0..p.len() {
            let g = grads[i][j] * clip;
            m[j] = a.beta1 * m[j] + (1.0 - a.beta1) * g;
            v[j] = a.beta2 * v[j] + (1.0 - a.beta2) * g * g;
            let u = (m[j] / bc1) / ((v[j] / bc2).sqrt() + a.eps);
            p[j] -= lr * (u + wd * p[j]);
        }
        e.params.push(p);
        e.m.push(m);
        e.v.push(v);
    }
    e
}

fn assert_close(what: &str, got: &[f64], want: &[f64], rel: f64, abs: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (j, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= abs + rel * w.abs(),
            "{what}[{j}]: XLA {g}, Rust {w}"
        );
    }
}

/// Initial parameters, random first moments and random non-negative second moments.
fn state(layout: &StepLayout) -> Vec<HostTensor> {
    let mut s: Vec<HostTensor> = init_params(&layout.params, 7)
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    for (k, p) in layout.params.iter().enumerate() {
        s.push(HostTensor::from_f64(
            p.ty.clone(),
            &HostTensor::random(p.ty.clone(), 100 + k as u64, 0)
                .to_f64()
                .iter()
                .map(|x| x * 1e-3)
                .collect::<Vec<_>>(),
        ));
    }
    for (k, p) in layout.params.iter().enumerate() {
        let v: Vec<f64> = HostTensor::random(p.ty.clone(), 200 + k as u64, 0)
            .to_f64()
            .iter()
            .map(|x| x * x * 1e-5)
            .collect();
        s.push(HostTensor::from_f64(p.ty.clone(), &v));
    }
    s
}

#[test]
fn one_step_matches_adamw_in_plain_rust_at_warmup_cosine_and_floor() {
    let (cfg, o) = (tiny(), options());
    let layout = StepLayout::of(&cfg).unwrap();
    let n = layout.n();
    let state = state(&layout);
    let tokens = HostTensor::random(
        TensorType::new(DType::I32, vec![o.batch, o.seq_len + 1]),
        3,
        256,
    );
    let grads = gradients(&cfg, &o, &state[..n], &tokens);
    let (loss, grads) = (grads[0][0], &grads[1..]);
    let host: Vec<Vec<f64>> = state.iter().map(HostTensor::to_f64).collect();
    for step in [0u64, 4, 12] {
        let mut inputs = state.clone();
        inputs.push(HostTensor::from_f64(
            TensorType::scalar(DType::I32),
            &[step as f64],
        ));
        inputs.push(tokens.clone());
        let out = run(build_train_step(&cfg, &o).unwrap(), &inputs);
        let want = reference(&o, &layout, &host, grads, step);
        assert!(
            want.norm > o.adamw.clip_norm,
            "the test must exercise clipping"
        );
        assert_close("loss", &out[3 * n], &[loss], 1e-5, 1e-6);
        assert_close("grad norm", &out[3 * n + 1], &[want.norm], 1e-4, 1e-7);
        for i in 0..n {
            let name = &layout.params[i].name;
            assert_close(
                &format!("step {step} {name}"),
                &out[i],
                &want.params[i],
                1e-5,
                1e-6,
            );
            assert_close(
                &format!("step {step} m.{name}"),
                &out[n + i],
                &want.m[i],
                1e-4,
                1e-9,
            );
            assert_close(
                &format!("step {step} v.{name}"),
                &out[2 * n + i],
                &want.v[i],
                1e-4,
                1e-12,
            );
        }
    }
}

#[test]
fn step_program_donates_parameters_and_moments_in_place() {
    let (cfg, o) = (tiny(), options());
    let g = build_train_step(&cfg, &o).unwrap();
    let layout = StepLayout::of(&cfg).unwrap();
    let names: Vec<String> = g
        .params()
        .iter()
        .map(|&p| g.param_name(p).unwrap().to_string())
        .collect();
    let mut expected = layout.state_names();
    expected.extend(["step".to_string(), "tokens".to_string()]);
    assert_eq!(names, expected);
    assert!(
        names.contains(&"opt.m.embed.table".to_string())
            && names.contains(&"opt.v.embed.table".to_string())
    );
    assert_eq!(
        g.aliases,
        (0..3 * layout.n()).map(|i| (i, i)).collect::<Vec<_>>()
    );
    assert_eq!(g.outputs.len(), 3 * layout.n() + 2);
    let mlir = compile(g, &PipelineOptions::default()).unwrap().mlir;
    assert_eq!(mlir.matches("tf.aliasing_output").count(), 3 * layout.n());

    // XLA honours it: after one execution the state buffers are gone, the others are not.
    let client = common::client();
    let exe = client.compile(&mlir).unwrap();
    let mut inputs = state(&layout);
    inputs.push(HostTensor::from_f64(TensorType::scalar(DType::I32), &[0.0]));
    inputs.push(HostTensor::random(
        TensorType::new(DType::I32, vec![o.batch, o.seq_len + 1]),
        1,
        256,
    ));
    let device = client.default_device().unwrap();
    let buffers: Vec<_> = inputs
        .iter()
        .map(|t| {
            client
                .upload(&flash::exec::to_host_data(t).unwrap(), device)
                .unwrap()
        })
        .collect();
    exe.execute(&buffers.iter().collect::<Vec<_>>()).unwrap();
    let deleted: Vec<bool> = buffers.iter().map(|b| b.is_deleted().unwrap()).collect();
    let mut expected = vec![true; 3 * layout.n()];
    expected.extend([false, false]);
    assert_eq!(deleted, expected);
}

#[test]
fn weight_decay_applies_to_matrices_but_not_norms_biases_gamma_beta() {
    let specs = param_specs(&tiny()).unwrap();
    let decayed: Vec<&str> = specs
        .iter()
        .filter(|s| decays(s))
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(
        decayed,
        ["embed.table", "layers.0.flash.w_in", "layers.0.flash.w_out"]
    );
}

#[test]
fn schedule_warms_up_decays_by_cosine_and_holds_the_floor() {
    let s = options().schedule;
    assert_eq!(s.lr_at(0), 5e-3);
    assert_eq!(s.lr_at(1), 1e-2);
    assert!((s.lr_at(2) - 1e-2).abs() < 1e-12);
    assert!((s.lr_at(6) - (1e-3 + 9e-3 * 0.5)).abs() < 1e-12);
    assert!((s.lr_at(10) - 1e-3).abs() < 1e-12 && (s.lr_at(50) - 1e-3).abs() < 1e-12);
}

#[test]
fn schedule_graph_on_xla_matches_the_host_value_for_every_kind() {
    let mut s = options().schedule;
    s.total_steps = 20;
    for &kind in ScheduleKind::ALL {
        for warmup in [0, 4] {
            s.kind = kind;
            s.warmup = warmup;
            for step in [0u64, 1, 3, 4, 5, 11, 20, 35] {
                let k = HostTensor::from_f64(TensorType::scalar(DType::I32), &[step as f64]);
                let got = run(schedule_graph(&s).unwrap(), &[k]);
                let what = format!("{kind} warm-up {warmup} step {step}");
                assert_close(&what, &got[0], &[s.lr_at(step)], 1e-6, 1e-9);
            }
        }
    }
}
