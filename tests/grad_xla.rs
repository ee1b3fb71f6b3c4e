//! Every op's VJP rule checked against finite differences in float64 on the real XLA plugin:
//! loss = sum(op(params) * fixed random weights), gradient program vs central differences.

mod common;

use common::check_gradients_on_xla;
use flash::dsl::{Ctx, DType, DotDims, Tensor};

type Build = fn(&Ctx, &[Tensor]) -> Tensor;

fn grad_case(name: &str, shapes: &[&[usize]], build: Build) {
    let ctx = Ctx::new("main");
    let params: Vec<Tensor> = shapes
        .iter()
        .enumerate()
        .map(|(i, s)| ctx.param(&format!("p{i}"), DType::F64, s))
        .collect();
    let out = build(&ctx, &params);
    let weights = ctx.param("weights", DType::F64, &out.shape());
    let loss = (out * weights).sum_all();
    let g = ctx
        .finish(&[loss])
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    check_gradients_on_xla(name, &g, 17);
}

const M: &[usize] = &[3, 4];

#[test]
fn elementwise_rules() {
    grad_case("neg", &[M], |_, p| -&p[0]);
    grad_case("abs", &[M], |_, p| (&p[0] + 5.0).abs());
    grad_case("exp", &[M], |_, p| p[0].exp());
    grad_case("log", &[M], |_, p| (p[0].square() + 0.5).log());
    grad_case("tanh", &[M], |_, p| p[0].tanh());
    grad_case("logistic", &[M], |_, p| p[0].logistic());
    grad_case("sqrt", &[M], |_, p| (p[0].square() + 0.5).sqrt());
    grad_case("rsqrt", &[M], |_, p| (p[0].square() + 0.5).rsqrt());
    grad_case("sin", &[M], |_, p| p[0].sin());
    grad_case("cos", &[M], |_, p| p[0].cos());
    grad_case("add/sub/mul", &[M, M], |_, p| {
        (&p[0] + &p[1]) * (&p[0] - &p[1])
    });
    grad_case("div", &[M, M], |_, p| &p[0] / (p[1].square() + 1.0));
    grad_case("max/min", &[M, M], |_, p| {
        p[0].maximum(&(&p[1] + 0.01)) + p[0].minimum(&(&p[1] - 0.01))
    });
    grad_case("pow", &[M, M], |_, p| (p[0].square() + 0.5).pow(&p[1]));
    grad_case("select", &[M, M], |_, p| {
        p[0].gt(&p[1]).select(p[0].exp(), p[1].sin())
    });
}

#[test]
fn convert_rule_through_f32() {
    // The round trip through f32 quantises the loss, so finite differences are only good to
    // about f32 precision over the step.
    let ctx = Ctx::new("main");
    let x = ctx.param("x", DType::F64, M);
    let weights = ctx.param("weights", DType::F64, M);
    let loss = (x.cast(DType::F32).cast(DType::F64).tanh() * weights).sum_all();
    let g = ctx.finish(&[loss]).unwrap();
    common::check_gradients_on_xla_within("convert", &g, 17, 1e-2);
}

#[test]
fn shape_rules() {
    grad_case("broadcast", &[&[4], M], |_, p| &p[1] * &p[0]);
    grad_case("reshape", &[M], |_, p| p[0].reshape(&[2, 6]).exp());
    grad_case("transpose", &[&[2, 3, 4]], |_, p| {
        p[0].permute(&[1, 2, 0]).sin()
    });
    grad_case("slice", &[&[6, 5]], |_, p| {
        p[0].slice_step(0, 1, 6, 2).slice(1, 1, 4).exp()
    });
    grad_case("concatenate", &[M, &[2, 4]], |c, p| {
        c.concat(&[&p[0], &p[1]], 0).tanh()
    });
    grad_case("pad", &[M], |_, p| p[0].pad(&[1, -1], &[0, 2], 0.0).exp());
}

