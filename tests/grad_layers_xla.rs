//! Every layer kind's gradient (through the autodiff transform, run on the real XLA plugin)
//! checked against finite differences in float64 along a random direction.

mod common;

use common::check_gradients_on_xla;
use flash::config::{Activation, NormKind};
use flash::dsl::{ChunkAttention, Ctx, DType, LinearNorm, ScoreFn, Tensor};
use flash::nn::{
    rope, Attention, AttentionOptions, Dense, Embedding, Ffn, Flash, FlashOptions, GatedWidths,
    Gau, GauOptions, Glu, Norm, Params,
};

const D: usize = 8;
const T: usize = 6;

/// loss = sum(layer(x) * weights) for an f64 input `x: [2, T, D]`.
fn check_layer(name: &str, layer: impl FnOnce(&Params, &Tensor) -> Tensor) {
    let ctx = Ctx::new(name);
    let p = Params::new(&ctx, DType::F64, DType::F64);
    let x = ctx.param("x", DType::F64, &[2, T, D]);
    let y = layer(&p, &x);
    let weights = ctx.param("weights", DType::F64, &y.shape());
    let g = ctx
        .finish(&[(y * weights).sum_all()])
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    check_gradients_on_xla(name, &g, 29);
}

#[test]
fn dense_embedding_and_norms() {
    check_layer("dense", |p, x| {
        Dense::new(p, "a", D, 5, true).forward(x).tanh()
    });
    for kind in [NormKind::ScaleNorm, NormKind::LayerNorm, NormKind::RmsNorm] {
        check_layer(&format!("{kind:?}"), |p, x| {
            Norm::new(p, kind, D).forward(x)
        });
    }
    check_layer("rope", |_, x| rope(x));
    let ctx = Ctx::new("embedding");
    let p = Params::new(&ctx, DType::F64, DType::F64);
    let ids = ctx.input("ids", DType::I32, &[2, 3]);
    let rows = Embedding::new(&p, 4, D).lookup(&ids);
    let weights = ctx.param("weights", DType::F64, &rows.shape());
    let g = ctx.finish(&[(rows.sin() * weights).sum_all()]).unwrap();
    check_gradients_on_xla("embedding", &g, 5);
}

#[test]
fn attention_and_feed_forward() {
    for causal in [true, false] {
        for rope in [true, false] {
            let opts = AttentionOptions {
                heads: 2,
                causal,
                rope,
                bias: !rope,
            };
            check_layer(&format!("mhsa causal={causal} rope={rope}"), |p, x| {
                Attention::new(p, D, opts).forward(x)
            });
        }
    }
    check_layer("ffn gelu", |p, x| {
        Ffn::new(p, D, 16, Activation::Gelu).forward(x)
    });
    check_layer("ffn relu", |p, x| {
        Ffn::new(p, D, 16, Activation::Relu).forward(&(x * 3.0 + 0.1))
    });
    check_layer("glu", |p, x| Glu::new(p, D, 12).forward(x));
}

#[test]
fn gau_and_flash() {
    let widths = GatedWidths {
        expansion: 16,
        shared: 4,
    };
    for score in [ScoreFn::Relu2, ScoreFn::Softmax, ScoreFn::Laplace] {
        for causal in [true, false] {
            let opts = GauOptions {
                widths,
                causal,
                score,
                norm: NormKind::ScaleNorm,
                rel_pos_max_len: Some(T),
            };
            check_layer(&format!("gau {score:?} causal={causal}"), |p, x| {
                Gau::new(p, D, opts).forward(&(x * 4.0))
            });
            let attention = ChunkAttention {
                chunk: 4,
                causal,
                linear_norm: LinearNorm::Mean,
                score,
            };
            let opts = FlashOptions {
                widths,
                attention,
                norm: NormKind::ScaleNorm,
            };
            check_layer(&format!("flash {score:?} causal={causal}"), |p, x| {
                Flash::new(p, D, &opts).forward(&(x * 4.0))
            });
        }
    }
}
