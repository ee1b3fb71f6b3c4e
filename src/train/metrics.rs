//! `DIR/metrics.jsonl`: one JSON object per logged step (`step`, `train_loss` in nats per
//! token, `train_bpb` the same loss in bits per byte of the text it predicted, `val_bpb` where
//! measured, `tokens_per_s`, `lr`, `grad_norm`, and `elapsed_s`: wall-clock
//! seconds of training since the run began, counted after compiling and on across
//! resumptions),
//! appended as the run goes and trimmed back to the checkpoint's step when a run resumes.

use super::error::TrainError;
use crate::safetensors_io::write_atomically;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The metrics file's name inside a run folder.
pub const METRICS_FILE: &str = "metrics.jsonl";

/// One logged step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Steps taken when this was logged (1-based).
    pub step: u64,
    /// Mean training loss (nats per token) of the steps since the previous record.
    pub train_loss: f64,
    /// The same loss in bits per byte of the text the steps predicted, the unit of `val_bpb`
    /// (absent in files written before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_bpb: Option<f64>,
    /// Validation loss in bits per byte, where measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_bpb: Option<f64>,
    /// Training throughput since the previous record (compile time excluded).
    pub tokens_per_s: f64,
    /// Learning rate of the last step.
    pub lr: f64,
    /// Global gradient norm (before clipping) of the last step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grad_norm: Option<f64>,
}

/// A record as written: with the writer's clock (`elapsed_s`, absent in older files).
#[derive(Serialize, Deserialize)]
struct Stamped<R> {
    #[serde(flatten)]
    record: R,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    elapsed_s: Option<f64>,
}

/// Every record of `path` (none if it does not exist); lines that do not parse are skipped.
pub fn read_metrics(path: &Path) -> Result<Vec<Record>, TrainError> {
    Ok(read_stamped(path)?.into_iter().map(|s| s.record).collect())
}

/// Every record of `path` with its `elapsed_s`.
fn read_stamped(path: &Path) -> Result<Vec<Stamped<Record>>, TrainError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(TrainError::Io {
                path: path.into(),
                source,
            })
        }
    };
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

/// Appends records to a metrics file, stamping each with `elapsed_s`.
#[derive(Debug)]
pub struct MetricsWriter {
    path: PathBuf,
    file: std::fs::File,
    /// When this writer was opened (the start of this invocation of the run).
    opened: Instant,
    /// Seconds the run had already taken before (the last kept record's `elapsed_s`).
    earlier_s: f64,
}

impl MetricsWriter {
    /// Opens `path` for appending: empty for a new run, or keeping only the records up to
    /// `keep_until` (the resumed checkpoint's step).
    pub fn open(path: &Path, keep_until: Option<u64>) -> Result<MetricsWriter, TrainError> {
        let io = |source| TrainError::Io {
            path: path.into(),
            source,
        };
        let kept: Vec<Stamped<Record>> = match keep_until {
            Some(step) => read_stamped(path)?
                .into_iter()
                .filter(|s| s.record.step <= step)
                .collect(),
            None => Vec::new(),
        };
        let mut text = String::new();
        for s in &kept {
            text.push_str(&line(path, s)?);
        }
        let earlier_s = kept.last().and_then(|s| s.elapsed_s).unwrap_or(0.0);
        write_atomically(path, text.as_bytes()).map_err(io)?;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(io)?;
        Ok(MetricsWriter {
            path: path.into(),
            file,
            opened: Instant::now(),
            earlier_s,
        })
    }

    /// Appends one record and flushes it.
    pub fn append(&mut self, r: &Record) -> Result<(), TrainError> {
        let stamped = Stamped {
            record: r,
            elapsed_s: Some(self.earlier_s + self.opened.elapsed().as_secs_f64()),
        };
        let text = line(&self.path, &stamped)?;
        let io = |source| TrainError::Io {
            path: self.path.clone(),
            source,
        };
        self.file.write_all(text.as_bytes()).map_err(io)?;
        self.file.flush().map_err(io)
    }
}

fn line(path: &Path, r: &impl Serialize) -> Result<String, TrainError> {
    let json = serde_json::to_string(r).map_err(|e| TrainError::Io {
        path: path.into(),
        source: e.into(),
    })?;
    Ok(json + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(step: u64) -> Record {
        Record {
            step,
            train_loss: 1.0,
            train_bpb: Some(1.0 / std::f64::consts::LN_2),
            val_bpb: None,
            tokens_per_s: 1.0,
            lr: 0.1,
            grad_norm: None,
        }
    }

    fn elapsed(path: &Path) -> Vec<f64> {
        read_stamped(path)
            .unwrap()
            .iter()
            .map(|s| s.elapsed_s.unwrap())
            .collect()
    }

    #[test]
    fn elapsed_s_is_written_and_counts_on_after_a_resume() {
        let dir = std::env::temp_dir().join(format!("flash-metrics-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(METRICS_FILE);
        // An earlier invocation that had run 100 s by step 2.
        let old = "{\"step\":1,\"train_loss\":1.0,\"tokens_per_s\":1.0,\"lr\":0.1,\"elapsed_s\":50.0}\n\
                   {\"step\":2,\"train_loss\":1.0,\"tokens_per_s\":1.0,\"lr\":0.1,\"elapsed_s\":100.0}\n\
                   {\"step\":3,\"train_loss\":1.0,\"tokens_per_s\":1.0,\"lr\":0.1,\"elapsed_s\":150.0}\n";
        std::fs::write(&path, old).unwrap();
        let mut w = MetricsWriter::open(&path, Some(2)).unwrap();
        w.append(&record(3)).unwrap();
        let e = elapsed(&path);
        assert_eq!(&e[..2], &[50.0, 100.0]);
        assert!(e[2] >= 100.0 && e[2] < 150.0, "{e:?}");
        assert_eq!(read_metrics(&path).unwrap()[2], record(3));
    }
}
