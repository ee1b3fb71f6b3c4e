//! `flash compile`: IR text (a `.fir` file) to StableHLO, with the pipeline's IR dumps and
//! per-pass timings on request.

use super::device_args::MeshArgs;
use super::model_args::{choice, ModelArgs, OptimizerArgs};
use super::output::note;
use super::paths::{check_not_an_input, check_output_file};
use crate::chunk_choice::{chunk_note, ChunkChoice};
use crate::compiler::{compile, Program};
use crate::config::ModelConfig;
use crate::decode::{build_decode_step, build_prefill, DecodeOptions};
use crate::ir::text::parse_graph_file;
use crate::ir::Graph;
use crate::models::{build_lm, BuildOptions, Mode};
use crate::passes::{CumsumStrategy, PipelineOptions};
use crate::safetensors_io::write_atomically;
use crate::target::Target;
use crate::train::{build_train_step, StepLayout, TrainOptions};
use anyhow::Context;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::Args;
use std::path::{Path, PathBuf};

/// Options of the pass pipeline shared by the commands that compile.
#[derive(Debug, Args)]
pub struct PipelineFlags {
    /// Print the IR after every pass (to stderr).
    #[arg(long)]
    pub print_ir_after_all: bool,
    /// Print the IR after the named pass (repeatable).
    #[arg(long, value_name = "PASS")]
    pub print_ir_after: Vec<String>,
    /// Print per-pass timings (to stderr).
    #[arg(long)]
    pub timings: bool,
    /// Lowering of prefix sums: chosen per cumsum by the cost rule (auto), a triangular
    /// matmul, a padded reduce_window or a log-step scan.
    #[arg(long, value_parser = choice::<CumsumStrategy>(), default_value_t = CumsumStrategy::Auto)]
    pub cumsum: CumsumStrategy,
    /// Verify the IR after every pass (always on in debug builds).
    #[arg(long)]
    pub verify_each: bool,
    /// Keep bf16 x bf16 -> f32 dots as they are, overriding the target (`--target gpu|tpu`
    /// and GPU/TPU plugins already do; XLA's CPU runtime needs them widened, the default
    /// there): the pipeline then runs without upcast_mixed_dots.
    #[arg(long)]
    pub keep_mixed_dots: bool,
}

impl PipelineFlags {
    /// The pipeline options these flags ask for, for `target`.
    pub fn options(&self, target: Target) -> PipelineOptions {
        PipelineOptions {
            verify_each: self.verify_each || cfg!(debug_assertions),
            print_after_all: self.print_ir_after_all,
            print_after: self.print_ir_after.clone(),
            cumsum: self.cumsum,
            target,
            keep_mixed_dots: self.keep_mixed_dots,
        }
    }

    /// Prints what was asked for: IR dumps and timings, to stderr.
    pub fn report(&self, program: &Program) {
        for (pass, text) in &program.report.dumps {
            note!("// ----- IR after {pass} -----\n{text}");
        }
        if self.timings {
            note!("{}", program.report.to_string().trim_end());
            note!(
                "emit StableHLO  {:>10.3}",
                program.emit_time.as_secs_f64() * 1e3
            );
        }
    }
}

