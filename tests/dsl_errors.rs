//! Misuse of the DSL never panics: the first error is recorded with the user's line, the op
//! and the failed constraint; later ops are no-ops on poisoned tensors.

use flash::dsl::{Ctx, DType, DotDims, DslError, Tensor};

const FILE: &str = "tests/dsl_errors.rs";

/// The error `finish` returns for outputs `outs`.
fn finish_err(ctx: Ctx, outs: &[&Tensor]) -> DslError {
    match ctx.finish(outs) {
        Ok(g) => panic!(
            "expected an error, got a graph with {} nodes",
            g.nodes.len()
        ),
        Err(e) => e,
    }
}

/// Asserts that `e` is at `line` of this file, from `op`, citing `constraint`.
#[track_caller]
fn assert_err(e: &DslError, line: u32, op: &str, constraint: &str) {
    assert_eq!((&*e.loc.file, e.loc.line), (FILE, line), "{e}");
    assert_eq!((e.op, e.constraint()), (op, constraint), "{e}");
    assert!(e.to_string().starts_with(&format!("{FILE}:{line}:")), "{e}");
}

fn f32_input(ctx: &Ctx, name: &str, shape: &[usize]) -> Tensor {
    ctx.input(name, DType::F32, shape)
}

#[test]
fn c1_shape_mismatch_renders_call_site_op_and_constraint() {
    let ctx = Ctx::default();
    let a = f32_input(&ctx, "a", &[2, 3]);
    let b = f32_input(&ctx, "b", &[3, 2]);
    let y = &a + &b;
    let line = line!() - 1;
    assert!(y.is_poisoned());
    let e = finish_err(ctx, &[&y]);
    let expected = format!("{FILE}:{line}:13: add: C1: operand types differ: f32[2,3] vs f32[3,2]");
    assert_eq!(e.to_string(), expected);
}

#[test]
fn c1_dtype_mismatch_is_not_promoted() {
    let ctx = Ctx::default();
    let a = f32_input(&ctx, "a", &[2, 3]);
    let b = ctx.input("b", DType::BF16, &[3]);
    let y = a.maximum(&b);
    let line = line!() - 1;
    let e = finish_err(ctx, &[&y]);
    assert_err(&e, line, "maximum", "C1");
    assert!(
        e.to_string()
            .ends_with("maximum: max: C1: operand types differ: f32[2,3] vs bf16[3]"),
        "{e}"
    );
}

#[test]
fn c2_arithmetic_on_bool_and_pow_on_int() {
    let ctx = Ctx::default();
    let m = f32_input(&ctx, "a", &[2]).gt(0.0);
    let y = &m * &m;
    let line = line!() - 1;
    assert_err(&finish_err(ctx, &[&y]), line, "mul", "C2");

    let ctx = Ctx::default();
    let i = ctx.input("i", DType::I32, &[2]);
    let y = i.pow(2.0);
    let line = line!() - 1;
    assert_err(&finish_err(ctx, &[&y]), line, "pow", "C2");
}

#[test]
fn unary_float_function_on_int_is_c1() {
    let ctx = Ctx::default();
    let i = ctx.input("i", DType::I32, &[2]);
    let y = i.exp();
    let line = line!() - 1;
    let e = finish_err(ctx, &[&y]);
    assert_err(&e, line, "exp", "C1");
    assert!(
        e.to_string()
            .ends_with("exp: C1: exp does not accept i32[2]"),
        "{e}"
    );
}

#[test]
fn composite_failures_name_the_dsl_function_and_the_ir_op() {
    let ctx = Ctx::default();
    let i = ctx.input("i", DType::I32, &[2, 3]);
    let y = i.softmax(-1);
    let line = line!() - 1;
    let e = finish_err(ctx, &[&y]);
    assert_err(&e, line, "softmax", "C1");
    assert!(e.to_string().contains(": softmax: exp: C1:"), "{e}");
}

