//! Whole-graph evaluation: input checking, multi-node graphs, repeated and unused values,
//! error cases, and the speed the oracle needs on large tensors.

mod common;
use common::*;
use flash_interp::{evaluate, Array, InterpError};
use flash_ir::{BinaryOp, DType, DotDims, Op, ReduceKind, TensorType, UnaryOp};
use std::time::Instant;

#[test]
fn a_small_mlp_layer() {
    // y = relu(x @ w + b), reduced to its row sums.
    let mut b = B::new();
    let x = b.param(t(DType::F32, &[2, 2]));
    let w = b.param(t(DType::F32, &[2, 3]));
    let bias = b.param(t(DType::F32, &[3]));
    let dims = DotDims {
        lhs_batch: vec![],
        rhs_batch: vec![],
        lhs_contract: vec![1],
        rhs_contract: vec![0],
        out: DType::F32,
    };
    let xw = b.op(Op::DotGeneral(dims), &[x, w]);
    let bb = b.op(
        Op::BroadcastInDim {
            shape: vec![2, 3],
            dims: vec![1],
        },
        &[bias],
    );
    let pre = b.op(Op::Binary(BinaryOp::Add), &[xw, bb]);
    let zero = b.op(
        Op::Constant {
            value: flash_ir::Literal::Splat(0.0),
            ty: t(DType::F32, &[2, 3]),
        },
        &[],
    );
    let y = b.op(Op::Binary(BinaryOp::Max), &[pre, zero]);
    let s = b.op(
        Op::Reduce {
            kind: ReduceKind::Sum,
            dims: vec![1],
        },
        &[y],
    );
    b.g.outputs = vec![s, y, s];
    let inputs = [
        f32a(&[2, 2], &[1.0, 0.0, 0.0, 1.0]),
        f32a(&[2, 3], &[1.0, -2.0, 3.0, -4.0, 5.0, -6.0]),
        f32a(&[3], &[0.5, 0.5, 0.5]),
    ];
    let outs = evaluate(&b.g, &inputs).unwrap();
    assert_eq!(outs.len(), 3);
    assert_eq!(outs[1].data, vec![1.5, 0.0, 3.5, 0.0, 5.5, 0.0]);
    assert_eq!(outs[0].data, vec![5.0, 5.5]);
    assert_eq!(outs[2], outs[0]);
}

#[test]
fn unused_parameters_and_values_used_twice() {
    let mut b = B::new();
    let _unused = b.param(t(DType::F32, &[1]));
    let x = b.param(t(DType::F32, &[2]));
    let sq = b.op(Op::Binary(BinaryOp::Mul), &[x, x]);
    let out = b.run(sq, &[f32a(&[1], &[9.0]), f32a(&[2], &[3.0, -2.0])]);
    assert_eq!(out.data, vec![9.0, 4.0]);
}

#[test]
fn inputs_are_rounded_to_their_dtype() {
    let mut b = B::new();
    let x = b.param(t(DType::BF16, &[1]));
    let y = b.op(Op::Unary(UnaryOp::Neg), &[x]);
    let raw = Array {
        ty: t(DType::BF16, &[1]),
        data: vec![1.0 / 3.0],
    };
    assert_eq!(b.run(y, &[raw]).data, vec![-0.333984375]);
}

