//! What the emitter refuses, and the exact text of literals it prints: composites (the
//! lowering pipeline must run first), malformed graphs, and values a dtype cannot hold.

mod stablehlo_support;

use std::sync::Arc;

use flash::stablehlo::{emit, EmitError};
use flash_ir::op::{ChunkAttention, LinearNorm, ScoreFn};
use flash_ir::{DType, Graph, Literal, Location, Node, Op, TensorType, UnaryOp, ValueId};
use stablehlo_support::Builder;

fn emit_err(g: &Graph) -> EmitError {
    emit(g).expect_err("emission should fail")
}

#[test]
fn cumsum_is_refused_as_composite_with_its_call_site() {
    let mut b = Builder::new("cumsum");
    let x = b.param("x", DType::F32, &[4]);
    let y = b.op(
        Op::Cumsum {
            dim: 0,
            exclusive: false,
            reverse: false,
        },
        &[x],
    );
    let err = emit_err(&b.outputs(&[y]).finish());
    let loc = Location {
        file: Arc::from("src/cumsum.rs"),
        line: 2,
        col: 5,
    };
    assert_eq!(err, EmitError::Composite { op: "cumsum", loc });
    assert!(err.to_string().contains("lowering pipeline"), "{err}");
}

#[test]
fn chunk_attention_is_refused_as_composite() {
    let mut b = Builder::new("attn");
    let qk: Vec<ValueId> = (0..4)
        .map(|i| b.param(&format!("p{i}"), DType::F32, &[1, 8, 4]))
        .collect();
    let v = b.param("v", DType::F32, &[1, 8, 6]);
    let attrs = ChunkAttention {
        chunk: 4,
        causal: true,
        linear_norm: LinearNorm::Mean,
        score: ScoreFn::Relu2,
    };
    let y = b.op(Op::ChunkAttention(attrs), &[qk[0], qk[1], qk[2], qk[3], v]);
    assert!(matches!(
        emit_err(&b.outputs(&[y]).finish()),
        EmitError::Composite {
            op: "chunk_attention",
            ..
        }
    ));
}

/// A graph with one f32[2] parameter and a raw node pushed without inference.
fn with_raw_node(op: Op, operands: Vec<ValueId>) -> Graph {
    let mut b = Builder::new("raw");
    b.param("x", DType::F32, &[2]);
    let mut g = b.finish();
    let ty = TensorType::new(DType::F32, [2]);
    g.nodes.push(Node {
        op,
        operands,
        ty,
        loc: Location::unknown(),
        scope: Arc::from(""),
    });
    g.outputs.push(ValueId(1));
    g
}

#[test]
fn operand_defined_later_is_use_before_def() {
    let g = with_raw_node(Op::Unary(UnaryOp::Neg), vec![ValueId(1)]);
    assert!(matches!(
        emit_err(&g),
        EmitError::UseBeforeDef {
            node: 1,
            operand: 1,
            ..
        }
    ));
    let g = with_raw_node(Op::Unary(UnaryOp::Neg), vec![ValueId(9)]);
    assert!(matches!(
        emit_err(&g),
        EmitError::UseBeforeDef {
            node: 1,
            operand: 9,
            ..
        }
    ));
}

#[test]
fn wrong_operand_count_is_an_arity_error() {
    let g = with_raw_node(Op::Unary(UnaryOp::Neg), vec![ValueId(0), ValueId(0)]);
    assert!(matches!(
        emit_err(&g),
        EmitError::Arity {
            expected: 1,
            got: 2,
            ..
        }
    ));
    let g = with_raw_node(Op::Concatenate { dim: 0 }, vec![]);
    assert!(matches!(
        emit_err(&g),
        EmitError::Arity {
            op: "concatenate",
            got: 0,
            ..
        }
    ));
}

#[test]
fn unrepresentable_constants_are_literal_errors() {
    let cases = [
        (DType::I32, 1.5),
        (DType::I32, 2147483648.0),
        (DType::I64, -(i64::MIN as f64)),
        (DType::I64, f64::NAN),
        (DType::Bool, 2.0),
        (DType::Bool, -1.0),
    ];
    for (dtype, value) in cases {
        let mut b = Builder::new("lit");
        let c = b.op(
            Op::Constant {
                value: Literal::Dense(vec![0.0, value]),
                ty: TensorType::new(dtype, [2]),
            },
            &[],
        );
        match emit_err(&b.outputs(&[c]).finish()) {
            EmitError::Literal {
                node: 0,
                dtype: d,
                value: v,
                ..
            } => {
                assert_eq!(d, dtype);
                assert!(v.to_bits() == value.to_bits(), "{v} vs {value}");
            }
            other => panic!("{dtype} {value}: unexpected {other}"),
        }
    }
}

#[test]
fn undefined_output_is_refused() {
    let mut b = Builder::new("out");
    b.param("x", DType::F32, &[2]);
    let mut g = b.finish();
    g.outputs = vec![ValueId(0), ValueId(5)];
    assert_eq!(
        emit_err(&g),
        EmitError::UndefinedOutput { index: 1, value: 5 }
    );
}

