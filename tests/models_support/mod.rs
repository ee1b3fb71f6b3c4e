//! Helpers of the model tests: tiny configs, model inputs (initial parameters and tokens),
//! running a graph on the real XLA CPU plugin and on the reference interpreter.
#![allow(dead_code)]

use flash::compiler::compile;
use flash::config::{ModelConfig, ModelKind};
use flash::exec::{self, Compiled};
use flash::interp::{evaluate, Array};
use flash::ir::{DType, Graph, TensorType};
use flash::models::{init_params, mask_token, param_specs, Init, Mode};
use flash::passes::PipelineOptions;
use flash::runtime::Client;
use flash::tensor::HostTensor;
use rand::{Rng, SeedableRng};
use std::sync::Arc;

/// The four model kinds.
pub const KINDS: [ModelKind; 4] = [
    ModelKind::Transformer,
    ModelKind::TransformerPlusPlus,
    ModelKind::FlashQuad,
    ModelKind::Flash,
];

/// The tiny test config: d = 32, e = 64, s = 16, C = 4, 2 layers, 4 heads, vocab 256.
pub fn tiny(kind: ModelKind) -> ModelConfig {
    ModelConfig {
        vocab: 256,
        heads: 4,
        shared: 16,
        chunk: 4,
        expansion: 64,
        max_len: 64,
        ..ModelConfig::new(kind, 32, 2)
    }
}

/// The process-wide client of the XLA CPU plugin, its executables in the build's target
/// folder (never the user's cache).
pub fn client() -> Arc<Client> {
    flash::runtime::use_test_cache(env!("CARGO_TARGET_TMPDIR"));
    flash::runtime::shared_client(None)
        .unwrap_or_else(|e| panic!("the XLA CPU plugin is needed: {e}"))
}

/// StableHLO of `g` through the default pipeline, verifying after every pass.
pub fn mlir(g: &Graph) -> String {
    let opts = PipelineOptions {
        verify_each: true,
        ..PipelineOptions::default()
    };
    compile(g.clone(), &opts)
        .unwrap_or_else(|e| panic!("compile failed: {e}"))
        .mlir
}

/// `g` compiled by XLA.
pub fn xla_compile(g: &Graph) -> Compiled {
    let text = mlir(g);
    exec::compile(&client(), &text).unwrap_or_else(|e| panic!("XLA compile failed: {e}\n{text}"))
}

/// Runs a compiled program.
pub fn xla_run(c: &Compiled, inputs: &[HostTensor]) -> Vec<HostTensor> {
    exec::execute(&client(), &c.executable, inputs)
        .unwrap_or_else(|e| panic!("XLA run failed: {e}"))
}

/// Evaluates the unlowered graph with the reference interpreter.
pub fn interp(g: &Graph, inputs: &[HostTensor]) -> Vec<Array> {
    let arrays: Vec<Array> = inputs
        .iter()
        .map(|t| Array::new(t.ty.clone(), t.to_f64()).unwrap())
        .collect();
    evaluate(g, &arrays).unwrap_or_else(|e| panic!("interpreter failed: {e}"))
}

/// Initial parameters of `cfg` (seed 1), in program-input order.
pub fn params(cfg: &ModelConfig) -> Vec<HostTensor> {
    init_params(&param_specs(cfg).unwrap(), 1)
        .into_iter()
        .map(|(_, t)| t)
        .collect()
}

/// Parameters of `cfg` with every normal initialiser's std replaced by `std` (seed 2), so
/// that attention and gating matter more than at initialisation.
pub fn params_with_std(cfg: &ModelConfig, std: f64) -> Vec<HostTensor> {
    let mut specs = param_specs(cfg).unwrap();
    for s in &mut specs {
        if let Init::Normal { .. } = s.init {
            s.init = Init::Normal { std };
        }
    }
    init_params(&specs, 2).into_iter().map(|(_, t)| t).collect()
}

/// Random token inputs for `mode`: LM `tokens [B, T+1]`; MLM `tokens` (about a quarter
/// replaced by the mask token), `targets` (the originals) and `loss_mask` (1 where masked).
pub fn token_inputs(vocab: usize, mode: Mode, b: usize, t: usize, seed: u64) -> Vec<HostTensor> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut ids =
        |n: usize| -> Vec<f64> { (0..n).map(|_| rng.gen_range(0..vocab - 1) as f64).collect() };
    match mode {
        Mode::Lm => vec![ints(&[b, t + 1], &ids(b * (t + 1)))],
        Mode::Mlm => {
            let targets = ids(b * t);
            let mask: Vec<f64> = (0..b * t).map(|i| f64::from(i % 4 == 1)).collect();
            let masked_id = mask_token(vocab) as f64;
            let tokens: Vec<f64> = targets
                .iter()
                .zip(&mask)
                .map(|(&x, &m)| if m > 0.0 { masked_id } else { x })
                .collect();
            let loss_mask = HostTensor::from_f64(TensorType::new(DType::F32, [b, t]), &mask);
            vec![ints(&[b, t], &tokens), ints(&[b, t], &targets), loss_mask]
        }
    }
}

/// An i32 host tensor.
pub fn ints(shape: &[usize], values: &[f64]) -> HostTensor {
    HostTensor::from_f64(TensorType::new(DType::I32, shape), values)
}

/// The single value of a scalar output.
pub fn scalar(t: &HostTensor) -> f64 {
    t.to_f64()[0]
}
