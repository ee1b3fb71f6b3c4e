//! The four language models, built at tiny sizes, run on the real XLA CPU plugin and compared
//! with the reference interpreter on the unlowered graph (which evaluates FLASH attention
//! densely, so the comparison is independent of the chunked lowering).

mod models_support;

use flash::chunk_choice::ChunkChoice;
use flash::config::{ModelConfig, ModelKind, Precision};
use flash::ir::{DType, TensorType};
use flash::models::{build_lm, build_lm_scored, BuildOptions, Mode};
use flash::target::Target;
use flash::tensor::HostTensor;
use models_support::*;

/// Loss and logits on XLA equal the interpreter's (with parameters large enough that every
/// layer matters), and the loss is near ln(vocab) at initialisation.
fn loss_matches_interpreter(kind: ModelKind) {
    let cfg = tiny(kind);
    for mode in [Mode::Lm, Mode::Mlm] {
        for t in [8, 10] {
            let what = format!("{kind:?} {mode:?} T={t}");
            let opts = BuildOptions {
                batch: 2,
                seq_len: t,
                mode,
                forward: true,
            };
            let g = build_lm(&cfg, &opts).unwrap_or_else(|e| panic!("{what}: {e}"));
            let program = xla_compile(&g);
            let tokens = token_inputs(cfg.vocab, mode, 2, t, 3);
            let inputs = [params_with_std(&cfg, 0.3), tokens.clone()].concat();
            let xla = xla_run(&program, &inputs);
            let want = interp(&g, &inputs);
            let loss = scalar(&xla[0]);
            assert!(
                (loss - want[0].data[0]).abs() <= 1e-4 * want[0].data[0].abs(),
                "{what}: XLA {loss} vs {:?}",
                want[0].data
            );
            assert_logits_close(&what, &xla[1].to_f64(), &want[1].data);
            let initial = scalar(&xla_run(&program, &[params(&cfg), tokens].concat())[0]);
            let uniform = (cfg.vocab as f64).ln();
            assert!(
                (initial - uniform).abs() < 0.1,
                "{what}: initial loss {initial}, ln(vocab) {uniform}"
            );
        }
    }
}

/// Every logit within 1e-4 of the reference, relative to the largest reference logit.
fn assert_logits_close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}");
    let scale = want.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let worst = got
        .iter()
        .zip(want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(scale > 1.0, "{what}: logits too small to compare ({scale})");
    assert!(
        worst <= 1e-4 * scale,
        "{what}: logits differ by {worst} (scale {scale})"
    );
}

#[test]
fn transformer_loss_matches_the_interpreter() {
    loss_matches_interpreter(ModelKind::Transformer);
}

#[test]
fn transformer_plus_plus_loss_matches_the_interpreter() {
    loss_matches_interpreter(ModelKind::TransformerPlusPlus);
}

#[test]
fn flash_quad_loss_matches_the_interpreter() {
    loss_matches_interpreter(ModelKind::FlashQuad);
}

#[test]
fn flash_loss_matches_the_interpreter() {
    loss_matches_interpreter(ModelKind::Flash);
}

/// `--chunk auto` at a length no chunk divides: the chosen C (the CPU floor, 128, three chunks
/// over T = 300 padded to 384) runs on XLA with the interpreter's loss and logits.
#[test]
fn flash_with_an_auto_chunk_matches_the_interpreter() {
    let (b, t) = (1, 300);
    let base = ModelConfig {
        max_len: t,
        ..tiny(ModelKind::Flash)
    };
    let cfg = ChunkChoice::Auto.apply(&base, t, Target::Cpu).unwrap();
    assert_eq!(cfg.chunk, 128, "three padded chunks expected");
    let opts = BuildOptions {
        batch: b,
        seq_len: t,
        mode: Mode::Lm,
        forward: true,
    };
    let g = build_lm(&cfg, &opts).unwrap();
    let inputs = [
        params_with_std(&cfg, 0.3),
        token_inputs(cfg.vocab, Mode::Lm, b, t, 7),
    ]
    .concat();
    let xla = xla_run(&xla_compile(&g), &inputs);
    let want = interp(&g, &inputs);
    let loss = scalar(&xla[0]);
    assert!(
        (loss - want[0].data[0]).abs() <= 1e-4 * want[0].data[0].abs(),
        "XLA {loss} vs {:?}",
        want[0].data
    );
    assert_logits_close("auto chunk", &xla[1].to_f64(), &want[1].data);
}

