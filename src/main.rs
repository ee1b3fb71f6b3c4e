//! The `flash` command line: a thin layer over the library (see `flash::cli`).

use std::process::ExitCode;

fn main() -> ExitCode {
    // Before any thread starts: XLA's per-step temporaries then reuse one retained heap.
    flash::runtime::keep_freed_host_memory();
    flash::cli::main()
}
