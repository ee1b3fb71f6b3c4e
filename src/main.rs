//! The `flash` command line: a thin layer over the library (see `flash::cli`).

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Before any thread starts: XLA's per-step temporaries then reuse one retained heap.
    flash::runtime::keep_freed_host_memory();
    let cli = flash::cli::Cli::parse();
    match flash::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
