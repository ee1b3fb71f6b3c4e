//! Every IR op, built through the DSL, run on the real XLA CPU plugin with random inputs in
//! f32 and a narrow float type (bf16 or f16), and compared with the reference interpreter.

mod common;

use common::{check_against_interp, tolerance};
use flash::dsl::{Ctx, DType, DotDims, Tensor};
use flash::passes::{CumsumStrategy, PipelineOptions};

type Build = fn(&Ctx, &[Tensor]) -> Tensor;

/// Builds `build(params)` for parameters of the given shapes and `dtype`, and checks XLA
/// against the interpreter.
fn case(name: &str, dtype: DType, shapes: &[&[usize]], build: Build) {
    let ctx = Ctx::new("main");
    let params: Vec<Tensor> = shapes
        .iter()
        .enumerate()
        .map(|(i, s)| ctx.param(&format!("p{i}"), dtype, s))
        .collect();
    let out = build(&ctx, &params);
    let g = ctx.finish(&[out]).unwrap_or_else(|e| panic!("{name}: {e}"));
    check_against_interp(&format!("{name} ({dtype})"), &g, 7, tolerance(dtype) * 4.0);
}

/// The same case in f32 and in the narrow float types.
fn float_case(name: &str, shapes: &[&[usize]], build: Build) {
    for dtype in [DType::F32, DType::BF16, DType::F16] {
        case(name, dtype, shapes, build);
    }
}

const M: &[usize] = &[3, 5];

#[test]
fn constants_and_iota() {
    float_case("splat", &[M], |c, p| &p[0] + c.full(2.5, p[0].dtype(), M));
    float_case("dense", &[M], |c, p| {
        let values: Vec<f64> = (0..15).map(|i| i as f64 * 0.25 - 1.0).collect();
        &p[0] * c.constant_dense(&values, p[0].dtype(), M)
    });
    float_case("iota", &[M], |c, p| &p[0] + c.iota(p[0].dtype(), M, 1));
}

#[test]
fn unary_ops() {
    float_case("neg", &[M], |_, p| -&p[0]);
    float_case("abs", &[M], |_, p| p[0].abs());
    float_case("exp", &[M], |_, p| p[0].exp());
    float_case("log", &[M], |_, p| (p[0].abs() + 0.5).log());
    float_case("tanh", &[M], |_, p| p[0].tanh());
    float_case("logistic", &[M], |_, p| p[0].logistic());
    float_case("sqrt", &[M], |_, p| (p[0].abs() + 0.1).sqrt());
    float_case("rsqrt", &[M], |_, p| (p[0].abs() + 0.5).rsqrt());
    float_case("sin", &[M], |_, p| p[0].sin());
    float_case("cos", &[M], |_, p| p[0].cos());
}

#[test]
fn binary_ops() {
    float_case("add", &[M, M], |_, p| &p[0] + &p[1]);
    float_case("sub", &[M, M], |_, p| &p[0] - &p[1]);
    float_case("mul", &[M, M], |_, p| &p[0] * &p[1]);
    float_case("div", &[M, M], |_, p| &p[0] / (p[1].abs() + 0.5));
    float_case("max", &[M, M], |_, p| p[0].maximum(&p[1]));
    float_case("min", &[M, M], |_, p| p[0].minimum(&p[1]));
    float_case("pow", &[M, M], |_, p| (p[0].abs() + 0.5).pow(&p[1]));
}

#[test]
fn integer_arithmetic() {
    case("i32 add/mul/max", DType::I32, &[M, M], |_, p| {
        (&p[0] * &p[1]).maximum(&p[0]) + &p[1]
    });
    case("i64 sub/neg/abs", DType::I64, &[M, M], |_, p| {
        (-(&p[0] - &p[1])).abs()
    });
}

#[test]
fn compare_and_select() {
    float_case("compare+select", &[M, M], |_, p| {
        let (a, b) = (&p[0], &p[1]);
        let picks = [a.lt(b), a.le(b), a.gt(b), a.ge(b), a.eq(a), a.ne(b)];
        picks
            .iter()
            .fold(a.clone(), |acc, m| m.select(&acc, &(&acc + 1.0)))
    });
    case("compare i32", DType::I32, &[M, M], |_, p| {
        p[0].lt(&p[1]).cast(DType::I32)
    });
}

