//! Memory-saving gradients on the real XLA plugin. The memory-saving VJP of
//! `chunk_attention` (the backward pass recomputes the lowered attention): the same
//! gradients as differentiating the lowered graph, for causal and bidirectional FLASH with
//! T not a multiple of C, and against finite differences in f64. Checkpointed regions
//! (`--remat attention`: each layer's attention core recomputed from its projections;
//! `--remat layer`: each layer from its input): finite differences on an f64 graph of two
//! regions, the stored gradients of causal and bidirectional (MLM) models of every kind for
//! both kinds of region, the whole flash-tiny train step with every setting, and XLA's
//! planned temporaries of the train step falling with each setting.

mod common;

use common::{assert_close, check_gradient_graph_on_xla, client, random_inputs, run_xla};
use flash::compiler::compile;
use flash::config::ModelConfig;
use flash::dsl::{chunk_attention, ChunkAttention, Ctx, DType, LinearNorm, ScoreFn, Tensor};
use flash::ir::Graph;
use flash::models::{build_lm_with_regions, BuildOptions, Mode};
use flash::passes::autodiff::{grad, grad_checkpointed};
use flash::passes::chunk_attention::lower_all;
use flash::passes::PipelineOptions;
use flash::tensor::HostTensor;
use flash::train::{build_train_step, Remat, TrainOptions};

/// `loss = sum(chunk_attention(qq, kq, ql, kl, v) * w)` over parameters of `dtype`.
fn loss_graph(t: usize, chunk: usize, causal: bool, score: ScoreFn, dtype: DType) -> Graph {
    let ctx = Ctx::new("main");
    let qk: Vec<Tensor> = ["qq", "kq", "ql", "kl"]
        .iter()
        .map(|n| ctx.param(n, dtype, &[2, t, 4]))
        .collect();
    let v = ctx.param("v", dtype, &[2, t, 6]);
    let a = ChunkAttention {
        chunk,
        causal,
        linear_norm: LinearNorm::Mean,
        score,
    };
    let y = chunk_attention(&qk[0], &qk[1], &qk[2], &qk[3], &v, a);
    let w = ctx.param("w", dtype, &y.shape());
    ctx.finish(&[(y * w).sum_all()]).unwrap()
}

/// Gradients wrt the five attention operands: by the composite's rule, and by
/// differentiating the lowered graph.
fn both_gradients(g: &Graph) -> (Graph, Graph) {
    let wrt: Vec<usize> = (0..5).collect();
    let recompute = grad(g, &wrt).expect("the chunk_attention VJP rule");
    let stored = grad(&lower_all(g.clone()).unwrap(), &wrt).unwrap();
    (recompute, stored)
}

#[test]
fn recomputing_vjp_matches_stored_gradients() {
    for (t, c) in [(10, 4), (9, 3), (8, 8)] {
        for causal in [true, false] {
            for score in [ScoreFn::Relu2, ScoreFn::Softmax] {
                let g = loss_graph(t, c, causal, score, DType::F32);
                let (recompute, stored) = both_gradients(&g);
                let inputs = random_inputs(&g, 7, 0);
                let what = format!("T={t} C={c} causal={causal} {score:?}");
                let got = run_xla(&recompute, &inputs);
                assert_close(&what, &got, &run_xla(&stored, &inputs), 1e-4);
            }
        }
    }
}

#[test]
fn recomputing_vjp_matches_finite_differences() {
    for causal in [true, false] {
        let g = loss_graph(10, 4, causal, ScoreFn::Relu2, DType::F64);
        let (recompute, _) = both_gradients(&g);
        let what = format!("chunk attention VJP, causal={causal}");
        check_gradient_graph_on_xla(&what, &g, &recompute, &[0, 1, 2, 3, 4], 3, 1e-5);
    }
}

#[test]
fn train_step_is_the_same_with_every_remat_setting() {
    let mut cfg = ModelConfig::preset("flash-tiny").unwrap();
    cfg.chunk = 8;
    let base = TrainOptions {
        batch: 2,
        seq_len: 20,
        ..TrainOptions::defaults_for(&cfg, 10)
    };
    let with = |remat| {
        let opts = TrainOptions {
            remat,
            ..base.clone()
        };
        build_train_step(&cfg, &opts).expect("train step")
    };
    let none = with(Remat::None);
    // Non-negative, so that the second moments are valid.
    let inputs: Vec<HostTensor> = random_inputs(&none, 5, 256)
        .into_iter()
        .map(|t| match t.ty.dtype.is_float() {
            true => HostTensor::from_f64(
                t.ty.clone(),
                &t.to_f64().iter().map(|v| v.abs()).collect::<Vec<_>>(),
            ),
            false => t,
        })
        .collect();
    let want = run_xla(&none, &inputs);
    for remat in [Remat::Attention, Remat::Layer] {
        let got = run_xla(&with(remat), &inputs);
        assert_close(
            &format!("flash-tiny train step, remat {remat}"),
            &got,
            &want,
            1e-3,
        );
    }
}

