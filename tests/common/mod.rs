//! Shared test harness: compile a graph through the real pipeline and emitter, run it on the
//! real XLA CPU plugin, evaluate the unlowered graph with the reference interpreter, compare.
#![allow(dead_code)]

use flash::compiler::compile;
use flash::interp::{evaluate, Array};
use flash::ir::{DType, Graph};
use flash::passes::PipelineOptions;
use flash::runtime::Client;
use flash::tensor::HostTensor;
use std::sync::Arc;

/// The process-wide client of the CPU plugin (installed on first use), its executables in the
/// build's target folder (never the user's cache); a clear failure if it cannot be had.
pub fn client() -> Arc<Client> {
    flash::runtime::use_test_cache(env!("CARGO_TARGET_TMPDIR"));
    flash::runtime::shared_client(None).unwrap_or_else(|e| {
        panic!("the XLA CPU plugin is needed for this test: {e}\nrun `cargo run -- setup cpu` or `pip install xla-cpu-pjrt`")
    })
}

/// Pipeline options for tests: verify after every pass.
pub fn test_pipeline() -> PipelineOptions {
    PipelineOptions {
        verify_each: true,
        ..PipelineOptions::default()
    }
}

/// Runs `g` on XLA (after the pipeline) with `inputs`.
pub fn run_xla_with(g: &Graph, inputs: &[HostTensor], opts: &PipelineOptions) -> Vec<HostTensor> {
    let program = compile(g.clone(), opts).unwrap_or_else(|e| panic!("compile failed: {e}"));
    flash::exec::run_mlir(&client(), &program.mlir, inputs)
        .unwrap_or_else(|e| panic!("XLA failed: {e}\n{}", program.mlir))
}

/// Runs `g` on XLA with the default test pipeline.
pub fn run_xla(g: &Graph, inputs: &[HostTensor]) -> Vec<HostTensor> {
    run_xla_with(g, inputs, &test_pipeline())
}

/// Evaluates the (unlowered) graph with the reference interpreter.
pub fn run_interp(g: &Graph, inputs: &[HostTensor]) -> Vec<HostTensor> {
    let arrays: Vec<Array> = inputs
        .iter()
        .map(|t| Array::new(t.ty.clone(), t.to_f64()).expect("input array"))
        .collect();
    let out = evaluate(g, &arrays).unwrap_or_else(|e| panic!("interpreter failed: {e}"));
    out.into_iter()
        .map(|a| HostTensor::from_f64(a.ty.clone(), &a.data))
        .collect()
}

/// Seeded random inputs for every parameter of `g` (ints in [0, int_high)).
pub fn random_inputs(g: &Graph, seed: u64, int_high: i64) -> Vec<HostTensor> {
    g.params()
        .iter()
        .enumerate()
        .map(|(i, p)| HostTensor::random(g.ty(*p).clone(), seed + i as u64, int_high))
        .collect()
}

/// Relative tolerance suited to a dtype (a few ulps of the narrow float types).
pub fn tolerance(d: DType) -> f64 {
    match d {
        DType::F64 => 1e-9,
        DType::F32 => 2e-5,
        DType::BF16 => 2e-2,
        DType::F16 => 4e-3,
        DType::I32 | DType::I64 | DType::Bool => 0.0,
    }
}

/// Asserts that two output lists agree elementwise within `rtol` (relative to the larger of
/// the magnitude and 1).
pub fn assert_close(what: &str, got: &[HostTensor], want: &[HostTensor], rtol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: output count");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.ty, w.ty, "{what}: output {i} type");
        for (j, (a, b)) in g.to_f64().iter().zip(w.to_f64()).enumerate() {
            let scale = a.abs().max(b.abs()).max(1.0);
            let same = (a.is_nan() && b.is_nan()) || a == &b || (a - b).abs() <= rtol * scale;
            assert!(
                same,
                "{what}: output {i} element {j}: XLA {a} vs reference {b} (rtol {rtol})"
            );
        }
    }
}

/// Runs `g` on XLA and in the interpreter with the same random inputs and compares.
pub fn check_against_interp(what: &str, g: &Graph, seed: u64, rtol: f64) {
    let inputs = random_inputs(g, seed, 8);
    let got = run_xla(g, &inputs);
    let want = run_interp(g, &inputs);
    assert_close(what, &got, &want, rtol);
}

/// Finite-difference check of reverse-mode gradients on XLA, in float64: for a graph whose
/// first output is a scalar loss, compares `<grad L, d>` (gradient program on XLA) with
/// `(L(x + h d) - L(x - h d)) / 2h` (forward program on XLA) for a random direction `d`
/// over every float parameter.
pub fn check_gradients_on_xla(what: &str, g: &Graph, seed: u64) {
    check_gradients_on_xla_within(what, g, seed, 1e-5)
}

/// [`check_gradients_on_xla`] with a relative tolerance `rtol`.
pub fn check_gradients_on_xla_within(what: &str, g: &Graph, seed: u64, rtol: f64) {
    let params = g.params();
    let float_params: Vec<usize> = (0..params.len())
        .filter(|&i| g.ty(params[i]).dtype.is_float())
        .collect();
    let lowered =
        flash::passes::chunk_attention::lower_all(g.clone()).expect("lower chunk attention");
    let grad_graph = flash::passes::autodiff::grad(&lowered, &float_params)
        .unwrap_or_else(|e| panic!("{what}: grad failed: {e}"));
    check_gradient_graph_on_xla(what, g, &grad_graph, &float_params, seed, rtol);
}

/// The finite-difference check of [`check_gradients_on_xla`] for a gradient graph built by
/// the caller (`grad_graph`: `g`'s outputs, then the gradients of the `float_params`).
pub fn check_gradient_graph_on_xla(
    what: &str,
    g: &Graph,
    grad_graph: &Graph,
    float_params: &[usize],
    seed: u64,
    rtol: f64,
) {
    let x = random_inputs(g, seed, 4);
    let direction = random_inputs(g, seed + 1000, 4);
    let grads = run_xla(grad_graph, &x);
    let n_out = g.outputs.len();
    let analytic: f64 = float_params
        .iter()
        .enumerate()
        .map(|(k, &i)| dot(&grads[n_out + k].to_f64(), &direction[i].to_f64()))
        .sum();
    let h = 1e-5;
    let shifted = |sign: f64| -> f64 {
        let inputs: Vec<HostTensor> = x
            .iter()
            .zip(&direction)
            .enumerate()
            .map(|(i, (xi, di))| {
                if !float_params.contains(&i) {
                    return xi.clone();
                }
                let v: Vec<f64> = xi
                    .to_f64()
                    .iter()
                    .zip(di.to_f64())
                    .map(|(a, b)| a + sign * h * b)
                    .collect();
                HostTensor::from_f64(xi.ty.clone(), &v)
            })
            .collect();
        run_xla(g, &inputs)[0].to_f64()[0]
    };
    let numeric = (shifted(1.0) - shifted(-1.0)) / (2.0 * h);
    let scale = analytic.abs().max(numeric.abs()).max(1e-3);
    assert!(
        (analytic - numeric).abs() <= rtol * scale,
        "{what}: directional derivative {analytic} (autodiff) vs {numeric} (finite differences)"
    );
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
