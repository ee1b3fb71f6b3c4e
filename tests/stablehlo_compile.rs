//! Every emitted program compiled by the real XLA CPU plugin (its StableHLO parser and
//! verifier judge the text): one small graph per op kind and per dtype the IR allows for it.
//! `stablehlo_run.rs` runs some of them and checks the numbers.

mod stablehlo_support;

use flash_ir::{
    BinaryOp, CmpDir, DType, DotDims, Graph, Literal, Op, ReduceKind, TensorType, UnaryOp,
};
use stablehlo_support::{self as s, Builder};

/// Labelled graphs, one per dtype for which the IR accepts `make`'s op.
fn per_dtype(label: &str, make: impl Fn(DType) -> Option<Graph>) -> Vec<(String, Graph)> {
    DType::ALL
        .into_iter()
        .filter_map(|d| make(d).map(|g| (format!("{label} {d}"), g)))
        .collect()
}

#[test]
fn snapshot_graphs_compile() {
    let graphs: Vec<(String, Graph)> = s::snapshot_graphs()
        .into_iter()
        .map(|g| (g.name.clone(), g))
        .collect();
    s::compile_all(&graphs);
}

#[test]
fn constant_splat_and_dense_every_dtype() {
    let mut graphs = Vec::new();
    for d in DType::ALL {
        let mut b = Builder::new("constants");
        let (one, zero) = (1.0, 0.0);
        let splat = b.splat(one, d, &[2, 3]);
        let scalar = b.splat(zero, d, &[]);
        let dense = b.dense(&[1.0, 0.0, 1.0, 1.0, 0.0, 0.0], d, &[2, 1, 3]);
        let dense_scalar = b.dense(&[1.0], d, &[]);
        let empty = b.dense(&[], d, &[0, 3]);
        let empty_splat = b.splat(one, d, &[2, 0]);
        b.outputs(&[splat, scalar, dense, dense_scalar, empty, empty_splat]);
        graphs.push((format!("constants {d}"), b.finish()));
    }
    s::compile_all(&graphs);
}

#[test]
fn constant_special_float_values() {
    let values = [
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        -0.0,
        0.1,
        -2.5e-3,
        1e-45,
        3.4e38,
        65504.0,
        1e300,
        f64::MIN_POSITIVE,
    ];
    let graphs = per_dtype("special floats", |d| {
        if !d.is_float() {
            return None;
        }
        let mut b = Builder::new("special");
        let dense = b.dense(&values, d, &[values.len()]);
        let inf = b.splat(f64::NEG_INFINITY, d, &[2]);
        let nan = b.splat(f64::NAN, d, &[]);
        Some(b.outputs(&[dense, inf, nan]).finish())
    });
    s::compile_all(&graphs);
}

#[test]
fn constant_integer_extremes() {
    let mut b = Builder::new("ints");
    let a = b.dense(&[-2147483648.0, 2147483647.0, 0.0, -1.0], DType::I32, &[4]);
    let c = b.dense(
        &[i64::MIN as f64, 9007199254740992.0, 0.0, -1.0],
        DType::I64,
        &[4],
    );
    b.outputs(&[a, c]);
    s::compile_all(&[("int extremes".into(), b.finish())]);
}

#[test]
fn iota_every_dtype() {
    let graphs = per_dtype("iota", |d| {
        let mut b = Builder::new("iota");
        let ty = TensorType::new(d, [3, 4]);
        let a = b
            .try_op(
                Op::Iota {
                    dim: 1,
                    ty: ty.clone(),
                },
                &[],
            )
            .ok()?;
        let c = b.try_op(Op::Iota { dim: 0, ty }, &[]).ok()?;
        Some(b.outputs(&[a, c]).finish())
    });
    assert_eq!(graphs.len(), DType::ALL.len());
    s::compile_all(&graphs);
}

