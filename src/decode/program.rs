//! The two programs of generation, for any causal language model:
//!
//! - **decode step**: inputs `(parameters..., state..., token [B] i32, position [] i32)`,
//!   outputs `(logits [B, vocab] f32, new state...)`; state input `i` aliases output `1 + i`,
//!   so XLA updates the state in place; for the key/value-cache kinds `position` carries the
//!   bound `0..capacity` (`flash.bound`, checked by `flash run`);
//! - **prefill**: inputs `(parameters..., tokens [B, P] i32)`, outputs `(logits [B, vocab],
//!   state...)`: the prompt through the ordinary (chunked) forward pass in one execution,
//!   returning the state that `P` decode steps from the empty (all-zero) state build.
//!
//! Parameters come in [`crate::models::param_specs`] order, named as there; the state in
//! [`super::state_specs`] order. The logits are those of the token after the last one fed.

use super::state::{state_inputs, state_outputs, state_specs};
use crate::config::{ModelConfig, ModelKind};
use crate::dsl::{Ctx, DType, Tensor};
use crate::ir::Graph;
use crate::models::{LanguageModel, ModelError};
use crate::nn::Params;

/// The shape of a generation program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Sequences decoded together (B).
    pub batch: usize,
    /// Positions a key/value cache holds (the longest text a Transformer, Transformer++ or
    /// FLASH-Quad program can decode; FLASH's state does not depend on it). For FLASH-Quad
    /// it is also the `T` of its `1 / T` score scale.
    pub capacity: usize,
}

/// Whether the kind keeps a key/value cache (whose size and per-token cost grow with the
/// context) rather than a constant-size state.
pub fn uses_kv_cache(kind: ModelKind) -> bool {
    kind != ModelKind::Flash
}

/// The decode-step program of `cfg`'s causal LM (see the module docs).
pub fn build_decode_step(cfg: &ModelConfig, opts: &DecodeOptions) -> Result<Graph, ModelError> {
    check(cfg, opts, None)?;
    let (ctx, model) = model_graph(cfg, "decode")?;
    let specs = state_specs(cfg, opts.batch, opts.capacity);
    let states = state_inputs(&ctx, cfg, &specs);
    let token = ctx.input("token", DType::I32, &[opts.batch]);
    let position = ctx.input("position", DType::I32, &[]);
    let (logits, next) = model
        .step(&token, &position, &states)
        .map_err(|_| mismatch())?;
    let mut outputs = vec![logits];
    outputs.extend(state_outputs(&next));
    let mut g = ctx.finish(&outputs)?;
    let n_params = g.params().len();
    let first_state = n_params - specs.len() - 2;
    g.aliases = (0..specs.len()).map(|i| (first_state + i, 1 + i)).collect();
    if uses_kv_cache(cfg.kind) {
        g.bounds = vec![(n_params - 1, opts.capacity as u64)];
    }
    Ok(g)
}

/// The prefill program of `cfg`'s causal LM for prompts of `prompt_len` tokens.
pub fn build_prefill(
    cfg: &ModelConfig,
    opts: &DecodeOptions,
    prompt_len: usize,
) -> Result<Graph, ModelError> {
    check(cfg, opts, Some(prompt_len))?;
    let (ctx, model) = model_graph(cfg, "prefill")?;
    let tokens = ctx.input("tokens", DType::I32, &[opts.batch, prompt_len]);
    let (logits, states) = model.prefill(&tokens, opts.capacity);
    let mut outputs: Vec<Tensor> = vec![logits];
    outputs.extend(state_outputs(&states));
    Ok(ctx.finish(&outputs)?)
}

/// A context with `cfg`'s causal model's parameters declared.
fn model_graph(cfg: &ModelConfig, what: &str) -> Result<(Ctx, LanguageModel), ModelError> {
    let name = format!(
        "{}_{what}",
        cfg.kind.name().replace('+', "p").replace('-', "_")
    );
    let ctx = Ctx::new(&name);
    let p = Params::new(&ctx, DType::F32, cfg.precision.dtype());
    let model = LanguageModel::new(&p, cfg, true);
    Ok((ctx, model))
}

/// Checks the configuration and options (and the prompt length of a prefill).
fn check(cfg: &ModelConfig, opts: &DecodeOptions, prompt: Option<usize>) -> Result<(), ModelError> {
    crate::models::check_config(cfg)?;
    let bad = |field, message: String| Err(ModelError::BuildOption { field, message });
    if opts.batch == 0 {
        return bad("batch", "must be at least 1".into());
    }
    if cfg.rel_pos_bias {
        return bad(
            "rel_pos_bias",
            "decoding does not support the relative-position bias; train without it".into(),
        );
    }
    let kv = uses_kv_cache(cfg.kind);
    if kv && opts.capacity == 0 {
        return bad(
            "max_len",
            "the key/value cache needs at least 1 position".into(),
        );
    }
    if cfg.kind == ModelKind::Transformer && opts.capacity > cfg.max_len {
        let msg = format!(
            "{} exceeds the model's max_len {} (its learned positions)",
            opts.capacity, cfg.max_len
        );
        return bad("max_len", msg);
    }
    match prompt {
        Some(0) => bad("prompt", "a prefill needs at least one token".into()),
        Some(p) if kv && p > opts.capacity => bad(
            "prompt",
            format!(
                "{p} tokens do not fit in a key/value cache of {} positions (--max-len)",
                opts.capacity
            ),
        ),
        _ => Ok(()),
    }
}

fn mismatch() -> ModelError {
    ModelError::BuildOption {
        field: "state",
        message: "the decode state does not match the model's layers".into(),
    }
}
