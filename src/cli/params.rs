//! `flash params` (every parameter's name, shape and dtype, and the total) and `flash init`
//! (initial parameters as safetensors, keyed by parameter name).

use super::model_args::ModelArgs;
use super::output::{note, outln};
use super::paths::{check_not_an_input, check_output_file};
use crate::models::{count_params, init_params, param_specs};
use crate::safetensors_io::write_tensors;
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;

/// Arguments of `flash params`.
#[derive(Debug, Args)]
pub struct ParamsArgs {
    /// The model.
    #[command(flatten)]
    pub model: ModelArgs,
}

/// Runs `flash params`.
pub fn run_params(args: ParamsArgs) -> anyhow::Result<()> {
    let cfg = args.model.load()?;
    let specs = param_specs(&cfg)?;
    let width = specs.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for s in &specs {
        outln!("{:<width$}  {}", s.name, s.ty);
    }
    let total = count_params(&specs);
    outln!(
        "total: {total} parameters ({:.2} M) in {} tensors",
        total as f64 / 1e6,
        specs.len()
    );
    Ok(())
}

/// Arguments of `flash init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The model.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Random seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Where to write the parameters (safetensors).
    #[arg(short, long)]
    pub output: PathBuf,
}

/// Runs `flash init`.
pub fn run_init(args: InitArgs) -> anyhow::Result<()> {
    check_output_file("-o", &args.output)?;
    if let Some(config) = &args.model.config {
        check_not_an_input("-o", &args.output, &[("--config", config)])?;
    }
    let cfg = args.model.load()?;
    let specs = param_specs(&cfg)?;
    let tensors = init_params(&specs, args.seed);
    let mut meta = std::collections::HashMap::new();
    meta.insert("config".to_string(), serde_json::to_string(&cfg)?);
    write_tensors(&args.output, &tensors, Some(meta))
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    note!(
        "wrote {} parameters to {}",
        count_params(&specs),
        args.output.display()
    );
    Ok(())
}
