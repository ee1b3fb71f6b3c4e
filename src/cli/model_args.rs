//! Flags shared by the commands that work on a model: which model (`--preset` or `--config`).

use crate::config::ModelConfig;
use clap::Args;
use std::path::PathBuf;

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
