//! The optimisation passes and lowerings on the real XLA plugin: every rewrite computes what
//! the interpreter computes on the unrewritten graph (fold_into_dot, collapse_contracting_dims,
//! materialize_tables, the transpose-free matmul cumsum, the chunk lowering's folded scales),
//! gradients through the optimised FLASH lowering match finite differences, and the optimised
//! FLASH train graph keeps none of the copies the passes exist to remove.

mod common;

use common::{
    assert_close, check_against_interp, check_gradients_on_xla, random_inputs, run_interp,
    run_xla_with, test_pipeline,
};
use flash::dsl::{chunk_attention, ChunkAttention, Ctx, DType, LinearNorm, ScoreFn, Tensor};
use flash::ir::{Builder, DotDims, Graph, Op, TensorType};
use flash::passes::{run_pipeline, CumsumStrategy, PipelineOptions};

fn dot(lb: &[usize], rb: &[usize], lc: &[usize], rc: &[usize]) -> DotDims {
    DotDims {
        lhs_batch: lb.to_vec(),
        rhs_batch: rb.to_vec(),
        lhs_contract: lc.to_vec(),
        rhs_contract: rc.to_vec(),
        out: flash::ir::DType::F32,
    }
}

fn f32(shape: &[usize]) -> TensorType {
    TensorType::new(flash::ir::DType::F32, shape.to_vec())
}

/// The ops left in `g` after the pipeline, by name.
fn pipelined_ops(g: &Graph) -> Vec<&'static str> {
    let (out, _) = run_pipeline(g.clone(), &test_pipeline()).expect("pipeline");
    out.nodes.iter().map(|n| n.op.name()).collect()
}

#[test]
fn transposes_around_dots_fold_and_keep_the_values() {
    // MHSA's q k^T (operand transpose), autodiff's (a b)^T (result transpose) and a weight
    // broadcast over the batch (rhs broadcast).
    let mut g = Graph::new("main");
    let mut b = Builder::new(&mut g);
    let q = b.param("q", f32(&[2, 5, 3])).unwrap();
    let k = b.param("k", f32(&[2, 7, 3])).unwrap();
    let w = b.param("w", f32(&[3, 4])).unwrap();
    let kt = b.transpose(k, &[0, 2, 1]).unwrap();
    let s = b.dot_general(q, kt, dot(&[0], &[0], &[2], &[1])).unwrap();
    let st = b.transpose(s, &[0, 2, 1]).unwrap();
    let wb = b.broadcast_in_dim(w, &[2, 3, 4], &[1, 2]).unwrap();
    let y = b.dot_general(q, wb, dot(&[0], &[0], &[2], &[1])).unwrap();
    g.outputs = vec![st, y];
    check_against_interp("fold_into_dot", &g, 1, 2e-5);
    let ops = pipelined_ops(&g);
    assert!(!ops.contains(&"transpose"), "{ops:?}");
}

#[test]
fn weight_gradients_over_batch_and_tokens_contract_one_dim_on_xla() {
    let mut g = Graph::new("main");
    let mut b = Builder::new(&mut g);
    let x = b.param("x", f32(&[3, 16, 8])).unwrap();
    let dy = b.param("dy", f32(&[3, 16, 5])).unwrap();
    let dw = b
        .dot_general(x, dy, dot(&[], &[], &[0, 1], &[0, 1]))
        .unwrap();
    g.outputs = vec![dw];
    check_against_interp("collapse_contracting_dims", &g, 2, 2e-5);
    let (out, _) = run_pipeline(g, &test_pipeline()).unwrap();
    let contracts: Vec<usize> = out
        .nodes
        .iter()
        .filter_map(|n| match &n.op {
            Op::DotGeneral(d) => Some(d.lhs_contract.len()),
            _ => None,
        })
        .collect();
    assert_eq!(contracts, [1]);
}

#[test]
fn materialised_rope_tables_give_the_same_rotations() {
    // A [256, 64] cos/sin table read by three rotations each.
    let mut g = Graph::new("main");
    let mut b = Builder::new(&mut g);
    let xs: Vec<_> = ["q", "k", "v"]
        .iter()
        .map(|n| b.param(n, f32(&[2, 256, 64])).unwrap())
        .collect();
    let pos = b.iota(0, f32(&[256, 64])).unwrap();
    let angle = b.scale(pos, 0.01).unwrap();
    let cos = b.unary(flash::ir::UnaryOp::Cos, angle).unwrap();
    let sin = b.unary(flash::ir::UnaryOp::Sin, angle).unwrap();
    let cos = b.broadcast_in_dim(cos, &[2, 256, 64], &[1, 2]).unwrap();
    let sin = b.broadcast_in_dim(sin, &[2, 256, 64], &[1, 2]).unwrap();
    let mut outs = Vec::new();
    for &x in &xs {
        let c = b.mul(x, cos).unwrap();
        let s = b.mul(x, sin).unwrap();
        outs.push(b.add(c, s).unwrap());
    }
    g.outputs = outs;
    check_against_interp("materialize_tables", &g, 3, 2e-5);
    let ops = pipelined_ops(&g);
    assert_eq!(ops.iter().filter(|&&o| o == "dot_general").count(), 2);
}

