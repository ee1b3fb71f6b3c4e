//! Graphs built through the DSL have the expected IR: ops, types, scopes, parameter names,
//! explicit broadcasts, splatted scalars and the user's call sites.

use flash::dsl::{embedding, where_, Ctx, DType, Tensor};
use flash::ir::{BinaryOp, Graph, Literal, Node, Op, ReduceKind, UnaryOp};

const FILE: &str = "tests/dsl_build.rs";

/// The op names of `g`'s nodes, in order.
fn ops(g: &Graph) -> Vec<&'static str> {
    g.nodes.iter().map(|n| n.op.name()).collect()
}

/// The node that defines tensor `t`.
fn node<'g>(g: &'g Graph, t: &Tensor) -> &'g Node {
    g.node(t.id().expect("tensor is not poisoned"))
}

fn build(ctx: Ctx, outputs: &[&Tensor]) -> Graph {
    ctx.finish(outputs).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn mlp_layer_has_scoped_params_and_expected_ops() {
    let ctx = Ctx::new("mlp");
    let x = ctx.input("x", DType::F32, &[8, 16]);
    let y = ctx.scope("layers.0", |ctx| {
        let w = ctx.param("w", DType::F32, &[16, 4]);
        let b = ctx.param("b", DType::F32, &[4]);
        (x.matmul(&w) + &b).relu()
    });
    let g = build(ctx, &[&y]);
    let names: Vec<_> = g
        .params()
        .iter()
        .map(|&p| g.param_name(p).unwrap().to_string())
        .collect();
    assert_eq!(names, ["x", "layers.0.w", "layers.0.b"]);
    let expected = [
        "parameter",
        "parameter",
        "parameter",
        "dot_general",
        "broadcast_in_dim",
        "add",
        "constant",
        "max",
    ];
    assert_eq!(ops(&g), expected);
    assert_eq!(g.ty(g.outputs[0]).to_string(), "f32[8,4]");
    assert!(g.nodes[3..].iter().all(|n| &*n.scope == "layers.0"));
    assert_eq!(&*g.nodes[0].scope, "");
}

#[test]
fn broadcasting_inserts_explicit_broadcast_in_dim() {
    let ctx = Ctx::default();
    let a = ctx.input("a", DType::F32, &[2, 1]);
    let b = ctx.input("b", DType::F32, &[1, 3]);
    let c = ctx.input("c", DType::F32, &[3]);
    let ab = &a * &b;
    let abc = &ab - &c;
    let g = build(ctx, &[&abc]);
    assert_eq!(
        ops(&g)[3..],
        [
            "broadcast_in_dim",
            "broadcast_in_dim",
            "mul",
            "broadcast_in_dim",
            "sub"
        ]
    );
    let dims = |i: usize| match &g.nodes[i].op {
        Op::BroadcastInDim { shape, dims } => (shape.clone(), dims.clone()),
        other => panic!("expected broadcast_in_dim, got {other:?}"),
    };
    assert_eq!(dims(3), (vec![2, 3], vec![0, 1]));
    assert_eq!(dims(4), (vec![2, 3], vec![0, 1]));
    assert_eq!(dims(6), (vec![2, 3], vec![1]));
    assert_eq!(g.ty(g.outputs[0]).to_string(), "f32[2,3]");
}

#[test]
fn equal_shapes_need_no_broadcast() {
    let ctx = Ctx::default();
    let a = ctx.input("a", DType::F32, &[2, 3]);
    let y = &a / &a;
    let g = build(ctx, &[&y]);
    assert_eq!(ops(&g), ["parameter", "div"]);
}

#[test]
fn scalars_become_splats_of_the_tensor_dtype() {
    let ctx = Ctx::default();
    let x = ctx.input("x", DType::BF16, &[2, 3]);
    let y = 2.0 - &x;
    let z = -(y * 0.5);
    let g = build(ctx, &[&z]);
    assert_eq!(
        ops(&g),
        ["parameter", "constant", "sub", "constant", "mul", "neg"]
    );
    assert_eq!(
        g.nodes[1].op,
        Op::Constant {
            value: Literal::Splat(2.0),
            ty: g.nodes[0].ty.clone()
        }
    );
    assert_eq!(
        g.nodes[2].operands,
        [flash::ir::ValueId(1), flash::ir::ValueId(0)],
        "2 - x keeps the order"
    );
    assert_eq!(g.nodes[3].ty.to_string(), "bf16[2,3]");
}

#[test]
fn every_operator_combination_compiles_and_builds() {
    let ctx = Ctx::default();
    let a = ctx.input("a", DType::F32, &[2]);
    let b = ctx.input("b", DType::F32, &[2]);
    let outs = [
        a.clone() + b.clone(),
        a.clone() - &b,
        &a * b.clone(),
        &a / &b,
        a.clone() + 1.0,
        &a - 1.0,
        3.0 * a.clone(),
        3.0 / &a,
        -a.clone(),
        -&a,
    ];
    let g = build(ctx, &outs.iter().collect::<Vec<_>>());
    assert_eq!(g.outputs.len(), 10);
}

#[test]
fn nested_scopes_and_guards_name_params_and_nodes() {
    let ctx = Ctx::default();
    let x = ctx.input("x", DType::F32, &[4]);
    let y = ctx.scope("layers.1", |ctx| {
        let _attn = ctx.push_scope("attn");
        assert_eq!(ctx.scope_path(), "layers.1.attn");
        let g = ctx.param("gain", DType::F32, &[4]);
        &x * &g
    });
    assert_eq!(ctx.scope_path(), "");
    let w = ctx.param("w", DType::F32, &[4]);
    let z = &y + &w;
    let g = build(ctx, &[&z]);
    let names: Vec<_> = g
        .params()
        .iter()
        .map(|&p| g.param_name(p).unwrap())
        .collect();
    assert_eq!(names, ["x", "layers.1.attn.gain", "w"]);
    assert_eq!(&*node(&g, &y).scope, "layers.1.attn");
    assert_eq!(&*node(&g, &z).scope, "");
}

#[test]
fn nodes_record_the_callers_line() {
    let ctx = Ctx::default();
    let x = ctx.input("x", DType::F32, &[2, 3]);
    let input_line = line!() - 1;
    let y = &x + 1.0;
    let add_line = line!() - 1;
    let s = x.softmax(-1);
    let softmax_line = line!() - 1;
    let g = build(ctx, &[&y, &s]);
    let loc = &g.nodes[0].loc;
    assert_eq!(
        (&*loc.file, loc.line, loc.col),
        (FILE, input_line, 17),
        "a method call records its name"
    );
    let add = node(&g, &y);
    assert_eq!(
        (add.loc.line, add.loc.col),
        (add_line, 13),
        "an operator records its expression"
    );
    assert_eq!(g.nodes[1].loc.line, add_line, "the splat constant too");
    let softmax_nodes = &g.nodes[3..];
    assert!(softmax_nodes.len() >= 6);
    assert!(softmax_nodes
        .iter()
        .all(|n| n.loc.line == softmax_line && &*n.loc.file == FILE));
}

#[test]
fn shape_ops_build_the_expected_types() {
    let ctx = Ctx::default();
    let x = ctx.input("x", DType::F32, &[2, 3, 4]);
    let ty = |t: &Tensor| t.ty().unwrap().to_string();
    assert_eq!(ty(&x.reshape(&[-1, 4])), "f32[6,4]");
    assert_eq!(ty(&x.reshape(&[2usize, 12])), "f32[2,12]");
    assert_eq!(ty(&x.flatten()), "f32[24]");
    assert_eq!(ty(&x.permute(&[2, 0, 1])), "f32[4,2,3]");
    assert_eq!(ty(&x.permute(&[-1, 0, 1])), "f32[4,2,3]");
    assert_eq!(ty(&x.transpose(0, -1)), "f32[4,3,2]");
    assert_eq!(ty(&x.t()), "f32[2,4,3]");
    assert_eq!(ty(&x.unsqueeze(-1)), "f32[2,3,4,1]");
    assert_eq!(ty(&x.unsqueeze(0).squeeze(0)), "f32[2,3,4]");
    assert_eq!(ty(&x.slice(-1, 1, -1)), "f32[2,3,2]");
    assert_eq!(ty(&x.slice_step(2, 0, 4, 2)), "f32[2,3,2]");
    assert_eq!(ty(&x.broadcast_to(&[5, 2, 3, 4])), "f32[5,2,3,4]");
    assert_eq!(ty(&x.pad_axis(1, 1, 2, 0.0)), "f32[2,6,4]");
    assert_eq!(ty(&x.pad(&[0, 0, -1], &[1, 0, 0], 0.0)), "f32[3,3,3]");
    let parts = x.split(-1, &[1, 3]);
    assert_eq!(
        parts.iter().map(ty).collect::<Vec<_>>(),
        ["f32[2,3,1]", "f32[2,3,3]"]
    );
    assert_eq!(ty(&ctx.concat(&parts, 2)), "f32[2,3,4]");
    assert_eq!(ty(&ctx.concat(&[&x, &x], 0)), "f32[4,3,4]");
    assert!(ctx.finish(&[x]).is_ok());
}

#[test]
fn reshape_to_the_same_shape_and_identity_permute_add_no_node() {
    let ctx = Ctx::default();
    let x = ctx.input("x", DType::F32, &[2, 3]);
    let before = ctx.num_nodes();
    let y = x.reshape(&[2, -1]).permute(&[0, 1]).cast(DType::F32);
    assert_eq!(ctx.num_nodes(), before);
    assert_eq!(y.id(), x.id());
}

#[test]
fn reductions_drop_or_keep_axes() {
    let ctx = Ctx::default();
    let x = ctx.input("x", DType::F32, &[2, 3, 4]);
    let ty = |t: &Tensor| t.ty().unwrap().to_string();
    assert_eq!(ty(&x.sum(&[-1], false)), "f32[2,3]");
    assert_eq!(ty(&x.sum(&[0, 2], true)), "f32[1,3,1]");
    assert_eq!(ty(&x.mean(&[1], true)), "f32[2,1,4]");
    assert_eq!(ty(&x.max(&[1], false)), "f32[2,4]");
    assert_eq!(ty(&x.min(&[-2], false)), "f32[2,4]");
    assert_eq!(ty(&x.sum_all()), "f32[]");
    assert_eq!(ty(&x.mean_all()), "f32[]");
    assert_eq!(ty(&x.cumsum(-1, true, false)), "f32[2,3,4]");
    let before = ctx.num_nodes();
    let m = x.mean(&[2], false);
    let g = build(ctx, &[&m]);
    assert_eq!(ops(&g)[before..], ["reduce", "constant", "div"]);
    assert_eq!(
        g.nodes[before].op,
        Op::Reduce {
            kind: ReduceKind::Sum,
            dims: vec![2]
        }
    );
    assert_eq!(
        g.nodes[before + 1].op,
        Op::Constant {
            value: Literal::Splat(4.0),
            ty: g.nodes[before].ty.clone()
        }
    );
}

#[test]
fn matmul_follows_numpy_semantics() {
    let ctx = Ctx::default();
    let ty = |t: &Tensor| t.ty().unwrap().to_string();
    let a = ctx.input("a", DType::F32, &[2, 3, 4]);
    let w = ctx.input("w", DType::F32, &[4, 5]);
    let bw = ctx.input("bw", DType::F32, &[2, 4, 5]);
    let m = ctx.input("m", DType::F32, &[3, 4]);
    let v = ctx.input("v", DType::F32, &[4]);
    assert_eq!(ty(&a.matmul(&w)), "f32[2,3,5]");
    assert_eq!(ty(&a.matmul(&bw)), "f32[2,3,5]");
    assert_eq!(ty(&m.matmul(&bw)), "f32[2,3,5]");
    assert_eq!(ty(&a.matmul(&v)), "f32[2,3]");
    assert_eq!(ty(&v.matmul(&w)), "f32[5]");
    assert_eq!(ty(&v.matmul(&v)), "f32[]");
    let q = ctx.input("q", DType::F32, &[2, 1, 3, 4]);
    let k = ctx.input("k", DType::F32, &[5, 4, 3]);
    assert_eq!(ty(&q.matmul(&k)), "f32[2,5,3,3]");
    let before = ctx.num_nodes();
    let y = m.matmul(&bw);
    let g = build(ctx, &[&y]);
    assert_eq!(ops(&g)[before..], ["broadcast_in_dim", "dot_general"]);
}

#[test]
fn softmax_subtracts_the_max_first() {
    let ctx = Ctx::default();
    let x = ctx.input("x", DType::F32, &[2, 3]);
    let y = x.softmax(1);
    let g = build(ctx, &[&y]);
    let expected = [
        "parameter",
        "reduce",
        "broadcast_in_dim",
        "sub",
        "exp",
        "reduce",
        "broadcast_in_dim",
        "div",
    ];
    assert_eq!(ops(&g), expected);
    assert_eq!(
        g.nodes[1].op,
        Op::Reduce {
            kind: ReduceKind::Max,
            dims: vec![1]
        }
    );
    assert_eq!(
        g.nodes[3].operands,
        [flash::ir::ValueId(0), flash::ir::ValueId(2)]
    );
}

#[test]
fn activations_and_log_softmax_keep_the_type() {
    let ctx = Ctx::default();
    let x = ctx.input("x", DType::F32, &[2, 3]);
    let outs = [
        x.relu(),
        x.relu2(),
        x.silu(),
        x.gelu(),
        x.log_softmax(-1),
        x.logsumexp(-1, true),
        x.exp()
            .log()
            .tanh()
            .sigmoid()
            .sqrt()
            .rsqrt()
            .sin()
            .cos()
            .abs()
            .neg()
            .square(),
        x.pow(2.0).maximum(0.0).minimum(&x),
    ];
    let tys: Vec<String> = outs.iter().map(|t| t.ty().unwrap().to_string()).collect();
    assert!(tys[..5].iter().chain(&tys[6..]).all(|t| t == "f32[2,3]"));
    assert_eq!(tys[5], "f32[2,1]");
    let g = build(ctx, &outs.iter().collect::<Vec<_>>());
    let silu = node(&g, &outs[2]);
    assert_eq!(silu.op, Op::Binary(BinaryOp::Mul));
    assert_eq!(g.node(silu.operands[1]).op, Op::Unary(UnaryOp::Logistic));
}

#[test]
fn comparisons_give_bool_and_where_selects() {
    let ctx = Ctx::default();
    let x = ctx.input("x", DType::F32, &[2, 3]);
    let mask = x.gt(0.0);
    assert_eq!(mask.dtype(), DType::Bool);
    for m in [x.lt(&x), x.le(1.0), x.ge(1.0), x.eq(&x), x.ne(2.0)] {
        assert_eq!(m.ty().unwrap().to_string(), "bool[2,3]");
    }
    let row = ctx.input("row", DType::F32, &[3]);
    let y = where_(&mask, &row, -1e9);
    let g = build(ctx, &[&y]);
    let sel = node(&g, &y);
    assert_eq!(sel.op, Op::Select);
    assert_eq!(g.node(sel.operands[1]).op.name(), "broadcast_in_dim");
    assert_eq!(g.node(sel.operands[2]).op.name(), "constant");
    assert_eq!(sel.ty.to_string(), "f32[2,3]");
}

#[test]
fn constants_iota_gather_and_cast() {
    let ctx = Ctx::default();
    let table = ctx.param("embed", DType::F32, &[10, 4]);
    let ids = ctx.input("ids", DType::I32, &[2, 5]);
    let e = embedding(&table, &ids);
    assert_eq!(e.ty().unwrap().to_string(), "f32[2,5,4]");
    let pos = ctx.iota(DType::I32, &[5], 0);
    let c = ctx.constant_dense(&[1.0, 2.0], DType::F32, &[2]);
    let z = ctx.zeros(DType::F32, &[2]);
    let o = ctx.ones(DType::F32, &[2]);
    let s = ctx.scalar(3.0, DType::F32);
    let f = ctx.full(7.0, DType::I64, &[3]);
    let sum = &(&c + &z) * &o + &s;
    let h = pos.cast(DType::F32);
    let g = build(ctx, &[&e, &sum, &h, &f]);
    assert_eq!(node(&g, &e).op, Op::Gather);
    assert_eq!(
        node(&g, &pos).op,
        Op::Iota {
            dim: 0,
            ty: flash::ir::TensorType::new(DType::I32, [5])
        }
    );
    assert_eq!(node(&g, &h).op, Op::Convert { to: DType::F32 });
}

#[test]
fn dim_reads_sizes_with_negative_axes() {
    let ctx = Ctx::default();
    let x = ctx.input("x", DType::F32, &[2, 3, 4]);
    assert_eq!((x.dim(0), x.dim(-1), x.rank()), (2, 4, 3));
    assert_eq!(format!("{x:?}"), "Tensor(%0: f32[2,3,4])");
}

/// Replaces absolute line numbers in `loc(...)` by offsets from `base`, so the snapshot only
/// changes when the graph does.
fn relative_locs(text: &str, base: u32) -> String {
    let marker = format!("loc(\"{FILE}\":");
    text.lines()
        .map(|l| match l.split_once(&marker) {
            Some((head, tail)) => {
                let (line, rest) = tail.split_once(':').unwrap();
                let offset = line.parse::<u32>().unwrap() - base;
                format!("{head}loc(+{offset}:{rest}")
            }
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn snapshot_of_a_scoped_gated_layer() {
    let base = line!();
    let ctx = Ctx::new("gated");
    let x = ctx.input("x", DType::F32, &[2, 4]);
    let y = ctx.scope("layers.0", |ctx| {
        let w = ctx.param("w", DType::F32, &[4, 6]);
        let uv = x.matmul(&w).silu().split(-1, &[3, 3]);
        let g = ctx.param("g", DType::F32, &[3]);
        (&uv[0] * &uv[1] * &g).softmax(-1)
    });
    let g = build(ctx, &[&y]);
    insta::assert_snapshot!(relative_locs(&flash::ir::text::print_graph(&g), base));
}

#[test]
fn regions_record_the_nodes_they_add_nested_and_ascending() {
    let ctx = Ctx::new("regions");
    let x = ctx.input("x", DType::F32, &[4]);
    let (y, inner) = ctx.region("outer", || {
        let a = x.exp();
        let b = ctx.region("inner", || a.tanh() * 2.0);
        let inner_start = ctx.num_nodes() - 3;
        (b + 1.0, inner_start)
    });
    // Adding nothing records nothing.
    ctx.region("inner", || ());
    let second = ctx.region("inner", || y.sin());
    let (outer, inners) = (ctx.regions("outer"), ctx.regions("inner"));
    let g = build(ctx, &[&second]);
    assert_eq!(outer, vec![1..g.nodes.len() - 1]);
    assert_eq!(
        inners,
        vec![inner..inner + 3, g.nodes.len() - 1..g.nodes.len()]
    );
    assert_eq!(ops(&g)[inner..inner + 3], ["tanh", "constant", "mul"]);
}
