//! Whole-graph tests of `flash_passes::autodiff::grad`: accumulation over several uses,
//! unused and integer parameters, errors, activity (only paths from `wrt` to the loss get
//! reverse nodes), locations and scopes, composed models checked by finite differences,
//! second derivatives, the pipeline run on a gradient graph, and a snapshot of the IR.

mod autodiff_support;

use autodiff_support::{
    check_fd, check_fd_with, default_inputs, f64t, gradients, loss_graph, uniform, weighted_sum,
};
use flash_interp::{evaluate, Array};
use flash_ir::build::BuildResult;
use flash_ir::text::print_graph;
use flash_ir::verify::verify;
use flash_ir::{
    Builder, ChunkAttention, CmpDir, DType, Graph, LinearNorm, Location, Op, ScoreFn, TensorType,
    UnaryOp, ValueId,
};
use flash_passes::autodiff::{grad, AutodiffError};
use flash_passes::chunk_attention::LowerChunkAttention;
use flash_passes::{run_pipeline, Pass, PassOptions, PipelineOptions};
use std::sync::Arc;

#[test]
fn contributions_of_several_uses_are_summed() {
    // loss = sum((x * x + x) * w): d/dx = (2x + 1) * w.
    let t = f64t(&[4]);
    let g = loss_graph(&[("x", t.clone())], |b, p| {
        let sq = b.mul(p[0], p[0])?;
        b.add(sq, p[0])
    });
    let x = uniform(&t, -2.0, 2.0, 1);
    let w = uniform(&t, -1.0, 1.0, 7);
    let gx = &gradients(&g, std::slice::from_ref(&x), &[0])[0];
    for i in 0..4 {
        let want = (2.0 * x.data[i] + 1.0) * w.data[i];
        assert!(
            (gx.data[i] - want).abs() <= 1e-15 * want.abs().max(1.0),
            "{i}"
        );
    }
    check_fd(&g, &[x], &[0]);
}

#[test]
fn a_parameter_the_loss_does_not_use_gets_zeros_of_its_type() {
    let params = [("x", f64t(&[3])), ("unused", f64t(&[2, 2]))];
    let g = loss_graph(&params, |b, p| b.unary(UnaryOp::Exp, p[0]));
    let grads = gradients(&g, &default_inputs(&g), &[1, 0]);
    assert_eq!(grads[0].data, vec![0.0; 4]);
    assert_eq!(grads[0].ty, f64t(&[2, 2]));
    assert!(grads[1].data.iter().all(|v| *v != 0.0));
}

#[test]
fn integer_and_empty_parameters_get_zeros() {
    let it = TensorType::new(DType::I32, [3]);
    let params = [("x", f64t(&[3])), ("n", it.clone()), ("e", f64t(&[0, 2]))];
    let g = loss_graph(&params, |b, p| {
        let n = b.convert(p[1], DType::F64)?;
        b.mul(p[0], n)
    });
    let grads = gradients(&g, &default_inputs(&g), &[1, 2, 0]);
    assert_eq!(grads[0].ty, it);
    assert_eq!(grads[0].data, vec![0.0; 3]);
    assert_eq!(grads[1].ty, f64t(&[0, 2]));
}

#[test]
fn repeated_wrt_indices_each_get_the_gradient() {
    let g = loss_graph(&[("x", f64t(&[2]))], |b, p| b.unary(UnaryOp::Sin, p[0]));
    let grads = gradients(&g, &default_inputs(&g), &[0, 0]);
    assert_eq!(grads[0], grads[1]);
}

#[test]
fn the_loss_may_be_a_parameter_itself() {
    let mut g = Graph::new("main");
    let x = Builder::new(&mut g).param("x", f64t(&[])).unwrap();
    g.outputs = vec![x];
    let grads = gradients(&g, &[Array::scalar(DType::F64, 3.0)], &[0]);
    assert_eq!(grads[0].data, vec![1.0]);
}

#[test]
fn a_non_scalar_loss_is_an_error() {
    let mut g = Graph::new("main");
    let x = Builder::new(&mut g).param("x", f64t(&[2])).unwrap();
    g.outputs = vec![x];
    let err = grad(&g, &[0]).unwrap_err();
    assert_eq!(
        err,
        AutodiffError::NonScalarLoss {
            value: 0,
            ty: "f64[2]".into()
        }
    );
    assert!(err.to_string().contains("float scalar"), "{err}");
}

#[test]
fn an_integer_scalar_loss_is_an_error() {
    let mut g = Graph::new("main");
    let x = Builder::new(&mut g)
        .param("n", TensorType::scalar(DType::I32))
        .unwrap();
    g.outputs = vec![x];
    assert!(matches!(
        grad(&g, &[0]),
        Err(AutodiffError::NonScalarLoss { .. })
    ));
}

