//! Train-step time and XLA temporary memory of flash-tiny at one vocabulary size, with the
//! gradient of the embedding lookup built as a scatter-add (the default) or as the old
//! one-hot matrix product (BENCHMARKS.md, "Vocabulary size and the gather VJP").
//!
//! ```sh
//! cargo run --release --example vocab_step -- --vocab 4096 --vjp scatter-add
//! cargo run --release --example vocab_step -- --vocab 4096 --vjp one-hot
//! ```
//!
//! Options: `--vocab V` (256), `--vjp scatter-add|one-hot` (scatter-add), `--seq-len T`
//! (256), `--batch B` (16), `--warmup N` (2), `--reps N` (5). It builds the train step with
//! the library (`flash::train::build_train_step`, the program `flash train` runs, lr and
//! schedule at their defaults for 1000 steps), compiles it through our pipeline and the
//! PJRT plugin `flash::runtime::shared_client(None)` picks (`FLASH_PJRT_PLUGIN` or the CPU
//! plugin), reads the executable's compiled memory statistics, then runs the step `warmup`
//! untimed and `reps` timed times on random tokens, threading the donated state through.
//! Prints one line: vocab, form, median and min step ms, XLA temp MiB, our and XLA's compile
//! seconds.

use anyhow::{bail, Context, Result};
use flash::bench::program::inputs;
use flash::compiler::compile;
use flash::config::ModelConfig;
use flash::exec::to_host_data;
use flash::models::param_specs;
use flash::passes::autodiff::GatherVjp;
use flash::passes::PipelineOptions;
use flash::runtime::Buffer;
use flash::train::{build_train_step, StepLayout, TrainOverrides};
use std::time::{Duration, Instant};

/// The command-line settings.
struct Args {
    vocab: usize,
    vjp: GatherVjp,
    seq_len: usize,
    batch: usize,
    warmup: usize,
    reps: usize,
}

fn parse_args() -> Result<Args> {
    let mut a = Args {
        vocab: 256,
        vjp: GatherVjp::ScatterAdd,
        seq_len: 256,
        batch: 16,
        warmup: 2,
        reps: 5,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        let number = || -> Result<usize> {
            value
                .parse()
                .with_context(|| format!("{flag}: not a number: {value}"))
        };
        match flag.as_str() {
            "--vocab" => a.vocab = number()?,
            "--seq-len" => a.seq_len = number()?,
            "--batch" => a.batch = number()?,
            "--warmup" => a.warmup = number()?,
            "--reps" => a.reps = number()?,
            "--vjp" => {
                a.vjp = match value.as_str() {
                    "scatter-add" => GatherVjp::ScatterAdd,
                    "one-hot" => GatherVjp::OneHot,
                    other => bail!("--vjp: scatter-add or one-hot, not {other}"),
                }
            }
            other => bail!("unknown option {other}"),
        }
    }
    if a.reps == 0 {
        bail!("--reps must be at least 1");
    }
    Ok(a)
}

fn main() -> Result<()> {
    let a = parse_args()?;
    let mut cfg = ModelConfig::preset("flash-tiny")?;
    cfg.vocab = a.vocab;
    cfg.validate()?;
    // Process-wide: must be set before the graph is differentiated.
    a.vjp.set();
    let opts = TrainOverrides {
        batch: Some(a.batch),
        seq_len: Some(a.seq_len),
        ..TrainOverrides::default()
    }
    .options(&cfg, 1000);

    let start = Instant::now();
    let graph = build_train_step(&cfg, &opts)?;
    let program = compile(graph, &PipelineOptions::default())?;
    let ours = start.elapsed();

    let client = flash::runtime::shared_client(None)?;
    let start = Instant::now();
    let exe = client.compile(&program.mlir)?;
    let xla = start.elapsed();
    let temp_mib = exe
        .memory_stats()?
        .map(|m| m.temp_bytes.max(m.host_temp_bytes) as f64 / (1 << 20) as f64);

    let layout = StepLayout::of(&cfg)?;
    let n = layout.state_len();
    let specs = param_specs(&cfg)?;
    let host = inputs(&program.graph, &specs, cfg.vocab, 1)?;
    let device = client.default_device()?;
    let upload =
        |i: usize| -> Result<Buffer> { Ok(client.upload(&to_host_data(&host[i])?, device)?) };
    let mut state: Vec<Buffer> = (0..n).map(upload).collect::<Result<_>>()?;
    let mut times = Vec::with_capacity(a.reps);
    for run in 0..a.warmup + a.reps {
        let mut args = std::mem::take(&mut state);
        for i in n..host.len() {
            args.push(upload(i)?);
        }
        let t0 = Instant::now();
        let mut outputs = exe.execute_donating(args)?;
        let dt = t0.elapsed();
        if outputs.len() != n + 2 {
            bail!("{} outputs, expected {}", outputs.len(), n + 2);
        }
        let loss = outputs[n].to_host()?.to_vec::<f32>()?;
        if !loss.first().is_some_and(|l| l.is_finite()) {
            bail!("run {run}: loss {loss:?} is not finite");
        }
        outputs.truncate(n);
        state = outputs;
        if run >= a.warmup {
            times.push(dt);
        }
    }
    times.sort();
    let median = median_ms(&times);
    let vjp = match a.vjp {
        GatherVjp::ScatterAdd => "scatter-add",
        GatherVjp::OneHot => "one-hot",
    };
    let temp = temp_mib.map_or("n/a".to_string(), |m| format!("{m:.1}"));
    println!(
        "vocab {} vjp {vjp} T {} B {}: median {median:.1} ms, min {:.1} ms ({} runs), \
         XLA temp {temp} MiB, compile ours {:.2} s, XLA {:.2} s",
        a.vocab,
        a.seq_len,
        a.batch,
        times[0].as_secs_f64() * 1e3,
        times.len(),
        ours.as_secs_f64(),
        xla.as_secs_f64(),
    );
    Ok(())
}

/// The median of sorted `times`, in ms.
fn median_ms(times: &[Duration]) -> f64 {
    let n = times.len();
    let mid = if n % 2 == 1 {
        times[n / 2]
    } else {
        (times[n / 2 - 1] + times[n / 2]) / 2
    };
    mid.as_secs_f64() * 1e3
}
