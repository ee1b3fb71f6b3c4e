//! [`StopRequest`]: asks a running [`run_training`](super::run_training) to stop early. The
//! run finishes the step it is in, evaluates, writes a checkpoint, the metrics and the plot,
//! and reports which signal stopped it ([`RunSummary::stopped_by`](super::RunSummary)). The
//! CLI sets it from its SIGINT/SIGTERM handlers; a library user may set it from anywhere.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A shared stop flag holding the number of the signal that asked to stop (0: none yet).
#[derive(Clone, Debug, Default)]
pub struct StopRequest(Arc<AtomicUsize>);

impl StopRequest {
    /// A request nobody has made yet.
    pub fn new() -> StopRequest {
        StopRequest::default()
    }

    /// Asks the run to stop, on behalf of `signal` (any positive number).
    pub fn request(&self, signal: i32) {
        self.0.store(signal.max(1) as usize, Ordering::SeqCst);
    }

    /// The signal that asked to stop, if any did.
    pub fn signal(&self) -> Option<i32> {
        match self.0.load(Ordering::SeqCst) {
            0 => None,
            n => Some(i32::try_from(n).unwrap_or(i32::MAX)),
        }
    }

    /// The shared cell, for a signal handler that stores the signal's number in it.
    pub fn cell(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::StopRequest;

    #[test]
    fn a_request_is_seen_by_every_clone_with_its_signal() {
        let stop = StopRequest::new();
        let seen_by_run = stop.clone();
        assert_eq!(seen_by_run.signal(), None);
        stop.request(15);
        assert_eq!(seen_by_run.signal(), Some(15));
    }
}