/// LM logits at positions <= t do not change when the tokens after t change, and some later
/// logit does (so the check can fail).
#[test]
fn lm_logits_are_causal_for_every_kind() {
    let (b, t, vocab) = (2, 10, 256);
    for kind in KINDS {
        let cfg = tiny(kind);
        let g = build_lm(
            &cfg,
            &BuildOptions {
                batch: b,
                seq_len: t,
                mode: Mode::Lm,
                forward: true,
            },
        )
        .unwrap();
        let program = xla_compile(&g);
        let mut inputs = params(&cfg);
        inputs.extend(token_inputs(vocab, Mode::Lm, b, t, 5));
        let base = xla_run(&program, &inputs)[1].to_f64();
        let tokens = inputs.pop().unwrap().to_f64();
        for cut in [2, 3, 5, 8] {
            let changed: Vec<f64> = (0..tokens.len())
                .map(|i| {
                    if i % (t + 1) > cut {
                        (tokens[i] + 17.0) % 255.0
                    } else {
                        tokens[i]
                    }
                })
                .collect();
            let mut inputs2 = inputs.clone();
            inputs2.push(ints(&[b, t + 1], &changed));
            let logits = xla_run(&program, &inputs2)[1].to_f64();
            let pos = |i: usize| (i / vocab) % t;
            let max_diff = |keep: &dyn Fn(usize) -> bool| {
                (0..base.len())
                    .filter(|&i| keep(pos(i)))
                    .map(|i| (base[i] - logits[i]).abs())
                    .fold(0.0, f64::max)
            };
            assert!(
                max_diff(&|p| p <= cut) <= 1e-6,
                "{kind:?}: logits at positions <= {cut} changed"
            );
            assert!(
                max_diff(&|p| p > cut) > 1e-4,
                "{kind:?}: logits after {cut} did not change"
            );
        }
    }
}

/// A bf16 model (f32 parameters, bf16 compute, f32 loss) runs and lands within 2% of the f32
/// loss, with parameters large enough that every layer matters.
#[test]
fn bf16_models_run_close_to_f32() {
    for kind in [ModelKind::Flash, ModelKind::TransformerPlusPlus] {
        for mode in [Mode::Lm, Mode::Mlm] {
            let f32_cfg = tiny(kind);
            let bf16_cfg = ModelConfig {
                precision: Precision::Bf16,
                ..f32_cfg.clone()
            };
            let opts = BuildOptions {
                batch: 2,
                seq_len: 10,
                mode,
                forward: false,
            };
            let mut inputs = params_with_std(&f32_cfg, 0.3);
            inputs.extend(token_inputs(f32_cfg.vocab, mode, 2, 10, 9));
            let loss = |cfg: &ModelConfig| {
                scalar(&xla_run(&xla_compile(&build_lm(cfg, &opts).unwrap()), &inputs)[0])
            };
            let (full, half) = (loss(&f32_cfg), loss(&bf16_cfg));
            println!("{kind:?} {mode:?}: f32 loss {full}, bf16 loss {half}");
            assert!(
                half.is_finite() && (full - half).abs() < 0.02 * full,
                "{kind:?} {mode:?}: f32 {full} vs bf16 {half}"
            );
        }
    }
}

/// `flash eval`'s scoring graph: the summed cross entropy of the targets its loss mask
/// selects, on XLA, equals the same sum taken on the host from the LM's logits.
#[test]
fn scored_graph_sums_the_masked_targets_loss() {
    let (b, t, vocab) = (2, 10, 256);
    for kind in [ModelKind::Flash, ModelKind::TransformerPlusPlus] {
        let cfg = tiny(kind);
        let opts = BuildOptions {
            batch: b,
            seq_len: t,
            mode: Mode::Lm,
            forward: true,
        };
        let forward = xla_compile(&build_lm(&cfg, &opts).unwrap());
        let scored = xla_compile(&build_lm_scored(&cfg, b, t).unwrap());
        let params = params_with_std(&cfg, 0.3);
        let tokens = token_inputs(vocab, Mode::Lm, b, t, 9).remove(0);
        let mask: Vec<f64> = (0..b * t).map(|i| f64::from(i % 3 != 1)).collect();
        let mask_t = HostTensor::from_f64(TensorType::new(DType::F32, [b, t]), &mask);
        let logits =
            xla_run(&forward, &[params.clone(), vec![tokens.clone()]].concat())[1].to_f64();
        let ids = tokens.to_f64();
        let want: f64 = (0..b * t)
            .filter(|&i| mask[i] > 0.0)
            .map(|i| {
                let row = &logits[i * vocab..(i + 1) * vocab];
                let max = row.iter().copied().fold(f64::MIN, f64::max);
                let lse = max + row.iter().map(|x| (x - max).exp()).sum::<f64>().ln();
                let target = ids[(i / t) * (t + 1) + i % t + 1] as usize;
                lse - row[target]
            })
            .sum();
        let got = scalar(&xla_run(&scored, &[params, vec![tokens, mask_t]].concat())[0]);
        assert!(
            (got - want).abs() <= 1e-4 * want.abs(),
            "{kind:?}: XLA {got} vs host {want}"
        );
    }
}
