//! The train-step program: the model's loss graph, its gradients (reverse-mode autodiff), and
//! an AdamW update appended in-graph, with parameters and optimizer state donated so XLA
//! updates them in place.
//!
//! Inputs, in order ([`StepLayout`], in `layout.rs`): the `n` model parameters (in
//! [`crate::models::param_specs`] order), the first moments `opt.m.<param>`, the second
//! moments `opt.v.<param>`, `step` (i32 scalar, 0-based: the number of steps already taken)
//! and `tokens` (i32 `[B, T+1]`). Outputs: the new parameters, the new `m`, the new `v`, the
//! loss (f32 scalar, before the update) and the global gradient norm (before clipping).
//! Input `i` aliases output `i` for `i < 3n` (`tf.aliasing_output`).
//!
//! The update (all in f32, whatever the compute precision, since parameters are f32 master
//! weights and the model converts them):
//!
//! ```text
//! lr    = schedule(step)                                   (see schedule.rs)
//! c     = min(1, clip / (||g||_2 + 1e-6))                  (1 when clip = 0)
//! m'    = b1 m + (1 - b1) c g
//! v'    = b2 v + (1 - b2) (c g)^2
//! u     = (m' / (1 - b1^(step+1))) / (sqrt(v' / (1 - b2^(step+1))) + eps)
//! p'    = p - lr (u + wd p)        where decays(p), else  p - lr u
//! ```

use super::decay::decays;
use super::error::TrainError;
use super::layout::StepLayout;
use super::options::{AdamW, TrainOptions};
use super::schedule::{add_const, schedule_lr};
use crate::config::ModelConfig;
use crate::ir::{Builder, DType, Graph, Location, Op, TensorType, UnaryOp, ValueId};
use crate::models::{build_lm_with_regions, BuildOptions, Mode};
use crate::passes::autodiff::{grad, grad_checkpointed};
use crate::passes::chunk_attention::lower_all;
use crate::train::Remat;
use std::sync::Arc;

/// The train-step graph of `cfg`'s causal LM (see the module docs for its signature): the
/// function `flash compile --train`, `flash train` and `flash bench` build it with.
pub fn build_train_step(cfg: &ModelConfig, opts: &TrainOptions) -> Result<Graph, TrainError> {
    build_train_step_for(cfg, &StepLayout::of(cfg)?, opts)
}

/// [`build_train_step`] for a layout already computed (`layout` must be `cfg`'s).
pub fn build_train_step_for(
    cfg: &ModelConfig,
    layout: &StepLayout,
    opts: &TrainOptions,
) -> Result<Graph, TrainError> {
    opts.validate()?;
    let build = BuildOptions {
        batch: opts.batch,
        seq_len: opts.seq_len,
        mode: Mode::Lm,
        forward: false,
    };
    let (loss, regions) = build_lm_with_regions(cfg, &build)?;
    let wrt: Vec<usize> = (0..layout.n()).collect();
    let mut g = match opts.remat {
        // Lowered first: the backward pass keeps the forward's intermediates.
        Remat::None => {
            let lowered = lower_all(loss)?;
            check_params(&lowered, layout)?;
            grad(&lowered, &wrt)?
        }
        // The regions recomputed from what they read: each layer's attention core (from its
        // projections) or each layer (from its input).
        Remat::Attention | Remat::Layer => {
            check_params(&loss, layout)?;
            let recomputed = match opts.remat {
                Remat::Attention => &regions.attention,
                _ => &regions.layers,
            };
            grad_checkpointed(&loss, &wrt, recomputed)?
        }
    };
    append_optimizer(&mut g, layout, opts)?;
    Ok(g)
}

/// Checks that the loss graph's parameters are the specs, then `tokens`.
fn check_params(g: &Graph, layout: &StepLayout) -> Result<(), TrainError> {
    let params = g.params();
    let names: Vec<&str> = params.iter().filter_map(|&p| g.param_name(p)).collect();
    let expected: Vec<&str> = layout
        .params
        .iter()
        .map(|p| p.name.as_str())
        .chain(["tokens"])
        .collect();
    if names != expected {
        return Err(TrainError::Output(format!(
            "loss graph inputs {names:?}, expected {expected:?}"
        )));
    }
    Ok(())
}

