//! Round trips of the IR text form: `parse(print(g)) == g` and `print(parse(print(g))) ==
//! print(g)` for graphs covering every op, locations, scopes, float corner cases and aliases.

use flash_ir::op::{ChunkAttention, LinearNorm, OpKind, ScoreFn};
use flash_ir::{
    parse_graph, print_graph, BinaryOp, CmpDir, DType, DotDims, Graph, Literal, Location, Mesh, Op,
    ReduceKind, Sharding, TensorType, UnaryOp, ValueId,
};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Appends nodes to a graph, each at a distinct fake call site, in the current scope.
struct G {
    g: Graph,
    scope: &'static str,
}

impl G {
    fn new() -> Self {
        G {
            g: Graph::new("main"),
            scope: "",
        }
    }

    fn add(&mut self, op: Op, operands: &[ValueId]) -> ValueId {
        let n = self.g.nodes.len() as u32;
        let loc = if n.is_multiple_of(3) {
            Location::unknown()
        } else {
            Location {
                file: Arc::from("src/model.rs"),
                line: 10 + n,
                col: 5,
            }
        };
        self.g
            .add(op, operands.to_vec(), loc, Arc::from(self.scope))
            .unwrap()
    }

    fn param(&mut self, name: &str, dtype: DType, shape: &[usize]) -> ValueId {
        let index = self.g.params().len();
        let ty = TensorType::new(dtype, shape);
        self.add(
            Op::Parameter {
                index,
                name: name.into(),
                ty,
            },
            &[],
        )
    }

    fn constant(&mut self, value: Literal, dtype: DType, shape: &[usize]) -> ValueId {
        self.add(
            Op::Constant {
                value,
                ty: TensorType::new(dtype, shape),
            },
            &[],
        )
    }
}

