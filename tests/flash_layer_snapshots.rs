//! Snapshots of one tiny FLASH layer: its IR before and after the chunk-attention lowering,
//! and the StableHLO it compiles to (which the real plugin must also accept).

mod common;

use flash::config::NormKind;
use flash::dsl::{ChunkAttention, Ctx, DType, LinearNorm, ScoreFn};
use flash::ir::text::print_graph;
use flash::ir::Graph;
use flash::nn::{Flash, FlashOptions, GatedWidths, Params};
use flash::passes::{chunk_attention::LowerChunkAttention, Pass, PassOptions};

/// One causal FLASH layer: d = 8, e = 16, s = 4, C = 4, T = 8, B = 1.
fn tiny_flash_layer() -> Graph {
    let ctx = Ctx::new("flash_layer");
    let p = Params::new(&ctx, DType::F32, DType::F32);
    let opts = FlashOptions {
        widths: GatedWidths {
            expansion: 16,
            shared: 4,
        },
        attention: ChunkAttention {
            chunk: 4,
            causal: true,
            linear_norm: LinearNorm::Mean,
            score: ScoreFn::Relu2,
        },
        norm: NormKind::ScaleNorm,
    };
    let layer = p.scope("layers.0", |p| Flash::new(p, 8, &opts));
    let x = ctx.input("x", DType::F32, &[1, 8, 8]);
    let y = layer.forward(&x);
    ctx.finish(&[y]).expect("tiny FLASH layer")
}

#[test]
fn ir_before_lowering() {
    insta::assert_snapshot!(print_graph(&tiny_flash_layer()));
}

#[test]
fn ir_after_chunk_attention_lowering() {
    let lowered = LowerChunkAttention
        .run(tiny_flash_layer(), &PassOptions::default())
        .unwrap();
    let text = print_graph(&lowered);
    assert!(!text.contains("chunk_attention("), "the composite is gone");
    assert!(
        text.contains("cumsum("),
        "the chunk-level prefix sum stays a composite until lower_cumsum"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn stablehlo_of_the_layer() {
    let program = flash::compiler::compile(tiny_flash_layer(), &common::test_pipeline()).unwrap();
    flash::exec::compile(&common::client(), &program.mlir).expect("XLA accepts the snapshot");
    insta::assert_snapshot!(program.mlir);
}
