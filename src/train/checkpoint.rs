//! Training checkpoints: `DIR/checkpoint.safetensors` holds the parameters (by name), the
//! AdamW moments (`opt.m.<param>`, `opt.v.<param>`), and in its metadata the step, the model
//! config (JSON), the model's name, the run settings (JSON) and the tokenizer's SHA-256
//! (`"bytes"`, or the hash of `DIR/tokenizer.json`, copied there by the run), the data's identity
//! (`data`: path, size, SHA-256) and the SHA-256 of every tensor (`tensor_sha256`, a JSON object
//! by tensor name), checked on load so a corrupted tensor is named. Older checkpoints without
//! these keys load unchecked. A state holding NaN or an infinity is refused on every load
//! (`eval`, `generate`, `train --resume`), naming the first such tensor: it would give a wrong
//! score or text, not an error. Written atomically (a temporary file renamed into place), so a
//! failed or interrupted write never damages the previous checkpoint, and byte-reproducibly
//! (sorted metadata): the same run writes the same file.

use super::data_id::DataIdentity;
use super::error::{checkpoint_error, TrainError};
use super::folder::{RunFolder, COMMIT_DIR};
use super::layout::StepLayout;
use super::run::RunSettings;
use crate::config::ModelConfig;
use crate::data::tokenizer::{sha256_hex, Tokenizer, BYTES, TOKENIZER_FILE};
use crate::ir::{DType, TensorType};
use crate::safetensors_io::write_tensors;
use crate::tensor::HostTensor;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The checkpoint's file name inside a run folder.
pub const CHECKPOINT_FILE: &str = "checkpoint.safetensors";

/// The metadata value of `format` this version writes and reads.
pub const FORMAT: &str = "flash-train-checkpoint/1";

/// A training state on the host.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    /// Steps taken so far.
    pub step: u64,
    /// The model configuration.
    pub config: ModelConfig,
    /// The model's name: the preset, or the config file it came from.
    pub model_name: String,
    /// How the run trains (batch, sequence length, optimizer, schedule, seed).
    pub settings: RunSettings,
    /// The layout of `state`: the model's parameters, by name.
    pub layout: StepLayout,
    /// Parameters, then first moments, then second moments ([`StepLayout::state_names`]).
    pub state: Vec<HostTensor>,
    /// The SHA-256 of the run's `tokenizer.json` (copied into the run folder), or `"bytes"`.
    pub tokenizer_sha256: String,
    /// The data the run trained on (`None` in checkpoints written before it was recorded).
    pub data: Option<DataIdentity>,
}

/// The metadata key of the per-tensor SHA-256 object.
const TENSOR_SHA256: &str = "tensor_sha256";

/// The metadata key of the data's identity.
const DATA: &str = "data";

/// The checkpoint file of run folder `dir`.
pub fn checkpoint_path(dir: &Path) -> PathBuf {
    dir.join(CHECKPOINT_FILE)
}

impl Checkpoint {
    /// The model parameters of the state (named as [`StepLayout::params`] says).
    pub fn params(&self) -> Result<&[HostTensor], TrainError> {
        self.layout.params_of(&self.state).ok_or_else(|| {
            TrainError::Output(format!(
                "the checkpoint holds {} state tensors, its layout {}",
                self.state.len(),
                self.layout.state_len()
            ))
        })
    }

    /// Writes `dir/checkpoint.safetensors` atomically.
    pub fn save(&self, dir: &Path) -> Result<(), TrainError> {
        self.params()?;
        let tensors: Vec<(String, HostTensor)> = self
            .layout
            .state_names()
            .into_iter()
            .zip(self.state.iter().cloned())
            .collect();
        let json =
            |r: Result<String, serde_json::Error>| r.map_err(|e| TrainError::Output(e.to_string()));
        let checksums: BTreeMap<&str, String> = tensors
            .iter()
            .map(|(name, t)| (name.as_str(), sha256_hex(&t.bytes)))
            .collect();
        let mut metadata = HashMap::from([
            (
                TENSOR_SHA256.to_string(),
                json(serde_json::to_string(&checksums))?,
            ),
            ("format".to_string(), FORMAT.to_string()),
            ("step".to_string(), self.step.to_string()),
            ("model".to_string(), self.model_name.clone()),
            (
                "config".to_string(),
                json(serde_json::to_string(&self.config))?,
            ),
            (
                "settings".to_string(),
                json(serde_json::to_string(&self.settings))?,
            ),
            (
                "tokenizer_sha256".to_string(),
                self.tokenizer_sha256.clone(),
            ),
        ]);
        if let Some(data) = &self.data {
            metadata.insert(DATA.to_string(), json(serde_json::to_string(data))?);
        }
        Ok(write_tensors(
            &checkpoint_path(dir),
            &tensors,
            Some(metadata),
        )?)
    }

