//! `flash run`: runs any StableHLO program (ours or anyone's) with inputs from a safetensors
//! file (keys `arg0`, `arg1`, ... or the arguments' names) or seeded random values, writes
//! outputs `out0`, `out1`, ... and optionally benchmarks it.

use super::output::{outln, OutputError};
use super::paths::{check_not_an_input, check_output_file};
use crate::exec;
use crate::mlir_signature::{parse_signature, Argument, Signature};
use crate::runtime::RuntimeError;
use crate::safetensors_io::{read_tensors, take_input, write_tensors, NamedTensors};
use crate::tensor::{check_available_memory, HostTensor};
use anyhow::{bail, Context};
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Arguments of `flash run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The StableHLO program (MLIR text with a `@main` function).
    pub program: PathBuf,
    /// Inputs: a safetensors file with keys `arg0`, `arg1`, ... or the argument names.
    #[arg(long, conflicts_with = "random")]
    pub inputs: Option<PathBuf>,
    /// Fill inputs with seeded random values instead (normal floats, integers in [0, 256)).
    #[arg(long)]
    pub random: bool,
    /// Seed for `--random`.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Where to write the outputs (`out0`, `out1`, ...).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Time N executions after a warm-up and report XLA's compile time, min and median.
    #[arg(long, value_name = "N")]
    pub bench: Option<usize>,
    /// PJRT plugin: `cpu`, `cuda`, `tpu` or a path (default: FLASH_PJRT_PLUGIN, else cpu).
    #[arg(long)]
    pub plugin: Option<String>,
    /// Only compile, print XLA's memory plan of the program (arguments, outputs, aliased
    /// and temporary bytes) and exit, without inputs or running it.
    #[arg(long, conflicts_with_all = ["inputs", "random", "output", "bench"])]
    pub memory_stats: bool,
    /// The executable cache.
    #[command(flatten)]
    pub cache: super::device_args::CacheArgs,
}

/// Runs `flash run`.
pub fn run(args: RunArgs) -> anyhow::Result<()> {
    if let Some(path) = &args.output {
        check_output_file("--output", path)?;
        let mut inputs = vec![("PROGRAM", args.program.as_path())];
        inputs.extend(args.inputs.as_deref().map(|p| ("--inputs", p)));
        check_not_an_input("--output", path, &inputs)?;
    }
    let text = std::fs::read_to_string(&args.program)
        .with_context(|| format!("cannot read program {}", args.program.display()))?;
    let sig = parse_signature(&text)
        .with_context(|| format!("{}: cannot read @main's signature", args.program.display()))?;
    if args.bench == Some(0) {
        bail!("--bench needs at least 1 execution");
    }
    // Inputs from a file are checked before compiling; random ones are drawn after the
    // compiled program's memory check, so a program too large for the host fails there.
    let file_inputs = (!args.random && !args.memory_stats)
        .then(|| gather_inputs(&args, &sig))
        .transpose()?;
    let client = crate::runtime::shared_client(args.plugin.as_deref())?;
    let compiled = exec::compile(&client, &text)
        .map_err(|e| name_diagnostics(e, &args.program))
        .with_context(|| format!("XLA rejected {}", args.program.display()))?;
    if args.memory_stats {
        return print_memory_stats(&compiled.executable);
    }
    exec::check_memory(&client, &compiled.executable)
        .with_context(|| format!("cannot run {}", args.program.display()))?;
    let inputs = match file_inputs {
        Some(inputs) => inputs,
        None => gather_inputs(&args, &sig)?,
    };
    let outputs = exec::execute(&client, &compiled.executable, &inputs)?;
    if let Some(n) = args.bench {
        let times = (0..n)
            .map(|_| {
                let start = Instant::now();
                exec::execute(&client, &compiled.executable, &inputs).map(|_| start.elapsed())
            })
            .collect::<Result<Vec<_>, _>>()?;
        outln!("{}", bench_line(compiled.compile_time, times));
    }
    match &args.output {
        Some(path) => write_outputs(path, outputs)?,
        None => print_summary(&outputs)?,
    }
    Ok(())
}

/// XLA's MLIR diagnostics with the program's file named: its buffer's `-:LINE:COL:` and
/// the location-less `<unknown>:0:` become `FILE:LINE:COL:` and `FILE:`.
fn name_diagnostics(e: RuntimeError, file: &Path) -> RuntimeError {
    let RuntimeError::Xla { call, message } = e else {
        return e;
    };
    let name = file.display();
    let message = message
        .lines()
        .map(|l| {
            if let Some(rest) = l.strip_prefix("-:") {
                format!("{name}:{rest}")
            } else if let Some(rest) = l.strip_prefix("<unknown>:0:") {
                format!("{name}:{rest}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    RuntimeError::Xla { call, message }
}

fn gather_inputs(args: &RunArgs, sig: &Signature) -> anyhow::Result<Vec<HostTensor>> {
    let inputs = read_or_draw_inputs(args, sig)?;
    for (i, (a, t)) in sig.args.iter().zip(&inputs).enumerate() {
        check_bound(i, a, t)?;
    }
    Ok(inputs)
}

/// Fails if argument `i` has a `flash.bound` and a value of `t` lies outside `0..bound`.
fn check_bound(i: usize, a: &Argument, t: &HostTensor) -> anyhow::Result<()> {
    let Some(bound) = a.bound else {
        return Ok(());
    };
    if let Some(v) = t
        .to_f64()
        .into_iter()
        .find(|&v| v < 0.0 || v >= bound as f64)
    {
        let name = a.name.clone().unwrap_or_else(|| format!("arg{i}"));
        bail!("input {name} = {v} is outside the program's range 0..{bound} (for a decode step: its key/value cache holds {bound} positions; compile with a larger --max-len)");
    }
    Ok(())
}

fn read_or_draw_inputs(args: &RunArgs, sig: &Signature) -> anyhow::Result<Vec<HostTensor>> {
    if args.random {
        return random_inputs(sig, args.seed);
    }
    if sig.args.is_empty() {
        return Ok(Vec::new());
    }
    let Some(path) = &args.inputs else {
        bail!(
            "the program takes {} argument(s): give --inputs FILE.safetensors or --random",
            sig.args.len()
        );
    };
    let tensors = read_tensors(path)?;
    let names: Vec<Vec<String>> = sig.args.iter().enumerate().map(argument_names).collect();
    refuse_unused(path, &tensors, &names)?;
    sig.args
        .iter()
        .zip(&names)
        .map(|(a, names)| Ok(take_input(path, &tensors, names, &a.ty)?))
        .collect()
}

/// The keys that may hold argument `i`: `arg{i}`, then its name.
fn argument_names((i, a): (usize, &Argument)) -> Vec<String> {
    let mut names = vec![format!("arg{i}")];
    names.extend(a.name.clone());
    names
}

/// Fails if a tensor of the inputs file would not be used: its key names no argument, or
/// a second tensor names the same argument (`arg0` and its name).
fn refuse_unused(path: &Path, tensors: &NamedTensors, names: &[Vec<String>]) -> anyhow::Result<()> {
    let used: Vec<&str> = names
        .iter()
        .filter_map(|keys| keys.iter().find(|k| tensors.iter().any(|(t, _)| t == *k)))
        .map(String::as_str)
        .collect();
    let unused: Vec<String> = tensors
        .iter()
        .map(|(k, _)| k)
        .filter(|k| !used.contains(&k.as_str()))
        .map(|k| format!("{k:?}"))
        .collect();
    if unused.is_empty() {
        return Ok(());
    }
    let valid: Vec<String> = names.iter().map(|keys| keys.join(" or ")).collect();
    bail!(
        "{}: tensor {} matches no argument of @main, or repeats one (the keys are: {})",
        path.display(),
        unused.join(", "),
        valid.join(", ")
    )
}

/// Seeded random inputs, after checking that they fit in the host's memory together.
fn random_inputs(sig: &Signature, seed: u64) -> anyhow::Result<Vec<HostTensor>> {
    let sizes: Vec<usize> = sig
        .args
        .iter()
        .map(|a| a.ty.byte_count())
        .collect::<Result<_, _>>()?;
    let total = sizes.iter().map(|&b| b as u128).sum();
    check_available_memory(total, "the program's random inputs")?;
    let inputs = sig.args.iter().enumerate();
    inputs
        .map(|(i, a)| {
            let high = a.bound.map_or(256, |b| b.min(256) as i64);
            let t = HostTensor::try_random(a.ty.clone(), seed.wrapping_add(i as u64), high)?;
            Ok(t)
        })
        .collect()
}

fn write_outputs(path: &Path, outputs: Vec<HostTensor>) -> anyhow::Result<()> {
    let named: Vec<(String, HostTensor)> = outputs
        .into_iter()
        .enumerate()
        .map(|(i, t)| (format!("out{i}"), t))
        .collect();
    write_tensors(path, &named, None)?;
    Ok(())
}

fn print_summary(outputs: &[HostTensor]) -> Result<(), OutputError> {
    for (i, t) in outputs.iter().enumerate() {
        let values = t.to_f64();
        let shown: Vec<String> = values.iter().take(8).map(|v| format!("{v}")).collect();
        let more = if values.len() > 8 { ", ..." } else { "" };
        outln!("out{i}: {} [{}{more}]", t.ty, shown.join(", "));
    }
    Ok(())
}

/// The one-line benchmark report: `run: min 1.93 ms, median 1.97 ms over 5 (XLA compile 0.41 s)`.
pub fn bench_line(compile: Duration, mut times: Vec<Duration>) -> String {
    times.sort();
    let min = times.first().copied().unwrap_or_default();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    format!(
        "run: min {}, median {} over {} (XLA compile {})",
        fmt_duration(min),
        fmt_duration(median),
        times.len(),
        fmt_duration(compile)
    )
}

/// Formats a duration with a unit that keeps three significant digits.
pub fn fmt_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{:.1} us", s * 1e6)
    }
}

/// Prints XLA's compiled memory statistics, in bytes and MiB.
fn print_memory_stats(exe: &crate::runtime::LoadedExecutable) -> anyhow::Result<()> {
    let Some(m) = exe.memory_stats()? else {
        bail!("this plugin does not report compiled memory statistics");
    };
    let mib = |b: i64| b as f64 / f64::from(1u32 << 20);
    for (what, device, host) in [
        ("arguments", m.argument_bytes, m.host_argument_bytes),
        ("outputs", m.output_bytes, m.host_output_bytes),
        ("aliased", m.alias_bytes, m.host_alias_bytes),
        ("temporaries", m.temp_bytes, m.host_temp_bytes),
        ("code", m.generated_code_bytes, m.host_generated_code_bytes),
    ] {
        let b = device.max(host);
        outln!("{what:<12} {b:>14} bytes {:>10.1} MiB", mib(b));
    }
    Ok(())
}
