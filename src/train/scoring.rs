//! The windows `flash eval` scores: consecutive, non-overlapping runs of `seq_len` targets
//! that predict every token of a stream but the first exactly once ([`scoring_windows`]).
//! The last window, when fewer targets are left, starts early so it still reads `seq_len`
//! tokens of context, and only its new targets count (its loss mask); a stream shorter than
//! one window is read as one window padded past its end, the padding never scored (the model
//! is causal, so padding after a token cannot change its prediction). Batches are built one
//! at a time ([`scored_batch`]), so a memory-mapped split is never copied whole.
//!
//! `flash train`'s validation windows are [`super::data::validation_batches`], unchanged.

use super::data::checked_id;
use crate::data::{DataError, Dataset, Tokens};
use crate::ir::{DType, TensorType};
use crate::tensor::HostTensor;

/// One window: tokens `start ..= start + seq_len` (ids past the stream's end are padding),
/// of whose `seq_len` targets (`start + 1 ..`) those at offsets `first .. first + count`
/// are scored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScoredWindow {
    /// The position of the window's first token.
    pub start: usize,
    /// The offset of the first scored target among the window's targets.
    pub first: usize,
    /// How many targets are scored.
    pub count: usize,
}

impl ScoredWindow {
    /// The position of the first scored target in the stream.
    pub fn first_target(&self) -> usize {
        self.start + 1 + self.first
    }
}

/// The windows that score each of the `len - 1` targets of a stream of `len` tokens once,
/// in order (none when `len < 2`).
pub fn scoring_windows(len: usize, seq_len: usize) -> Vec<ScoredWindow> {
    let targets = len.saturating_sub(1);
    let latest = targets.saturating_sub(seq_len);
    (0..targets.div_ceil(seq_len.max(1)))
        .map(|k| {
            let begin = k * seq_len;
            let start = begin.min(latest);
            ScoredWindow {
                start,
                first: begin - start,
                count: seq_len.min(targets - begin),
            }
        })
        .collect()
}

/// The text bytes the scored targets of `windows` cover.
pub fn scored_bytes(data: &Dataset, tokens: &Tokens, windows: &[ScoredWindow]) -> u64 {
    windows
        .iter()
        .map(|w| data.bytes_of(tokens, w.first_target(), w.count))
        .sum()
}

/// The inputs of one batch of the scoring program (see [`crate::models::build_lm_scored`]):
/// `tokens` i32 `[batch, seq_len + 1]` and `loss_mask` f32 `[batch, seq_len]` of `windows`
/// (at most `batch`), rows past them padding with a zero mask. An id not below `vocab` is an
/// error naming the file.
pub fn scored_batch(
    tokens: &Tokens,
    windows: &[ScoredWindow],
    batch: usize,
    seq_len: usize,
    vocab: usize,
) -> Result<[HostTensor; 2], DataError> {
    let mut ids = Vec::with_capacity(batch * (seq_len + 1) * 4);
    let mut mask = Vec::with_capacity(batch * seq_len * 4);
    for row in 0..batch {
        let w = windows.get(row).copied().unwrap_or(ScoredWindow {
            start: tokens.len(),
            first: 0,
            count: 0,
        });
        for i in w.start..=w.start + seq_len {
            let id = if i < tokens.len() {
                checked_id(tokens, i, vocab)?
            } else {
                0
            };
            ids.extend_from_slice(&id.to_le_bytes());
        }
        for j in 0..seq_len {
            let scored = j >= w.first && j < w.first + w.count;
            mask.extend_from_slice(&f32::from(u8::from(scored)).to_le_bytes());
        }
    }
    Ok([
        HostTensor {
            ty: TensorType::new(DType::I32, vec![batch, seq_len + 1]),
            bytes: ids,
        },
        HostTensor {
            ty: TensorType::new(DType::F32, vec![batch, seq_len]),
            bytes: mask,
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scored target positions of `windows`, in order.
    fn targets(windows: &[ScoredWindow]) -> Vec<usize> {
        windows
            .iter()
            .flat_map(|w| w.first_target()..w.first_target() + w.count)
            .collect()
    }

    #[test]
    fn every_target_is_scored_once_in_order() {
        for (len, seq_len) in [(100, 32), (97, 32), (33, 32), (34, 32), (10, 32), (2, 4)] {
            let windows = scoring_windows(len, seq_len);
            assert_eq!(
                targets(&windows),
                (1..len).collect::<Vec<_>>(),
                "{len} {seq_len}"
            );
            for w in &windows {
                assert!(w.first + w.count <= seq_len);
                // A full window whenever the stream holds one.
                assert!(len <= seq_len || w.start + seq_len < len, "{w:?}");
            }
        }
        assert!(scoring_windows(1, 8).is_empty());
        assert!(scoring_windows(0, 8).is_empty());
    }

    #[test]
    fn the_tail_window_reads_a_full_context_and_scores_only_new_targets() {
        let w = scoring_windows(100, 32);
        assert_eq!(w.len(), 4);
        assert_eq!(
            w[3],
            ScoredWindow {
                start: 67,
                first: 29,
                count: 3
            }
        );
    }

    #[test]
    fn batches_pad_short_streams_and_rows_with_a_zero_mask() {
        let tokens = Tokens::Memory(vec![5, 6, 7]);
        let windows = scoring_windows(3, 4);
        let [ids, mask] = scored_batch(&tokens, &windows, 2, 4, 256).unwrap();
        assert_eq!(ids.ty.shape, vec![2, 5]);
        assert_eq!(ids.to_f64(), [5., 6., 7., 0., 0., 0., 0., 0., 0., 0.]);
        assert_eq!(mask.to_f64(), [1., 1., 0., 0., 0., 0., 0., 0.]);
        let e = scored_batch(&tokens, &windows, 1, 4, 6).unwrap_err();
        assert!(e.message.contains("token id 6 at position 1"), "{e:?}");
    }
}
