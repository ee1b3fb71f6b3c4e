//! A snapshot of the printed text form of a small attention-like graph, so format changes
//! show up in review.

use flash_ir::{
    print_graph, DType, DotDims, Graph, Literal, Location, Op, ReduceKind, TensorType, UnaryOp,
};
use std::sync::Arc;

fn loc(line: u32) -> Location {
    Location {
        file: Arc::from("src/nn/attention.rs"),
        line,
        col: 9,
    }
}

fn small_graph() -> Graph {
    let mut g = Graph::new("main");
    let scope: Arc<str> = Arc::from("layers.0.attn");
    let ty = TensorType::new(DType::F32, [2, 4]);
    let x = g
        .add(
            Op::Parameter {
                index: 0,
                name: "x".into(),
                ty: ty.clone(),
            },
            vec![],
            loc(3),
            Arc::from(""),
        )
        .unwrap();
    let w = Op::Parameter {
        index: 1,
        name: "layers.0.attn.w".into(),
        ty: TensorType::new(DType::F32, [4, 4]),
    };
    let w = g.add(w, vec![], loc(4), scope.clone()).unwrap();
    let dims = DotDims {
        lhs_batch: vec![],
        rhs_batch: vec![],
        lhs_contract: vec![1],
        rhs_contract: vec![0],
        out: DType::F32,
    };
    let h = g
        .add(Op::DotGeneral(dims), vec![x, w], loc(7), scope.clone())
        .unwrap();
    let m = g
        .add(
            Op::Reduce {
                kind: ReduceKind::Max,
                dims: vec![1],
            },
            vec![h],
            loc(8),
            scope.clone(),
        )
        .unwrap();
    let mb = Op::BroadcastInDim {
        shape: vec![2, 4],
        dims: vec![0],
    };
    let mb = g.add(mb, vec![m], loc(8), scope.clone()).unwrap();
    let d = g
        .add(
            Op::Binary(flash_ir::BinaryOp::Sub),
            vec![h, mb],
            loc(9),
            scope.clone(),
        )
        .unwrap();
    let e = g
        .add(Op::Unary(UnaryOp::Exp), vec![d], loc(9), scope.clone())
        .unwrap();
    let half = Op::Constant {
        value: Literal::Dense(vec![0.5, -0.0, 1e-30, f64::INFINITY]),
        ty: TensorType::new(DType::F32, [4]),
    };
    let half = g
        .add(half, vec![], Location::unknown(), scope.clone())
        .unwrap();
    let hb = Op::BroadcastInDim {
        shape: vec![2, 4],
        dims: vec![1],
    };
    let hb = g
        .add(hb, vec![half], Location::unknown(), scope.clone())
        .unwrap();
    let out = g
        .add(
            Op::Binary(flash_ir::BinaryOp::Mul),
            vec![e, hb],
            loc(10),
            scope,
        )
        .unwrap();
    let ids = Op::Iota {
        dim: 0,
        ty: TensorType::new(DType::I32, [2]),
    };
    let ids = g
        .add(ids, vec![], Location::unknown(), Arc::from(""))
        .unwrap();
    g.outputs = vec![out, ids];
    g.aliases = vec![(0, 0)];
    g
}

#[test]
fn small_graph_text() {
    insta::assert_snapshot!(print_graph(&small_graph()));
}
