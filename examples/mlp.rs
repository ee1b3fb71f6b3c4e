//! A 2-layer MLP built with the DSL; prints its IR text (`cargo run --example mlp`).

use flash::dsl::{Ctx, DType, Tensor};

/// `x @ w + b`, with parameters `w` and `b` in the current scope.
fn dense(ctx: &Ctx, x: &Tensor, width: usize) -> Tensor {
    let w = ctx.param("w", DType::F32, &[x.dim(-1), width]);
    let b = ctx.param("b", DType::F32, &[width]);
    x.matmul(&w) + &b
}

fn main() {
    let ctx = Ctx::new("mlp");
    let x = ctx.input("x", DType::F32, &[8, 32]);
    let h = ctx.scope("layers.0", |ctx| dense(ctx, &x, 64).relu());
    let y = ctx.scope("layers.1", |ctx| dense(ctx, &h, 10));
    match ctx.finish(&[y.log_softmax(-1)]) {
        Ok(graph) => print!("{}", flash::ir::text::print_graph(&graph)),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
