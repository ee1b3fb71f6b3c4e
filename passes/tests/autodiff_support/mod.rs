//! Helpers shared by the autodiff tests: build a forward graph with a weighted-sum loss, draw
//! inputs, and check `grad` against central finite differences with the reference
//! interpreter.
#![allow(dead_code)]

use flash_interp::{evaluate, Array};
use flash_ir::build::BuildResult;
use flash_ir::verify::verify;
use flash_ir::{Builder, DType, Graph, TensorType, ValueId};
use flash_passes::autodiff::grad;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// An f64 tensor type.
pub fn f64t(shape: &[usize]) -> TensorType {
    TensorType::new(DType::F64, shape)
}

/// A graph with parameters `params`, the value `body` builds from them, and as output 0 the
/// loss `sum(body * w)` for fixed random weights `w` (so every element of the body matters).
pub fn loss_graph(
    params: &[(&str, TensorType)],
    body: impl FnOnce(&mut Builder<'_>, &[ValueId]) -> BuildResult,
) -> Graph {
    let mut g = Graph::new("main");
    let mut b = Builder::new(&mut g);
    let ps: Vec<ValueId> = params
        .iter()
        .map(|(n, t)| b.param(n, t.clone()).expect("param"))
        .collect();
    let out = body(&mut b, &ps).expect("forward body builds");
    let loss = weighted_sum(&mut b, out, 7).expect("loss builds");
    g.outputs = vec![loss];
    g
}

/// `sum(x * w)` with weights drawn from `seed`, in x's dtype.
pub fn weighted_sum(b: &mut Builder<'_>, x: ValueId, seed: u64) -> BuildResult {
    let ty = b.ty(x).clone();
    let w = uniform(&ty, -1.0, 1.0, seed);
    let w = b.dense(w.data, ty.clone())?;
    let p = b.mul(x, w)?;
    let dims: Vec<usize> = (0..ty.rank()).collect();
    b.reduce_sum(p, &dims)
}

/// Values of type `ty` drawn uniformly from `[lo, hi)` (integers: floored).
pub fn uniform(ty: &TensorType, lo: f64, hi: f64, seed: u64) -> Array {
    let mut rng = StdRng::seed_from_u64(seed);
    let data = (0..ty.num_elements())
        .map(|_| {
            let v: f64 = rng.gen_range(lo..hi);
            if ty.dtype.is_float() {
                v
            } else {
                v.floor()
            }
        })
        .collect();
    Array::new(ty.clone(), data).expect("length")
}

/// Values of type `ty` with `|v|` in `[lo, hi)` and a random sign.
pub fn away_from_zero(ty: &TensorType, lo: f64, hi: f64, seed: u64) -> Array {
    let mut a = uniform(ty, lo, hi, seed);
    let signs = uniform(ty, -1.0, 1.0, seed + 1000);
    for (v, s) in a.data.iter_mut().zip(&signs.data) {
        *v = v.copysign(*s);
    }
    a
}

/// Uniform `[-2, 2)` inputs for every parameter of `g` (a different seed per parameter).
pub fn default_inputs(g: &Graph) -> Vec<Array> {
    g.params()
        .iter()
        .enumerate()
        .map(|(i, &p)| uniform(g.ty(p), -2.0, 2.0, 100 + i as u64))
        .collect()
}

/// Runs `grad(g, wrt)`, checks that it verifies, keeps `g`'s nodes and outputs as a prefix,
/// and returns the evaluated gradients (one per `wrt` entry).
pub fn gradients(g: &Graph, inputs: &[Array], wrt: &[usize]) -> Vec<Array> {
    let dg = grad(g, wrt).unwrap_or_else(|e| panic!("grad failed: {e}"));
    verify(&dg).unwrap_or_else(|e| panic!("gradient graph does not verify: {e}"));
    assert_eq!(
        dg.nodes[..g.nodes.len()],
        g.nodes[..],
        "forward nodes changed"
    );
    assert_eq!(
        dg.outputs[..g.outputs.len()],
        g.outputs[..],
        "forward outputs changed"
    );
    assert_eq!(dg.outputs.len(), g.outputs.len() + wrt.len());
    let outs = evaluate(&dg, inputs).unwrap_or_else(|e| panic!("evaluate: {e}"));
    let params = g.params();
    let grads = outs[g.outputs.len()..].to_vec();
    for (k, gk) in grads.iter().enumerate() {
        assert_eq!(&gk.ty, g.ty(params[wrt[k]]), "gradient {k} type");
    }
    grads
}

/// The loss (output 0) of `g` at `inputs`.
pub fn loss_at(g: &Graph, inputs: &[Array]) -> f64 {
    let outs = evaluate(g, inputs).unwrap_or_else(|e| panic!("evaluate: {e}"));
    outs[0].data[0]
}

/// Checks `grad(g, wrt)` against central differences with `h = 1e-6`, relative tolerance
/// `1e-6`, along three random directions.
pub fn check_fd(g: &Graph, inputs: &[Array], wrt: &[usize]) {
    check_fd_with(g, inputs, wrt, 1e-6, 1e-6);
}

/// [`check_fd`] with step `h` and relative tolerance `tol`: for random directions `d` (over
/// the float `wrt` parameters), `<grad, d>` must match `(L(x + h d) - L(x - h d)) / 2h`
/// within `tol * max(1, |fd|)`.
pub fn check_fd_with(g: &Graph, inputs: &[Array], wrt: &[usize], h: f64, tol: f64) {
    let grads = gradients(g, inputs, wrt);
    for trial in 0..3u64 {
        let dirs: Vec<Array> = wrt
            .iter()
            .map(|&p| uniform(&inputs[p].ty, -1.0, 1.0, 31 * trial + p as u64 + 1))
            .collect();
        let analytic: f64 = grads
            .iter()
            .zip(&dirs)
            .map(|(gk, d)| gk.data.iter().zip(&d.data).map(|(a, b)| a * b).sum::<f64>())
            .sum();
        let plus = loss_at(g, &shifted(inputs, wrt, &dirs, h));
        let minus = loss_at(g, &shifted(inputs, wrt, &dirs, -h));
        let fd = (plus - minus) / (2.0 * h);
        let err = (analytic - fd).abs();
        assert!(
            err <= tol * fd.abs().max(1.0),
            "trial {trial}: <grad, d> = {analytic}, finite difference = {fd} (error {err:e})"
        );
    }
}

/// `inputs` with `h * dirs[k]` added to parameter `wrt[k]` (float parameters only).
fn shifted(inputs: &[Array], wrt: &[usize], dirs: &[Array], h: f64) -> Vec<Array> {
    let mut xs = inputs.to_vec();
    for (&p, d) in wrt.iter().zip(dirs) {
        if !xs[p].ty.dtype.is_float() {
            continue;
        }
        let data = xs[p]
            .data
            .iter()
            .zip(&d.data)
            .map(|(x, e)| x + h * e)
            .collect();
        xs[p] = Array::new(xs[p].ty.clone(), data).expect("length");
    }
    xs
}

/// Builds the loss graph of `body` over `params`, draws default inputs (or uses `inputs`
/// when given) and checks every parameter's gradient by finite differences.
pub fn check_op(
    params: &[(&str, TensorType)],
    inputs: Option<Vec<Array>>,
    body: impl FnOnce(&mut Builder<'_>, &[ValueId]) -> BuildResult,
) {
    let g = loss_graph(params, body);
    let xs = inputs.unwrap_or_else(|| default_inputs(&g));
    let wrt: Vec<usize> = (0..params.len()).collect();
    check_fd(&g, &xs, &wrt);
}