    /// Reads `dir/checkpoint.safetensors`, checking its metadata and every tensor's type.
    pub fn load(dir: &Path) -> Result<Checkpoint, TrainError> {
        if dir.is_file() {
            return Err(given_a_file(dir));
        }
        if !dir.is_dir() {
            return Err(checkpoint_error(
                dir,
                "no such run folder (give the --out folder of an earlier run)",
            ));
        }
        if dir.join(COMMIT_DIR).exists() {
            // An `--overwrite` stopped while replacing the files: finish it first (unless a
            // running process holds the folder, which is then finishing it itself).
            let _ = RunFolder::lock(dir);
        }
        let path = checkpoint_path(dir);
        if !path.is_file() {
            return Err(checkpoint_error(
                dir,
                format!("the folder holds no {CHECKPOINT_FILE}"),
            ));
        }
        let bytes = std::fs::read(&path).map_err(|e| checkpoint_error(&path, e.to_string()))?;
        let corrupt = |e: safetensors::SafeTensorError| {
            let why = crate::safetensors_io::describe_safetensors_error(&e);
            checkpoint_error(&path, format!("corrupt checkpoint: {why}"))
        };
        let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).map_err(corrupt)?;
        let st = safetensors::SafeTensors::deserialize(&bytes).map_err(corrupt)?;
        let meta = meta.metadata().clone().unwrap_or_default();
        let mut ckpt = parse_metadata(&path, &meta)?;
        let checksums = parse_checksums(&path, &meta)?;
        let names = ckpt.layout.state_names();
        for (name, ty) in names.iter().zip(ckpt.layout.state_types()) {
            let tensor = read_f32(&path, &st, name, ty.clone())?;
            check_sha256(&path, name, &tensor, checksums.as_ref())?;
            check_finite(&path, name, &tensor)?;
            ckpt.state.push(tensor);
        }
        Ok(ckpt)
    }
}

/// The error for a file (say the checkpoint itself) given where a run folder is expected,
/// naming the folder that holds it.
fn given_a_file(path: &Path) -> TrainError {
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let msg = format!(
        "is a file, not a run folder; give the run folder that holds it: {}",
        folder.display()
    );
    checkpoint_error(path, msg)
}

/// The step, config and settings of the metadata, and the config's layout (state left empty).
fn parse_metadata(path: &Path, meta: &HashMap<String, String>) -> Result<Checkpoint, TrainError> {
    let get = |key: &str| {
        meta.get(key).ok_or_else(|| {
            checkpoint_error(
                path,
                format!("not a training checkpoint (no `{key}` in its metadata)"),
            )
        })
    };
    let format = get("format")?;
    if format != FORMAT {
        return Err(checkpoint_error(
            path,
            format!("checkpoint format {format:?} is not {FORMAT:?}"),
        ));
    }
    let bad = |key: &str, e: String| {
        checkpoint_error(path, format!("corrupt checkpoint metadata `{key}`: {e}"))
    };
    let step = get("step")?
        .parse::<u64>()
        .map_err(|e| bad("step", e.to_string()))?;
    let config: ModelConfig =
        serde_json::from_str(get("config")?).map_err(|e| bad("config", e.to_string()))?;
    let settings: RunSettings =
        serde_json::from_str(get("settings")?).map_err(|e| bad("settings", e.to_string()))?;
    let model_name = get("model")?.clone();
    let tokenizer_sha256 = meta
        .get("tokenizer_sha256")
        .cloned()
        .unwrap_or_else(|| BYTES.into());
    let data = match meta.get(DATA) {
        Some(text) => Some(serde_json::from_str(text).map_err(|e| bad(DATA, e.to_string()))?),
        None => None,
    };
    let layout = StepLayout::of(&config).map_err(|e| checkpoint_error(path, e.to_string()))?;
    Ok(Checkpoint {
        step,
        config,
        model_name,
        settings,
        layout,
        state: Vec::new(),
        tokenizer_sha256,
        data,
    })
}