/// Arguments of `flash compile`.
#[derive(Debug, Args)]
pub struct CompileArgs {
    /// A graph in IR text form (or give --preset/--config for a model).
    #[arg(required_unless_present_any = ["preset", "config"], conflicts_with_all = ["preset", "config"])]
    pub graph: Option<PathBuf>,
    /// The model, instead of a graph file.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Sequence length T of a model program.
    #[arg(long, default_value_t = 256)]
    pub seq_len: usize,
    /// Batch size B of a model program [default: 1; with --train, flash train's 16].
    #[arg(long)]
    pub batch: Option<usize>,
    /// Objective of a model program: causal (lm: input `tokens` i32 [B, T+1]) or masked
    /// language modelling (mlm: inputs `tokens`, `targets`, `loss_mask` [B, T]).
    #[arg(long, value_parser = choice::<Mode>(), default_value_t = Mode::Lm)]
    pub mode: Mode,
    /// Also output the logits.
    #[arg(long, conflicts_with = "train")]
    pub forward: bool,
    /// Emit the training step instead, the one `flash train` runs for the same flags
    /// (AdamW and schedule from the flags below, else flash train's defaults for a run of
    /// `--steps`): parameters, optimizer state, step and tokens in; updated state, loss and
    /// gradient norm out, with the state donated.
    #[arg(long)]
    pub train: bool,
    /// Emit the decode step instead: parameters, state, `token` i32 [B] and `position` i32
    /// in; logits [B, vocab] and the new state out, the state donated (see `flash::decode`).
    #[arg(long, conflicts_with_all = ["train", "forward", "prefill"])]
    pub decode: bool,
    /// Emit the prefill program instead: parameters and `tokens` i32 [B, T] (a prompt of
    /// --seq-len tokens) in; the logits after it and the decode state out.
    #[arg(long, conflicts_with_all = ["train", "forward"])]
    pub prefill: bool,
    /// Key/value cache positions of the --decode and --prefill programs of Transformer,
    /// Transformer++ and FLASH-Quad models [default: --seq-len].
    #[arg(long, value_name = "N")]
    pub max_len: Option<usize>,
    /// Run length the train step's learning-rate schedule is laid out for.
    #[arg(long, default_value_t = 1000)]
    pub steps: u64,
    /// The train step's optimizer and schedule (with --train).
    #[command(flatten)]
    pub optimizer: OptimizerArgs,
    /// FLASH chunk size: a number, or `auto` to choose it for --seq-len and --target
    /// [default: the model config's].
    #[arg(long, value_name = "auto|C", conflicts_with = "graph")]
    pub chunk: Option<ChunkChoice>,
    /// The machine the program is for: picks the floor of `--chunk auto` and, for gpu and
    /// tpu, keeps bf16 dots narrow (as --keep-mixed-dots).
    #[arg(long, default_value_t = Target::Cpu, value_parser = target_parser())]
    pub target: Target,
    /// Where to write the StableHLO text.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Pipeline options.
    #[command(flatten)]
    pub pipeline: PipelineFlags,
    /// Annotate a model program (or its --train step) for a device mesh: Shardy shardings
    /// on its inputs and outputs and `mhlo.num_partitions`.
    #[command(flatten)]
    pub mesh: MeshArgs,
}

/// Parses `--target`: the names of [`Target::ALL`], described in `--help`.
fn target_parser() -> impl TypedValueParser<Value = Target> {
    let values = Target::ALL.map(|t| PossibleValue::new(t.name()).help(t.description()));
    PossibleValuesParser::new(values).try_map(|name| name.parse::<Target>())
}

/// Runs `flash compile`.
pub fn run(args: CompileArgs) -> anyhow::Result<()> {
    check_output_file("-o", &args.output)?;
    let inputs = [
        ("GRAPH", args.graph.as_deref()),
        ("--config", args.model.config.as_deref()),
    ];
    let inputs: Vec<_> = inputs
        .into_iter()
        .filter_map(|(f, p)| Some((f, p?)))
        .collect();
    check_not_an_input("-o", &args.output, &inputs)?;
    let start = std::time::Instant::now();
    let (graph, what, note) = match &args.graph {
        Some(_) if args.mesh.mesh.is_some() => {
            anyhow::bail!("--mesh annotates model programs; a graph file carries its own `mesh` and `shard` lines")
        }
        Some(path) => (read_graph(path)?, path.display().to_string(), None),
        None => {
            let (graph, note) = model_graph(&args)?;
            (graph, "the model".to_string(), note)
        }
    };
    let build_time = start.elapsed();
    let program = compile(graph, &args.pipeline.options(args.target))
        .with_context(|| format!("cannot compile {what}"))?;
    args.pipeline.report(&program);
    if args.pipeline.timings {
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        note!("build graph     {:>10.3}", ms(build_time));
        note!(
            "our side total  {:>10.3}",
            ms(build_time + program.our_compile_time())
        );
    }
    if let Some(note) = note {
        note!("note: {note}");
    }
    write_atomically(&args.output, program.mlir.as_bytes())
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    Ok(())
}

