//! [`build_lm`]: the training (or evaluation) graph of a language model: the model
//! parameters in [`super::param_specs`] order, then the token inputs, and as outputs the
//! mean loss (f32 scalar) and, with `forward`, the f32 logits.

use super::error::{config_field, ModelError};
use super::loss::{cross_entropy, masked_mean_loss, mean_loss};
use super::options::{BuildOptions, Mode};
use super::stack::LanguageModel;
use crate::config::limits::dim_too_large;
use crate::config::{names::Named, ModelConfig, ModelKind};
use crate::dsl::{Ctx, DType, Tensor};
use crate::ir::Graph;
use crate::nn::{Params, ATTENTION_REGION, LAYER_REGION};
use std::ops::Range;

/// Builds the loss graph of `cfg`'s model for `opts` (see the module docs of
/// [`crate::models`] for the inputs and outputs).
pub fn build_lm(cfg: &ModelConfig, opts: &BuildOptions) -> Result<Graph, ModelError> {
    Ok(build_lm_with_regions(cfg, opts)?.0)
}

/// The node ranges of a model graph's checkpoint regions, ascending (see
/// [`crate::nn::LAYER_REGION`] and [`crate::nn::ATTENTION_REGION`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelRegions {
    /// Each layer's forward pass.
    pub layers: Vec<Range<usize>>,
    /// Each layer's attention core, between its input and output projections.
    pub attention: Vec<Range<usize>>,
}

/// [`build_lm`], and the graph's checkpoint regions.
pub fn build_lm_with_regions(
    cfg: &ModelConfig,
    opts: &BuildOptions,
) -> Result<(Graph, ModelRegions), ModelError> {
    let (ctx, model) = start(cfg, opts, opts.mode.name())?;
    let (b, t) = (opts.batch, opts.seq_len);
    let (loss, logits) = match opts.mode {
        Mode::Lm => {
            let tokens = ctx.input("tokens", DType::I32, &[b, t + 1]);
            let logits = model.logits(&tokens.slice(1, 0, t));
            (
                mean_loss(&cross_entropy(&logits, &tokens.slice(1, 1, t + 1))),
                logits,
            )
        }
        Mode::Mlm => {
            let tokens = ctx.input("tokens", DType::I32, &[b, t]);
            let targets = ctx.input("targets", DType::I32, &[b, t]);
            let mask = ctx.input("loss_mask", DType::F32, &[b, t]);
            let logits = model.logits(&tokens);
            (
                masked_mean_loss(&cross_entropy(&logits, &targets), &mask),
                logits,
            )
        }
    };
    let outputs: Vec<&Tensor> = if opts.forward {
        vec![&loss, &logits]
    } else {
        vec![&loss]
    };
    let regions = ModelRegions {
        layers: ctx.regions(LAYER_REGION),
        attention: ctx.regions(ATTENTION_REGION),
    };
    Ok((ctx.finish(&outputs)?, regions))
}

/// Builds the scoring graph of `cfg`'s causal LM for `batch` windows of `seq_len` predicted
/// tokens (`flash eval`): inputs the parameters, `tokens` i32 `[B, T+1]` (as [`Mode::Lm`])
/// and `loss_mask` f32 `[B, T]` (1 where a target counts, 0 where it does not); output the
/// f32 scalar `sum(loss_mask * CE)`, the summed next-token loss in nats, so windows that
/// share tokens or pad a batch count each target once.
pub fn build_lm_scored(
    cfg: &ModelConfig,
    batch: usize,
    seq_len: usize,
) -> Result<Graph, ModelError> {
    let opts = BuildOptions {
        batch,
        seq_len,
        mode: Mode::Lm,
        forward: false,
    };
    let (ctx, model) = start(cfg, &opts, "scored")?;
    let tokens = ctx.input("tokens", DType::I32, &[batch, seq_len + 1]);
    let mask = ctx.input("loss_mask", DType::F32, &[batch, seq_len]);
    let logits = model.logits(&tokens.slice(1, 0, seq_len));
    let ce = cross_entropy(&logits, &tokens.slice(1, 1, seq_len + 1));
    Ok(ctx.finish(&[&(ce * &mask).sum_all()])?)
}

/// The checked context and model of a graph named after `cfg`'s kind and `what`.
fn start(
    cfg: &ModelConfig,
    opts: &BuildOptions,
    what: &str,
) -> Result<(Ctx, LanguageModel), ModelError> {
    check_config(cfg)?;
    check_options(cfg, opts)?;
    let ctx = Ctx::new(&format!(
        "{}_{what}",
        cfg.kind.name().replace('+', "p").replace('-', "_"),
    ));
    let p = Params::new(&ctx, DType::F32, cfg.precision.dtype());
    let model = LanguageModel::new(&p, cfg, opts.mode.causal());
    Ok((ctx, model))
}

/// Validates `cfg`, including the combinations the layers do not support.
pub(crate) fn check_config(cfg: &ModelConfig) -> Result<(), ModelError> {
    cfg.validate()?;
    if cfg.kind == ModelKind::Flash && cfg.rel_pos_bias {
        let msg =
            "the FLASH layer's chunked attention has no relative-position bias; use flash-quad";
        return Err(config_field("rel_pos_bias", msg));
    }
    Ok(())
}

/// Checks the batch size and sequence length against `cfg`.
fn check_options(cfg: &ModelConfig, opts: &BuildOptions) -> Result<(), ModelError> {
    let bad = |field, message: String| Err(ModelError::BuildOption { field, message });
    if opts.batch == 0 {
        return bad("batch", "must be at least 1".into());
    }
    if opts.seq_len == 0 {
        return bad("seq_len", "must be at least 1".into());
    }
    for (field, value) in [("batch", opts.batch), ("seq_len", opts.seq_len)] {
        if let Some(message) = dim_too_large(value) {
            return bad(field, message);
        }
    }
    let positional = cfg.kind == ModelKind::Transformer
        || (cfg.kind == ModelKind::FlashQuad && cfg.rel_pos_bias);
    if positional && opts.seq_len > cfg.max_len {
        return bad(
            "seq_len",
            format!(
                "{} exceeds the model's max_len {}",
                opts.seq_len, cfg.max_len
            ),
        );
    }
    Ok(())
}