#[test]
fn parameter_index_gap_is_refused() {
    let mut g = Graph::new("gap");
    let ty = TensorType::new(DType::F32, [2]);
    for (index, name) in [(0, "a"), (2, "c")] {
        let op = Op::Parameter {
            index,
            name: name.into(),
            ty: ty.clone(),
        };
        g.add(op, vec![], Location::unknown(), Arc::from(""))
            .unwrap();
    }
    assert_eq!(
        emit_err(&g),
        EmitError::ParameterIndex {
            position: 1,
            index: 2,
            count: 2
        }
    );
}

#[test]
fn bad_aliases_are_refused() {
    let mut b = Builder::new("alias");
    let x = b.param("x", DType::F32, &[2]);
    let y = b.param("y", DType::F32, &[2]);
    let g = b.outputs(&[x, y]).finish();
    for (aliases, reason) in [
        (vec![(2, 0)], "no such parameter"),
        (vec![(0, 2)], "no such output"),
        (vec![(0, 0), (0, 1)], "the parameter is aliased twice"),
        (vec![(0, 1), (1, 1)], "the output is aliased twice"),
    ] {
        let mut g = g.clone();
        g.aliases = aliases;
        assert!(
            matches!(emit_err(&g), EmitError::Alias { reason: r, .. } if r == reason),
            "{reason}"
        );
    }
}

/// The `dense<...>` payload of the first constant in the emitted text.
fn constant_text(dtype: DType, value: f64) -> String {
    let mut b = Builder::new("lit");
    let c = b.splat(value, dtype, &[]);
    let text = emit(&b.outputs(&[c]).finish()).unwrap();
    let start = text.find("dense<").expect("a constant") + "dense<".len();
    let end = start + text[start..].find('>').expect("closing >");
    text[start..end].to_string()
}

#[test]
fn literal_spellings_per_dtype() {
    assert_eq!(constant_text(DType::F32, 1.0), "1.0e+00");
    assert_eq!(constant_text(DType::F32, -2.5e-3), "-2.5e-03");
    assert_eq!(constant_text(DType::F32, 0.1), "1.0e-01");
    assert_eq!(constant_text(DType::F64, 0.1), "1.0e-01");
    assert_eq!(constant_text(DType::F64, 1e300), "1.0e+300");
    assert_eq!(constant_text(DType::F32, -0.0), "-0.0e+00");
    assert_eq!(constant_text(DType::F32, f64::INFINITY), "0x7F800000");
    assert_eq!(constant_text(DType::F32, f64::NEG_INFINITY), "0xFF800000");
    assert_eq!(
        constant_text(DType::F64, f64::INFINITY),
        "0x7FF0000000000000"
    );
    assert_eq!(constant_text(DType::BF16, f64::NEG_INFINITY), "0xFF80");
    assert_eq!(constant_text(DType::F16, f64::INFINITY), "0x7C00");
    assert_eq!(
        constant_text(DType::F16, 1e6),
        "0x7C00",
        "overflows f16 to +inf"
    );
    assert_eq!(
        constant_text(DType::BF16, 0.1),
        "1.0e-01",
        "0.1 reads back as the bf16 value nearest 0.1"
    );
    assert_eq!(constant_text(DType::BF16, 3.140625), "3.14e+00");
    assert_eq!(constant_text(DType::F16, 65504.0), "6.55e+04");
    assert_eq!(constant_text(DType::I64, -3.0), "-3");
    assert_eq!(constant_text(DType::Bool, 1.0), "true");
    assert_eq!(constant_text(DType::Bool, 0.0), "false");
}

#[test]
fn dense_literals_nest_one_list_per_dimension() {
    let mut b = Builder::new("nest");
    let c = b.dense(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], DType::I32, &[2, 1, 3]);
    let text = emit(&b.outputs(&[c]).finish()).unwrap();
    assert!(
        text.contains("dense<[[[1, 2, 3]], [[4, 5, 6]]]> : tensor<2x1x3xi32>"),
        "{text}"
    );
}

#[test]
fn locations_are_deduplicated_and_numbered_in_first_use_order() {
    let mut b = Builder::new("locs");
    let x = b.param("x", DType::F32, &[2]);
    let here = Location {
        file: Arc::from("src/a.rs"),
        line: 3,
        col: 7,
    };
    b.scope("blk");
    let y = b.op_at(Op::Unary(UnaryOp::Exp), &[x], here.clone());
    b.scope("");
    let z = b.op_at(Op::Unary(UnaryOp::Exp), &[y], here.clone());
    let w = b.op_at(Op::Unary(UnaryOp::Exp), &[z], here);
    let u = b.op_at(Op::Unary(UnaryOp::Exp), &[w], Location::unknown());
    let text = emit(&b.outputs(&[u]).finish()).unwrap();
    assert!(
        text.contains("%1 = stablehlo.exponential %arg0 : tensor<2xf32> loc(#loc2)"),
        "{text}"
    );
    assert!(
        text.contains("%2 = stablehlo.exponential %1 : tensor<2xf32> loc(#loc1)"),
        "{text}"
    );
    assert!(
        text.contains("%3 = stablehlo.exponential %2 : tensor<2xf32> loc(#loc1)"),
        "{text}"
    );
    assert!(
        text.contains("%4 = stablehlo.exponential %3 : tensor<2xf32> loc(unknown)"),
        "{text}"
    );
    assert!(
        text.ends_with("}\n#loc1 = loc(\"src/a.rs\":3:7)\n#loc2 = loc(\"blk\"(#loc1))\n"),
        "{text}"
    );
}