#[test]
fn bad_axes_are_reported_for_every_axis_taking_op() {
    type AxisOp = fn(&Tensor) -> Tensor;
    let cases: [(&str, AxisOp); 10] = [
        ("sum", |x| x.sum(&[2], false)),
        ("max", |x| x.max(&[-3], true)),
        ("softmax", |x| x.softmax(5)),
        ("cumsum", |x| x.cumsum(2, false, false)),
        ("transpose", |x| x.transpose(0, 2)),
        ("permute", |x| x.permute(&[0, 7])),
        ("slice", |x| x.slice(3, 0, 1)),
        ("squeeze", |x| x.squeeze(-3)),
        ("unsqueeze", |x| x.unsqueeze(4)),
        ("log_softmax", |x| x.log_softmax(-9)),
    ];
    for (op, f) in cases {
        let ctx = Ctx::default();
        let x = f32_input(&ctx, "x", &[2, 3]);
        let y = f(&x);
        let e = finish_err(ctx, &[&y]);
        assert_eq!((e.op, e.constraint()), (op, "axis"), "{e}");
    }
}

#[test]
fn axis_error_points_at_the_users_line() {
    let ctx = Ctx::default();
    let x = f32_input(&ctx, "x", &[2, 3]);
    let y = x.sum(&[-3], false);
    let line = line!() - 1;
    let e = finish_err(ctx, &[&y]);
    assert_err(&e, line, "sum", "axis");
    assert!(
        e.to_string()
            .ends_with("sum: axis: -3 is out of range for rank 2"),
        "{e}"
    );
}

#[test]
fn bad_reshapes() {
    let ctx = Ctx::default();
    let x = f32_input(&ctx, "x", &[2, 3]);
    let y = x.reshape(&[4, -1]);
    let line = line!() - 1;
    let e = finish_err(ctx, &[&y]);
    assert_err(&e, line, "reshape", "reshape");
    assert!(
        e.to_string()
            .ends_with("reshape: reshape: cannot reshape f32[2,3] to [4, -1]"),
        "{e}"
    );

    for shape in [&[-1, -1][..], &[-2, 3], &[i64::MAX, 4, -1]] {
        let ctx = Ctx::default();
        let y = f32_input(&ctx, "x", &[2, 3]).reshape(shape);
        assert_eq!(finish_err(ctx, &[&y]).constraint(), "reshape");
    }

    let ctx = Ctx::default();
    let x = f32_input(&ctx, "x", &[2, 3]);
    let y = x.reshape(&[4]);
    let line = line!() - 1;
    assert_err(&finish_err(ctx, &[&y]), line, "reshape", "C1");
}

#[test]
fn matmul_contraction_mismatch_cites_dot_general() {
    let ctx = Ctx::default();
    let x = f32_input(&ctx, "x", &[2, 3]);
    let w = f32_input(&ctx, "w", &[4, 5]);
    let y = x.matmul(&w);
    let line = line!() - 1;
    let e = finish_err(ctx, &[&y]);
    assert_err(&e, line, "matmul", "C1");
    assert!(
        e.to_string()
            .contains("matmul: dot_general: C1: lhs dim 1 (3) pairs with rhs dim 0 (4)"),
        "{e}"
    );
}

#[test]
fn matmul_batch_and_rank_errors() {
    let ctx = Ctx::default();
    let x = f32_input(&ctx, "x", &[2, 3, 4]);
    let w = f32_input(&ctx, "w", &[3, 4, 5]);
    let y = x.matmul(&w);
    let line = line!() - 1;
    assert_err(&finish_err(ctx, &[&y]), line, "matmul", "broadcast");

    let ctx = Ctx::default();
    let s = ctx.scalar(1.0, DType::F32);
    let y = s.matmul(&s);
    assert_eq!(finish_err(ctx, &[&y]).constraint(), "argument");
}

#[test]
fn dot_general_with_bad_dims() {
    let ctx = Ctx::default();
    let x = f32_input(&ctx, "x", &[2, 3]);
    let dims = DotDims {
        lhs_batch: vec![],
        rhs_batch: vec![],
        lhs_contract: vec![1],
        rhs_contract: vec![2],
        out: DType::F32,
    };
    let y = x.dot_general(&x, dims);
    let line = line!() - 1;
    assert_err(&finish_err(ctx, &[&y]), line, "dot_general", "C2");
}

