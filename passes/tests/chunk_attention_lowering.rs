//! Tests of `lower_chunk_attention`: the lowered graph against the interpreter's dense `T x T`
//! oracle (FLASH.md section 4) for every score function, norm, mode and (T, C) shape, plus the
//! structural guarantees (no composite left, verifies, masks and cumsum only where needed,
//! locations kept) and errors on bad operands.

use flash_interp::{evaluate, Array};
use flash_ir::verify::verify;
use flash_ir::{
    Builder, ChunkAttention, DType, Graph, IrError, LinearNorm, Location, Op, ScoreFn, TensorType,
    ValueId,
};
use flash_passes::chunk_attention::{lower_all, lower_chunk_attention, LowerChunkAttention};
use flash_passes::{CumsumStrategy, LowerCumsum, Pass, PassOptions};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;

/// Batch, query/key width s and value width e of every test graph.
const B: usize = 2;
const S: usize = 3;
const E: usize = 4;

/// (T, C): multiples, C = T, T not a multiple of C, C > T, many small chunks.
const SHAPES: [(usize, usize); 6] = [(8, 4), (8, 8), (12, 4), (10, 4), (5, 8), (16, 2)];

const SCORES: [ScoreFn; 3] = [ScoreFn::Relu2, ScoreFn::Softmax, ScoreFn::Laplace];
const NORMS: [LinearNorm; 2] = [LinearNorm::Mean, LinearNorm::Sum];

/// The location the composite is built at; its lowering must carry it.
fn composite_loc() -> Location {
    Location {
        file: Arc::from("src/nn/flash.rs"),
        line: 42,
        col: 7,
    }
}

/// Every attribute combination for chunk size `chunk`.
fn all_attrs(chunk: usize) -> Vec<ChunkAttention> {
    let mut out = Vec::new();
    for causal in [false, true] {
        for linear_norm in NORMS {
            for score in SCORES {
                out.push(ChunkAttention {
                    chunk,
                    causal,
                    linear_norm,
                    score,
                });
            }
        }
    }
    out
}

/// A graph with five parameters (unknown location) and one `chunk_attention` node built at
/// [`composite_loc`] in scope `layers.0.attn`.
fn attention_graph(t: usize, attrs: &ChunkAttention, dtype: DType) -> Graph {
    let mut g = Graph::new("main");
    let mut params = Vec::new();
    {
        let mut b = Builder::new(&mut g);
        for (name, w) in [
            ("q_quad", S),
            ("k_quad", S),
            ("q_lin", S),
            ("k_lin", S),
            ("v", E),
        ] {
            params.push(
                b.param(name, TensorType::new(dtype, vec![B, t, w]))
                    .unwrap(),
            );
        }
    }
    let mut b = Builder::at(&mut g, composite_loc(), Arc::from("layers.0.attn"));
    let out = b.op(Op::ChunkAttention(attrs.clone()), params).unwrap();
    g.outputs = vec![out];
    g
}

/// Seeded uniform inputs in [-2, 2) for a graph of sequence length `t`.
fn inputs(t: usize, dtype: DType, seed: u64) -> Vec<Array> {
    let mut rng = StdRng::seed_from_u64(seed);
    [S, S, S, S, E]
        .iter()
        .map(|&w| {
            let ty = TensorType::new(dtype, vec![B, t, w]);
            let data = (0..B * t * w).map(|_| rng.gen_range(-2.0..2.0)).collect();
            Array::new(ty, data).unwrap()
        })
        .collect()
}

fn run(g: &Graph, xs: &[Array]) -> Array {
    evaluate(g, xs).unwrap().remove(0)
}

/// `|got - want| <= rtol * max|want|` everywhere (a norm-wise relative error).
fn assert_close(got: &Array, want: &Array, rtol: f64, what: &str) {
    let scale = want.data.iter().fold(1e-300f64, |m, x| m.max(x.abs()));
    let err = got.max_abs_diff(want).expect("shapes differ");
    assert!(
        err <= rtol * scale,
        "{what}: max error {err:e} > {rtol:e} * {scale:e}"
    );
}

fn count(g: &Graph, pred: impl Fn(&Op) -> bool) -> usize {
    g.nodes.iter().filter(|n| pred(&n.op)).count()
}

/// Lowers the one-node graph, checks it verifies and compares it with the oracle.
fn check_against_oracle(t: usize, attrs: &ChunkAttention, dtype: DType, rtol: f64) {
    let g = attention_graph(t, attrs, dtype);
    let lowered = lower_all(g.clone()).unwrap();
    verify(&lowered).unwrap();
    let xs = inputs(t, dtype, 7 + t as u64);
    let what = format!("T={t} {attrs:?} {dtype}");
    assert_close(&run(&lowered, &xs), &run(&g, &xs), rtol, &what);
}

#[test]
fn matches_dense_oracle_f64() {
    for (t, c) in SHAPES {
        for attrs in all_attrs(c) {
            check_against_oracle(t, &attrs, DType::F64, 1e-9);
        }
    }
}