#[test]
fn conversions() {
    float_case("to f32 and back", &[M], |_, p| {
        p[0].cast(DType::F32).cast(p[0].dtype())
    });
    float_case("to i32", &[M], |_, p| {
        (&p[0] * 4.0).cast(DType::I32).cast(p[0].dtype())
    });
    float_case("to bool", &[M], |_, p| {
        p[0].gt(&(&p[0] * 0.0)).cast(p[0].dtype())
    });
    case("i32 to f32", DType::I32, &[M], |_, p| p[0].cast(DType::F32));
    case("f32 to f64", DType::F32, &[M], |_, p| {
        p[0].cast(DType::F64).exp()
    });
}

#[test]
fn shape_ops() {
    float_case("broadcast", &[&[5], M], |_, p| &p[1] + &p[0]);
    float_case("broadcast size-1", &[&[3, 1], M], |_, p| &p[1] * &p[0]);
    float_case("reshape", &[M], |_, p| p[0].reshape(&[5, 3]).exp());
    float_case("transpose", &[&[2, 3, 4]], |_, p| {
        p[0].permute(&[2, 0, 1]).tanh()
    });
    float_case("slice", &[&[6, 7]], |_, p| {
        p[0].slice_step(1, 1, 7, 2).slice(0, 2, 5)
    });
    float_case("concatenate", &[M, &[2, 5]], |c, p| {
        c.concat(&[&p[0], &p[1], &p[0]], 0)
    });
    float_case("pad", &[M], |_, p| p[0].pad(&[1, -1], &[2, 0], 0.5));
}

#[test]
fn reductions() {
    float_case("reduce sum", &[&[2, 3, 4]], |_, p| p[0].sum(&[0, 2], false));
    float_case("reduce max", &[&[2, 3, 4]], |_, p| p[0].max(&[1], true));
    float_case("mean", &[&[4, 6]], |_, p| p[0].mean(&[-1], false));
    float_case("softmax", &[&[4, 6]], |_, p| p[0].softmax(-1));
}

#[test]
fn dot_general_and_matmul() {
    float_case("matmul", &[&[4, 6], &[6, 3]], |_, p| p[0].matmul(&p[1]));
    float_case("batched matmul", &[&[2, 4, 6], &[2, 6, 3]], |_, p| {
        p[0].matmul(&p[1])
    });
    float_case("dot_general", &[&[2, 3, 4], &[4, 2, 5]], |_, p| {
        let dims = DotDims {
            lhs_batch: vec![0],
            rhs_batch: vec![1],
            lhs_contract: vec![2],
            rhs_contract: vec![0],
            out: p[0].dtype(),
        };
        p[0].dot_general(&p[1], dims)
    });
    case(
        "bf16 dot, f32 result",
        DType::BF16,
        &[&[4, 8], &[8, 3]],
        |_, p| {
            let dims = DotDims {
                lhs_batch: vec![],
                rhs_batch: vec![],
                lhs_contract: vec![1],
                rhs_contract: vec![0],
                out: DType::F32,
            };
            p[0].dot_general(&p[1], dims)
        },
    );
}

#[test]
fn gather_rows() {
    for dtype in [DType::F32, DType::BF16] {
        let ctx = Ctx::new("main");
        let table = ctx.param("table", dtype, &[10, 4]);
        let ids = ctx.input("ids", DType::I32, &[2, 3]);
        let g = ctx.finish(&[table.gather(&ids)]).unwrap();
        check_against_interp(&format!("gather {dtype}"), &g, 3, tolerance(dtype));
    }
}