#[test]
fn broadcast_squeeze_slice_and_split_errors() {
    type ShapeOp = fn(&Tensor) -> Vec<Tensor>;
    let cases: [(&str, &str, ShapeOp); 6] = [
        ("broadcast_to", "broadcast", |x| {
            vec![x.broadcast_to(&[4, 3])]
        }),
        ("broadcast_to", "broadcast", |x| vec![x.broadcast_to(&[3])]),
        ("squeeze", "squeeze", |x| vec![x.squeeze(1)]),
        ("slice", "index", |x| vec![x.slice(1, 0, 4)]),
        ("slice", "C2", |x| vec![x.slice(1, 2, 1)]),
        ("split", "argument", |x| x.split(1, &[1, 1])),
    ];
    for (op, constraint, f) in cases {
        let ctx = Ctx::default();
        let x = f32_input(&ctx, "x", &[2, 3]);
        let ys = f(&x);
        assert!(ys.iter().all(Tensor::is_poisoned));
        let e = finish_err(ctx, &ys.iter().collect::<Vec<_>>());
        assert_eq!((e.op, e.constraint()), (op, constraint), "{e}");
    }
}

#[test]
fn concat_pad_gather_select_and_constant_errors() {
    type CtxOp = fn(&Ctx, &Tensor) -> Tensor;
    let cases: [(&str, &str, CtxOp); 9] = [
        ("concat", "C2", |c, x| c.concat(&[x.clone(), x.t()], 0)),
        ("concat", "argument", |c, _| c.concat::<Tensor>(&[], 0)),
        ("pad", "C2", |_, x| x.pad(&[1], &[1], 0.0)),
        ("gather", "C1", |_, x| x.gather(x)),
        ("select", "C1", |_, x| x.select(x, x)),
        ("select", "argument", |_, x| x.gt(0.0).select(1.0, 0.0)),
        ("constant_dense", "C1", |c, _| {
            c.constant_dense(&[1.0], DType::F32, &[2])
        }),
        ("iota", "axis", |c, _| c.iota(DType::I32, &[3], 1)),
        ("cast", "context", |_, x| {
            Ctx::default().input("y", DType::F32, &[1]) + x
        }),
    ];
    for (op, constraint, f) in cases {
        let ctx = Ctx::default();
        let x = f32_input(&ctx, "x", &[2, 3]);
        let y = f(&ctx, &x);
        let e = match ctx.error() {
            Some(e) => e,
            None => y.ctx().error().expect("an error was recorded"),
        };
        let op = if constraint == "context" { "add" } else { op };
        assert_eq!((e.op, e.constraint()), (op, constraint), "{e}");
    }
}

#[test]
fn duplicate_param_names_error_at_the_second_definition() {
    let ctx = Ctx::default();
    let w1 = ctx.scope("layers.0", |ctx| ctx.param("w", DType::F32, &[2]));
    let first_line = line!() - 1;
    let nested = |ctx: &Ctx| ctx.scope("0", |ctx| ctx.param("w", DType::F32, &[2]));
    let line = line!() - 1;
    let w2 = ctx.scope("layers", nested);
    assert!(!w1.is_poisoned() && w2.is_poisoned());
    let e = finish_err(ctx, &[&w1]);
    assert_err(&e, line, "param", "param");
    assert_eq!(&*e.scope, "layers.0");
    let first = format!("already defined at {FILE}:{first_line}:");
    assert!(
        e.to_string()
            .contains("param: parameter name \"layers.0.w\"")
            && e.to_string().contains(&first),
        "{e}"
    );
}

#[test]
fn duplicate_input_names_error_too() {
    let ctx = Ctx::default();
    let x = f32_input(&ctx, "x", &[2]);
    let _ = ctx.input("x", DType::I32, &[3]);
    let line = line!() - 1;
    assert_err(&finish_err(ctx, &[&x]), line, "input", "param");
}