#[test]
fn matches_dense_oracle_f32() {
    for (t, c) in SHAPES {
        for attrs in all_attrs(c) {
            check_against_oracle(t, &attrs, DType::F32, 1e-5);
        }
    }
}

#[test]
fn matches_dense_oracle_in_half_precision() {
    for dtype in [DType::BF16, DType::F16] {
        for attrs in all_attrs(4) {
            check_against_oracle(10, &attrs, dtype, 0.05);
        }
    }
}

#[test]
fn lowered_graph_verifies_and_has_no_chunk_attention() {
    for (t, c) in SHAPES {
        for attrs in all_attrs(c) {
            let lowered = lower_all(attention_graph(t, &attrs, DType::F32)).unwrap();
            verify(&lowered).unwrap();
            assert_eq!(count(&lowered, |op| matches!(op, Op::ChunkAttention(_))), 0);
        }
    }
}

#[test]
fn composes_with_every_cumsum_lowering() {
    let strategies = [
        CumsumStrategy::Matmul,
        CumsumStrategy::ReduceWindow,
        CumsumStrategy::LogScan,
    ];
    for cumsum in strategies {
        let opts = PassOptions {
            cumsum,
            ..PassOptions::default()
        };
        for (t, c) in [(12, 4), (10, 4), (16, 2)] {
            for attrs in all_attrs(c).iter().filter(|a| a.causal) {
                let g = attention_graph(t, attrs, DType::F64);
                let lowered = LowerChunkAttention.run(g.clone(), &opts).unwrap();
                let lowered = LowerCumsum.run(lowered, &opts).unwrap();
                verify(&lowered).unwrap();
                assert_eq!(count(&lowered, Op::is_composite), 0);
                let xs = inputs(t, DType::F64, 3);
                let what = format!("T={t} {attrs:?} {cumsum:?}");
                assert_close(&run(&lowered, &xs), &run(&g, &xs), 1e-9, &what);
            }
        }
    }
}

#[test]
fn padding_leaves_causal_prefix_unchanged() {
    // T = 10 is padded to 12 with zero tokens; a real T = 12 sequence sharing the first 10
    // tokens must give the same causal outputs there.
    for attrs in all_attrs(4).iter().filter(|a| a.causal) {
        let long = inputs(12, DType::F64, 11);
        let short: Vec<Array> = long.iter().map(|x| first_tokens(x, 10)).collect();
        let out12 = run(
            &lower_all(attention_graph(12, attrs, DType::F64)).unwrap(),
            &long,
        );
        let out10 = run(
            &lower_all(attention_graph(10, attrs, DType::F64)).unwrap(),
            &short,
        );
        assert_close(
            &out10,
            &first_tokens(&out12, 10),
            1e-12,
            &format!("{attrs:?}"),
        );
    }
}

#[test]
fn causal_outputs_ignore_later_tokens() {
    // The exclusive prefix sum is what makes this hold; an inclusive one breaks it.
    for attrs in all_attrs(4).iter().filter(|a| a.causal) {
        let lowered = lower_all(attention_graph(12, attrs, DType::F64)).unwrap();
        let xs = inputs(12, DType::F64, 5);
        let mut changed = xs.clone();
        for x in &mut changed {
            perturb_from(x, 6);
        }
        let (a, b) = (run(&lowered, &xs), run(&lowered, &changed));
        assert_close(
            &first_tokens(&a, 6),
            &first_tokens(&b, 6),
            1e-12,
            &format!("{attrs:?}"),
        );
        assert!(
            a.max_abs_diff(&b).unwrap() > 1e-3,
            "later outputs should change"
        );
    }
}

#[test]
fn single_chunk_causal_has_no_cumsum_or_linear_term() {
    for (t, c) in [(8, 8), (5, 8)] {
        for attrs in all_attrs(c).iter().filter(|a| a.causal) {
            let lowered = lower_all(attention_graph(t, attrs, DType::F32)).unwrap();
            assert_eq!(count(&lowered, |op| matches!(op, Op::Cumsum { .. })), 0);
            let uses = lowered.use_counts();
            let params = lowered.params();
            assert_eq!(
                (uses[params[2].index()], uses[params[3].index()]),
                (0, 0),
                "q_lin, k_lin"
            );
        }
    }
}

#[test]
fn multi_chunk_causal_emits_one_exclusive_chunk_cumsum() {
    for (t, c) in [(8, 4), (10, 4), (16, 2)] {
        for attrs in all_attrs(c) {
            let lowered = lower_all(attention_graph(t, &attrs, DType::F32)).unwrap();
            let expected = Op::Cumsum {
                dim: 1,
                exclusive: true,
                reverse: false,
            };
            let n = count(&lowered, |op| *op == expected);
            assert_eq!(n, usize::from(attrs.causal), "{attrs:?}");
            assert_eq!(count(&lowered, |op| matches!(op, Op::Cumsum { .. })), n);
        }
    }
}

