//! `flash bench --decode`: per-token decode latency against the context already in the
//! state, prefill time and state size per model (the inference twin of the paper's Figure
//! 5(a)); a table, `--json` records and a `--plot` PNG.

use super::bench::{write_json, BenchArgs};
use super::output;
use super::output::note;
use crate::bench::plot::plot_curves;
use crate::bench::{
    decode_table, measure_bandwidth, parse_model, run_decode_bench, DecodeBenchOptions,
};

/// Runs `flash bench --decode`.
pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let models = args
        .models
        .iter()
        .map(|m| parse_model(m))
        .collect::<Result<Vec<_>, _>>()?;
    if args.seq_lens.is_empty() || args.seq_lens.contains(&0) {
        anyhow::bail!("--seq-lens: give context lengths of at least 1");
    }
    if args.batch == 0 || args.reps == 0 {
        anyhow::bail!("--batch and --reps must be at least 1");
    }
    let client = args.devices.client()?;
    let bandwidth = match args.bandwidth_size {
        0 => None,
        mib => {
            note!("decode bench: measuring the memory bandwidth ({mib} MiB copy)");
            Some(measure_bandwidth(&client, mib, 5)?)
        }
    };
    if let Some(b) = &bandwidth {
        note!(
            "bandwidth: {:.1} GB/s ({} MiB read and written on {})",
            b.bytes_per_s() / 1e9,
            b.bytes >> 20,
            client.platform_name()
        );
    }
    let opts = DecodeBenchOptions {
        models,
        seq_lens: args.seq_lens.clone(),
        batch: args.batch,
        width: args.width,
        layers: args.layers,
        reps: args.reps,
        warmup: args.warmup,
        seed: args.seed,
        prefill: !args.no_prefill,
        precision: args.precision,
        bandwidth,
    };
    let records = run_decode_bench(&client, &opts, &mut |done, total| {
        note!("decode bench: {done}/{total} cases");
    })?;
    output::text(&decode_table(&records))?;
    if let Some(path) = &args.json {
        write_json(path, &records)?;
    }
    if let Some(path) = &args.plot {
        let title = format!(
            "decode step latency, batch {}, d={} ({})",
            opts.batch,
            opts.width,
            client.platform_name()
        );
        plot_curves(&records, &title, "median time per step", path)?;
    }
    Ok(())
}
