//! `flash generate`: continues a prompt with a trained checkpoint through the compiled
//! prefill and decode-step programs (`crate::decode`), writing the prompt and then each
//! token's bytes to stdout as it is drawn (raw bytes, not UTF-8-repaired). The prompt is
//! encoded, and the tokens decoded, with the run's tokenizer (bytes by default).
//!
//! How the text is framed depends on where stdout goes ([`Framing`]):
//! - to a pipe or a file, the bytes are exactly the model's: the prompt and the generated
//!   bytes, nothing added (no final newline), so `flash generate > out.txt` holds the text;
//!   with `--batch` above 1 the samples follow one another separated by one NUL byte (`\0`),
//!   as `find -print0` does (`xargs -0`, or `data.split(b"\0")` in Python, splits them);
//! - to a terminal, each sample of a batch above 1 comes after a header line
//!   `--- sample I of N ---`, and a sample that does not end with a newline gets one, so the
//!   shell prompt starts on a line of its own.
//!
//! With `--out-dir DIR`, each sample is streamed to a file of its own instead,
//! `DIR/sample-I.txt` (the prompt and the drawn bytes, nothing added; see
//! [`super::sample_files`]), and stdout gets one line naming the files.

use super::device_args::CacheArgs;
use super::output::{write_bytes, OutputError};
use super::sample_files::SampleFiles;
use crate::config::ModelConfig;
use crate::decode::{uses_kv_cache, DecodeError, DecodeOptions, Decoder, Sampling};
use crate::passes::PipelineOptions;
use crate::target::{Target, TargetOf};
use crate::train::Checkpoint;
use anyhow::{bail, Context};
use clap::Args;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Arguments of `flash generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The run folder holding checkpoint.safetensors.
    #[arg(long, value_name = "DIR")]
    pub checkpoint: PathBuf,
    /// The text to continue.
    #[arg(long, default_value = "", conflicts_with = "prompt_file")]
    pub prompt: String,
    /// A file whose bytes are the prompt.
    #[arg(long, value_name = "FILE")]
    pub prompt_file: Option<PathBuf>,
    /// How many tokens (bytes, for byte-level models) to generate per sample (at least 1).
    #[arg(long, default_value_t = 200)]
    pub tokens: usize,
    /// Softmax temperature (0: always the most likely token).
    #[arg(long, default_value_t = 0.8, allow_negative_numbers = true)]
    pub temperature: f64,
    /// Sample among the k most likely tokens only (0: all).
    #[arg(long, default_value_t = 0)]
    pub top_k: usize,
    /// Nucleus sampling: only the most likely tokens whose probabilities add up to p, in
    /// (0, 1].
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub top_p: f64,
    /// Seed of the draws.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Samples of the same prompt drawn together, printed one after another: to a terminal
    /// each after a `--- sample I of N ---` line; to a pipe or file as raw bytes separated
    /// by a NUL byte (split them with `xargs -0` or `split(b"\0")`).
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// Positions of the key/value cache of Transformer, Transformer++ and FLASH-Quad models
    /// (prompt plus generated tokens; default: the training sequence length). FLASH keeps a
    /// constant-size state and needs none.
    #[arg(long, value_name = "N")]
    pub max_len: Option<usize>,
    /// Write each sample to its own file in this folder, `sample-1.txt` ... `sample-N.txt`
    /// (created if needed; files of those names are replaced), instead of to stdout.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// PJRT plugin: `cpu`, `cuda`, `tpu` or a path (default: FLASH_PJRT_PLUGIN, else cpu).
    #[arg(long)]
    pub plugin: Option<String>,
    /// The executable cache.
    #[command(flatten)]
    pub cache: CacheArgs,
}

/// Runs `flash generate`.
pub fn run(args: GenerateArgs) -> anyhow::Result<()> {
    let sampling = sampling_of(&args)?;
    if let Some(dir) = &args.out_dir {
        super::paths::check_output_dir("--out-dir", dir)?;
    }
    let prompt = prompt_bytes(&args)?;
    let ckpt = Checkpoint::load(&args.checkpoint)?;
    let tokenizer = ckpt.tokenizer(&args.checkpoint)?;
    let source = args.prompt_file.as_deref().unwrap_or(Path::new("--prompt"));
    let tokens = tokenizer.encode(&prompt, source)?;
    let start = tokenizer
        .encode(b"\n", Path::new("the start token"))?
        .first()
        .copied()
        .unwrap_or(0);
    let opts = DecodeOptions {
        batch: args.batch,
        capacity: args.max_len.unwrap_or(ckpt.settings.train.seq_len),
    };
    check_cache_room(&ckpt.config, opts.capacity, tokens.len(), args.tokens)?;
    let client = crate::runtime::shared_client(args.plugin.as_deref())?;
    let pipeline = PipelineOptions::for_target(Target::of(&client));
    let mut decoder = Decoder::new(client, &ckpt.config, ckpt.params()?, opts, &pipeline)?;
    let mut sink = match &args.out_dir {
        Some(dir) => Sink::Files(
            SampleFiles::create(dir, args.batch, &prompt)
                .with_context(|| format!("--out-dir {}", dir.display()))?,
        ),
        None => {
            let framing = Framing {
                tty: std::io::stdout().is_terminal(),
                batch: args.batch,
            };
            Sink::Stdout(Samples::start(framing, prompt)?)
        }
    };
    decoder
        .generate(&tokens, start, args.tokens, &sampling, |row, t| {
            let bytes = tokenizer.token_bytes(t).map_err(DecodeError::from)?;
            sink.push(row, &bytes)
        })
        .map_err(|e| match e {
            DecodeError::Write(io) => anyhow::Error::from(OutputError::from(io)),
            other => other.into(),
        })?;
    sink.finish(args.out_dir.as_deref())
}

/// Where the drawn bytes go: stdout, or a file per sample.
enum Sink {
    Stdout(Samples),
    Files(SampleFiles),
}

impl Sink {
    /// Takes the bytes of one token drawn for sample `row`.
    fn push(&mut self, row: usize, bytes: &[u8]) -> Result<(), DecodeError> {
        match self {
            Sink::Stdout(s) => s.push(row, bytes).map_err(|e| DecodeError::Write(e.into())),
            Sink::Files(f) => f.push(row, bytes).map_err(DecodeError::Write),
        }
    }

    /// Ends the output; files are moved into place and named on stdout.
    fn finish(self, dir: Option<&Path>) -> anyhow::Result<()> {
        match self {
            Sink::Stdout(s) => Ok(s.finish()?),
            Sink::Files(f) => {
                let dir = dir.unwrap_or(Path::new("."));
                let paths = f
                    .finish()
                    .with_context(|| format!("--out-dir {}", dir.display()))?;
                let (first, last) = (&paths[0], &paths[paths.len() - 1]);
                super::output::outln!(
                    "wrote {} sample(s): {} ... {}",
                    paths.len(),
                    first.display(),
                    last.display()
                );
                Ok(())
            }
        }
    }
}

/// Refuses, before anything is streamed, a prompt of `prompt` tokens plus `n` generated ones
/// that a model with a key/value cache of `capacity` positions cannot hold: the first token
/// (the prompt's, else the start token) and each generated one but the last take a position.
fn check_cache_room(
    config: &ModelConfig,
    capacity: usize,
    prompt: usize,
    n: usize,
) -> anyhow::Result<()> {
    if let Some(why) = crate::config::limits::dim_too_large(capacity) {
        bail!("--max-len {why}");
    }
    let needed = prompt.max(1).saturating_add(n.saturating_sub(1));
    if uses_kv_cache(config.kind) && needed > capacity {
        bail!(
            "a prompt of {prompt} tokens and --tokens {n} need {needed} positions of the \
             key/value cache, which holds {capacity}; raise --max-len or lower --tokens"
        );
    }
    Ok(())
}

/// The sampling flags, checked, with `--tokens` and `--batch`.
fn sampling_of(args: &GenerateArgs) -> anyhow::Result<Sampling> {
    let sampling = Sampling {
        temperature: args.temperature,
        top_k: args.top_k,
        top_p: args.top_p,
        seed: args.seed,
    };
    sampling.validate()?;
    if args.tokens == 0 {
        bail!("--tokens 0: generate at least 1 token");
    }
    if args.batch == 0 {
        bail!("--batch 0: draw at least 1 sample");
    }
    Ok(sampling)
}

/// How samples are framed on stdout (see the module doc): the decision, apart from the
/// writing, so both a terminal and a pipe are tested.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Framing {
    /// Stdout is a terminal.
    tty: bool,
    /// Samples drawn (`--batch`).
    batch: usize,
}

impl Framing {
    /// What goes before sample `i` (from 0): nothing for a single sample; on a terminal a
    /// header line; elsewhere a NUL byte between samples.
    fn before(self, i: usize) -> Vec<u8> {
        match (self.batch > 1, self.tty) {
            (false, _) => Vec::new(),
            (true, true) => format!("--- sample {} of {} ---\n", i + 1, self.batch).into_bytes(),
            (true, false) if i > 0 => vec![0],
            (true, false) => Vec::new(),
        }
    }

    /// What goes after a sample whose last byte is `last`: on a terminal a newline, unless
    /// it ends with one; elsewhere nothing.
    fn after(self, last: Option<u8>) -> &'static [u8] {
        if self.tty && last != Some(b'\n') {
            b"\n"
        } else {
            b""
        }
    }
}

/// The samples on their way to stdout: a single sample streams as it is drawn; a batch is
/// kept and written whole at the end, one sample after another.
struct Samples {
    framing: Framing,
    prompt: Vec<u8>,
    /// The drawn bytes of each sample (empty while streaming).
    kept: Vec<Vec<u8>>,
    /// The last byte written (streaming).
    last: Option<u8>,
}

impl Samples {
    /// Starts the output: a single sample's prompt is written at once.
    fn start(framing: Framing, prompt: Vec<u8>) -> Result<Samples, OutputError> {
        let streaming = framing.batch == 1;
        if streaming {
            write_bytes(&prompt)?;
        }
        Ok(Samples {
            framing,
            last: prompt.last().copied(),
            kept: vec![Vec::new(); if streaming { 0 } else { framing.batch }],
            prompt,
        })
    }

    /// Takes the bytes of one token drawn for sample `row`.
    fn push(&mut self, row: usize, bytes: &[u8]) -> Result<(), OutputError> {
        match self.kept.get_mut(row) {
            Some(sample) => sample.extend_from_slice(bytes),
            None => {
                write_bytes(bytes)?;
                self.last = bytes.last().copied().or(self.last);
            }
        }
        Ok(())
    }

    /// Writes the kept samples (or ends the streamed one).
    fn finish(self) -> Result<(), OutputError> {
        if self.kept.is_empty() {
            return write_bytes(self.framing.after(self.last));
        }
        for (i, sample) in self.kept.iter().enumerate() {
            let last = sample.last().or(self.prompt.last()).copied();
            let framed = [
                &self.framing.before(i)[..],
                &self.prompt,
                sample,
                self.framing.after(last),
            ];
            write_bytes(&framed.concat())?;
        }
        Ok(())
    }
}

/// The prompt's bytes: `--prompt-file`'s content, else `--prompt`.
fn prompt_bytes(args: &GenerateArgs) -> anyhow::Result<Vec<u8>> {
    match &args.prompt_file {
        Some(path) => {
            std::fs::read(path).with_context(|| format!("--prompt-file {}", path.display()))
        }
        None => Ok(args.prompt.as_bytes().to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::Framing;

    #[test]
    fn a_terminal_gets_headers_and_a_final_newline() {
        let tty = Framing {
            tty: true,
            batch: 3,
        };
        assert_eq!(tty.before(0), b"--- sample 1 of 3 ---\n");
        assert_eq!(tty.before(2), b"--- sample 3 of 3 ---\n");
        assert_eq!(tty.after(Some(b'x')), b"\n");
        assert_eq!(tty.after(None), b"\n");
        assert_eq!(tty.after(Some(b'\n')), b"", "no second newline");
        let single = Framing {
            tty: true,
            batch: 1,
        };
        assert_eq!(single.before(0), b"");
        assert_eq!(single.after(Some(b'x')), b"\n");
    }

    #[test]
    fn a_pipe_gets_the_raw_bytes_and_nul_between_samples() {
        let pipe = Framing {
            tty: false,
            batch: 3,
        };
        assert_eq!(pipe.before(0), b"");
        assert_eq!(pipe.before(1), b"\0");
        assert_eq!(pipe.after(Some(b'x')), b"");
        let single = Framing {
            tty: false,
            batch: 1,
        };
        assert_eq!(single.before(0), b"");
        assert_eq!(single.after(None), b"");
    }
}
