//! Layers in f64 through the reference interpreter against naive references written here:
//! RoPE (formula and the relative property), ScaleNorm / RMSNorm / LayerNorm, softmax MHSA
//! (causal and bidirectional, with or without RoPE and biases), FFN and GLU.

mod nn_support;

use flash::config::{Activation, NormKind};
use flash::nn::{rope_from, Attention, AttentionOptions, Ffn, Glu, Norm};
use nn_support::*;

/// RoPE at positions `start..` of `x` `[2, T, n]`, and the scores `rope(x[0]) rope(x[1])^T`.
fn rope_scores(x: &[f64], t: usize, n: usize, start: usize) -> (Vec<f64>, Vec<f64>) {
    let rot = build(&[2, t, n], 1.0, 0, |_| (), |_, x| rope_from(x, start)).run(x);
    let scores = build(
        &[2, t, n],
        1.0,
        0,
        |_| (),
        |_, x| {
            let r = rope_from(x, start);
            r.slice(0, 0, 1).matmul(&r.slice(0, 1, 2).t())
        },
    );
    (rot, scores.run(x))
}

#[test]
fn rope_matches_the_rotate_half_formula() {
    let (t, n) = (6, 8);
    let x = randn(2 * t * n, 1);
    let (rot, _) = rope_scores(&x, t, n, 3);
    let want: Vec<f64> = (0..2)
        .flat_map(|b| rope_ref(&M::new(t, n, x[b * t * n..(b + 1) * t * n].to_vec()), 3).d)
        .collect();
    assert_close("rope", &rot, &want, 1e-12);
}

#[test]
fn rope_scores_depend_only_on_relative_positions() {
    let (t, n) = (7, 16);
    let x = randn(2 * t * n, 2);
    let (_, at_zero) = rope_scores(&x, t, n, 0);
    let (_, shifted) = rope_scores(&x, t, n, 123);
    assert_close("shifted scores", &shifted, &at_zero, 1e-9);
    let plain = build(
        &[2, t, n],
        1.0,
        0,
        |_| (),
        |_, x| x.slice(0, 0, 1).matmul(&x.slice(0, 1, 2).t()),
    )
    .run(&x);
    assert!(
        plain
            .iter()
            .zip(&at_zero)
            .any(|(a, b)| (a - b).abs() > 1e-3),
        "RoPE changed nothing"
    );
}

fn norm_case(kind: NormKind) -> (Vec<f64>, Vec<f64>) {
    let (rows, d) = (6, 8);
    let layer = build(
        &[2, 3, d],
        0.7,
        4,
        |p| Norm::new(p, kind, d),
        |n, x| n.forward(x),
    );
    let x = randn(rows * d, 5);
    let xm = M::new(rows, d, x.clone());
    let want = match kind {
        NormKind::ScaleNorm => scale_norm_ref(&xm, layer.values["g"][0]),
        NormKind::RmsNorm => scale_norm_ref(&xm, 1.0).zip(&layer.mat("g", 1), |a, g| a * g),
        NormKind::LayerNorm => M::from_fn(rows, d, |i, j| {
            let mean = (0..d).map(|k| xm.at(i, k)).sum::<f64>() / d as f64;
            let var = (0..d).map(|k| (xm.at(i, k) - mean).powi(2)).sum::<f64>() / d as f64;
            (xm.at(i, j) - mean) / (var + 1e-5).sqrt() * layer.values["g"][j] + layer.values["b"][j]
        }),
    };
    (layer.run(&x), want.d)
}

#[test]
fn norms_match_their_formulas() {
    for kind in [NormKind::ScaleNorm, NormKind::RmsNorm, NormKind::LayerNorm] {
        let (got, want) = norm_case(kind);
        assert_close(&format!("{kind:?}"), &got, &want, 1e-12);
    }
}