#[test]
fn matmul_cumsums_without_transposes_match_the_interpreter() {
    // dim 0, a middle dim (batched), a long middle dim (transpose fallback), the last dim.
    for (shape, dim) in [
        (vec![6, 5], 0),
        (vec![2, 6, 3, 4], 1),
        (vec![2, 9, 3], 1),
        (vec![3, 7], 1),
    ] {
        for (exclusive, reverse) in [(false, false), (true, false), (true, true)] {
            let mut g = Graph::new("main");
            let mut b = Builder::new(&mut g);
            let x = b.param("x", f32(&shape)).unwrap();
            let y = b.cumsum(x, dim, exclusive, reverse).unwrap();
            g.outputs = vec![y];
            let inputs = random_inputs(&g, 4, 0);
            let opts = PipelineOptions {
                cumsum: CumsumStrategy::Matmul,
                ..test_pipeline()
            };
            let what = format!("{shape:?} dim {dim} exclusive {exclusive} reverse {reverse}");
            assert_close(
                &what,
                &run_xla_with(&g, &inputs, &opts),
                &run_interp(&g, &inputs),
                2e-5,
            );
        }
    }
}

/// Chunk attention of five `[2, t, s]`/`[2, t, e]` parameters, summed to a scalar loss.
fn attention_loss(t: usize, a: ChunkAttention, dtype: DType) -> Graph {
    let ctx = Ctx::new("main");
    let qk: Vec<Tensor> = ["qq", "kq", "ql", "kl"]
        .iter()
        .map(|n| ctx.param(n, dtype, &[2, t, 4]))
        .collect();
    let v = ctx.param("v", dtype, &[2, t, 6]);
    let out = chunk_attention(&qk[0], &qk[1], &qk[2], &qk[3], &v, a);
    let loss = (&out * &out).sum_all();
    ctx.finish(&[loss]).unwrap()
}

#[test]
fn folded_chunk_scales_match_finite_differences_for_every_score_and_norm() {
    // The score scale folded into q_quad and the memory normaliser folded into q_lin move
    // their backward passes too: check d loss / d inputs through the whole pipeline.
    for score in [ScoreFn::Relu2, ScoreFn::Laplace, ScoreFn::Softmax] {
        for linear_norm in [LinearNorm::Mean, LinearNorm::Sum] {
            let a = ChunkAttention {
                chunk: 4,
                causal: true,
                linear_norm,
                score,
            };
            let g = attention_loss(12, a, DType::F64);
            check_gradients_on_xla(&format!("{score:?} {linear_norm:?}"), &g, 7);
        }
    }
}

#[test]
fn optimised_flash_gradient_graph_has_no_transposes_and_one_dim_weight_contractions() {
    let ctx = Ctx::new("main");
    let x = ctx.param("x", DType::F32, &[2, 16, 8]);
    let w = ctx.param("w", DType::F32, &[8, 16]);
    let h = x.matmul(&w);
    let qk: Vec<Tensor> = (0..4).map(|i| h.slice(2, 4 * i, 4 * i + 4)).collect();
    let a = ChunkAttention {
        chunk: 4,
        causal: true,
        linear_norm: LinearNorm::Mean,
        score: ScoreFn::Relu2,
    };
    let out = chunk_attention(&qk[0], &qk[1], &qk[2], &qk[3], &h, a);
    let g = ctx.finish(&[(&out * &out).sum_all()]).unwrap();
    let lowered = flash::passes::chunk_attention::lower_all(g).unwrap();
    let grad = flash::passes::autodiff::grad(&lowered, &[1]).unwrap();
    let (out, _) = run_pipeline(grad.clone(), &test_pipeline()).unwrap();
    for n in &out.nodes {
        match &n.op {
            Op::Transpose { .. } => panic!("a transpose survived: {n:?}"),
            Op::DotGeneral(d) => assert!(d.lhs_contract.len() <= 1, "{d:?}"),
            _ => {}
        }
    }
    check_against_interp("flash gradient", &grad, 5, 1e-4);
}
