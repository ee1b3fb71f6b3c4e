//! FLASH mixed-chunk attention on the real XLA plugin: the lowered (chunked) program against
//! the interpreter's dense T x T oracle (FLASH.md section 4) and its special cases.

mod common;

use common::{assert_close, random_inputs, run_interp, run_xla, run_xla_with, test_pipeline};
use flash::dsl::{chunk_attention, ChunkAttention, Ctx, DType, LinearNorm, ScoreFn, Tensor};
use flash::ir::Graph;
use flash::passes::{CumsumStrategy, PipelineOptions};
use flash::tensor::HostTensor;

const B: usize = 2;
const S: usize = 4;
const E: usize = 6;

fn attrs(chunk: usize, causal: bool) -> ChunkAttention {
    ChunkAttention {
        chunk,
        causal,
        linear_norm: LinearNorm::Mean,
        score: ScoreFn::Relu2,
    }
}

/// A graph computing chunk attention of five parameters `qq, kq, ql, kl, v`.
fn attention_graph(t: usize, a: ChunkAttention, dtype: DType) -> Graph {
    let ctx = Ctx::new("main");
    let qk: Vec<Tensor> = ["qq", "kq", "ql", "kl"]
        .iter()
        .map(|n| ctx.param(n, dtype, &[B, t, S]))
        .collect();
    let v = ctx.param("v", dtype, &[B, t, E]);
    let out = chunk_attention(&qk[0], &qk[1], &qk[2], &qk[3], &v, a);
    ctx.finish(&[out]).unwrap()
}

#[test]
fn chunked_equals_dense_oracle() {
    for (t, c) in [(8, 4), (8, 8), (12, 4), (10, 4), (5, 8), (16, 2), (9, 3)] {
        for causal in [true, false] {
            for score in [ScoreFn::Relu2, ScoreFn::Softmax, ScoreFn::Laplace] {
                for linear_norm in [LinearNorm::Mean, LinearNorm::Sum] {
                    let a = ChunkAttention {
                        chunk: c,
                        causal,
                        linear_norm,
                        score,
                    };
                    let g = attention_graph(t, a, DType::F32);
                    let inputs = random_inputs(&g, 11, 0);
                    let what = format!("T={t} C={c} causal={causal} {score:?} {linear_norm:?}");
                    assert_close(&what, &run_xla(&g, &inputs), &run_interp(&g, &inputs), 1e-4);
                }
            }
        }
    }
}

#[test]
fn bf16_chunked_attention_runs_close_to_the_oracle() {
    let g = attention_graph(12, attrs(4, true), DType::BF16);
    let inputs = random_inputs(&g, 3, 0);
    assert_close("bf16", &run_xla(&g, &inputs), &run_interp(&g, &inputs), 0.1);
}

#[test]
fn every_cumsum_lowering_gives_the_same_numbers() {
    let g = attention_graph(32, attrs(4, true), DType::F32);
    let inputs = random_inputs(&g, 5, 0);
    let reference = run_interp(&g, &inputs);
    for strategy in CumsumStrategy::ALL {
        let opts = PipelineOptions {
            cumsum: strategy,
            ..test_pipeline()
        };
        assert_close(
            &format!("{strategy:?}"),
            &run_xla_with(&g, &inputs, &opts),
            &reference,
            1e-4,
        );
    }
}

/// Causal attention of relu(q k^T / C)^2 over all T positions, built from primitive DSL ops.
fn causal_gau_graph(t: usize, scale: f64) -> Graph {
    let ctx = Ctx::new("main");
    let q = ctx.param("qq", DType::F32, &[B, t, S]);
    let k = ctx.param("kq", DType::F32, &[B, t, S]);
    let _ql = ctx.param("ql", DType::F32, &[B, t, S]);
    let _kl = ctx.param("kl", DType::F32, &[B, t, S]);
    let v = ctx.param("v", DType::F32, &[B, t, E]);
    let scores = (q.matmul(&k.transpose(-1, -2)) * scale).relu2();
    let rows = ctx.iota(DType::I32, &[t, t], 0);
    let cols = ctx.iota(DType::I32, &[t, t], 1);
    let mask = cols.le(&rows).cast(DType::F32);
    ctx.finish(&[(scores * mask).matmul(&v)]).unwrap()
}

#[test]
fn causal_with_one_chunk_is_a_causal_gau_scaled_by_one_over_c() {
    let t = 8;
    let flash = attention_graph(t, attrs(t, true), DType::F32);
    let gau = causal_gau_graph(t, 1.0 / t as f64);
    let inputs = random_inputs(&flash, 9, 0);
    assert_close(
        "C = T",
        &run_xla(&flash, &inputs),
        &run_xla(&gau, &inputs),
        1e-4,
    );
}

#[test]
fn non_causal_global_term_does_not_depend_on_c() {
    let t = 12;
    let zero_quad = |inputs: &mut Vec<HostTensor>| {
        inputs[0] = HostTensor::from_f64(
            inputs[0].ty.clone(),
            &vec![0.0; inputs[0].ty.num_elements()],
        );
    };
    let mut outputs = Vec::new();
    for c in [1, 3, 4, 12, 5] {
        let g = attention_graph(t, attrs(c, false), DType::F32);
        let mut inputs = random_inputs(&g, 21, 0);
        zero_quad(&mut inputs);
        outputs.push(run_xla(&g, &inputs));
    }
    for (i, out) in outputs.iter().enumerate().skip(1) {
        assert_close(&format!("chunking #{i}"), out, &outputs[0], 1e-4);
    }
}

