//! The progress of `flash train` on a terminal: a bar of steps with the training and
//! validation losses in bits per byte, the throughput so far, the learning rate and the time
//! left (the sooner of the last step and the `--time-limit`); plain lines where standard
//! error is not a terminal ([`PlainProgress`]).

use super::output::note;
use super::progress::PlainProgress;
use crate::train::run::{Observer, StepReport};
use anyhow::Context;
use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use std::time::{Duration, Instant};

/// The bar's layout; `{left}` is [`time_left`].
const TEMPLATE: &str = "{bar:30} {pos}/{len} [{elapsed_precise} < {left}] {msg}";

/// Draws the progress bar, created once the programs are compiled so its clock counts
/// training only.
pub struct TrainBar {
    time_limit: Option<Duration>,
    bar: Option<ProgressBar>,
    last: Option<StepReport>,
    val: Option<f64>,
    plain: PlainProgress,
    /// What the chunk size does at this sequence length, said once training starts.
    chunk_note: Option<String>,
}

impl TrainBar {
    /// A bar for a run that stops after `time_limit` of training, if given.
    pub fn new(time_limit: Option<Duration>, chunk_note: Option<String>) -> anyhow::Result<Self> {
        // The template is checked here, before any work, not when training starts.
        style(None).context("progress bar template")?;
        Ok(TrainBar {
            time_limit,
            bar: None,
            last: None,
            val: None,
            plain: PlainProgress::for_stderr(),
            chunk_note,
        })
    }

    /// Ends the bar at the step the run reached (not at the last step of the schedule), so
    /// that the lines written next start on a line of their own.
    pub fn finish(&self, step: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(step);
            bar.abandon();
        }
    }

    fn refresh(&self) {
        let (Some(bar), Some(r)) = (&self.bar, &self.last) else {
            return;
        };
        bar.set_message(message(r, self.val));
        bar.set_position(r.step);
    }
}

/// The bar's text: both losses in bits per byte, the throughput so far, the learning rate.
fn message(r: &StepReport, val: Option<f64>) -> String {
    let val = val.map(|v| format!(" | val {v:.3}")).unwrap_or_default();
    format!(
        "bpb: train {:.3}{val} | {:.0} tok/s | lr {:.2e}",
        r.bits_per_byte, r.tokens_per_s, r.lr
    )
}

/// The bar's style, its time left bounded by `deadline`.
fn style(deadline: Option<Instant>) -> anyhow::Result<ProgressStyle> {
    Ok(ProgressStyle::with_template(TEMPLATE)?.with_key(
        "left",
        move |state: &ProgressState, w: &mut dyn std::fmt::Write| {
            let left = time_left(state.eta(), deadline.map(|d| d - Instant::now().min(d)));
            let _ = write!(w, "{}", clock(left));
        },
    ))
}

/// The time left: the estimate for the remaining steps, or the time to the limit if sooner.
pub fn time_left(steps_eta: Duration, to_limit: Option<Duration>) -> Duration {
    to_limit.map_or(steps_eta, |limit| steps_eta.min(limit))
}

/// `d` as `HH:MM:SS`, as indicatif writes the elapsed time.
fn clock(d: Duration) -> String {
    let s = d.as_secs();
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

impl Observer for TrainBar {
    fn started(&mut self, first: u64, total: u64, compile: Duration) {
        note!(
            "compiled the train and eval programs in {:.1} s",
            compile.as_secs_f64()
        );
        if let Some(n) = self.chunk_note.take() {
            note!("note: {n}");
        }
        let deadline = self.time_limit.map(|limit| Instant::now() + limit);
        // Checked in `new`: the same template cannot fail here.
        let style = style(deadline).unwrap_or_else(|_| ProgressStyle::default_bar());
        let bar = ProgressBar::new(total).with_style(style);
        bar.set_position(first);
        bar.reset_eta();
        self.bar = Some(bar);
        self.plain.started(total);
    }

    fn stepped(&mut self, r: &StepReport) {
        self.last = Some(r.clone());
        self.plain.stepped(r);
        self.refresh();
    }

    fn evaluated(&mut self, step: u64, val_bpb: f64) {
        self.val = Some(val_bpb);
        self.plain.evaluated(step, val_bpb);
        if let Some(bar) = &self.bar {
            bar.println(format!(
                "step {step}: validation {val_bpb:.4} bits per byte"
            ));
        }
        self.refresh();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_left_is_the_sooner_of_the_steps_and_the_limit() {
        let (s, m) = (Duration::from_secs(600), Duration::from_secs(60));
        assert_eq!(time_left(s, Some(m)), m);
        assert_eq!(time_left(m, Some(s)), m);
        assert_eq!(time_left(s, None), s);
        assert_eq!(clock(Duration::from_secs(3723)), "01:02:03");
    }

    #[test]
    fn a_run_stopped_early_leaves_the_bar_at_the_step_it_reached() {
        let mut bar = TrainBar::new(Some(Duration::from_secs(60)), None).unwrap();
        bar.started(0, 1000, Duration::ZERO);
        bar.finish(829);
        let drawn = bar.bar.as_ref().unwrap();
        assert_eq!(drawn.position(), 829, "not the schedule's 1000");
        assert!(drawn.is_finished());
    }

    #[test]
    fn the_bar_shows_both_losses_in_bits_per_byte() {
        let r = StepReport {
            step: 3,
            total: 10,
            loss: 1.5,
            bits_per_byte: 2.164,
            tokens_per_s: 4295.4,
            lr: 1e-3,
        };
        assert_eq!(
            message(&r, Some(2.41)),
            "bpb: train 2.164 | val 2.410 | 4295 tok/s | lr 1.00e-3"
        );
    }
}