/// The recorded SHA-256 of every tensor (`None` for a checkpoint written before they were).
fn parse_checksums(
    path: &Path,
    meta: &HashMap<String, String>,
) -> Result<Option<BTreeMap<String, String>>, TrainError> {
    let Some(text) = meta.get(TENSOR_SHA256) else {
        return Ok(None);
    };
    serde_json::from_str(text).map(Some).map_err(|e| {
        checkpoint_error(
            path,
            format!("corrupt checkpoint metadata `{TENSOR_SHA256}`: {e}"),
        )
    })
}

/// Checks `tensor` (named `name`) against its recorded SHA-256, where one is recorded.
fn check_sha256(
    path: &Path,
    name: &str,
    tensor: &HostTensor,
    checksums: Option<&BTreeMap<String, String>>,
) -> Result<(), TrainError> {
    let Some(checksums) = checksums else {
        return Ok(());
    };
    let Some(recorded) = checksums.get(name) else {
        let msg = format!("corrupt checkpoint: no sha256 recorded for tensor {name:?}");
        return Err(checkpoint_error(path, msg));
    };
    if sha256_hex(&tensor.bytes) != *recorded {
        let msg = format!(
            "corrupt checkpoint: tensor {name:?} does not match its recorded sha256 \
             (the file was damaged after it was written; resume from a copy, or start afresh \
             with --overwrite)"
        );
        return Err(checkpoint_error(path, msg));
    }
    Ok(())
}

/// Refuses a tensor (named `name`) holding NaN or an infinity, naming its first such element.
fn check_finite(path: &Path, name: &str, tensor: &HostTensor) -> Result<(), TrainError> {
    let values = tensor
        .bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let Some((at, value)) = values.enumerate().find(|(_, v)| !v.is_finite()) else {
        return Ok(());
    };
    let msg = format!(
        "tensor {name:?} holds {value} at element {at} of {}: the run diverged before this \
         checkpoint was written, so it cannot give a meaningful answer (train again from an \
         earlier checkpoint, or with a lower --lr)",
        tensor.bytes.len() / 4
    );
    Err(checkpoint_error(path, msg))
}

impl Checkpoint {
    /// The run's own tokenizer file in run folder `dir` (`None`: the run is byte-level).
    pub fn tokenizer_file(&self, dir: &Path) -> Option<PathBuf> {
        (self.tokenizer_sha256 != BYTES).then(|| dir.join(TOKENIZER_FILE))
    }

    /// The tokenizer of the run folder `dir` this checkpoint was loaded from: bytes, or
    /// `dir/tokenizer.json`, which must have the recorded hash and the model's vocabulary.
    pub fn tokenizer(&self, dir: &Path) -> Result<Tokenizer, TrainError> {
        let Some(path) = self.tokenizer_file(dir) else {
            return Ok(Tokenizer::Bytes);
        };
        let tk = Tokenizer::load(&path)?;
        // The vocabulary first: a tokenizer of another size is the more telling mismatch.
        check_vocab(&tk, self.config.vocab, &path)?;
        if tk.hash() != self.tokenizer_sha256 {
            let msg = "is not the tokenizer the checkpoint was trained with (its sha256 differs)";
            return Err(checkpoint_error(&path, msg));
        }
        Ok(tk)
    }
}

/// Checks that `tk` (from `path`) has the model's vocabulary size `vocab`.
pub fn check_vocab(tk: &Tokenizer, vocab: usize, path: &Path) -> Result<(), TrainError> {
    if tk.vocab_size() != vocab {
        let msg = format!(
            "the tokenizer's vocabulary has {} tokens but the model's has {vocab}",
            tk.vocab_size()
        );
        return Err(checkpoint_error(path, msg));
    }
    Ok(())
}

/// Tensor `name`, which must be f32 of type `ty`.
fn read_f32(
    path: &Path,
    st: &safetensors::SafeTensors<'_>,
    name: &str,
    ty: TensorType,
) -> Result<HostTensor, TrainError> {
    let view = st.tensor(name).map_err(|_| {
        checkpoint_error(
            path,
            format!("corrupt checkpoint: tensor {name:?} is missing"),
        )
    })?;
    if view.dtype() != safetensors::Dtype::F32 || view.shape() != ty.shape.as_slice() {
        let found = format!("{:?}{:?}", view.dtype(), view.shape());
        return Err(checkpoint_error(
            path,
            format!("corrupt checkpoint: tensor {name:?} is {found}, expected {ty}"),
        ));
    }
    debug_assert_eq!(ty.dtype, DType::F32);
    Ok(HostTensor {
        ty,
        bytes: view.data().to_vec(),
    })
}