#[test]
fn zero_linear_query_is_gau_per_chunk() {
    let (t, c) = (8, 4);
    let g = attention_graph(t, attrs(c, true), DType::F32);
    let mut inputs = random_inputs(&g, 4, 0);
    inputs[2] = HostTensor::from_f64(
        inputs[2].ty.clone(),
        &vec![0.0; inputs[2].ty.num_elements()],
    );
    let whole = run_xla(&g, &inputs);
    for chunk in 0..t / c {
        let part = attention_graph(c, attrs(c, true), DType::F32);
        let sliced: Vec<HostTensor> = inputs
            .iter()
            .map(|x| slice_tokens(x, chunk * c, c))
            .collect();
        let expected = run_xla(&part, &sliced);
        let got = slice_tokens(&whole[0], chunk * c, c);
        assert_close(&format!("chunk {chunk}"), &[got], &expected, 1e-4);
    }
}

/// Tokens `[start, start + len)` of a `[B, T, x]` tensor.
fn slice_tokens(x: &HostTensor, start: usize, len: usize) -> HostTensor {
    let (b, t, w) = (x.ty.shape[0], x.ty.shape[1], x.ty.shape[2]);
    let values = x.to_f64();
    let mut out = Vec::with_capacity(b * len * w);
    for bi in 0..b {
        for ti in start..start + len {
            out.extend_from_slice(&values[(bi * t + ti) * w..(bi * t + ti + 1) * w]);
        }
    }
    HostTensor::from_f64(
        flash::ir::TensorType::new(x.ty.dtype, vec![b, len, w]),
        &out,
    )
}

#[test]
fn causality_later_tokens_never_change_earlier_outputs() {
    let (t, c, cut) = (16, 4, 9);
    let g = attention_graph(t, attrs(c, true), DType::F32);
    let inputs = random_inputs(&g, 8, 0);
    let base = run_xla(&g, &inputs);
    let changed: Vec<HostTensor> = inputs
        .iter()
        .map(|x| {
            let shifted = slice_tokens(x, 0, t).to_f64();
            let w = x.ty.shape[2];
            let values: Vec<f64> = shifted
                .iter()
                .enumerate()
                .map(|(i, v)| if (i / w) % t > cut { v + 3.0 } else { *v })
                .collect();
            HostTensor::from_f64(x.ty.clone(), &values)
        })
        .collect();
    let after = run_xla(&g, &changed);
    assert_close(
        "positions <= cut",
        &[slice_tokens(&after[0], 0, cut + 1)],
        &[slice_tokens(&base[0], 0, cut + 1)],
        1e-6,
    );
    let later_differs = slice_tokens(&after[0], cut + 1, t - cut - 1)
        != slice_tokens(&base[0], cut + 1, t - cut - 1);
    assert!(later_differs, "outputs after the cut should change");
}

/// Step-by-step decoding in plain Rust: position t sees the exact relu^2 scores of the keys
/// of its own chunk up to t, plus `q_lin_t` times a running sum of the finished chunks'
/// `k_lin^T v`, averaged over those chunks (FLASH.md section 4).
fn decode(inputs: &[HostTensor], t_len: usize, c: usize) -> Vec<f64> {
    let [qq, kq, ql, kl, v] = [0, 1, 2, 3, 4].map(|i| inputs[i].to_f64());
    let at = |x: &[f64], w: usize, b: usize, t: usize, k: usize| x[(b * t_len + t) * w + k];
    let dot = |x: &[f64], y: &[f64], b: usize, i: usize, j: usize| -> f64 {
        (0..S).map(|k| at(x, S, b, i, k) * at(y, S, b, j, k)).sum()
    };
    let mut out = vec![0.0; B * t_len * E];
    for b in 0..B {
        let mut memory = [0.0; S * E]; // sum of finished chunks' k_lin^T v
        for t in 0..t_len {
            let g = t / c;
            if t % c == 0 && g > 0 {
                for j in (g - 1) * c..g * c {
                    for (s, e) in (0..S).flat_map(|s| (0..E).map(move |e| (s, e))) {
                        memory[s * E + e] += at(&kl, S, b, j, s) * at(&v, E, b, j, e);
                    }
                }
            }
            for e in 0..E {
                let local: f64 = (g * c..=t)
                    .map(|j| {
                        (dot(&qq, &kq, b, t, j) / c as f64).max(0.0).powi(2) * at(&v, E, b, j, e)
                    })
                    .sum();
                let global: f64 = (0..S)
                    .map(|s| at(&ql, S, b, t, s) * memory[s * E + e])
                    .sum::<f64>()
                    / (c * g.max(1)) as f64;
                out[(b * t_len + t) * E + e] = local + global;
            }
        }
    }
    out
}

#[test]
fn step_by_step_decoding_reproduces_the_forward_pass() {
    let (t, c) = (14, 4);
    let g = attention_graph(t, attrs(c, true), DType::F32);
    let inputs = random_inputs(&g, 13, 0);
    let forward = run_xla(&g, &inputs)[0].to_f64();
    let decoded = decode(&inputs, t, c);
    for (i, (a, b)) in forward.iter().zip(&decoded).enumerate() {
        assert!(
            (a - b).abs() <= 1e-4 * b.abs().max(1.0),
            "element {i}: forward {a}, decoding {b}"
        );
    }
}
