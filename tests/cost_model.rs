//! The cost model against hand counts and the closed forms of FLASH.md section 5: a single
//! `dot_general`, one FLASH layer (plus its chunk-level prefix sum), one GAU layer and one
//! Transformer++ layer built with the model code, and composites costed after lowering.

use flash::compiler::compile;
use flash::config::{ModelConfig, ModelKind};
use flash::cost::formulas::{self, LayerDims};
use flash::cost::{dot_general_flops, graph_cost, Cost};
use flash::dsl::{Ctx, DType};
use flash::ir::{Builder, DotDims, Graph, TensorType};
use flash::models::Layer;
use flash::nn::Params;
use flash::passes::{CumsumStrategy, PipelineOptions};

/// One layer of `cfg` applied to a `[b, t, d]` input, as a graph.
fn layer_graph(cfg: &ModelConfig, b: usize, t: usize) -> Graph {
    let ctx = Ctx::new("layer");
    let p = Params::new(&ctx, DType::F32, DType::F32);
    let layer = p.scope("layers.0", |p| Layer::new(p, cfg, true));
    let x = ctx.input("x", DType::F32, &[b, t, cfg.width]);
    let y = layer.forward(&x);
    ctx.finish(&[y]).expect("layer graph builds")
}

/// The same graph after the pipeline (composites lowered, cleanups run).
fn lowered(g: Graph) -> Graph {
    compile(g, &PipelineOptions::default())
        .expect("compiles")
        .graph
}

fn small(kind: ModelKind) -> ModelConfig {
    ModelConfig {
        shared: 32,
        chunk: 64,
        heads: 4,
        ..ModelConfig::new(kind, 64, 1)
    }
}

#[test]
fn single_dot_general_is_two_batch_free_free_contract() {
    let mut g = Graph::new("dot");
    let mut b = Builder::new(&mut g);
    let lhs = b
        .param("a", TensorType::new(DType::F32, vec![2, 3, 4, 5]))
        .unwrap();
    let rhs = b
        .param("b", TensorType::new(DType::F32, vec![2, 5, 6]))
        .unwrap();
    let dims = DotDims {
        lhs_batch: vec![0],
        rhs_batch: vec![0],
        lhs_contract: vec![3],
        rhs_contract: vec![1],
        out: DType::F32,
    };
    let y = b.dot_general(lhs, rhs, dims.clone()).unwrap();
    g.outputs = vec![y];
    let expected = 2 * 2 * (3 * 4) * 6 * 5;
    assert_eq!(
        dot_general_flops(&[2, 3, 4, 5], &[2, 5, 6], &dims),
        expected
    );
    assert_eq!(
        graph_cost(&g).unwrap(),
        Cost {
            matmul: expected,
            elementwise: 0,
            reduce: 0
        }
    );
}

#[test]
fn flash_layer_matmuls_equal_the_formula_plus_the_prefix_sum() {
    let cfg = small(ModelKind::Flash);
    let (b, t) = (3, 512);
    let g = layer_graph(&cfg, b, t);
    let x = LayerDims::of(&cfg, t);
    // G = 8 chunks: the prefix sum is a [G, s*e] x [G, G] matmul, 2 G^2 s e per sequence.
    let prefix = formulas::flash_prefix_sum(&x);
    assert_eq!(prefix, 2 * 8 * 8 * 32 * 128);
    let expected = b as u64 * (formulas::flash_layer(&x) + prefix);
    assert_eq!(
        formulas::flash_layer(&x),
        2 * 512 * 64 * (3 * 128 + 32) + 2 * 512 * 64 * (32 + 128) + 4 * 512 * 32 * 128
    );
    let before = graph_cost(&g).unwrap();
    assert_eq!(before.matmul, expected);
    assert!(before.elementwise > 0 && before.reduce > 0, "{before:?}");
    assert_eq!(
        graph_cost(&lowered(g)).unwrap().matmul,
        expected,
        "the lowered graph costs the same"
    );
}

#[test]
fn flash_layer_with_one_chunk_has_no_linear_term() {
    let cfg = small(ModelKind::Flash);
    let g = layer_graph(&cfg, 1, 48);
    let x = LayerDims::of(&cfg, 48);
    let quadratic = formulas::gated_projections(&x) + 2 * 48 * 48 * (32 + 128);
    assert_eq!(formulas::flash_layer(&x), quadratic);
    assert_eq!(graph_cost(&g).unwrap().matmul, quadratic);
}

