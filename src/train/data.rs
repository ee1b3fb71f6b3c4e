//! Byte-level training data: a text file read as UTF-8 bytes (vocabulary 256), split into a
//! training part and a held-out validation part (the last 10%), training windows drawn from a
//! counter-based generator keyed by `(seed, step)` (so a resumed run draws the same batches),
//! and a fixed set of evenly spaced validation windows.

use super::error::TrainError;
use crate::ir::{DType, TensorType};
use crate::tensor::HostTensor;
use std::path::{Path, PathBuf};

/// The fraction of the file (at its end) held out for validation.
pub const VALIDATION_FRACTION: f64 = 0.1;

/// A byte corpus split into training and validation bytes.
#[derive(Clone, Debug)]
pub struct ByteData {
    /// Where the bytes came from.
    pub path: PathBuf,
    /// The first 90% of the file.
    pub train: Vec<u8>,
    /// The last 10% of the file.
    pub val: Vec<u8>,
}

impl ByteData {
    /// Reads `path` and splits it; each split must hold at least `seq_len + 2` bytes.
    pub fn load(path: &Path, seq_len: usize) -> Result<ByteData, TrainError> {
        let bytes = std::fs::read(path).map_err(|e| TrainError::Data {
            path: path.into(),
            message: format!("cannot read the data file: {e}"),
        })?;
        ByteData::from_bytes(path, bytes, seq_len)
    }

    /// Splits `bytes` (read from `path`), checking both splits are long enough.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>, seq_len: usize) -> Result<ByteData, TrainError> {
        let data_err = |message: String| TrainError::Data {
            path: path.into(),
            message,
        };
        if bytes.is_empty() {
            return Err(data_err("the data file is empty".into()));
        }
        let n_val = ((bytes.len() as f64) * VALIDATION_FRACTION).round() as usize;
        let split = bytes.len() - n_val;
        let need = seq_len + 2;
        if split < need || n_val < need {
            return Err(data_err(format!(
                "too short for --seq-len {seq_len}: the file has {} bytes, so {split} for training and \
                 {n_val} for validation (the last 10%), and each split needs at least {need} \
                 (seq-len + 2); use a longer file or a shorter --seq-len",
                bytes.len()
            )));
        }
        let val = bytes[split..].to_vec();
        let mut train = bytes;
        train.truncate(split);
        Ok(ByteData {
            path: path.into(),
            train,
            val,
        })
    }
}

/// SplitMix64: a counter-based mixer; the same input always gives the same output, on every
/// platform and version (unlike `StdRng`, whose algorithm may change between `rand` releases).
pub fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A small deterministic generator (SplitMix64 over a counter).
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator for `(seed, stream)`, e.g. `(run seed, step)`.
    pub fn new(seed: u64, stream: u64) -> Rng {
        Rng {
            state: splitmix64(seed ^ splitmix64(stream.wrapping_add(0x5851_f42d_4c95_7f2d))),
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        splitmix64(self.state)
    }

    /// A uniform integer in `[0, n)` (`n >= 1`; the modulo bias is below 2^-40 for any window
    /// count of a real file).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A uniform float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The token tensor `i32 [batch, seq_len + 1]` of the windows starting at `starts`.
pub fn windows_tensor(bytes: &[u8], starts: &[usize], seq_len: usize) -> HostTensor {
    let width = seq_len + 1;
    let mut out = Vec::with_capacity(starts.len() * width * 4);
    for &s in starts {
        for &b in &bytes[s..s + width] {
            out.extend_from_slice(&i32::from(b).to_le_bytes());
        }
    }
    HostTensor {
        ty: TensorType::new(DType::I32, vec![starts.len(), width]),
        bytes: out,
    }
}

/// The training batch of `step`: `batch` random windows of `seq_len + 1` bytes, drawn from a
/// generator keyed by `(seed, step)`.
pub fn train_batch(
    data: &ByteData,
    seed: u64,
    step: u64,
    batch: usize,
    seq_len: usize,
) -> HostTensor {
    let mut rng = Rng::new(seed, step);
    let count = (data.train.len() - seq_len) as u64;
    let starts: Vec<usize> = (0..batch).map(|_| rng.below(count) as usize).collect();
    windows_tensor(&data.train, &starts, seq_len)
}

/// The fixed validation set: `batches` batches of `batch` windows whose starts are spread
/// evenly over the validation split (overlapping when the split is short).
pub fn validation_batches(
    data: &ByteData,
    batches: usize,
    batch: usize,
    seq_len: usize,
) -> Vec<HostTensor> {
    let last = data.val.len() - (seq_len + 1);
    let total = (batches * batch).max(1);
    let starts: Vec<usize> = (0..total)
        .map(|i| {
            if total == 1 {
                0
            } else {
                i * last / (total - 1)
            }
        })
        .collect();
    starts
        .chunks(batch)
        .map(|c| windows_tensor(&data.val, c, seq_len))
        .collect()
}