#[test]
fn unary_every_op_and_dtype() {
    let mut graphs = Vec::new();
    for u in UnaryOp::ALL {
        graphs.extend(per_dtype(u.name(), |d| {
            s::unary_graph("unary", Op::Unary(u), d, &[2, 3])
        }));
    }
    // 8 float-only ops x 4 float dtypes + neg, abs x 6 numeric dtypes.
    assert_eq!(graphs.len(), 8 * 4 + 2 * 6);
    s::compile_all(&graphs);
}

#[test]
fn binary_every_op_and_dtype() {
    let mut graphs = Vec::new();
    for op in BinaryOp::ALL {
        graphs.extend(per_dtype(op.name(), |d| {
            let t = TensorType::new(d, [2, 3]);
            s::binary_graph("binary", Op::Binary(op), &t, &t)
        }));
    }
    // 6 ops x 6 numeric dtypes + pow x 4 float dtypes.
    assert_eq!(graphs.len(), 6 * 6 + 4);
    s::compile_all(&graphs);
}

#[test]
fn compare_every_direction_and_dtype() {
    let mut graphs = Vec::new();
    for dir in CmpDir::ALL {
        graphs.extend(per_dtype(dir.name(), |d| {
            let t = TensorType::new(d, [3]);
            s::binary_graph("compare", Op::Compare(dir), &t, &t)
        }));
    }
    assert_eq!(graphs.len(), 6 * 7);
    s::compile_all(&graphs);
}

#[test]
fn select_every_dtype() {
    let graphs = per_dtype("select", |d| {
        let mut b = Builder::new("select");
        let p = b.param("p", DType::Bool, &[2, 2]);
        let x = b.param("x", d, &[2, 2]);
        let y = b.param("y", d, &[2, 2]);
        let z = b.op(Op::Select, &[p, x, y]);
        Some(b.outputs(&[z]).finish())
    });
    s::compile_all(&graphs);
}

#[test]
fn convert_every_dtype_pair() {
    let mut graphs = Vec::new();
    for from in DType::ALL {
        graphs.extend(per_dtype(&format!("convert {from} ->"), |to| {
            s::unary_graph("convert", Op::Convert { to }, from, &[4])
        }));
    }
    assert_eq!(graphs.len(), 49);
    s::compile_all(&graphs);
}

#[test]
fn data_movement_every_dtype() {
    let graphs = per_dtype("data movement", |d| {
        let mut b = Builder::new("movement");
        let x = b.param("x", d, &[2, 3]);
        let row = b.param("row", d, &[3]);
        let bc = b.op(
            Op::BroadcastInDim {
                shape: vec![2, 4, 3],
                dims: vec![0, 2],
            },
            &[x],
        );
        let bc1 = b.op(
            Op::BroadcastInDim {
                shape: vec![5, 3],
                dims: vec![1],
            },
            &[row],
        );
        let rs = b.op(
            Op::Reshape {
                shape: vec![3, 1, 2],
            },
            &[x],
        );
        let one = b.op(
            Op::Slice {
                start: vec![2],
                limit: vec![3],
                stride: vec![1],
            },
            &[row],
        );
        let sc = b.op(Op::Reshape { shape: vec![] }, &[one]);
        let up = b.op(Op::Reshape { shape: vec![1, 1] }, &[sc]);
        let bs = b.op(
            Op::BroadcastInDim {
                shape: vec![2, 2],
                dims: vec![],
            },
            &[sc],
        );
        let tr = b.op(Op::Transpose { perm: vec![1, 0] }, &[x]);
        let sl = b.op(
            Op::Slice {
                start: vec![0, 1],
                limit: vec![2, 3],
                stride: vec![1, 1],
            },
            &[x],
        );
        let st = b.op(
            Op::Slice {
                start: vec![1, 0],
                limit: vec![2, 3],
                stride: vec![1, 2],
            },
            &[x],
        );
        let c1 = b.op(Op::Concatenate { dim: 0 }, &[x]);
        let c3 = b.op(Op::Concatenate { dim: 1 }, &[x, x, x]);
        Some(
            b.outputs(&[bc, bc1, rs, sc, up, bs, tr, sl, st, c1, c3])
                .finish(),
        )
    });
    assert_eq!(graphs.len(), 7);
    s::compile_all(&graphs);
}

