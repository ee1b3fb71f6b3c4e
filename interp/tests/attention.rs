//! `chunk_attention` against FLASH.md section 4: hand-computed cases, naive loops written here
//! independently of the interpreter, the chunked form of section 2, and causality.

mod common;
use common::*;
use flash_interp::round::round;
use flash_interp::Array;
use flash_ir::op::{ChunkAttention, LinearNorm, ScoreFn};
use flash_ir::{DType, Op};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const SCORES: [ScoreFn; 3] = [ScoreFn::Relu2, ScoreFn::Softmax, ScoreFn::Laplace];
const NORMS: [LinearNorm; 2] = [LinearNorm::Mean, LinearNorm::Sum];

fn attrs(chunk: usize, causal: bool, linear_norm: LinearNorm, score: ScoreFn) -> ChunkAttention {
    ChunkAttention {
        chunk,
        causal,
        linear_norm,
        score,
    }
}

fn relu2(chunk: usize, causal: bool) -> ChunkAttention {
    attrs(chunk, causal, LinearNorm::Mean, ScoreFn::Relu2)
}

/// Random f64 operands `[q_quad, k_quad, q_lin, k_lin, v]` of sizes B, T, s, e.
fn random_inputs(seed: u64, b: usize, t: usize, s: usize, e: usize) -> Vec<Array> {
    let mut rng = StdRng::seed_from_u64(seed);
    let widths = [s, s, s, s, e];
    widths
        .iter()
        .map(|&w| {
            Array::from_fn(common::t(DType::F64, &[b, t, w]), |_| {
                rng.gen_range(-1.5..1.5)
            })
        })
        .collect()
}

fn attend(a: ChunkAttention, xs: &[Array]) -> Array {
    apply(Op::ChunkAttention(a), xs)
}

fn row(x: &Array, b: usize, i: usize) -> Vec<f64> {
    let w = x.shape()[2];
    (0..w).map(|c| x.get(&[b, i, c]).unwrap()).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn zeroed(x: &Array) -> Array {
    Array::zeros(x.ty.clone())
}

/// Naive GAU: `out_i = sum_{j in lo..hi, j <= i if causal} relu(q_i . k_j / c)^2 v_j`.
fn naive_gau(
    xs: &[Array],
    b: usize,
    i: usize,
    lo: usize,
    hi: usize,
    c: f64,
    causal: bool,
) -> Vec<f64> {
    let e = xs[4].shape()[2];
    let mut out = vec![0.0; e];
    for j in lo..hi {
        if causal && j > i {
            continue;
        }
        let a = (dot(&row(&xs[0], b, i), &row(&xs[1], b, j)) / c)
            .max(0.0)
            .powi(2);
        for (o, vj) in out.iter_mut().zip(row(&xs[4], b, j)) {
            *o += a * vj;
        }
    }
    out
}

fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * (1.0 + w.abs()),
            "{what} [{k}]: got {g}, want {w}"
        );
    }
}

#[test]
fn linear_norms_by_hand() {
    // T = 4, C = 1, s = e = 1, no local scores (q_quad = 0), q_lin = k_lin = 1, v = 1..4.
    let z = arr(DType::F64, &[1, 4, 1], &[0.0; 4]);
    let ones = arr(DType::F64, &[1, 4, 1], &[1.0; 4]);
    let v = arr(DType::F64, &[1, 4, 1], &[1.0, 2.0, 3.0, 4.0]);
    let xs = [z.clone(), z, ones.clone(), ones, v];
    let run = |causal, norm| attend(attrs(1, causal, norm, ScoreFn::Relu2), &xs).data;
    assert_eq!(run(true, LinearNorm::Mean), vec![0.0, 1.0, 1.5, 2.0]);
    assert_eq!(run(true, LinearNorm::Sum), vec![0.0, 1.0, 3.0, 6.0]);
    assert_eq!(run(false, LinearNorm::Mean), vec![2.5; 4]);
}

