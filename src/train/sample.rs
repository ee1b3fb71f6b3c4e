//! The full-recompute sampler, kept as the test oracle of `crate::decode` (which `flash
//! generate` uses): [`Generator`] compiles the forward program (logits output, batch 1) over
//! the run's context window once, then for each new byte feeds the last `T` bytes of the text
//! (the prompt cropped to its end; the window zero-padded after the text, which a causal model
//! never reads), reads the logits at the last text position and draws a byte with
//! [`crate::decode::sample`]. Its cost per byte grows with the window.

use super::checkpoint::Checkpoint;
use super::data::{windows_tensor, Rng};
use super::error::TrainError;
use super::session::{compile_graph, upload_all};
use crate::decode::{sample, Sampling};
use crate::models::{build_lm, BuildOptions, Mode};
use crate::passes::PipelineOptions;
use crate::runtime::{Buffer, Client, LoadedExecutable};
use std::sync::Arc;

/// A compiled forward program with a checkpoint's parameters on the device.
pub struct Generator {
    client: Arc<Client>,
    exe: Arc<LoadedExecutable>,
    params: Vec<Buffer>,
    context: usize,
    vocab: usize,
}

impl Generator {
    /// Compiles the forward program of `ckpt`'s model over its training context length and
    /// uploads its parameters.
    pub fn new(
        client: Arc<Client>,
        ckpt: &Checkpoint,
        pipeline: &PipelineOptions,
    ) -> Result<Generator, TrainError> {
        let context = ckpt.settings.train.seq_len;
        let build = BuildOptions {
            batch: 1,
            seq_len: context,
            mode: Mode::Lm,
            forward: true,
        };
        let (exe, _) = compile_graph(&client, build_lm(&ckpt.config, &build)?, pipeline)?;
        let params = upload_all(&client, ckpt.params()?)?;
        Ok(Generator {
            client,
            exe,
            params,
            context,
            vocab: ckpt.config.vocab,
        })
    }

    /// The context window T.
    pub fn context(&self) -> usize {
        self.context
    }

    /// `n` bytes continuing `prompt` (an empty prompt starts from a newline).
    pub fn generate(&self, prompt: &[u8], n: usize, s: &Sampling) -> Result<Vec<u8>, TrainError> {
        let mut text: Vec<u8> = if prompt.is_empty() {
            vec![b'\n']
        } else {
            prompt.to_vec()
        };
        let mut rng = Rng::new(s.seed, 0);
        for _ in 0..n {
            let logits = self.next_logits(&text)?;
            text.push(sample(&logits, s, &mut rng) as u8);
        }
        Ok(text.split_off(text.len() - n))
    }

    /// The logits (over bytes) of the byte after `text`.
    fn next_logits(&self, text: &[u8]) -> Result<Vec<f32>, TrainError> {
        let window = &text[text.len().saturating_sub(self.context)..];
        let mut padded = window.to_vec();
        padded.resize(self.context + 1, 0);
        let tokens = upload_all(&self.client, &[windows_tensor(&padded, &[0], self.context)])?;
        let mut args: Vec<&Buffer> = self.params.iter().collect();
        args.extend(tokens.iter());
        let out = self.exe.execute(&args)?;
        let logits = out
            .get(1)
            .ok_or_else(|| TrainError::Output("the forward program has no logits output".into()))?;
        let values = logits.to_host()?.to_vec::<f32>()?;
        let start = (window.len() - 1) * self.vocab;
        let row = values
            .get(start..start + self.vocab.min(256))
            .ok_or_else(|| TrainError::Output("logits too short".into()))?;
        Ok(row.to_vec())
    }
}