#[test]
fn scatter_add_rows_with_repeated_and_out_of_range_indices() {
    for dtype in [DType::F32, DType::BF16] {
        // Random ids in [0, 8) over 6 rows: repeats, and ids 6 and 7 out of range (skipped).
        let ctx = Ctx::new("main");
        let operand = ctx.param("operand", dtype, &[6, 4]);
        let ids = ctx.input("ids", DType::I32, &[3, 5]);
        let updates = ctx.param("updates", dtype, &[3, 5, 4]);
        let g = ctx.finish(&[operand.scatter_add(&ids, &updates)]).unwrap();
        check_against_interp(
            &format!("scatter_add {dtype}"),
            &g,
            3,
            tolerance(dtype) * 4.0,
        );
    }
    let ctx = Ctx::new("main");
    let operand = ctx.param("operand", DType::F32, &[3, 2]);
    let ids = ctx.constant_dense(&[-1.0, 2.0, 3.0, 2.0, 0.0], DType::I32, &[5]);
    let updates = ctx.param("updates", DType::F32, &[5, 2]);
    let g = ctx.finish(&[operand.scatter_add(&ids, &updates)]).unwrap();
    check_against_interp("scatter_add negative ids", &g, 4, tolerance(DType::F32));
}

#[test]
fn cumsum_every_strategy() {
    for strategy in CumsumStrategy::ALL {
        for (exclusive, reverse) in [(false, false), (true, false), (false, true), (true, true)] {
            for dtype in [DType::F32, DType::BF16, DType::I32] {
                let ctx = Ctx::new("main");
                let x = ctx.param("x", dtype, &[3, 7]);
                let g = ctx.finish(&[x.cumsum(1, exclusive, reverse)]).unwrap();
                let what =
                    format!("cumsum {strategy:?} exclusive={exclusive} reverse={reverse} {dtype}");
                let opts = PipelineOptions {
                    cumsum: strategy,
                    ..common::test_pipeline()
                };
                let inputs = common::random_inputs(&g, 5, 8);
                let got = common::run_xla_with(&g, &inputs, &opts);
                let want = common::run_interp(&g, &inputs);
                // bf16 sums of 7 terms may round differently by order: a few ulps.
                common::assert_close(&what, &got, &want, tolerance(dtype) * 4.0);
            }
        }
    }
}

/// Start indices come from i32 inputs drawn in `0..8`, so some lie past the end and are
/// clamped (XLA and the interpreter must clamp alike).
#[test]
fn dynamic_slice_and_update_with_clamped_starts() {
    for dtype in [DType::F32, DType::BF16] {
        let ctx = Ctx::new("main");
        let x = ctx.param("x", dtype, &[4, 6]);
        let update = ctx.param("update", dtype, &[2, 3]);
        let i = ctx.input("i", DType::I32, &[]);
        let j = ctx.input("j", DType::I32, &[]);
        let block = x.dynamic_slice(&[&i, &j], &[2, 3]);
        let written = x.dynamic_update_slice(&update, &[&j, &i]);
        let g = ctx.finish(&[block, written]).unwrap();
        for seed in 0..4 {
            let what = format!("dynamic slices {dtype}, seed {seed}");
            check_against_interp(&what, &g, seed, tolerance(dtype));
        }
    }
}

/// A constraint on a one-device mesh, in both sharding formats, compiled and run by XLA
/// (the partitioner has nothing to split) and compared with the interpreter.
#[test]
fn sharding_constraint_on_a_one_device_mesh() {
    use flash::ir::{Mesh, Sharding};
    use flash::stablehlo::{emit_with, EmitOptions, ShardingFormat};
    for dtype in [DType::F32, DType::BF16] {
        let ctx = Ctx::new("main");
        ctx.set_mesh(Mesh::new([("data", 1)]).unwrap());
        let x = ctx.param("x", dtype, M);
        let y = x.exp().with_sharding(&Sharding::split(2, 0, "data"));
        let g = ctx.finish(&[&y * &x]).unwrap();
        let what = format!("sharding_constraint ({dtype})");
        check_against_interp(&what, &g, 7, tolerance(dtype));
        let program = flash::compiler::compile(g.clone(), &common::test_pipeline()).unwrap();
        let inputs = common::random_inputs(&g, 7, 4);
        let want = common::run_interp(&g, &inputs);
        for sharding_format in [ShardingFormat::Shardy, ShardingFormat::Gspmd] {
            let mlir = emit_with(&program.graph, &EmitOptions { sharding_format }).unwrap();
            let got = flash::exec::run_mlir(&common::client(), &mlir, &inputs)
                .unwrap_or_else(|e| panic!("{what} {sharding_format}: {e}\n{mlir}"));
            common::assert_close(&what, &got, &want, tolerance(dtype));
        }
    }
}
