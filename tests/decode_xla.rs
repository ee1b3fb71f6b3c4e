//! Generation on the real XLA CPU plugin, for every model kind: prefill of the first `k`
//! tokens then decode steps for tokens `k..n` reproduce the full forward pass's logits at
//! every position (n spans several chunk boundaries, k not a multiple of C, k = 0, B = 2);
//! the state after prefill equals the state after feeding the same tokens one step at a time;
//! greedy generation equals the argmax of the full forward pass, token by token.

mod models_support;

use flash::config::{ModelConfig, ModelKind};
use flash::decode::{DecodeOptions, Decoder, Sampling};
use flash::models::{build_lm, param_specs, BuildOptions, Mode};
use flash::passes::PipelineOptions;
use flash::tensor::HostTensor;
use models_support::{client, tiny, xla_compile, xla_run, KINDS};

const N: usize = 11;
const BATCH: usize = 2;

/// Parameters drawn N(0, 0.25^2) (larger than the initialisation, so attention matters).
fn params(cfg: &ModelConfig) -> Vec<HostTensor> {
    param_specs(cfg)
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let t = HostTensor::random(p.ty.clone(), 11 + i as u64, 0);
            let scaled: Vec<f64> = t.to_f64().iter().map(|v| v * 0.25).collect();
            HostTensor::from_f64(p.ty.clone(), &scaled)
        })
        .collect()
}

/// Token rows `[BATCH][len]` from a fixed pattern.
fn token_rows(len: usize) -> Vec<Vec<u32>> {
    (0..BATCH)
        .map(|b| {
            (0..len)
                .map(|i| ((i * 37 + b * 101 + 7) % 256) as u32)
                .collect()
        })
        .collect()
}

/// The full forward pass's logits `[BATCH][T][vocab]` for `rows` (each of length T).
fn forward_logits(
    cfg: &ModelConfig,
    params: &[HostTensor],
    rows: &[Vec<u32>],
) -> Vec<Vec<Vec<f32>>> {
    let t = rows[0].len();
    let opts = BuildOptions {
        batch: BATCH,
        seq_len: t,
        mode: Mode::Lm,
        forward: true,
    };
    let exe = xla_compile(&build_lm(cfg, &opts).unwrap());
    let ids: Vec<f64> = rows
        .iter()
        .flat_map(|r| r.iter().chain([&0]).map(|&v| f64::from(v)))
        .collect();
    let tokens = HostTensor::from_f64(
        flash::ir::TensorType::new(flash::ir::DType::I32, [BATCH, t + 1]),
        &ids,
    );
    let mut inputs = params.to_vec();
    inputs.push(tokens);
    let out = xla_run(&exe, &inputs);
    let flat: Vec<f32> = out[1].to_f64().iter().map(|&v| v as f32).collect();
    let vocab = cfg.vocab;
    flat.chunks(t * vocab)
        .map(|row| row.chunks(vocab).map(<[f32]>::to_vec).collect())
        .collect()
}

fn decoder(cfg: &ModelConfig, params: &[HostTensor], capacity: usize) -> Decoder {
    let opts = DecodeOptions {
        batch: BATCH,
        capacity,
    };
    Decoder::new(client(), cfg, params, opts, &PipelineOptions::default())
        .unwrap_or_else(|e| panic!("{:?}: {e}", cfg.kind))
}

fn assert_close(what: &str, got: &[f32], want: &[f32]) {
    let scale = want.iter().fold(1e-3f32, |m, v| m.max(v.abs()));
    let err = got
        .iter()
        .zip(want)
        .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
    assert!(
        err <= 2e-4 * scale,
        "{what}: max error {err} (scale {scale})"
    );
}

/// Prefill `k` tokens (none when k = 0), then decode the rest; every position's logits must
/// match the forward pass.
fn check_prefill_then_steps(kind: ModelKind, k: usize) {
    let cfg = tiny(kind);
    let params = params(&cfg);
    let rows = token_rows(N);
    let want = forward_logits(&cfg, &params, &rows);
    let mut d = decoder(&cfg, &params, N);
    if k > 0 {
        let prompts: Vec<Vec<u32>> = rows.iter().map(|r| r[..k].to_vec()).collect();
        let got = d.prefill(&prompts).unwrap();
        for b in 0..BATCH {
            assert_close(
                &format!("{kind:?} prefill row {b}"),
                &got[b],
                &want[b][k - 1],
            );
        }
    }
    for t in k..N {
        let tokens: Vec<u32> = rows.iter().map(|r| r[t]).collect();
        let got = d.step(&tokens).unwrap();
        for b in 0..BATCH {
            let what = format!("{kind:?} k = {k}, step at {t}, row {b}");
            assert_close(&what, &got[b], &want[b][t]);
        }
    }
}

#[test]
fn prefill_then_decode_steps_match_the_forward_pass() {
    for kind in KINDS {
        check_prefill_then_steps(kind, 5);
    }
}

#[test]
fn decoding_from_the_empty_state_matches_the_forward_pass() {
    for kind in KINDS {
        check_prefill_then_steps(kind, 0);
    }
}

#[test]
fn a_prompt_of_whole_chunks_leaves_the_same_state_as_steps() {
    for kind in KINDS {
        for k in [5, 8] {
            let cfg = tiny(kind);
            let params = params(&cfg);
            let rows = token_rows(k);
            let mut d = decoder(&cfg, &params, N);
            d.prefill(&rows).unwrap();
            let prefilled = d.state_to_host().unwrap();
            d.reset().unwrap();
            for t in 0..k {
                let tokens: Vec<u32> = rows.iter().map(|r| r[t]).collect();
                d.step(&tokens).unwrap();
            }
            let stepped = d.state_to_host().unwrap();
            assert_eq!(prefilled.len(), stepped.len());
            for (i, (a, b)) in prefilled.iter().zip(&stepped).enumerate() {
                let a: Vec<f32> = a.to_f64().iter().map(|&v| v as f32).collect();
                let b: Vec<f32> = b.to_f64().iter().map(|&v| v as f32).collect();
                assert_close(&format!("{kind:?} k = {k} state tensor {i}"), &a, &b);
            }
        }
    }
}

#[test]
fn greedy_generation_is_the_forward_pass_argmax() {
    let (prompt_len, new) = (5, 64);
    let total = prompt_len + new;
    for kind in KINDS {
        let cfg = ModelConfig {
            max_len: 128,
            ..tiny(kind)
        };
        let params = params(&cfg);
        let mut text = token_rows(prompt_len);
        let mut d = decoder(&cfg, &params, total);
        let mut generated: Vec<Vec<u32>> = vec![Vec::new(); BATCH];
        d.generate(&text[0], 0, new, &Sampling::greedy(), |row, t| {
            generated[row].push(t);
            Ok(())
        })
        .unwrap();
        // The oracle: one forward program over `total` tokens (zero-padded after the text,
        // which a causal model never reads), its argmax at the last text position.
        text[1] = text[0].clone();
        for i in 0..new {
            let mut padded = text.clone();
            for row in &mut padded {
                row.resize(total, 0);
            }
            let logits = forward_logits(&cfg, &params, &padded);
            for b in 0..BATCH {
                let last = &logits[b][prompt_len + i - 1];
                let argmax = (0..last.len())
                    .max_by(|&x, &y| last[x].total_cmp(&last[y]))
                    .unwrap() as u32;
                assert_eq!(generated[b][i], argmax, "{kind:?} row {b} token {i}");
                text[b].push(argmax);
            }
        }
    }
}