#[test]
fn no_outputs_a_bad_wrt_index_and_an_invalid_graph_are_errors() {
    let mut g = Graph::new("main");
    let x = Builder::new(&mut g).param("x", f64t(&[])).unwrap();
    assert_eq!(grad(&g, &[0]), Err(AutodiffError::NoOutputs));
    g.outputs = vec![x];
    assert_eq!(
        grad(&g, &[1]),
        Err(AutodiffError::NotAParameter { index: 1, count: 1 })
    );
    g.outputs = vec![ValueId(5)];
    assert!(matches!(
        grad(&g, &[0]),
        Err(AutodiffError::InvalidInput(_))
    ));
}

#[test]
fn bool_and_integer_ops_inside_the_graph_are_fine() {
    // relu via compare/select, a causal mask from iota, an integer gather and integer math.
    let params = [("x", f64t(&[4, 4])), ("table", f64t(&[5, 4]))];
    let g = loss_graph(&params, |b, p| {
        let it = TensorType::new(DType::I32, [4, 4]);
        let (r, c) = (b.iota(0, it.clone())?, b.iota(1, it)?);
        let mask = b.compare(CmpDir::Le, c, r)?;
        let zero = b.splat(0.0, f64t(&[4, 4]))?;
        let pos = b.compare(CmpDir::Gt, p[0], zero)?;
        let relu = b.select(pos, p[0], zero)?;
        let masked = b.select(mask, relu, zero)?;
        let idx = b.reduce_sum(r, &[1])?; // [0, 4, 8, 12] -> clamped to 4 beyond
        let two = b.splat(2.0, TensorType::new(DType::I32, [4]))?;
        let idx = b.div(idx, two)?;
        let rows = b.gather(p[1], idx)?;
        b.mul(masked, rows)
    });
    let xs = vec![
        shifted_away_from_zero(&f64t(&[4, 4])),
        uniform(&f64t(&[5, 4]), -2.0, 2.0, 4),
    ];
    check_fd(&g, &xs, &[0, 1]);
}

fn shifted_away_from_zero(t: &TensorType) -> Array {
    autodiff_support::away_from_zero(t, 0.2, 2.0, 9)
}

#[test]
fn only_values_between_the_wrt_parameters_and_the_loss_get_reverse_nodes() {
    let params = [("x", f64t(&[3])), ("w", f64t(&[3]))];
    let mut g = Graph::new("main");
    let mut b = Builder::new(&mut g);
    let x = b.param(params[0].0, params[0].1.clone()).unwrap();
    let w = b.param(params[1].0, params[1].1.clone()).unwrap();
    b.scope = Arc::from("frozen");
    let c = b.splat(0.5, f64t(&[3])).unwrap();
    let fw = b.unary(UnaryOp::Exp, w).unwrap();
    let fc = b.unary(UnaryOp::Tanh, c).unwrap();
    let dead = b.unary(UnaryOp::Sin, x).unwrap();
    let frozen = b.add(fw, fc).unwrap();
    b.scope = Arc::from("live");
    let y = b.mul(x, frozen).unwrap();
    let loss = weighted_sum(&mut b, y, 7).unwrap();
    g.outputs = vec![loss];
    let _ = dead;
    let dg = grad(&g, &[0]).unwrap();
    verify(&dg).unwrap();
    let reverse = &dg.nodes[g.nodes.len()..];
    assert!(
        reverse.iter().all(|n| &*n.scope != "frozen"),
        "{}",
        print_graph(&dg)
    );
    // seed, broadcast of the seed, mul by w, mul by `frozen`: nothing for w or the constants.
    assert_eq!(reverse.len(), 4, "{}", print_graph(&dg));
}

#[test]
fn reverse_nodes_carry_the_location_and_scope_of_the_node_they_differentiate() {
    let mut g = Graph::new("main");
    let at = |line| Location {
        file: Arc::from("model.rs"),
        line,
        col: 1,
    };
    let x = Builder::at(&mut g, at(1), Arc::from(""))
        .param("x", f64t(&[3]))
        .unwrap();
    let t = Builder::at(&mut g, at(2), Arc::from("layers.0.act"))
        .unary(UnaryOp::Tanh, x)
        .unwrap();
    let mut b = Builder::at(&mut g, at(3), Arc::from("loss"));
    let loss = b.reduce_sum(t, &[0]).unwrap();
    g.outputs = vec![loss];
    let dg = grad(&g, &[0]).unwrap();
    let reverse = &dg.nodes[g.nodes.len()..];
    let tanh_rule: Vec<_> = reverse.iter().filter(|n| n.loc.line == 2).collect();
    assert!(tanh_rule.len() >= 3, "{}", print_graph(&dg));
    assert!(tanh_rule.iter().all(|n| &*n.scope == "layers.0.act"));
    assert!(reverse.iter().all(|n| n.loc.line == 2 || n.loc.line == 3));
    assert!(reverse
        .iter()
        .filter(|n| n.loc.line == 3)
        .all(|n| &*n.scope == "loss"));
}

