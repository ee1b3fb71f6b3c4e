//! Training windows of a [`Dataset`] (its token streams, in memory or memory-mapped: see
//! [`crate::data`]): training windows drawn from a counter-based generator keyed by
//! `(seed, step)` (so a resumed run draws the same batches, and a prepared folder draws the
//! same windows as the text it was prepared from), and a fixed set of evenly spaced
//! validation windows with the text bytes their targets cover (for bits per byte).

use crate::data::{DataError, Dataset, Tokens};
use crate::ir::{DType, TensorType};
use crate::tensor::HostTensor;

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

/// The token tensor `i32 [batch, seq_len + 1]` of the windows of `tokens` starting at
/// `starts`; an id not below `vocab` is an error naming the file.
pub fn token_windows(
    tokens: &Tokens,
    starts: &[usize],
    seq_len: usize,
    vocab: usize,
) -> Result<HostTensor, DataError> {
    let width = seq_len + 1;
    let mut out = Vec::with_capacity(starts.len() * width * 4);
    for &s in starts {
        for i in s..s + width {
            out.extend_from_slice(&checked_id(tokens, i, vocab)?.to_le_bytes());
        }
    }
    Ok(HostTensor {
        ty: TensorType::new(DType::I32, vec![starts.len(), width]),
        bytes: out,
    })
}

/// Id `i` of `tokens` (`i < len`); one not below `vocab` is an error naming the file.
pub(crate) fn checked_id(tokens: &Tokens, i: usize, vocab: usize) -> Result<i32, DataError> {
    let id = tokens.get(i);
    if id as usize >= vocab {
        let origin = tokens.origin().map(|p| p.to_path_buf()).unwrap_or_default();
        let msg =
            format!("token id {id} at position {i} is out of range for the vocabulary of {vocab}");
        return Err(DataError::new(origin, msg));
    }
    Ok(id as i32)
}

/// One training batch: its token windows and the text they predict.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainBatch {
    /// `i32 [batch, seq_len + 1]`.
    pub tokens: HostTensor,
    /// The text bytes the windows' targets cover (for the training loss in bits per byte).
    pub target_bytes: u64,
}

/// The training batch of `step`: `batch` random windows of `seq_len + 1` tokens, drawn from a
/// generator keyed by `(seed, step)`.
pub fn train_batch(
    data: &Dataset,
    seed: u64,
    step: u64,
    batch: usize,
    seq_len: usize,
) -> Result<TrainBatch, DataError> {
    let mut rng = Rng::new(seed, step);
    let count = (data.train.len() - seq_len) as u64;
    let starts: Vec<usize> = (0..batch).map(|_| rng.below(count) as usize).collect();
    Ok(TrainBatch {
        tokens: token_windows(&data.train, &starts, seq_len, data.vocab_size())?,
        target_bytes: target_bytes(data, &data.train, &starts, seq_len),
    })
}

/// The text bytes covered by the targets of the windows of `tokens` starting at `starts`.
fn target_bytes(data: &Dataset, tokens: &Tokens, starts: &[usize], seq_len: usize) -> u64 {
    starts
        .iter()
        .map(|&s| data.bytes_of(tokens, s + 1, seq_len))
        .sum()
}

/// Bits per byte from a mean loss per token (nats) over `tokens` tokens covering `bytes`
/// bytes of text.
pub fn bits_per_byte(mean_loss: f64, tokens: u64, bytes: u64) -> f64 {
    mean_loss * tokens as f64 / (bytes.max(1) as f64 * std::f64::consts::LN_2)
}

/// The fixed validation set.
#[derive(Clone, Debug)]
pub struct ValidationSet {
    /// `batches` batches of `batch` windows.
    pub batches: Vec<HostTensor>,
    /// The tokens predicted (targets) over all windows.
    pub tokens: u64,
    /// The text bytes those targets cover.
    pub bytes: u64,
}

impl ValidationSet {
    /// Bits per byte from the mean loss per token (nats) over the set.
    pub fn bits_per_byte(&self, mean_loss: f64) -> f64 {
        bits_per_byte(mean_loss, self.tokens, self.bytes)
    }
}

/// The fixed validation set of `tokens` (a split of `data`): `batches` batches of `batch`
/// windows whose starts are spread evenly over the split (overlapping when it is short).
pub fn validation_batches(
    data: &Dataset,
    tokens: &Tokens,
    batches: usize,
    batch: usize,
    seq_len: usize,
) -> Result<ValidationSet, DataError> {
    let last = tokens.len() - (seq_len + 1);
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
    let bytes = target_bytes(data, tokens, &starts, seq_len);
    let batches = starts
        .chunks(batch)
        .map(|c| token_windows(tokens, c, seq_len, data.vocab_size()))
        .collect::<Result<_, _>>()?;
    Ok(ValidationSet {
        batches,
        tokens: (total * seq_len) as u64,
        bytes,
    })
}
