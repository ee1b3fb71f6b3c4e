//! The Gated Attention Unit against a naive loop (FLASH.md section 1), and the FLASH layer
//! against the GAU through the facts of FLASH.md section 4: with C = T (causal) the linear
//! term vanishes and FLASH is a causal GAU with scale 1/C; with q_lin = 0 (non-causal) FLASH
//! is a GAU applied to each chunk on its own. All in f64 through the reference interpreter.

mod nn_support;

use flash::config::NormKind;
use flash::dsl::{ChunkAttention, LinearNorm, ScoreFn};
use flash::nn::{Flash, FlashOptions, GatedWidths, Gau, GauOptions};
use nn_support::*;

const WIDTHS: GatedWidths = GatedWidths {
    expansion: 16,
    shared: 8,
};
const D: usize = 8;

fn gau_options(causal: bool, score: ScoreFn, rel_pos_max_len: Option<usize>) -> GauOptions {
    GauOptions {
        widths: WIDTHS,
        causal,
        score,
        norm: NormKind::ScaleNorm,
        rel_pos_max_len,
    }
}

fn gau(b: usize, t: usize, opts: GauOptions, seed: u64) -> Layer {
    build(
        &[b, t, D],
        0.4,
        seed,
        |p| Gau::new(p, D, opts),
        |l, x| l.forward(x),
    )
}

fn flash(b: usize, t: usize, attention: ChunkAttention, seed: u64) -> Layer {
    let opts = FlashOptions {
        widths: WIDTHS,
        attention,
        norm: NormKind::ScaleNorm,
    };
    build(
        &[b, t, D],
        0.4,
        seed,
        |p| Flash::new(p, D, &opts),
        |l, x| l.forward(x),
    )
}

/// Naive GAU of one sequence `x` `[T, d]` (parameters under `gau.`).
fn gau_ref(l: &Layer, x: &M, opts: GauOptions) -> M {
    let (e, s, t) = (WIDTHS.expansion, WIDTHS.shared, x.r);
    let h = scale_norm_ref(x, l.values["norm.g"][0]);
    let uvz = h
        .matmul(&l.mat("gau.w_in", D))
        .zip(&l.mat("gau.b_in", 1), |a, b| silu(a + b));
    let (u, v, z) = (
        uvz.cols(0, e),
        uvz.cols(e, 2 * e),
        uvz.cols(2 * e, 2 * e + s),
    );
    let (gamma, beta) = (l.mat("gau.gamma", 2), l.mat("gau.beta", 2));
    let head = |r: usize| {
        rope_ref(
            &M::from_fn(t, s, |i, j| z.at(i, j) * gamma.at(r, j) + beta.at(r, j)),
            0,
        )
    };
    let (q, k) = (head(0), head(1));
    let logits = q.matmul(&k.t());
    let bias = |i: usize, j: usize| {
        opts.rel_pos_max_len
            .map_or(0.0, |n| l.values["gau.rel_bias"][i + n - 1 - j])
    };
    let visible = |i: usize, j: usize| !opts.causal || j <= i;
    let a = match opts.score {
        ScoreFn::Relu2 => M::from_fn(t, t, |i, j| {
            if visible(i, j) {
                (logits.at(i, j) / t as f64 + bias(i, j)).max(0.0).powi(2)
            } else {
                0.0
            }
        }),
        ScoreFn::Softmax => {
            let x = M::from_fn(t, t, |i, j| {
                logits.at(i, j) / (s as f64).sqrt() + bias(i, j)
            });
            M::from_fn(t, t, |i, j| {
                let z: f64 = (0..t)
                    .filter(|&c| visible(i, c))
                    .map(|c| x.at(i, c).exp())
                    .sum();
                if visible(i, j) {
                    x.at(i, j).exp() / z
                } else {
                    0.0
                }
            })
        }
        ScoreFn::Laplace => unimplemented!("no naive laplace reference"),
    };
    let gated = u.zip(&a.matmul(&v), |a, b| a * b);
    let o = gated
        .matmul(&l.mat("gau.w_out", e))
        .zip(&l.mat("gau.b_out", 1), |a, b| a + b);
    x.zip(&o, |a, b| a + b)
}

#[test]
fn gau_matches_a_naive_loop() {
    let (b, t) = (2, 6);
    let cases = [
        gau_options(true, ScoreFn::Relu2, None),
        gau_options(false, ScoreFn::Relu2, None),
        gau_options(true, ScoreFn::Relu2, Some(9)),
        gau_options(false, ScoreFn::Softmax, Some(6)),
        gau_options(true, ScoreFn::Softmax, None),
    ];
    for (n, opts) in cases.into_iter().enumerate() {
        let l = gau(b, t, opts, 11 + n as u64);
        let x = randn(b * t * D, 12);
        let want: Vec<f64> = (0..b)
            .flat_map(|i| {
                gau_ref(
                    &l,
                    &M::new(t, D, x[i * t * D..(i + 1) * t * D].to_vec()),
                    opts,
                )
                .d
            })
            .collect();
        assert_close(&format!("{opts:?}"), &l.run(&x), &want, 1e-10);
    }
}

/// Copies the GAU's parameters into the FLASH layer: `gau.*` to `flash.*`, and GAU's two
/// gamma/beta rows to FLASH's first two (q_quad, k_quad).
fn share_params(g: &Layer, f: &mut Layer) {
    for (name, v) in &g.values {
        let target = name.replacen("gau.", "flash.", 1);
        let slot = f
            .values
            .get_mut(&target)
            .unwrap_or_else(|| panic!("no {target}"));
        slot[..v.len()].copy_from_slice(v);
    }
}

#[test]
fn causal_flash_with_one_chunk_is_a_causal_gau_with_scale_one_over_c() {
    let (b, t) = (2, 8);
    for score in [ScoreFn::Relu2, ScoreFn::Softmax, ScoreFn::Laplace] {
        let g = gau(b, t, gau_options(true, score, None), 21);
        let attention = ChunkAttention {
            chunk: t,
            causal: true,
            linear_norm: LinearNorm::Mean,
            score,
        };
        let mut f = flash(b, t, attention, 22);
        share_params(&g, &mut f);
        let x = randn(b * t * D, 23);
        assert_close(&format!("{score:?}"), &f.run(&x), &g.run(&x), 1e-10);
    }
}

#[test]
fn non_causal_flash_without_linear_queries_is_a_gau_per_chunk() {
    let (b, t, c) = (1, 8, 4);
    let s = WIDTHS.shared;
    let g = gau(b, c, gau_options(false, ScoreFn::Relu2, None), 31);
    let attention = ChunkAttention {
        chunk: c,
        causal: false,
        linear_norm: LinearNorm::Mean,
        score: ScoreFn::Relu2,
    };
    let mut f = flash(b, t, attention, 32);
    share_params(&g, &mut f);
    f.values.get_mut("flash.gamma").unwrap()[2 * s..].fill(0.0);
    f.values.get_mut("flash.beta").unwrap()[2 * s..].fill(0.0);
    let x = randn(b * t * D, 33);
    let want: Vec<f64> = (0..t / c)
        .flat_map(|k| g.run(&x[k * c * D..(k + 1) * c * D]))
        .collect();
    assert_close("per-chunk GAU", &f.run(&x), &want, 1e-10);
}