#[test]
fn aliases_and_extra_outputs_of_the_input_are_kept() {
    let mut g = loss_graph(&[("x", f64t(&[2]))], |b, p| b.unary(UnaryOp::Exp, p[0]));
    let x = g.params()[0];
    g.outputs.push(x);
    g.aliases = vec![(0, 1)];
    let dg = grad(&g, &[0]).unwrap();
    verify(&dg).unwrap();
    assert_eq!(dg.aliases, vec![(0, 1)]);
    assert_eq!(dg.outputs[..2], g.outputs[..]);
    assert_eq!(dg.outputs.len(), 3);
}

/// ScaleNorm, a fused projection with SiLU, relu^2 attention scores and a residual: a small
/// GAU-like block.
fn gau_block(b: &mut Builder<'_>, p: &[ValueId]) -> BuildResult {
    let (x, w_in, w_out, gain) = (p[0], p[1], p[2], p[3]);
    let sq = b.mul(x, x)?;
    let ms = b.reduce_sum(sq, &[1])?;
    let ms = b.scale(ms, 1.0 / 4.0)?;
    let eps = b.splat_like(1e-5, ms)?;
    let ms = b.add(ms, eps)?;
    let r = b.unary(UnaryOp::Rsqrt, ms)?;
    let r = b.broadcast_in_dim(r, &[3, 4], &[0])?;
    let gain = b.broadcast_in_dim(gain, &[3, 4], &[])?;
    let h = b.mul(x, r)?;
    let h = b.mul(h, gain)?;
    let proj = b.matmul_batched(h, w_in, 0)?; // [3, 6]
    let sig = b.unary(UnaryOp::Logistic, proj)?;
    let act = b.mul(proj, sig)?;
    let u = b.slice_dim(act, 1, 0, 4)?;
    let z = b.slice_dim(act, 1, 4, 6)?;
    let zt = b.transpose(z, &[1, 0])?;
    let s = b.matmul_batched(z, zt, 0)?; // [3, 3]
    let zero = b.splat_like(0.0, s)?;
    let s = b.max(s, zero)?;
    let a = b.mul(s, s)?;
    let o = b.matmul_batched(a, u, 0)?; // [3, 4]
    let o = b.matmul_batched(o, w_out, 0)?;
    b.add(x, o)
}

#[test]
fn a_gau_like_block_matches_finite_differences() {
    let params = [
        ("x", f64t(&[3, 4])),
        ("w_in", f64t(&[4, 6])),
        ("w_out", f64t(&[4, 4])),
        ("gain", f64t(&[])),
    ];
    let g = loss_graph(&params, gau_block);
    let xs = vec![
        uniform(&f64t(&[3, 4]), -1.0, 1.0, 1),
        uniform(&f64t(&[4, 6]), -1.0, 1.0, 2),
        uniform(&f64t(&[4, 4]), -1.0, 1.0, 3),
        Array::scalar(DType::F64, 1.3),
    ];
    check_fd(&g, &xs, &[0, 1, 2, 3]);
}

#[test]
fn a_softmax_cross_entropy_with_embedding_matches_finite_differences() {
    let it = TensorType::new(DType::I32, [4]);
    let params = [("emb", f64t(&[5, 3])), ("tokens", it.clone())];
    let g = loss_graph(&params, |b, p| {
        let h = b.gather(p[0], p[1])?; // [4, 3]
        let et = b.transpose(p[0], &[1, 0])?;
        let logits = b.matmul_batched(h, et, 0)?; // [4, 5] tied output layer
        let m = b.reduce_max(logits, &[1])?;
        let m = b.broadcast_in_dim(m, &[4, 5], &[0])?;
        let shifted = b.sub(logits, m)?;
        let e = b.unary(UnaryOp::Exp, shifted)?;
        let s = b.reduce_sum(e, &[1])?;
        let lse = b.unary(UnaryOp::Log, s)?;
        let lse = b.broadcast_in_dim(lse, &[4, 5], &[0])?;
        b.sub(shifted, lse)
    });
    let tokens = Array::new(it, vec![1.0, 4.0, 1.0, 0.0]).unwrap();
    let xs = vec![uniform(&f64t(&[5, 3]), -1.0, 1.0, 5), tokens];
    check_fd(&g, &xs, &[0]);
}