#[test]
fn poisoned_tensors_do_not_cascade() {
    let ctx = Ctx::default();
    let a = f32_input(&ctx, "a", &[2, 3]);
    let b = f32_input(&ctx, "b", &[4]);
    let bad = &a + &b;
    let line = line!() - 1;
    let nodes = ctx.num_nodes();
    let later = (bad.exp().matmul(&a).sum(&[9], false) + 1.0)
        .reshape(&[7, -1])
        .softmax(3);
    let healthy_after_error = a.relu();
    let _ = ctx.param("a", DType::F32, &[1]);
    ctx.fail("custom", "ignored");
    assert!(later.is_poisoned() && healthy_after_error.is_poisoned());
    assert_eq!(later.shape(), Vec::<usize>::new());
    assert_eq!(later.dim(2), 1);
    assert_eq!(
        ctx.num_nodes(),
        nodes,
        "no node is added after the first error"
    );
    let e = finish_err(ctx, &[&later]);
    assert_err(&e, line, "add", "C1");
}

#[test]
fn error_inside_a_scope_records_the_scope() {
    let ctx = Ctx::default();
    let x = f32_input(&ctx, "x", &[2, 3]);
    let y = ctx.scope("layers.2", |ctx| {
        let _g = ctx.push_scope("ffn");
        x.reshape(&[5, -1])
    });
    let e = finish_err(ctx, &[&y]);
    assert_eq!(&*e.scope, "layers.2.ffn");
}

#[test]
fn custom_failures_and_bad_dim_reads() {
    let ctx = Ctx::default();
    ctx.fail("layer_norm", "width 3 is not divisible by 2 heads");
    let line = line!() - 1;
    let x = f32_input(&ctx, "x", &[2]);
    let e = finish_err(ctx, &[&x]);
    assert_err(&e, line, "layer_norm", "argument");
    assert!(e
        .to_string()
        .ends_with("layer_norm: argument: width 3 is not divisible by 2 heads"));

    let ctx = Ctx::default();
    let x = f32_input(&ctx, "x", &[2]);
    assert_eq!(x.dim(1), 1);
    let line = line!() - 1;
    assert_err(&finish_err(ctx, &[&x]), line, "dim", "axis");
}

#[test]
fn foreign_tensors_and_finished_contexts() {
    let ctx = Ctx::default();
    let other = Ctx::default();
    let x = f32_input(&ctx, "x", &[2]);
    let z = f32_input(&other, "z", &[2]);
    let y = &x + &z;
    let line = line!() - 1;
    assert_err(&finish_err(ctx, &[&y]), line, "add", "context");

    let ctx = Ctx::default();
    let clone = ctx.clone();
    let x = f32_input(&ctx, "x", &[2]);
    assert!(ctx.finish(&[&x]).is_ok());
    let y = x.exp();
    assert!(y.is_poisoned() && x.ty().is_none());
    assert_eq!(clone.finish(&[&y]).unwrap_err().constraint(), "context");
}

#[test]
fn finish_with_an_output_of_another_context_fails() {
    let ctx = Ctx::default();
    let other = Ctx::default();
    let z = f32_input(&other, "z", &[2]);
    let e = ctx.finish(&[&z]).unwrap_err();
    assert_eq!((e.op, e.constraint()), ("finish", "context"));
}

#[test]
fn with_sharding_checks_the_rank_at_the_call_and_the_mesh_at_finish() {
    use flash::ir::{Mesh, Sharding};
    let ctx = Ctx::default();
    let x = f32_input(&ctx, "x", &[4, 6]);
    let y = x.with_sharding(&Sharding::split(1, 0, "data"));
    let line = line!() - 1;
    assert!(y.is_poisoned());
    assert_err(&finish_err(ctx, &[&y]), line, "with_sharding", "C1");

    let ctx = Ctx::default();
    let x = f32_input(&ctx, "x", &[4, 6]);
    let y = x.with_sharding(&Sharding::split(2, 0, "data"));
    let e = finish_err(ctx, &[&y]);
    assert!(e.to_string().contains("but the graph has no mesh"), "{e}");

    let ctx = Ctx::default();
    ctx.set_mesh(Mesh::new([("data", 4)]).unwrap());
    let x = f32_input(&ctx, "x", &[6, 4]);
    let y = x.with_sharding(&Sharding::split(2, 0, "data"));
    let e = finish_err(ctx, &[&y]);
    assert!(
        e.to_string()
            .contains("dimension 0 of size 6 is split 4 ways"),
        "{e}"
    );
}