#[test]
fn pad_every_dtype_with_negative_and_interior_padding() {
    let graphs = per_dtype("pad", |d| {
        let mut b = Builder::new("pad");
        let x = b.param("x", d, &[2, 3]);
        let v = b.param("v", d, &[]);
        let p = b.op(
            Op::Pad {
                low: vec![1, -1],
                high: vec![0, 2],
                interior: vec![1, 0],
            },
            &[x, v],
        );
        let q = b.op(
            Op::Pad {
                low: vec![0, 0],
                high: vec![0, 0],
                interior: vec![0, 0],
            },
            &[x, v],
        );
        Some(b.outputs(&[p, q]).finish())
    });
    assert_eq!(graphs.len(), 7);
    s::compile_all(&graphs);
}

#[test]
fn reduce_sum_and_max_every_numeric_dtype() {
    let mut graphs = Vec::new();
    for kind in [ReduceKind::Sum, ReduceKind::Max] {
        graphs.extend(per_dtype(kind.name(), |d| {
            let mut b = Builder::new("reduce");
            let x = b.param("x", d, &[2, 3, 4]);
            let mut outs = Vec::new();
            for dims in [vec![1], vec![0, 2], vec![0, 1, 2], vec![]] {
                outs.push(b.try_op(Op::Reduce { kind, dims }, &[x]).ok()?);
            }
            Some(b.outputs(&outs).finish())
        }));
    }
    assert_eq!(graphs.len(), 2 * 6);
    s::compile_all(&graphs);
}

#[test]
fn reduce_window_sum_and_max_every_numeric_dtype() {
    let mut graphs = Vec::new();
    for kind in [ReduceKind::Sum, ReduceKind::Max] {
        graphs.extend(per_dtype(kind.name(), |d| {
            let mut b = Builder::new("reduce_window");
            let x = b.param("x", d, &[2, 5]);
            let prefix = Op::ReduceWindow {
                kind,
                window: vec![1, 5],
                strides: vec![1, 1],
                padding: vec![(0, 0), (4, 0)],
            };
            let pooled = Op::ReduceWindow {
                kind,
                window: vec![2, 2],
                strides: vec![1, 2],
                padding: vec![(0, 0), (0, 1)],
            };
            let y = b.try_op(prefix, &[x]).ok()?;
            let z = b.try_op(pooled, &[x]).ok()?;
            Some(b.outputs(&[y, z]).finish())
        }));
    }
    assert_eq!(graphs.len(), 2 * 6);
    s::compile_all(&graphs);
}

#[test]
fn reduce_window_of_a_scalar() {
    let mut b = Builder::new("reduce_window_scalar");
    let x = b.param("x", DType::F32, &[]);
    let op = Op::ReduceWindow {
        kind: ReduceKind::Sum,
        window: vec![],
        strides: vec![],
        padding: vec![],
    };
    let y = b.op(op, &[x]);
    s::compile_all(&[("scalar reduce_window".into(), b.outputs(&[y]).finish())]);
}