/// Two checkpointed regions in f64: chunk attention, then an elementwise tail; returns the
/// graph and its regions.
fn two_region_graph(causal: bool) -> (Graph, Vec<std::ops::Range<usize>>) {
    let ctx = Ctx::new("main");
    let qk: Vec<Tensor> = ["qq", "kq", "ql", "kl"]
        .iter()
        .map(|n| ctx.param(n, DType::F64, &[2, 10, 4]))
        .collect();
    let v = ctx.param("v", DType::F64, &[2, 10, 6]);
    let w = ctx.param("w", DType::F64, &[2, 10, 6]);
    let a = ChunkAttention {
        chunk: 4,
        causal,
        linear_norm: LinearNorm::Mean,
        score: ScoreFn::Relu2,
    };
    let start = ctx.num_nodes();
    let y = chunk_attention(&qk[0], &qk[1], &qk[2], &qk[3], &v, a);
    let first = start..ctx.num_nodes();
    let start = ctx.num_nodes();
    let z = (&y * &w).silu() * &y;
    let second = start..ctx.num_nodes();
    (ctx.finish(&[z.sum_all()]).unwrap(), vec![first, second])
}

#[test]
fn checkpointed_regions_match_finite_differences() {
    for causal in [true, false] {
        let (g, regions) = two_region_graph(causal);
        let wrt: Vec<usize> = (0..6).collect();
        let checkpointed = grad_checkpointed(&g, &wrt, &regions).unwrap();
        let x = random_inputs(&g, 3, 0);
        let stored = grad(&lower_all(g.clone()).unwrap(), &wrt).unwrap();
        let what = format!("checkpointed regions, causal={causal}");
        assert_close(
            &what,
            &run_xla(&checkpointed, &x),
            &run_xla(&stored, &x),
            1e-9,
        );
        check_gradient_graph_on_xla(&what, &g, &checkpointed, &wrt, 3, 1e-5);
    }
}

#[test]
fn checkpointed_regions_match_stored_gradients_for_every_kind() {
    for (preset, mode) in [
        ("flash-tiny", Mode::Lm),
        ("flash-tiny", Mode::Mlm),
        ("flash-quad-tiny", Mode::Lm),
        ("transformer++-tiny", Mode::Lm),
        ("transformer-tiny", Mode::Mlm),
    ] {
        let mut cfg = ModelConfig::preset(preset).unwrap();
        cfg.layers = 2;
        cfg.chunk = cfg.chunk.min(8);
        let opts = BuildOptions {
            batch: 2,
            seq_len: 20,
            mode,
            forward: false,
        };
        let (g, regions) = build_lm_with_regions(&cfg, &opts).unwrap();
        assert_eq!((regions.layers.len(), regions.attention.len()), (2, 2));
        for (layer, core) in regions.layers.iter().zip(&regions.attention) {
            assert!(
                layer.start < core.start && core.end < layer.end,
                "{preset}: nested"
            );
        }
        let n = g.params().len() - mode_inputs(mode);
        let wrt: Vec<usize> = (0..n).collect();
        let stored = grad(&lower_all(g.clone()).unwrap(), &wrt).unwrap();
        let inputs = random_inputs(&g, 9, cfg.vocab as i64);
        let inputs: Vec<HostTensor> = inputs
            .into_iter()
            .map(|t| match t.ty.shape.as_slice() {
                [_, _] if t.ty.dtype == DType::F32 => {
                    HostTensor::from_f64(t.ty.clone(), &vec![1.0; t.ty.num_elements()])
                }
                _ => t,
            })
            .collect();
        let want = run_xla(&stored, &inputs);
        for (kind, ranges) in [
            ("layer", &regions.layers),
            ("attention", &regions.attention),
        ] {
            let checkpointed = grad_checkpointed(&g, &wrt, ranges).unwrap();
            let what = format!("{preset} {mode:?}, {kind} regions");
            assert_close(&what, &run_xla(&checkpointed, &inputs), &want, 1e-3);
        }
    }
}

/// XLA's planned temporaries of `cfg`'s train step (batch 1, T = `t`) with `remat`.
fn train_step_temporaries(cfg: &ModelConfig, t: usize, remat: Remat) -> i64 {
    let opts = TrainOptions {
        batch: 1,
        seq_len: t,
        remat,
        ..TrainOptions::defaults_for(cfg, 10)
    };
    let step = build_train_step(cfg, &opts).expect("train step");
    let program = compile(step, &PipelineOptions::default()).expect("compile");
    let exe = client().compile(&program.mlir).expect("XLA compile");
    exe.memory_stats()
        .expect("memory stats")
        .expect("the CPU plugin reports them")
        .temp_bytes
}

/// What one more layer adds to the train step's temporaries with `remat` (what the backward
/// pass keeps of each layer): the difference between 3 and 1 layers.
fn temporaries_per_layer(preset: &str, t: usize, remat: Remat) -> i64 {
    let mut cfg = ModelConfig::preset(preset).unwrap();
    let mut of = |layers| {
        cfg.layers = layers;
        train_step_temporaries(&cfg, t, remat)
    };
    (of(3) - of(1)) / 2
}

#[test]
fn each_remat_setting_cuts_what_the_backward_pass_keeps_per_layer() {
    for (preset, t) in [("flash-tiny", 1024), ("flash-quad-tiny", 512)] {
        let [none, attention, layer] = [Remat::None, Remat::Attention, Remat::Layer]
            .map(|r| temporaries_per_layer(preset, t, r));
        let what = format!(
            "{preset} T={t}, bytes per layer: none {none}, attention {attention}, layer {layer}"
        );
        eprintln!("{what}");
        assert!(
            2 * attention <= none,
            "{what}: attention keeps more than half"
        );
        assert!(layer < attention, "{what}: layer keeps more than attention");
    }
}

/// The non-parameter inputs of a loss graph of `mode`.
fn mode_inputs(mode: Mode) -> usize {
    match mode {
        Mode::Lm => 1,
        Mode::Mlm => 3,
    }
}
