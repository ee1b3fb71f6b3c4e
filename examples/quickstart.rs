//! Build a small graph with the DSL, compile it to StableHLO and run it on XLA's CPU plugin
//! (`cargo run --example quickstart`). This is the README's library example.

use flash::dsl::{Ctx, DType};
use flash::{compiler, exec, passes::PipelineOptions, tensor::HostTensor};

fn main() -> anyhow::Result<()> {
    let ctx = Ctx::new("mlp");
    let x = ctx.input("x", DType::F32, &[2, 4]);
    let w = ctx.param("layer.w", DType::F32, &[4, 3]);
    let b = ctx.param("layer.b", DType::F32, &[3]);
    let y = (x.matmul(&w) + &b).relu().softmax(-1);
    let graph = ctx.finish(&[y])?;
    let program = compiler::compile(graph, &PipelineOptions::default())?;
    let client = flash::runtime::shared_client(None)?; // FLASH_PJRT_PLUGIN or the CPU plugin
    let inputs: Vec<HostTensor> = program
        .graph
        .params()
        .iter()
        .enumerate()
        .map(|(i, &p)| HostTensor::random(program.graph.ty(p).clone(), i as u64, 0))
        .collect();
    let outputs = exec::run_mlir(&client, &program.mlir, &inputs)?;
    println!("{}\nsoftmax rows: {:?}", program.mlir, outputs[0].to_f64());
    Ok(())
}
