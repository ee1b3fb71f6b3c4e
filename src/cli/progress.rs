//! Progress as plain lines on a standard error that is not a terminal (CI logs, `nohup`,
//! `2>log`), where the progress bar draws nothing: one line per evaluation, and one at least
//! every [`PLAIN_INTERVAL`] of training in between.

use super::output::note;
use crate::train::StepReport;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// The longest stretch of training without a plain progress line.
pub const PLAIN_INTERVAL: Duration = Duration::from_secs(60);

/// Writes plain progress lines when standard error is not a terminal.
#[derive(Debug)]
pub struct PlainProgress {
    enabled: bool,
    total: u64,
    last_line: Instant,
    started: Instant,
}

impl PlainProgress {
    /// Plain lines if standard error is not a terminal.
    pub fn for_stderr() -> PlainProgress {
        PlainProgress {
            enabled: !std::io::stderr().is_terminal(),
            total: 0,
            last_line: Instant::now(),
            started: Instant::now(),
        }
    }

    /// Training (to step `total`) starts: the clock of the interval starts.
    pub fn started(&mut self, total: u64) {
        self.total = total;
        self.last_line = Instant::now();
        self.started = Instant::now();
    }

    /// After a step: a line if the last one is [`PLAIN_INTERVAL`] old.
    pub fn stepped(&mut self, r: &StepReport) {
        if self.enabled && self.last_line.elapsed() >= PLAIN_INTERVAL {
            note!(
                "step {}/{}: train {:.4} bits per byte ({:.4} nats/token), {:.0} tokens/s, lr {:.2e} ({:.0} s)",
                r.step,
                self.total,
                r.bits_per_byte,
                r.loss,
                r.tokens_per_s,
                r.lr,
                self.started.elapsed().as_secs_f64()
            );
            self.last_line = Instant::now();
        }
    }

    /// After an evaluation: always a line.
    pub fn evaluated(&mut self, step: u64, val_bpb: f64) {
        if self.enabled {
            note!(
                "step {step}/{}: validation {val_bpb:.4} bits per byte ({:.0} s)",
                self.total,
                self.started.elapsed().as_secs_f64()
            );
            self.last_line = Instant::now();
        }
    }
}
