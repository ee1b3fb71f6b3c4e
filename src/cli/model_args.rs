//! Flags shared by several commands: which model (`--preset` or `--config`), the optimizer
//! and schedule of a train step ([`OptimizerArgs`], for `flash train` and
//! `flash compile --train`), and [`choice`], the parser of every flag that names one of an
//! enum's values (the names come from the library's [`Named`] table).

use crate::config::names::{parse, Named};
use crate::config::ModelConfig;
use crate::train::{Remat, ScheduleKind, TrainOverrides};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::Args;
use std::path::PathBuf;

/// Parses a flag's value as one of `T`'s names (`--help` lists them).
pub fn choice<T: Named + Send + Sync>() -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(T::ALL.iter().map(|v| v.name())).try_map(|s| parse::<T>(&s))
}

/// Which model: a preset name or a config file (TOML or JSON).
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// A preset: flash-tiny, flash-quad-tiny, transformer++-tiny, transformer-tiny,
    /// flash-base, flash-quad-base, transformer++-base.
    #[arg(long, conflicts_with = "config")]
    pub preset: Option<String>,
    /// A model config file (.toml or .json).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

impl ModelArgs {
    /// True if a model was named.
    pub fn given(&self) -> bool {
        self.preset.is_some() || self.config.is_some()
    }

    /// The model config, validated.
    pub fn load(&self) -> anyhow::Result<ModelConfig> {
        let cfg = match (&self.preset, &self.config) {
            (Some(name), _) => ModelConfig::preset(name)?,
            (None, Some(path)) => ModelConfig::from_file(path)?,
            (None, None) => anyhow::bail!("name a model with --preset NAME or --config FILE"),
        };
        cfg.validate()?;
        Ok(cfg)
    }
}

/// The optimizer and learning-rate schedule of a train step. Flags left out take the
/// library's defaults ([`TrainOverrides::options`]) on a new run, and the checkpoint's values
/// on `flash train --resume`.
#[derive(Debug, Args)]
pub struct OptimizerArgs {
    /// Peak learning rate [default: 1e-2 for flash and flash-quad, 3e-3 for the Transformers].
    #[arg(long, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// Learning-rate floor of the cosine schedule [default: lr / 10].
    #[arg(long, allow_negative_numbers = true)]
    pub min_lr: Option<f64>,
    /// Linear warm-up steps [default: a tenth of the schedule's span (--schedule-steps, else
    /// --steps), at most 100].
    #[arg(long)]
    pub warmup: Option<u64>,
    /// Learning-rate schedule: linear warm-up, then a cosine decay to --min-lr, lr *
    /// sqrt(warmup / step), or constant [default: cosine].
    #[arg(long, value_parser = choice::<ScheduleKind>())]
    pub schedule: Option<ScheduleKind>,
    /// Steps over which the cosine decays [default: --steps].
    #[arg(long)]
    pub schedule_steps: Option<u64>,
    /// AdamW decoupled weight decay (matrices only) [default: 0.1].
    #[arg(long, allow_negative_numbers = true)]
    pub weight_decay: Option<f64>,
    /// Clip the gradients' global norm to this (0: off) [default: 1.0].
    #[arg(long, allow_negative_numbers = true)]
    pub clip: Option<f64>,
    /// AdamW's epsilon, added to sqrt(v_hat) [default: 1e-12].
    #[arg(long, allow_negative_numbers = true)]
    pub adam_eps: Option<f64>,
    /// What the backward pass recomputes instead of keeping: none, attention (each layer's
    /// attention core between its projections, scores included) or layer (all of each
    /// layer from its input) [default: none].
    #[arg(long, value_parser = choice::<Remat>())]
    pub remat: Option<Remat>,
}

impl OptimizerArgs {
    /// True if any of these flags was given.
    pub fn any_given(&self) -> bool {
        self.overrides(None, None) != TrainOverrides::default()
    }

    /// The settings given, with the batch shape given.
    pub fn overrides(&self, batch: Option<usize>, seq_len: Option<usize>) -> TrainOverrides {
        TrainOverrides {
            batch,
            seq_len,
            lr: self.lr,
            min_lr: self.min_lr,
            warmup: self.warmup,
            schedule: self.schedule,
            schedule_steps: self.schedule_steps,
            weight_decay: self.weight_decay,
            clip: self.clip,
            adam_eps: self.adam_eps,
            remat: self.remat,
        }
    }
}