fn assert_round_trip(g: &Graph) -> String {
    let text = print_graph(g);
    let parsed = parse_graph(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(print_graph(&parsed), text);
    assert_eq!(&parsed, g, "\n{text}");
    text
}

/// Parameters, constants, iota and every elementwise op.
fn elementwise(b: &mut G) -> (ValueId, ValueId) {
    let x = b.param("x", DType::F32, &[2, 3]);
    let y = b.param("layers.0.w", DType::F32, &[2, 3]);
    b.constant(Literal::Splat(1.5), DType::F32, &[2, 3]);
    b.constant(Literal::Dense(vec![1.0, 2.0, 3.0]), DType::I32, &[3]);
    b.add(
        Op::Iota {
            dim: 1,
            ty: TensorType::new(DType::I32, [2, 3]),
        },
        &[],
    );
    for u in UnaryOp::ALL {
        b.add(Op::Unary(u), &[x]);
    }
    for op in BinaryOp::ALL {
        b.add(Op::Binary(op), &[x, y]);
    }
    let mut pred = x;
    for d in CmpDir::ALL {
        pred = b.add(Op::Compare(d), &[x, y]);
    }
    b.add(Op::Select, &[pred, x, y]);
    b.add(Op::Convert { to: DType::BF16 }, &[x]);
    (x, y)
}

/// Shape ops, reductions and contractions.
fn structural(b: &mut G, x: ValueId, y: ValueId) -> ValueId {
    b.scope = "layers.0.attn";
    b.add(
        Op::BroadcastInDim {
            shape: vec![4, 2, 3],
            dims: vec![1, 2],
        },
        &[x],
    );
    b.add(Op::Reshape { shape: vec![3, 2] }, &[x]);
    b.add(Op::Transpose { perm: vec![1, 0] }, &[x]);
    b.add(
        Op::Slice {
            start: vec![0, 1],
            limit: vec![2, 3],
            stride: vec![1, 2],
        },
        &[x],
    );
    b.add(Op::Concatenate { dim: 0 }, &[x, y, x]);
    let start = b.constant(Literal::Splat(1.0), DType::I32, &[]);
    let block = b.add(Op::DynamicSlice { sizes: vec![1, 2] }, &[x, start, start]);
    b.add(Op::DynamicUpdateSlice, &[x, block, start, start]);
    let zero = b.constant(Literal::Splat(0.0), DType::F32, &[]);
    let padding = Op::Pad {
        low: vec![-1, 0],
        high: vec![1, 2],
        interior: vec![0, 1],
    };
    b.add(padding, &[x, zero]);
    b.add(
        Op::Reduce {
            kind: ReduceKind::Sum,
            dims: vec![1],
        },
        &[x],
    );
    b.add(
        Op::Reduce {
            kind: ReduceKind::Max,
            dims: vec![],
        },
        &[x],
    );
    let window = Op::ReduceWindow {
        kind: ReduceKind::Max,
        window: vec![1, 2],
        strides: vec![1, 1],
        padding: vec![(0, 0), (0, 1)],
    };
    b.add(window, &[x]);
    let dims = DotDims {
        lhs_batch: vec![],
        rhs_batch: vec![],
        lhs_contract: vec![1],
        rhs_contract: vec![1],
        out: DType::F32,
    };
    b.add(Op::DotGeneral(dims), &[x, y])
}

/// Batched dot, gather, scatter_add and the composites.
fn composites(b: &mut G) -> ValueId {
    b.scope = "layers.1";
    let q = b.param("q", DType::F32, &[1, 8, 4]);
    let v = b.param("v", DType::F32, &[1, 8, 6]);
    let dims = DotDims {
        lhs_batch: vec![0],
        rhs_batch: vec![0],
        lhs_contract: vec![2],
        rhs_contract: vec![2],
        out: DType::F64,
    };
    b.add(Op::DotGeneral(dims), &[q, q]);
    let table = b.param("embed", DType::F32, &[10, 4]);
    let idx = b.param("tokens", DType::I64, &[2, 3]);
    b.add(Op::Gather, &[table, idx]);
    let updates = b.param("updates", DType::F32, &[2, 3, 4]);
    b.add(Op::ScatterAdd, &[table, idx, updates]);
    let split_rows = Sharding {
        dims: vec![vec!["data".into(), "model".into()], vec![]],
    };
    b.add(
        Op::ShardingConstraint {
            sharding: split_rows,
        },
        &[table],
    );
    b.add(
        Op::Cumsum {
            dim: 1,
            exclusive: true,
            reverse: false,
        },
        &[q],
    );
    b.add(
        Op::Cumsum {
            dim: 0,
            exclusive: false,
            reverse: true,
        },
        &[idx],
    );
    let mut out = v;
    for (score, linear_norm) in [
        (ScoreFn::Relu2, LinearNorm::Mean),
        (ScoreFn::Softmax, LinearNorm::Sum),
        (ScoreFn::Laplace, LinearNorm::Mean),
    ] {
        let attn = ChunkAttention {
            chunk: 4,
            causal: score != ScoreFn::Softmax,
            linear_norm,
            score,
        };
        out = b.add(Op::ChunkAttention(attn), &[q, q, q, q, v]);
    }
    out
}

fn every_op_graph() -> Graph {
    let mut b = G::new();
    let (x, y) = elementwise(&mut b);
    let dot = structural(&mut b, x, y);
    let attn = composites(&mut b);
    b.g.outputs = vec![x, dot, attn];
    b.g.aliases = vec![(0, 0), (1, 0)];
    b.g.set_mesh(Mesh::new([("data", 2), ("model", 1)]).unwrap());
    b.g.shard_param(0, Sharding::split(2, 0, "data"));
    b.g.shard_result(1, Sharding::replicated(2));
    b.g
}

#[test]
fn every_op_round_trips() {
    let g = every_op_graph();
    let text = assert_round_trip(&g);
    let kinds: BTreeSet<OpKind> = g.nodes.iter().map(|n| n.op.kind()).collect();
    for kind in OpKind::ALL {
        assert!(kinds.contains(kind), "graph lacks {kind:?}");
    }
    let names: BTreeSet<&str> = g.nodes.iter().map(|n| n.op.name()).collect();
    for u in UnaryOp::ALL {
        assert!(names.contains(u.name()));
    }
    for op in BinaryOp::ALL {
        assert!(names.contains(op.name()));
    }
    assert!(text.contains("alias param 1 -> output 0"));
    assert!(text.contains("sharding_constraint(%"));
    assert!(text.contains("{sharding = [{data, model}, {}]}"));
    assert!(text.contains("  mesh data=2, model=1\n  shard param 0 [{data}, {}]\n"));
    assert!(text.contains("  shard result 1 [{}, {}]\n"));
    flash_ir::verify::verify(&g).unwrap();
    assert!(text.contains("{chunk = 4, causal = true, linear_norm = mean, score = relu2}"));
    assert!(text.contains("{dim = 1, exclusive = true, reverse = false}"));
}

#[test]
fn locations_and_scopes_round_trip() {
    let mut b = G::new();
    let x = b.param("x", DType::F32, &[2]);
    b.scope = "layers.3.attn";
    let y = b.add(Op::Unary(UnaryOp::Exp), &[x]);
    b.g.outputs = vec![y];
    let text = assert_round_trip(&b.g);
    assert!(text.contains("%0 = parameter {index = 0, name = \"x\"} : f32[2]\n"));
    assert!(text
        .contains("%1 = exp(%0) : f32[2] loc(\"src/model.rs\":11:5) scope(\"layers.3.attn\")\n"));
}

#[test]
fn odd_strings_round_trip() {
    let mut g = Graph::new("my graph\t\"2\"");
    let loc = Location {
        file: Arc::from("C:\\src\\a \"b\".rs"),
        line: u32::MAX,
        col: 1,
    };
    let ty = TensorType::new(DType::Bool, [1]);
    let name = "a\"b\\c\nd\u{1}é∑".to_string();
    let p = Op::Parameter { index: 0, name, ty };
    let x = g.add(p, vec![], loc, Arc::from("s\u{7f}cope")).unwrap();
    g.outputs = vec![x, x];
    let text = assert_round_trip(&g);
    assert!(
        text.starts_with("graph @\"my graph\\t\\\"2\\\"\" {"),
        "{text}"
    );
    assert!(text.contains(r#"name = "a\"b\\c\nd\u{1}é∑""#), "{text}");
}

fn constant_graph(values: Vec<f64>, dtype: DType) -> Graph {
    let mut b = G::new();
    let n = values.len();
    let c = b.constant(Literal::Dense(values), dtype, &[n]);
    let s = b.constant(Literal::Splat(-0.0), dtype, &[]);
    b.g.outputs = vec![c, s];
    b.g
}

fn dense_values(g: &Graph) -> Vec<f64> {
    match &g.nodes[0].op {
        Op::Constant {
            value: Literal::Dense(v),
            ..
        } => v.clone(),
        op => panic!("not a dense constant: {op:?}"),
    }
}

#[test]
fn float_corner_cases_round_trip_bit_exactly() {
    let values = vec![
        -0.0,
        0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1e-30,
        0.1,
        1.0,
        -2.5e300,
        5e-324,
        f64::MAX,
    ];
    let g = constant_graph(values.clone(), DType::F64);
    let text = assert_round_trip(&g);
    assert!(
        text.contains("dense([-0.0, 0.0, inf, -inf, 1e-30, 0.1, 1.0, -2.5e300, 5e-324, "),
        "{text}"
    );
    assert!(text.contains("splat(-0.0)"), "{text}");
    let parsed = parse_graph(&text).unwrap();
    let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
    assert_eq!(bits(dense_values(&parsed)), bits(values));
}

#[test]
fn nan_round_trips_as_nan() {
    let g = constant_graph(vec![f64::NAN, 1.0], DType::F32);
    let text = print_graph(&g);
    assert!(text.contains("dense([nan, 1.0])"), "{text}");
    let parsed = parse_graph(&text).unwrap();
    assert_eq!(print_graph(&parsed), text);
    let v = dense_values(&parsed);
    assert!(v[0].is_nan() && v[1] == 1.0);
}

#[test]
fn integer_constants_print_whole_numbers() {
    let big = 2f64.powi(53);
    let g = constant_graph(vec![1.0, -7.0, big, 0.5, -0.0], DType::I64);
    let text = assert_round_trip(&g);
    assert!(
        text.contains("dense([1, -7, 9007199254740992, 0.5, -0.0])"),
        "{text}"
    );
}

#[test]
fn empty_graph_round_trips() {
    let g = Graph::new("empty");
    assert_eq!(assert_round_trip(&g), "graph @empty {\n  return\n}\n");
}

#[test]
fn parser_accepts_any_names_comments_and_layout() {
    let text = r#"
        // a comment
        graph @main { %x = parameter {index = 0, name = "x"} : f32[2] // trailing
        %h.1_a = neg(%x) : f32[2]   %out = add(%h.1_a,
            %x) {} : f32[2] scope("a.b") return %out, %x
        alias param 0 -> output 1 }
    "#;
    let g = parse_graph(text).unwrap();
    assert_eq!(g.nodes.len(), 3);
    assert_eq!(g.outputs, vec![ValueId(2), ValueId(0)]);
    assert_eq!(g.aliases, vec![(0, 1)]);
    assert_eq!(&*g.nodes[2].scope, "a.b");
    let expected = "graph @main {\n  %0 = parameter {index = 0, name = \"x\"} : f32[2]\n  \
                    %1 = neg(%0) : f32[2]\n  %2 = add(%1, %0) : f32[2] scope(\"a.b\")\n  \
                    return %2, %0\n  alias param 0 -> output 1\n}\n";
    assert_eq!(print_graph(&g), expected);
}

#[test]
fn parser_accepts_inf_nan_and_exponent_spellings() {
    let text = "graph @g { %c = constant {value = dense([inf, -inf, nan, 1E+3, 2e-3, 7])} : f32[6] return %c }";
    let g = parse_graph(text).unwrap();
    let v = dense_values(&g);
    assert_eq!(v[..2], [f64::INFINITY, f64::NEG_INFINITY]);
    assert!(v[2].is_nan());
    assert_eq!(v[3..], [1000.0, 0.002, 7.0]);
}

#[test]
fn dynamic_slices_round_trip() {
    let text = "graph @main {\n  %0 = parameter {index = 0, name = \"x\"} : f32[4,6]\n  \
                %1 = parameter {index = 1, name = \"i\"} : i32[]\n  \
                %2 = dynamic_slice(%0, %1, %1) {sizes = [2, 3]} : f32[2,3]\n  \
                %3 = dynamic_update_slice(%0, %2, %1, %1) : f32[4,6]\n  \
                return %3\n}\n";
    let g = flash_ir::parse_graph(text).unwrap();
    assert_eq!(flash_ir::print_graph(&g), text);
}

#[test]
fn parameter_bounds_round_trip_and_need_an_integer_parameter() {
    let text = "graph @main {\n  %0 = parameter {index = 0, name = \"x\"} : f32[4]\n  \
                %1 = parameter {index = 1, name = \"position\"} : i32[]\n  \
                return %0\n  bound param 1 below 8\n}\n";
    let g = flash_ir::parse_graph(text).unwrap();
    assert_eq!(g.bounds, vec![(1, 8)]);
    assert_eq!(flash_ir::print_graph(&g), text);
    flash_ir::verify::verify(&g).unwrap();
    let on_float = flash_ir::parse_graph(&text.replace("param 1 below", "param 0 below")).unwrap();
    let e = flash_ir::verify::verify(&on_float).unwrap_err();
    assert!(e.to_string().contains("integer parameter"), "{e}");
}
