mod models_support;
use flash::config::{ModelConfig, ModelKind, LinearNormKind};
use flash::models::{build_lm, BuildOptions, Mode};
use models_support::*;
#[test]
fn sensitivity() {
    let cfg = tiny(ModelKind::Flash);
    let cfg2 = ModelConfig { linear_norm: LinearNormKind::Sum, ..cfg.clone() };
    let opts = BuildOptions { batch: 2, seq_len: 10, mode: Mode::Lm, forward: true };
    let g = build_lm(&cfg, &opts).unwrap();
    let g2 = build_lm(&cfg2, &opts).unwrap();
    let inputs = [params_with_std(&cfg, 0.3), token_inputs(256, Mode::Lm, 2, 10, 3)].concat();
    let a = xla_run(&xla_compile(&g), &inputs);
    let b = interp(&g2, &inputs);
    let c = interp(&g, &inputs);
    let la = a[1].to_f64();
    let d = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(p, q)| (p - q).abs()).fold(0.0, f64::max);
    let scale = c[1].data.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    eprintln!("loss xla {} interp {} sum-norm {}; scale {scale}; diff same {} diff sum {}", a[0].to_f64()[0], c[0].data[0], b[0].data[0], d(&la, &c[1].data), d(&la, &b[1].data));
}