/// `chunk_attention` lowered by its pass, then differentiated.
fn lowered_attention(attrs: ChunkAttention, t: usize) -> Graph {
    let (s, e) = (3, 2);
    let qk = f64t(&[1, t, s]);
    let params = [
        ("qq", qk.clone()),
        ("kq", qk.clone()),
        ("ql", qk.clone()),
        ("kl", qk),
        ("v", f64t(&[1, t, e])),
    ];
    let g = loss_graph(&params, |b, p| b.op(Op::ChunkAttention(attrs), p.to_vec()));
    LowerChunkAttention.run(g, &PassOptions::default()).unwrap()
}

#[test]
fn lowered_chunk_attention_matches_finite_differences() {
    for (causal, score, t) in [
        (true, ScoreFn::Relu2, 6),
        (false, ScoreFn::Relu2, 5),
        (true, ScoreFn::Softmax, 7),
    ] {
        let attrs = ChunkAttention {
            chunk: 2,
            causal,
            linear_norm: LinearNorm::Mean,
            score,
        };
        let g = lowered_attention(attrs, t);
        let xs = default_inputs(&g);
        check_fd(&g, &xs, &[0, 1, 2, 3, 4]);
    }
}

#[test]
fn the_pipeline_runs_on_a_gradient_graph_and_keeps_its_values() {
    let attrs = ChunkAttention {
        chunk: 2,
        causal: true,
        linear_norm: LinearNorm::Sum,
        score: ScoreFn::Relu2,
    };
    let g = lowered_attention(attrs, 6);
    let dg = grad(&g, &[0, 1, 2, 3, 4]).unwrap();
    let opts = PipelineOptions {
        verify_each: true,
        ..PipelineOptions::default()
    };
    let (opt, _) = run_pipeline(dg.clone(), &opts).unwrap();
    assert!(opt.nodes.iter().all(|n| !n.op.is_composite()));
    let xs = default_inputs(&g);
    let (want, got) = (evaluate(&dg, &xs).unwrap(), evaluate(&opt, &xs).unwrap());
    for (w, o) in want.iter().zip(&got) {
        for (a, b) in w.data.iter().zip(&o.data) {
            assert!((a - b).abs() <= 1e-12 * a.abs().max(1.0), "{a} vs {b}");
        }
    }
}

#[test]
fn the_gradient_graph_can_be_differentiated_again() {
    // Hessian-vector product: loss2 = <d loss / dx, v> for a fixed v, differentiated again.
    let t = f64t(&[3]);
    let g = loss_graph(&[("x", t.clone())], |b, p| {
        let e = b.unary(UnaryOp::Tanh, p[0])?;
        let s = b.unary(UnaryOp::Sin, p[0])?;
        let m = b.mul(e, s)?;
        b.reduce_max(m, &[0])
    });
    let mut dg = grad(&g, &[0]).unwrap();
    let gx = dg.outputs[1];
    let loss2 = weighted_sum(&mut Builder::new(&mut dg), gx, 11).unwrap();
    dg.outputs = vec![loss2];
    check_fd(&dg, &[uniform(&t, -1.5, 1.5, 3)], &[0]);
}

#[test]
fn f32_graphs_differentiate_in_f32() {
    let t = TensorType::new(DType::F32, [2, 3]);
    let g = loss_graph(&[("x", t.clone())], |b, p| {
        let y = b.unary(UnaryOp::Tanh, p[0])?;
        b.reduce_sum(y, &[1])
    });
    let x = uniform(&t, -1.0, 1.0, 2);
    assert_eq!(gradients(&g, std::slice::from_ref(&x), &[0])[0].ty, t);
    check_fd_with(&g, &[x], &[0], 1e-2, 1e-3);
}

#[test]
fn snapshot_of_the_gradient_of_sum_tanh_x_matmul_w() {
    let mut g = Graph::new("main");
    let mut b = Builder::new(&mut g);
    let x = b.param("x", f64t(&[2, 3])).unwrap();
    let w = b.param("w", f64t(&[3, 2])).unwrap();
    let h = b.matmul_batched(x, w, 0).unwrap();
    let t = b.unary(UnaryOp::Tanh, h).unwrap();
    let loss = b.reduce_sum(t, &[0, 1]).unwrap();
    g.outputs = vec![loss];
    let dg = grad(&g, &[0, 1]).unwrap();
    verify(&dg).unwrap();
    insta::assert_snapshot!(print_graph(&dg));
}