/// Naive multi-head attention of one sequence `x` `[T, d]`.
fn mhsa_ref(l: &Layer, x: &M, heads: usize, opts: AttentionOptions) -> M {
    let d = x.c;
    let dh = d / heads;
    let proj = |w: &str| {
        let y = x.matmul(&l.mat(&format!("w_{w}"), d));
        if opts.bias {
            y.zip(&l.mat(&format!("b_{w}"), 1), |a, b| a + b)
        } else {
            y
        }
    };
    let (q, k, v) = (proj("q"), proj("k"), proj("v"));
    let mut out = M::from_fn(x.r, d, |_, _| 0.0);
    for h in 0..heads {
        let rot = |m: &M| {
            if opts.rope {
                rope_ref(&m.cols(h * dh, (h + 1) * dh), 0)
            } else {
                m.cols(h * dh, (h + 1) * dh)
            }
        };
        let (qh, kh, vh) = (rot(&q), rot(&k), v.cols(h * dh, (h + 1) * dh));
        for i in 0..x.r {
            let keys: Vec<usize> = (0..x.r).filter(|&j| !opts.causal || j <= i).collect();
            let s: Vec<f64> = keys
                .iter()
                .map(|&j| {
                    (0..dh).map(|c| qh.at(i, c) * kh.at(j, c)).sum::<f64>() / (dh as f64).sqrt()
                })
                .collect();
            let m = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let z: f64 = s.iter().map(|x| (x - m).exp()).sum();
            for c in 0..dh {
                out.d[i * d + h * dh + c] = keys
                    .iter()
                    .zip(&s)
                    .map(|(&j, x)| (x - m).exp() / z * vh.at(j, c))
                    .sum();
            }
        }
    }
    let y = out.matmul(&l.mat("w_o", d));
    if opts.bias {
        y.zip(&l.mat("b_o", 1), |a, b| a + b)
    } else {
        y
    }
}

#[test]
fn mhsa_matches_a_naive_loop() {
    let (b, t, d, heads) = (2, 5, 8, 2);
    for (causal, rope, bias) in [
        (true, false, true),
        (true, true, false),
        (false, true, false),
        (false, false, true),
    ] {
        let opts = AttentionOptions {
            heads,
            causal,
            rope,
            bias,
        };
        let l = build(
            &[b, t, d],
            0.5,
            6,
            |p| Attention::new(p, d, opts),
            |a, x| a.forward(x),
        );
        let x = randn(b * t * d, 7);
        let want: Vec<f64> = (0..b)
            .flat_map(|i| {
                mhsa_ref(
                    &l,
                    &M::new(t, d, x[i * t * d..(i + 1) * t * d].to_vec()),
                    heads,
                    opts,
                )
                .d
            })
            .collect();
        assert_close(&format!("{opts:?}"), &l.run(&x), &want, 1e-10);
    }
}

#[test]
fn ffn_and_glu_match_their_formulas() {
    let (rows, d, f) = (6, 4, 12);
    let x = randn(rows * d, 8);
    let xm = M::new(rows, d, x.clone());
    let ffn = build(
        &[rows, d],
        0.5,
        9,
        |p| Ffn::new(p, d, f, Activation::Relu),
        |l, x| l.forward(x),
    );
    let h = xm
        .matmul(&ffn.mat("w_1", d))
        .zip(&ffn.mat("b_1", 1), |a, b| (a + b).max(0.0));
    let want = h
        .matmul(&ffn.mat("w_2", f))
        .zip(&ffn.mat("b_2", 1), |a, b| a + b);
    assert_close("ffn", &ffn.run(&x), &want.d, 1e-12);
    let glu = build(
        &[rows, d],
        0.5,
        10,
        |p| Glu::new(p, d, f),
        |l, x| l.forward(x),
    );
    let gate = xm.matmul(&glu.mat("w_gate", d)).map(silu);
    let want = gate
        .zip(&xm.matmul(&glu.mat("w_up", d)), |a, b| a * b)
        .matmul(&glu.mat("w_down", f));
    assert_close("glu", &glu.run(&x), &want.d, 1e-12);
}

#[test]
fn bad_layer_shapes_are_recorded_errors_not_panics() {
    let ctx = flash::dsl::Ctx::new("bad");
    let p = flash::nn::Params::new(&ctx, flash::dsl::DType::F32, flash::dsl::DType::F32);
    let opts = AttentionOptions {
        heads: 4,
        causal: true,
        rope: false,
        bias: false,
    };
    let attn = Attention::new(&p, 6, opts);
    let x = ctx.input("x", flash::dsl::DType::F32, &[1, 3, 6]);
    let y = attn.forward(&x);
    let err = ctx.finish(&[y]).unwrap_err();
    assert!(
        err.to_string().contains("not divisible by 4 heads"),
        "{err}"
    );
    let ctx = flash::dsl::Ctx::new("odd");
    let x = ctx.input("x", flash::dsl::DType::F32, &[3, 5]);
    let err = ctx.finish(&[rope_from(&x, 0)]).unwrap_err();
    assert!(err.to_string().contains("even"), "{err}");
}
