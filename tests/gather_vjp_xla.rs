//! The embedding gradient as a scatter-add (the default VJP of `gather`) equals the one-hot
//! matrix product it replaced, on XLA, for a tied embedding/output table with repeated and
//! out-of-range (clamped) ids. One test: the VJP form is process-wide.

mod common;

use common::{assert_close, random_inputs, run_xla};
use flash::compiler::compile;
use flash::dsl::{Ctx, DType};
use flash::passes::autodiff::{grad, GatherVjp};

#[test]
fn scatter_add_embedding_gradient_equals_the_one_hot_product_on_xla() {
    let ctx = Ctx::new("main");
    let table = ctx.param("embed.table", DType::F32, &[40, 8]);
    let ids = ctx.input("tokens", DType::I32, &[3, 16]);
    let h = table.gather(&ids).tanh();
    let logits = h.matmul(&table.transpose(0, 1));
    let g = ctx.finish(&[(logits.tanh() * 0.5).sum_all()]).unwrap();
    // ids in [0, 48): repeats, and ids 40..47 clamped to the last row by the gather.
    let inputs = random_inputs(&g, 7, 48);
    let run = |form: GatherVjp| {
        form.set();
        let gg = grad(&g, &[0]).unwrap();
        let mlir = compile(gg.clone(), &common::test_pipeline()).unwrap().mlir;
        (run_xla(&gg, &inputs), mlir)
    };
    let (one_hot, one_hot_mlir) = run(GatherVjp::OneHot);
    let (scatter, scatter_mlir) = run(GatherVjp::ScatterAdd);
    assert!(scatter_mlir.contains("\"stablehlo.scatter\""));
    assert!(!one_hot_mlir.contains("stablehlo.scatter"));
    assert_close("embedding gradient", &scatter, &one_hot, 1e-5);
}