#[test]
fn softmax_and_laplace_by_hand() {
    // Softmax, T = 2, one chunk, s = 1: logits of query 0 are [1, 0].
    let q = arr(DType::F64, &[1, 2, 1], &[1.0, 0.0]);
    let k = arr(DType::F64, &[1, 2, 1], &[1.0, 0.0]);
    let z = arr(DType::F64, &[1, 2, 1], &[0.0, 0.0]);
    let v = arr(DType::F64, &[1, 2, 1], &[1.0, 0.0]);
    let out = attend(
        attrs(2, false, LinearNorm::Mean, ScoreFn::Softmax),
        &[q, k, z.clone(), z, v],
    );
    let e = 1f64.exp();
    assert_close(&out.data, &[e / (e + 1.0), 0.5], 1e-15, "softmax");
    // Laplace at x = q.k / C = mu is exactly 0.5.
    let mu = 0.5f64.sqrt();
    let one = |x: f64| arr(DType::F64, &[1, 1, 1], &[x]);
    let xs = [one(mu), one(1.0), one(0.0), one(0.0), one(2.0)];
    assert_eq!(
        attend(attrs(1, true, LinearNorm::Mean, ScoreFn::Laplace), &xs).data,
        vec![1.0]
    );
}

#[test]
fn causal_with_one_chunk_is_causal_gau_scaled_by_one_over_c() {
    let (b, t) = (2, 7);
    let xs = random_inputs(1, b, t, 3, 2);
    for c in [t, t + 3] {
        for norm in NORMS {
            let out = attend(attrs(c, true, norm, ScoreFn::Relu2), &xs);
            for (bi, i) in (0..b).flat_map(|bi| (0..t).map(move |i| (bi, i))) {
                let want = naive_gau(&xs, bi, i, 0, t, c as f64, true);
                assert_close(
                    &row(&out, bi, i),
                    &want,
                    1e-12,
                    &format!("C={c} b={bi} i={i}"),
                );
            }
        }
    }
}

#[test]
fn q_lin_zero_is_gau_applied_to_each_chunk() {
    let (b, t, c) = (2, 10, 4); // chunks of 4, 4 and 2
    let mut xs = random_inputs(2, b, t, 3, 2);
    xs[2] = zeroed(&xs[2]);
    for causal in [true, false] {
        let out = attend(relu2(c, causal), &xs);
        for (bi, i) in (0..b).flat_map(|bi| (0..t).map(move |i| (bi, i))) {
            let lo = i / c * c;
            let want = naive_gau(&xs, bi, i, lo, (lo + c).min(t), c as f64, causal);
            assert_close(
                &row(&out, bi, i),
                &want,
                1e-12,
                &format!("causal={causal} i={i}"),
            );
        }
    }
}

#[test]
fn non_causal_global_term_does_not_depend_on_c() {
    let (b, t) = (2, 7);
    let mut xs = random_inputs(3, b, t, 3, 2);
    xs[0] = zeroed(&xs[0]); // relu(0)^2 = 0: only the global term remains
    for c in [1, 2, 3, 7, 10] {
        let out = attend(relu2(c, false), &xs);
        for (bi, i) in (0..b).flat_map(|bi| (0..t).map(move |i| (bi, i))) {
            // q_lin_i (k_lin^T v) / T, with the unpadded T.
            let mut want = vec![0.0; 2];
            for j in 0..t {
                let w = dot(&row(&xs[2], bi, i), &row(&xs[3], bi, j)) / t as f64;
                want.iter_mut()
                    .zip(row(&xs[4], bi, j))
                    .for_each(|(o, v)| *o += w * v);
            }
            assert_close(&row(&out, bi, i), &want, 1e-12, &format!("C={c} i={i}"));
        }
    }
}

/// FLASH.md section 2's chunked form, written out naively: local part plus `q_lin_g Mbar_g`.
fn chunked_form(
    xs: &[Array],
    bi: usize,
    c: usize,
    causal: bool,
    norm: LinearNorm,
) -> Vec<Vec<f64>> {
    let (t, s, e) = (xs[0].shape()[1], xs[0].shape()[2], xs[4].shape()[2]);
    let g_count = t / c;
    // M_g = k_lin_g^T v_g / C, [s, e] per chunk.
    let m: Vec<Vec<f64>> = (0..g_count)
        .map(|g| {
            let mut mg = vec![0.0; s * e];
            for j in g * c..(g + 1) * c {
                let (k, v) = (row(&xs[3], bi, j), row(&xs[4], bi, j));
                (0..s * e).for_each(|p| mg[p] += k[p / e] * v[p % e] / c as f64);
            }
            mg
        })
        .collect();
    let mbar = |g: usize| -> Vec<f64> {
        let (range, div) = match (causal, norm) {
            (false, _) => (0..g_count, g_count as f64),
            (true, LinearNorm::Mean) => (0..g, g.max(1) as f64),
            (true, LinearNorm::Sum) => (0..g, 1.0),
        };
        let mut acc = vec![0.0; s * e];
        range.for_each(|h| (0..s * e).for_each(|p| acc[p] += m[h][p] / div));
        acc
    };
    (0..t)
        .map(|i| {
            let (g, ql) = (i / c, row(&xs[2], bi, i));
            let local = naive_gau(xs, bi, i, g * c, (g + 1) * c, c as f64, causal);
            let mb = mbar(g);
            (0..e)
                .map(|o| local[o] + (0..s).map(|p| ql[p] * mb[p * e + o]).sum::<f64>())
                .collect()
        })
        .collect()
}