#[test]
fn padded_key_mask_only_where_a_zero_key_is_not_already_zero() {
    // Non-causal, T = 10 padded to 12: relu2 needs no mask, softmax and laplace do.
    for attrs in all_attrs(4).iter().filter(|a| !a.causal) {
        let lowered = lower_all(attention_graph(10, attrs, DType::F32)).unwrap();
        let selects = count(&lowered, |op| matches!(op, Op::Select));
        assert_eq!(selects > 0, attrs.score != ScoreFn::Relu2, "{attrs:?}");
    }
    // No padding: no mask at all in non-causal mode.
    for attrs in all_attrs(4).iter().filter(|a| !a.causal) {
        let lowered = lower_all(attention_graph(8, attrs, DType::F32)).unwrap();
        assert_eq!(
            count(&lowered, |op| matches!(op, Op::Select)),
            0,
            "{attrs:?}"
        );
    }
}

#[test]
fn masks_are_built_from_iota_not_dense_literals() {
    for (t, c) in SHAPES {
        for attrs in all_attrs(c) {
            let lowered = lower_all(attention_graph(t, &attrs, DType::F32)).unwrap();
            let dense = count(&lowered, |op| {
                matches!(
                    op,
                    Op::Constant {
                        value: flash_ir::Literal::Dense(_),
                        ..
                    }
                )
            });
            assert_eq!(dense, 0, "T={t} {attrs:?}");
        }
    }
}

#[test]
fn lowered_nodes_keep_the_composite_location_and_scope() {
    for attrs in all_attrs(4) {
        let lowered = lower_all(attention_graph(10, &attrs, DType::F32)).unwrap();
        for n in lowered
            .nodes
            .iter()
            .filter(|n| !matches!(n.op, Op::Parameter { .. }))
        {
            assert_eq!(n.loc, composite_loc(), "{} of {attrs:?}", n.op.name());
            assert_eq!(&*n.scope, "layers.0.attn", "{} of {attrs:?}", n.op.name());
        }
    }
}

#[test]
fn pass_is_named_and_leaves_other_graphs_unchanged() {
    assert_eq!(LowerChunkAttention.name(), "lower_chunk_attention");
    let mut g = Graph::new("main");
    let mut b = Builder::new(&mut g);
    let x = b
        .param("x", TensorType::new(DType::F32, vec![2, 3]))
        .unwrap();
    let y = b.cumsum(x, 1, true, false).unwrap();
    let z = b.add(x, y).unwrap();
    g.outputs = vec![z];
    assert_eq!(
        LowerChunkAttention
            .run(g.clone(), &PassOptions::default())
            .unwrap(),
        g
    );
}

#[test]
fn empty_sequence_lowers_to_an_empty_result() {
    for attrs in all_attrs(4) {
        let g = attention_graph(0, &attrs, DType::F32);
        let lowered = lower_all(g.clone()).unwrap();
        verify(&lowered).unwrap();
        let xs = inputs(0, DType::F32, 1);
        assert_eq!(run(&lowered, &xs), run(&g, &xs));
    }
}

#[test]
fn bad_operands_are_errors_not_panics() {
    let attrs = ChunkAttention {
        chunk: 4,
        causal: true,
        linear_norm: LinearNorm::Mean,
        score: ScoreFn::Relu2,
    };
    let mut g = Graph::new("main");
    let mut b = Builder::new(&mut g);
    let x = b
        .param("x", TensorType::new(DType::F32, vec![1, 8, 3]))
        .unwrap();
    let flat = b
        .param("flat", TensorType::new(DType::F32, vec![8, 3]))
        .unwrap();
    let undefined = ValueId(99);
    let err = lower_chunk_attention(&mut b, [x, x, x, x, undefined], &attrs).unwrap_err();
    assert!(
        matches!(err, IrError::UseBeforeDef { operand: 99, .. }),
        "{err}"
    );
    let err = lower_chunk_attention(&mut b, [x, x, x, x, flat], &attrs).unwrap_err();
    assert!(
        matches!(&err, IrError::Invalid { source, .. } if source.constraint == "C1"),
        "{err}"
    );
    let zero = ChunkAttention { chunk: 0, ..attrs };
    let err = lower_chunk_attention(&mut b, [x; 5], &zero).unwrap_err();
    assert!(
        matches!(&err, IrError::Invalid { source, .. } if source.constraint == "C2"),
        "{err}"
    );
    assert_eq!(g.nodes.len(), 2, "nothing is built on failure");
}

/// The first `n` tokens (dim 1) of a `[B, T, x]` array.
fn first_tokens(x: &Array, n: usize) -> Array {
    let (t, w) = (x.shape()[1], x.shape()[2]);
    let ty = TensorType::new(x.dtype(), vec![x.shape()[0], n, w]);
    Array::from_fn(ty, |i| x.data[(i[0] * t + i[1]) * w + i[2]])
}

/// Adds 1 to every element of tokens `from..` of a `[B, T, x]` array.
fn perturb_from(x: &mut Array, from: usize) {
    let (t, w) = (x.shape()[1], x.shape()[2]);
    for (k, v) in x.data.iter_mut().enumerate() {
        if (k / w) % t >= from {
            *v += 1.0;
        }
    }
}