/// Dot products with batch dims, several contracting dims, none (outer product).
fn dot_graphs(a: DType, b_dt: DType, out: DType) -> Option<Graph> {
    let mut b = Builder::new("dot");
    let x = b.param("x", a, &[2, 3, 4]);
    let y = b.param("y", b_dt, &[2, 4, 5]);
    let v = b.param("v", a, &[3]);
    let w = b.param("w", b_dt, &[5]);
    let bmm = DotDims {
        lhs_batch: vec![0],
        rhs_batch: vec![0],
        lhs_contract: vec![2],
        rhs_contract: vec![1],
        out,
    };
    let two = DotDims {
        lhs_batch: vec![],
        rhs_batch: vec![],
        lhs_contract: vec![0, 2],
        rhs_contract: vec![0, 1],
        out,
    };
    let outer = DotDims {
        lhs_batch: vec![],
        rhs_batch: vec![],
        lhs_contract: vec![],
        rhs_contract: vec![],
        out,
    };
    let p = b.try_op(Op::DotGeneral(bmm), &[x, y]).ok()?;
    let q = b.try_op(Op::DotGeneral(two), &[x, y]).ok()?;
    let r = b.try_op(Op::DotGeneral(outer), &[v, w]).ok()?;
    Some(b.outputs(&[p, q, r]).finish())
}

#[test]
fn dot_general_every_dtype_combination() {
    let mut graphs = Vec::new();
    for a in DType::ALL {
        for b in DType::ALL {
            for out in DType::ALL {
                if let Some(g) = dot_graphs(a, b, out) {
                    graphs.push((format!("dot {a} x {b} -> {out}"), g));
                }
            }
        }
    }
    // Float pairs (4) x float results (4); int pairs (4) x any result (7).
    assert_eq!(graphs.len(), 4 * 4 + 4 * 7);
    s::compile_all(&graphs);
}

#[test]
fn gather_every_table_and_index_dtype() {
    let mut graphs = Vec::new();
    for idx in [DType::I32, DType::I64] {
        graphs.extend(per_dtype(&format!("gather {idx} from"), |d| {
            let mut b = Builder::new("gather");
            let table = b.param("table", d, &[5, 2, 3]);
            let vec = b.param("vec", d, &[5]);
            let ids = b.param("ids", idx, &[4, 2]);
            let one = b.param("one", idx, &[]);
            let rows = b.op(Op::Gather, &[table, ids]);
            let row = b.op(Op::Gather, &[table, one]);
            let elems = b.op(Op::Gather, &[vec, ids]);
            let elem = b.op(Op::Gather, &[vec, one]);
            Some(b.outputs(&[rows, row, elems, elem]).finish())
        }));
    }
    assert_eq!(graphs.len(), 2 * 7);
    s::compile_all(&graphs);
}

#[test]
fn awkward_names_and_locations() {
    let mut b = Builder::new("odd name-with \"quotes\"");
    let x = b.param("x \"quoted\" \\ back\tslash", DType::F32, &[2]);
    b.scope("layers.0.\"attn\"");
    let loc = flash_ir::Location {
        file: "src/we\"ird\\path.rs".into(),
        line: 7,
        col: 1,
    };
    let y = b.op_at(Op::Unary(UnaryOp::Neg), &[x], loc.clone());
    let z = b.op_at(Op::Unary(UnaryOp::Abs), &[y], loc);
    b.scope("");
    let c = b.op(
        Op::Constant {
            value: Literal::Splat(2.0),
            ty: TensorType::new(DType::F32, [2]),
        },
        &[],
    );
    let w = b.op(Op::Binary(BinaryOp::Mul), &[z, c]);
    s::compile_all(&[("awkward names".into(), b.outputs(&[w, x]).finish())]);
}

#[test]
fn graph_without_outputs_and_empty_name() {
    let mut b = Builder::new("");
    let _ = b.param("x", DType::F32, &[2]);
    s::compile_all(&[("no outputs".into(), b.finish())]);
}

#[test]
fn output_repeated_and_parameter_returned_directly() {
    let mut b = Builder::new("passthrough");
    let x = b.param("x", DType::F32, &[2]);
    let y = b.op(Op::Unary(UnaryOp::Exp), &[x]);
    let mut g = b.outputs(&[x, y, y]).finish();
    g.aliases = vec![(0, 0)];
    s::compile_all(&[("passthrough".into(), g)]);
}