fn read_graph(path: &Path) -> anyhow::Result<Graph> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let file = path.display().to_string();
    parse_graph_file(&text, &file).map_err(|e| anyhow::anyhow!("{file}:{e}"))
}

/// The model program the flags ask for, with the note on its chunk size if it needs one.
fn model_graph(args: &CompileArgs) -> anyhow::Result<(Graph, Option<String>)> {
    let (graph, cfg) = model_graph_of(args)?;
    Ok((graph, chunk_note(&cfg, args.seq_len)))
}

fn model_graph_of(args: &CompileArgs) -> anyhow::Result<(Graph, ModelConfig)> {
    let mut cfg = args.model.load()?;
    if args.seq_len == 0 || args.batch == Some(0) {
        anyhow::bail!("--seq-len and --batch must be at least 1");
    }
    if let Some(choice) = args.chunk {
        cfg = choice
            .apply(&cfg, args.seq_len, args.target)
            .map_err(anyhow::Error::msg)?;
    }
    if args.train {
        if args.steps == 0 {
            anyhow::bail!(
                "--steps 0: the train step's schedule is laid out for a run of --steps steps; \
                 give at least 1"
            );
        }
        if args.mode != Mode::Lm {
            anyhow::bail!("--train builds the causal LM train step; drop --mode mlm");
        }
        let mut g = build_train_step(&cfg, &args.train_options(&cfg))?;
        if let Some(par) = args.mesh.parallelism() {
            par.annotate_step(&mut g, &StepLayout::of(&cfg)?)?;
        }
        return Ok((g, cfg));
    }
    if args.mesh.mesh.is_some() && (args.decode || args.prefill) {
        anyhow::bail!(
            "--mesh annotates model and --train programs; drop it for --decode and --prefill"
        );
    }
    if args.decode || args.prefill {
        return Ok((generation_graph(args, &cfg)?, cfg));
    }
    if args.max_len.is_some() {
        anyhow::bail!("--max-len sizes the key/value cache of --decode and --prefill programs");
    }
    if args.optimizer.any_given() {
        anyhow::bail!("the optimizer and schedule flags (--lr, --schedule, ...) need --train");
    }
    let opts = BuildOptions {
        batch: args.batch.unwrap_or(1),
        seq_len: args.seq_len,
        mode: args.mode,
        forward: args.forward,
    };
    let mut g = build_lm(&cfg, &opts)?;
    if let Some(par) = args.mesh.parallelism() {
        par.annotate_lm(&mut g, &StepLayout::of(&cfg)?)?;
    }
    Ok((g, cfg))
}

/// The `--decode` or `--prefill` program of `cfg`'s causal LM.
fn generation_graph(args: &CompileArgs, cfg: &ModelConfig) -> anyhow::Result<Graph> {
    if args.mode != Mode::Lm {
        anyhow::bail!("--decode and --prefill build causal LM programs; drop --mode mlm");
    }
    let opts = DecodeOptions {
        batch: args.batch.unwrap_or(1),
        capacity: args.max_len.unwrap_or(args.seq_len),
    };
    Ok(if args.decode {
        build_decode_step(cfg, &opts)?
    } else {
        build_prefill(cfg, &opts, args.seq_len)?
    })
}

impl CompileArgs {
    /// The options of the `--train` step of `cfg`'s model: the flags, else the defaults
    /// `flash train` takes.
    pub fn train_options(&self, cfg: &ModelConfig) -> TrainOptions {
        let overrides = self.optimizer.overrides(self.batch, Some(self.seq_len));
        overrides.options(cfg, self.steps)
    }
}