/// Turns the gradient graph (outputs: loss, then one gradient per parameter) into the train
/// step: renumbers `tokens`, adds the state and step inputs, the update and the aliases.
fn append_optimizer(
    g: &mut Graph,
    layout: &StepLayout,
    opts: &TrainOptions,
) -> Result<(), TrainError> {
    let n = layout.n();
    let (params, loss, grads) = (g.params(), g.outputs[0], g.outputs[1..=n].to_vec());
    if let Op::Parameter { index, .. } = &mut g.nodes[params[n].index()].op {
        *index = layout.tokens_index();
    }
    let mut b = Builder::at(g, Location::caller(), Arc::from("optimizer"));
    let mut state = Vec::with_capacity(2 * n);
    for (offset, prefix) in layout.moments() {
        for (i, spec) in layout.params.iter().enumerate() {
            let op = Op::Parameter {
                index: offset + i,
                name: format!("{prefix}{}", spec.name),
                ty: spec.ty.clone(),
            };
            state.push(b.op(op, vec![])?);
        }
    }
    let step_ty = TensorType::scalar(DType::I32);
    let step = b.op(
        Op::Parameter {
            index: layout.step_index(),
            name: "step".into(),
            ty: step_ty,
        },
        vec![],
    )?;
    let k = b.convert(step, DType::F32)?;
    let lr = schedule_lr(&mut b, k, &opts.schedule)?;
    let norm = global_norm(&mut b, &grads)?;
    let h = hyper(&mut b, k, lr, norm, &opts.adamw)?;
    let (mut new_p, mut new_m, mut new_v) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (i, spec) in layout.params.iter().enumerate() {
        let decay = if decays(spec) {
            opts.adamw.weight_decay
        } else {
            0.0
        };
        let (p, m, v) = adamw_one(
            &mut b,
            &h,
            [params[i], grads[i], state[i], state[n + i]],
            decay,
        )?;
        new_p.push(p);
        new_m.push(m);
        new_v.push(v);
    }
    g.outputs = [new_p, new_m, new_v].concat();
    g.outputs.extend([loss, norm]);
    g.aliases = (0..layout.state_len()).map(|i| (i, i)).collect();
    Ok(())
}

/// The per-step scalars of the update.
struct Hyper {
    lr: ValueId,
    clip: Option<ValueId>,
    bc1: ValueId,
    bc2: ValueId,
    a: AdamW,
}

/// Bias corrections `1 - b^(k+1)` and the clip factor.
fn hyper(
    b: &mut Builder<'_>,
    k: ValueId,
    lr: ValueId,
    norm: ValueId,
    a: &AdamW,
) -> Result<Hyper, TrainError> {
    let t = add_const(b, k, 1.0)?;
    let mut correction = |beta: f64| -> Result<ValueId, TrainError> {
        let base = b.scalar(beta, DType::F32)?;
        let power = b.binary(crate::ir::BinaryOp::Pow, base, t)?;
        let one = b.scalar(1.0, DType::F32)?;
        Ok(b.sub(one, power)?)
    };
    let (bc1, bc2) = (correction(a.beta1)?, correction(a.beta2)?);
    let clip = if a.clip_norm > 0.0 {
        let denom = add_const(b, norm, 1e-6)?;
        let limit = b.scalar(a.clip_norm, DType::F32)?;
        let ratio = b.div(limit, denom)?;
        let one = b.scalar(1.0, DType::F32)?;
        Some(b.binary(crate::ir::BinaryOp::Min, ratio, one)?)
    } else {
        None
    };
    Ok(Hyper {
        lr,
        clip,
        bc1,
        bc2,
        a: a.clone(),
    })
}

/// One parameter's AdamW update from `[p, g, m, v]`: `(p', m', v')`.
fn adamw_one(
    b: &mut Builder<'_>,
    h: &Hyper,
    [p, g, m, v]: [ValueId; 4],
    decay: f64,
) -> Result<(ValueId, ValueId, ValueId), TrainError> {
    let shape = b.shape(p);
    let g = match h.clip {
        Some(c) => {
            let c = b.broadcast_to(c, &shape)?;
            b.mul(g, c)?
        }
        None => g,
    };
    let m_new = lerp(b, m, g, h.a.beta1)?;
    let g2 = b.mul(g, g)?;
    let v_new = lerp(b, v, g2, h.a.beta2)?;
    let bc1 = b.broadcast_to(h.bc1, &shape)?;
    let bc2 = b.broadcast_to(h.bc2, &shape)?;
    let m_hat = b.div(m_new, bc1)?;
    let v_hat = b.div(v_new, bc2)?;
    let root = b.unary(UnaryOp::Sqrt, v_hat)?;
    let denom = add_const(b, root, h.a.eps)?;
    let mut update = b.div(m_hat, denom)?;
    if decay > 0.0 {
        let wd = b.scale(p, decay)?;
        update = b.add(update, wd)?;
    }
    let lr = b.broadcast_to(h.lr, &shape)?;
    let step = b.mul(update, lr)?;
    Ok((b.sub(p, step)?, m_new, v_new))
}

/// `beta * old + (1 - beta) * x`.
fn lerp(b: &mut Builder<'_>, old: ValueId, x: ValueId, beta: f64) -> Result<ValueId, TrainError> {
    let kept = b.scale(old, beta)?;
    let added = b.scale(x, 1.0 - beta)?;
    Ok(b.add(kept, added)?)
}

/// `sqrt(sum over every gradient of sum(g^2))`, an f32 scalar.
fn global_norm(b: &mut Builder<'_>, grads: &[ValueId]) -> Result<ValueId, TrainError> {
    let mut total = b.scalar(0.0, DType::F32)?;
    for &g in grads {
        let sq = b.mul(g, g)?;
        let rank = b.ty(sq).rank();
        let s = if rank == 0 {
            sq
        } else {
            b.reduce_sum(sq, &(0..rank).collect::<Vec<_>>())?
        };
        total = b.add(total, s)?;
    }
    Ok(b.unary(UnaryOp::Sqrt, total)?)
}