#[test]
fn gau_layer_matmuls_equal_the_formula() {
    let cfg = small(ModelKind::FlashQuad);
    let (b, t) = (2, 96);
    let g = layer_graph(&cfg, b, t);
    let x = LayerDims::of(&cfg, t);
    assert_eq!(
        formulas::gau_layer(&x),
        2 * 96 * 64 * (3 * 128 + 32) + 2 * 96 * 96 * (32 + 128)
    );
    assert_eq!(
        graph_cost(&g).unwrap().matmul,
        b as u64 * formulas::gau_layer(&x)
    );
    assert_eq!(
        graph_cost(&lowered(g)).unwrap().matmul,
        b as u64 * formulas::gau_layer(&x)
    );
}

#[test]
fn transformer_pp_layer_matmuls_equal_the_formula() {
    let cfg = small(ModelKind::TransformerPlusPlus);
    let (b, t) = (2, 40);
    let g = layer_graph(&cfg, b, t);
    let x = LayerDims::of(&cfg, t);
    assert_eq!(
        graph_cost(&g).unwrap().matmul,
        b as u64 * formulas::transformer_pp_layer(&x)
    );
}

#[test]
fn cumsum_is_costed_as_its_auto_lowering() {
    let ctx = Ctx::new("cumsum");
    let x = ctx.input("x", DType::F32, &[4, 16, 8]);
    let y = x.cumsum(1, true, false);
    let g = ctx.finish(&[y]).unwrap();
    let cost = graph_cost(&g).unwrap();
    // Matmul strategy (n = 16 <= 256): 2 N n, plus the triangle's compare and convert.
    assert_eq!(cost.matmul, 2 * (4 * 16 * 8) * 16);
    assert_eq!(cost.elementwise, 2 * 16 * 16);
    let opts = PipelineOptions {
        cumsum: CumsumStrategy::LogScan,
        ..PipelineOptions::default()
    };
    let scan = graph_cost(&compile(g, &opts).unwrap().graph).unwrap();
    assert_eq!(scan.matmul, 0);
    assert_eq!(
        scan.elementwise,
        4 * (4 * 16 * 8),
        "log2(16) = 4 shifted adds"
    );
}

#[test]
fn reductions_and_elementwise_are_reported_apart() {
    let ctx = Ctx::new("ew");
    let x = ctx.input("x", DType::F32, &[8, 32]);
    let y = (x.exp() + 1.0).sum(&[1], false);
    let g = ctx.finish(&[y]).unwrap();
    let cost = graph_cost(&g).unwrap();
    assert_eq!(cost.matmul, 0);
    assert_eq!(cost.elementwise, 2 * 8 * 32);
    assert_eq!(cost.reduce, 8 * 32);
    assert_eq!(cost.total(), 3 * 8 * 32);
}

#[test]
fn a_whole_lm_matches_the_closed_form() {
    for kind in [
        ModelKind::Flash,
        ModelKind::FlashQuad,
        ModelKind::TransformerPlusPlus,
    ] {
        let cfg = ModelConfig {
            layers: 2,
            ..small(kind)
        };
        let opts = flash::models::BuildOptions {
            batch: 2,
            seq_len: 256,
            mode: flash::models::Mode::Lm,
            forward: false,
        };
        let g = flash::models::build_lm(&cfg, &opts).unwrap();
        assert_eq!(
            graph_cost(&g).unwrap().matmul,
            2 * formulas::lm_forward(&cfg, 256),
            "{kind:?}"
        );
    }
}

#[test]
fn a_sharding_constraint_costs_nothing() {
    use flash::ir::{Mesh, Sharding};
    let ctx = Ctx::new("constrained");
    ctx.set_mesh(Mesh::new([("data", 2)]).unwrap());
    let x = ctx.input("x", DType::F32, &[4, 8]);
    let plain = ctx.finish(&[x.exp()]).unwrap();
    let ctx = Ctx::new("constrained");
    ctx.set_mesh(Mesh::new([("data", 2)]).unwrap());
    let x = ctx.input("x", DType::F32, &[4, 8]);
    let split = Sharding::split(2, 0, "data");
    let y = x.with_sharding(&split).exp().with_sharding(&split);
    let constrained = ctx.finish(&[y]).unwrap();
    assert_eq!(
        graph_cost(&constrained).unwrap(),
        graph_cost(&plain).unwrap()
    );
    assert_eq!(graph_cost(&plain).unwrap().total(), 32);
}