#[test]
fn dense_oracle_agrees_with_the_chunked_form_when_c_divides_t() {
    let (b, t) = (2, 12);
    let xs = random_inputs(4, b, t, 3, 2);
    for c in [1, 3, 4, 12] {
        for (causal, norm) in [
            (false, LinearNorm::Mean),
            (true, LinearNorm::Mean),
            (true, LinearNorm::Sum),
        ] {
            let out = attend(attrs(c, causal, norm, ScoreFn::Relu2), &xs);
            for bi in 0..b {
                for (i, want) in chunked_form(&xs, bi, c, causal, norm).iter().enumerate() {
                    let what = format!("C={c} causal={causal} {norm:?} i={i}");
                    assert_close(&row(&out, bi, i), want, 1e-12, &what);
                }
            }
        }
    }
}

#[test]
fn outputs_up_to_t_ignore_every_later_position() {
    let (b, t, cut) = (2, 11, 5);
    let xs = random_inputs(5, b, t, 3, 2);
    let mut later = xs.clone();
    let mut rng = StdRng::seed_from_u64(6);
    for x in &mut later {
        let w = x.shape()[2];
        for (k, v) in x.data.iter_mut().enumerate() {
            if (k / w) % t > cut {
                *v += rng.gen_range(0.5..2.0);
            }
        }
    }
    for (score, norm, c) in SCORES
        .iter()
        .flat_map(|&s| NORMS.map(|n| (s, n)))
        .flat_map(|(s, n)| [(s, n, 3), (s, n, 4)])
    {
        let a = attrs(c, true, norm, score);
        let (before, after) = (attend(a.clone(), &xs), attend(a, &later));
        for bi in 0..b {
            for i in 0..t {
                let same = row(&before, bi, i) == row(&after, bi, i);
                assert_eq!(same, i <= cut, "{score:?} {norm:?} C={c} b={bi} i={i}");
            }
        }
    }
}

#[test]
fn softmax_weights_sum_to_one_over_the_visible_keys() {
    let (b, t) = (2, 9);
    let mut xs = random_inputs(7, b, t, 4, 3);
    xs[2] = zeroed(&xs[2]);
    xs[4] = Array::splat(xs[4].ty.clone(), 1.0);
    for causal in [true, false] {
        for c in [1, 4, 9, 20] {
            let out = attend(attrs(c, causal, LinearNorm::Mean, ScoreFn::Softmax), &xs);
            assert_close(
                &out.data,
                &vec![1.0; out.data.len()],
                1e-14,
                &format!("C={c}"),
            );
        }
    }
}

#[test]
fn low_precision_result_is_the_f64_result_rounded_once() {
    let xs: Vec<Array> = random_inputs(8, 1, 6, 2, 2)
        .into_iter()
        .map(|x| Array::new(x.ty.with_dtype(DType::BF16), x.data).unwrap())
        .collect();
    let wide: Vec<Array> = xs
        .iter()
        .map(|x| Array::new(x.ty.with_dtype(DType::F64), x.data.clone()).unwrap())
        .collect();
    for score in SCORES {
        let a = attrs(4, true, LinearNorm::Mean, score);
        let (narrow, exact) = (attend(a.clone(), &xs), attend(a, &wide));
        let rounded: Vec<f64> = exact.data.iter().map(|&v| round(DType::BF16, v)).collect();
        assert_eq!(narrow.data, rounded, "{score:?}");
    }
}

#[test]
fn a_realistic_size_runs_in_reasonable_time() {
    let xs = random_inputs(9, 1, 512, 128, 256);
    let start = std::time::Instant::now();
    let out = attend(attrs(128, true, LinearNorm::Mean, ScoreFn::Relu2), &xs);
    let took = start.elapsed();
    assert_eq!(out.shape(), &[1, 512, 256]);
    assert!(took.as_secs_f64() < 10.0, "took {took:?}");
    eprintln!("chunk_attention T=512 s=128 e=256: {took:?}");
}