#[test]
fn wrong_input_count_and_type_name_the_parameter() {
    let mut b = B::new();
    let x = b.param(t(DType::F32, &[2]));
    b.g.outputs = vec![x];
    let err = evaluate(&b.g, &[]).unwrap_err();
    let missing = Some("p0".to_string());
    assert_eq!(
        err,
        InterpError::InputCount {
            expected: 1,
            got: 0,
            missing
        }
    );
    assert!(
        err.to_string().contains("no input for parameter \"p0\""),
        "{err}"
    );
    let err = evaluate(&b.g, &[f32a(&[3], &[1.0, 2.0, 3.0])]).unwrap_err();
    assert!(
        matches!(&err, InterpError::InputType { index: 0, name, .. } if name == "p0"),
        "{err}"
    );
    assert!(err.to_string().contains("\"p0\""), "{err}");
    let bad = Array {
        ty: t(DType::F32, &[2]),
        data: vec![1.0],
    };
    let err = evaluate(&b.g, &[bad]).unwrap_err();
    assert!(
        matches!(
            err,
            InterpError::InputLength {
                expected: 2,
                got: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(Array::new(t(DType::F32, &[2]), vec![1.0]).is_err());
}

#[test]
fn invalid_graphs_are_rejected_not_evaluated() {
    let mut b = B::new();
    let x = b.param(t(DType::F32, &[2]));
    let y = b.op(Op::Unary(UnaryOp::Exp), &[x]);
    b.g.outputs = vec![y];
    b.g.nodes[1].ty = t(DType::F32, &[3]);
    let err = evaluate(&b.g, &[f32a(&[2], &[0.0, 0.0])]).unwrap_err();
    assert!(matches!(err, InterpError::Graph(_)), "{err}");
    b.g.nodes[1].ty = t(DType::F32, &[2]);
    b.g.outputs = vec![flash_ir::ValueId(7)];
    assert!(matches!(
        evaluate(&b.g, &[f32a(&[2], &[0.0, 0.0])]),
        Err(InterpError::Graph(_))
    ));
}

#[test]
fn gather_from_an_empty_table_is_an_error() {
    let mut b = B::new();
    let table = b.param(t(DType::F32, &[0, 2]));
    let idx = b.param(t(DType::I32, &[1]));
    let g = b.op(Op::Gather, &[table, idx]);
    b.g.outputs = vec![g];
    let inputs = [f32a(&[0, 2], &[]), arr(DType::I32, &[1], &[0.0])];
    let err = evaluate(&b.g, &inputs).unwrap_err();
    assert!(
        matches!(err, InterpError::EmptyGatherTable { count: 1, .. }),
        "{err}"
    );
}

#[test]
fn million_element_tensors_and_a_300_cube_matmul_are_fast() {
    let n = 1000;
    let mut b = B::new();
    let x = b.param(t(DType::F32, &[n, n]));
    let e = b.op(Op::Unary(UnaryOp::Tanh), &[x]);
    let tr = b.op(Op::Transpose { perm: vec![1, 0] }, &[e]);
    let s = b.op(Op::Binary(BinaryOp::Add), &[e, tr]);
    let r = b.op(
        Op::Reduce {
            kind: ReduceKind::Sum,
            dims: vec![0],
        },
        &[s],
    );
    let br = b.op(
        Op::BroadcastInDim {
            shape: vec![n, n],
            dims: vec![1],
        },
        &[r],
    );
    let c = b.op(
        Op::Cumsum {
            dim: 1,
            exclusive: true,
            reverse: false,
        },
        &[br],
    );
    let m = 300;
    let sl = b.op(
        Op::Slice {
            start: vec![0, 0],
            limit: vec![m, m],
            stride: vec![1, 1],
        },
        &[c],
    );
    let dims = DotDims {
        lhs_batch: vec![],
        rhs_batch: vec![],
        lhs_contract: vec![1],
        rhs_contract: vec![0],
        out: DType::F32,
    };
    let d = b.op(Op::DotGeneral(dims), &[sl, sl]);
    b.g.outputs = vec![d];
    let input = Array::from_fn(TensorType::new(DType::F32, [n, n]), |i| {
        ((i[0] * 7 + i[1]) % 13) as f64 - 6.0
    });
    let start = Instant::now();
    let out = evaluate(&b.g, &[input]).unwrap();
    let took = start.elapsed();
    assert_eq!(out[0].shape(), &[m, m]);
    // The target is well under a second; the bound is loose for slow, shared test machines.
    assert!(took.as_secs_f64() < 5.0, "took {took:?}");
    eprintln!("large graph: {took:?}");
}
