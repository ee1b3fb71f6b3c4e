//! Drawing the next token from logits: greedy at temperature 0, else a softmax at the given
//! temperature restricted to the `top_k` most likely tokens and to the smallest set whose
//! probability reaches `top_p` (nucleus sampling).

use crate::train::data::Rng;
use thiserror::Error;

/// How tokens are drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct Sampling {
    /// Softmax temperature; 0 picks the most likely token.
    pub temperature: f64,
    /// Draw only among the `top_k` most likely tokens (0: all).
    pub top_k: usize,
    /// Draw only from the most likely tokens whose probabilities add up to `top_p`, in
    /// `(0, 1]` (1: all).
    pub top_p: f64,
    /// Seeds the draws.
    pub seed: u64,
}

/// A sampling setting outside its range.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum SamplingError {
    /// The temperature is negative or not finite.
    #[error("--temperature {0} must be a finite number >= 0")]
    Temperature(f64),
    /// `top_p` is outside `(0, 1]`.
    #[error("--top-p {0} must be in (0, 1]")]
    TopP(f64),
}

impl Sampling {
    /// Greedy decoding (temperature 0).
    pub fn greedy() -> Sampling {
        Sampling {
            temperature: 0.0,
            top_k: 0,
            top_p: 1.0,
            seed: 0,
        }
    }

    /// Checks the ranges.
    pub fn validate(&self) -> Result<(), SamplingError> {
        if !self.temperature.is_finite() || self.temperature < 0.0 {
            return Err(SamplingError::Temperature(self.temperature));
        }
        if !(self.top_p > 0.0 && self.top_p <= 1.0) {
            return Err(SamplingError::TopP(self.top_p));
        }
        Ok(())
    }
}

/// Draws a token index from `logits` as `s` says, using `rng`.
pub fn sample(logits: &[f32], s: &Sampling, rng: &mut Rng) -> usize {
    let mut order: Vec<usize> = (0..logits.len()).collect();
    order.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]));
    if s.temperature <= 0.0 || order.len() <= 1 {
        return order.first().copied().unwrap_or(0);
    }
    if s.top_k > 0 {
        order.truncate(s.top_k);
    }
    let top = f64::from(logits[order[0]]);
    let mut weights: Vec<f64> = order
        .iter()
        .map(|&i| ((f64::from(logits[i]) - top) / s.temperature).exp())
        .collect();
    keep_nucleus(&mut order, &mut weights, s.top_p);
    let mut target = rng.unit() * weights.iter().sum::<f64>();
    for (&i, w) in order.iter().zip(&weights) {
        if target < *w {
            return i;
        }
        target -= w;
    }
    order[order.len() - 1]
}

/// Keeps the shortest prefix of the (descending) `weights` whose share reaches `top_p`.
fn keep_nucleus(order: &mut Vec<usize>, weights: &mut Vec<f64>, top_p: f64) {
    if top_p >= 1.0 {
        return;
    }
    let total: f64 = weights.iter().sum();
    let mut seen = 0.0;
    let keep = weights
        .iter()
        .position(|w| {
            seen += w;
            seen >= top_p * total
        })
        .map_or(weights.len(), |i| i + 1);
    order.truncate(keep);
    weights.truncate(keep);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sampling(temperature: f64, top_k: usize, top_p: f64) -> Sampling {
        Sampling {
            temperature,
            top_k,
            top_p,
            seed: 1,
        }
    }

    #[test]
    fn greedy_takes_the_argmax() {
        let mut rng = Rng::new(0, 0);
        assert_eq!(sample(&[0.1, 3.0, -1.0], &Sampling::greedy(), &mut rng), 1);
    }

    #[test]
    fn a_small_top_p_keeps_only_the_most_likely_token() {
        let mut rng = Rng::new(7, 0);
        for _ in 0..50 {
            assert_eq!(
                sample(&[1.0, 2.0, 1.5], &sampling(1.0, 0, 0.01), &mut rng),
                1
            );
        }
    }

    #[test]
    fn top_k_limits_the_draws() {
        let mut rng = Rng::new(3, 0);
        for _ in 0..100 {
            let i = sample(&[0.0, 5.0, 4.9, -9.0], &sampling(10.0, 2, 1.0), &mut rng);
            assert!(i == 1 || i == 2, "{i}");
        }
    }

    #[test]
    fn ranges_are_checked() {
        assert_eq!(
            sampling(1.0, 0, 0.0).validate(),
            Err(SamplingError::TopP(0.0))
        );
        assert_eq!(
            sampling(1.0, 0, 1.5).validate(),
            Err(SamplingError::TopP(1.5))
        );
        assert!(sampling(-1.0, 0, 1.0).validate().is_err());
        assert!(sampling(0.7, 40, 0.9).validate().is_ok());
    }
}