#[test]
fn reduction_and_contraction_rules() {
    grad_case("reduce sum", &[&[2, 3, 4]], |_, p| {
        p[0].sum(&[0, 2], false).exp()
    });
    grad_case("reduce max", &[&[2, 3, 4]], |_, p| p[0].max(&[2], false));
    grad_case("softmax", &[&[3, 5]], |_, p| p[0].softmax(-1));
    grad_case("matmul", &[&[3, 4], &[4, 2]], |_, p| p[0].matmul(&p[1]));
    grad_case("dot_general", &[&[2, 3, 4], &[4, 2, 5]], |_, p| {
        let dims = DotDims {
            lhs_batch: vec![0],
            rhs_batch: vec![1],
            lhs_contract: vec![2],
            rhs_contract: vec![0],
            out: DType::F64,
        };
        p[0].dot_general(&p[1], dims)
    });
    for (exclusive, reverse) in [(false, false), (true, false), (false, true), (true, true)] {
        let build: Build = match (exclusive, reverse) {
            (false, false) => |_, p| p[0].cumsum(1, false, false).tanh(),
            (true, false) => |_, p| p[0].cumsum(1, true, false).tanh(),
            (false, true) => |_, p| p[0].cumsum(1, false, true).tanh(),
            (true, true) => |_, p| p[0].cumsum(1, true, true).tanh(),
        };
        grad_case(
            &format!("cumsum exclusive={exclusive} reverse={reverse}"),
            &[&[2, 6]],
            build,
        );
    }
}

#[test]
fn gather_rule() {
    let ctx = Ctx::new("main");
    let table = ctx.param("table", DType::F64, &[6, 3]);
    let ids = ctx.input("ids", DType::I32, &[2, 4]);
    let rows = table.gather(&ids);
    let weights = ctx.param("weights", DType::F64, &rows.shape());
    let g = ctx.finish(&[(rows.tanh() * weights).sum_all()]).unwrap();
    check_gradients_on_xla("gather", &g, 3);
}

#[test]
fn scatter_add_rule() {
    let ctx = Ctx::new("main");
    let operand = ctx.param("operand", DType::F64, &[5, 3]);
    let ids = ctx.input("ids", DType::I32, &[2, 4]);
    let updates = ctx.param("updates", DType::F64, &[2, 4, 3]);
    let out = operand.scatter_add(&ids, &updates);
    let weights = ctx.param("weights", DType::F64, &[5, 3]);
    let g = ctx.finish(&[(out.tanh() * weights).sum_all()]).unwrap();
    check_gradients_on_xla("scatter_add", &g, 3);
}

#[test]
fn dynamic_slice_rules() {
    grad_case("dynamic_slice", &[&[4, 5]], |c, p| {
        let (i, j) = (c.scalar(1.0, DType::I32), c.scalar(9.0, DType::I32));
        p[0].dynamic_slice(&[&i, &j], &[2, 3])
    });
    grad_case("dynamic_update_slice", &[&[4, 5], &[2, 2]], |c, p| {
        let (i, j) = (c.scalar(3.0, DType::I64), c.scalar(1.0, DType::I64));
        p[0].dynamic_update_slice(&p[1].exp(), &[&i, &j]) * &p[0]
    });
}

/// The cotangent of a constraint gets the same constraint: a one-device mesh, so XLA runs it.
#[test]
fn sharding_constraint_rule() {
    use flash::ir::{Mesh, Sharding};
    let ctx = Ctx::new("main");
    ctx.set_mesh(Mesh::new([("data", 1)]).unwrap());
    let x = ctx.param("x", DType::F64, M);
    let weights = ctx.param("weights", DType::F64, M);
    let y = x.sin().with_sharding(&Sharding::split(2, 1, "data"));
    let g = ctx.finish(&[(&y * &y * weights).sum_all()]).unwrap();
    check_gradients_on_xla("sharding_constraint", &g, 17);
}
