//! Model configurations: serde structs read from TOML or JSON, validated with errors that
//! name the field, and the named presets (tiny ones for tests and CPU runs, paper-scale ones).
//! The IR's [`ScoreFn`] and [`LinearNorm`] are fields themselves, read and written by the names
//! of [`names`].

pub mod limits;
pub mod names;

use crate::ir::{DType, LinearNorm, ScoreFn};
use names::Named;
use serde::{Deserialize, Serialize};
use std::path::Path;
use thiserror::Error;

/// Which layer the model stacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// Pre-norm softmax MHSA + FFN with learned absolute positions.
    Transformer,
    /// Transformer with RoPE and a SiLU-gated GLU feed-forward.
    #[serde(rename = "transformer++")]
    TransformerPlusPlus,
    /// A stack of Gated Attention Units (quadratic attention).
    FlashQuad,
    /// A stack of mixed-chunk GAUs (linear in T).
    Flash,
}

impl ModelKind {
    /// The name used in presets and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Transformer => "transformer",
            ModelKind::TransformerPlusPlus => "transformer++",
            ModelKind::FlashQuad => "flash-quad",
            ModelKind::Flash => "flash",
        }
    }
}

/// Normalisation layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NormKind {
    /// `x * rsqrt(mean(x^2) + eps) * g`, g a learned scalar.
    ScaleNorm,
    /// Mean/variance normalisation with learned scale and bias.
    LayerNorm,
    /// `x * rsqrt(mean(x^2) + eps) * g`, g a learned vector.
    RmsNorm,
}

/// Activation of the plain Transformer's FFN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// GELU (tanh approximation).
    Gelu,
    /// ReLU.
    Relu,
    /// SiLU.
    Silu,
}

/// Compute precision.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Precision {
    /// Everything in f32.
    #[default]
    F32,
    /// bf16 compute with f32 parameters (master weights), f32 loss.
    Bf16,
}

impl Named for Precision {
    const WHAT: &'static str = "precision";
    const ALL: &'static [Precision] = &[Precision::F32, Precision::Bf16];
    fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::Bf16 => "bf16",
        }
    }
}

names::display_and_from_str_by_name!(Precision);

impl Precision {
    /// The compute dtype.
    pub fn dtype(self) -> DType {
        match self {
            Precision::F32 => DType::F32,
            Precision::Bf16 => DType::BF16,
        }
    }
}

/// A model configuration. Unknown fields are rejected.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Layer kind.
    pub kind: ModelKind,
    /// Vocabulary size (256 for bytes).
    #[serde(default = "default_vocab")]
    pub vocab: usize,
    /// Model width d.
    pub width: usize,
    /// Number of layers.
    pub layers: usize,
    /// Attention heads (Transformer kinds).
    #[serde(default = "default_heads")]
    pub heads: usize,
    /// FFN inner width (Transformer kinds); 0 picks 4d (plain) or the GLU width with ~8d^2
    /// parameters (Transformer++).
    #[serde(default)]
    pub ffn: usize,
    /// GAU expansion e; 0 picks 2d.
    #[serde(default)]
    pub expansion: usize,
    /// GAU shared attention width s.
    #[serde(default = "default_shared")]
    pub shared: usize,
    /// FLASH chunk size C.
    #[serde(default = "default_chunk")]
    pub chunk: usize,
    /// Normalisation layer.
    #[serde(default = "default_norm")]
    pub norm: NormKind,
    /// GAU/FLASH score function (`relu2`, `softmax` or `laplace`).
    #[serde(default = "default_score", with = "names::by_name")]
    pub score: ScoreFn,
    /// FLASH causal linear-part normalisation (`mean` or `sum`).
    #[serde(default = "default_linear_norm", with = "names::by_name")]
    pub linear_norm: LinearNorm,
    /// Learned relative-position bias in GAU attention.
    #[serde(default)]
    pub rel_pos_bias: bool,
    /// Plain Transformer FFN activation.
    #[serde(default = "default_activation")]
    pub activation: Activation,
    /// Longest sequence with learned absolute positions (plain Transformer).
    #[serde(default = "default_max_len")]
    pub max_len: usize,
    /// Compute precision.
    #[serde(default, with = "names::by_name")]
    pub precision: Precision,
}

fn default_vocab() -> usize {
    256
}
fn default_heads() -> usize {
    4
}
fn default_shared() -> usize {
    128
}
fn default_chunk() -> usize {
    256
}
fn default_norm() -> NormKind {
    NormKind::ScaleNorm
}
fn default_score() -> ScoreFn {
    ScoreFn::Relu2
}
fn default_linear_norm() -> LinearNorm {
    LinearNorm::Mean
}
fn default_activation() -> Activation {
    Activation::Gelu
}
fn default_max_len() -> usize {
    8192
}
/// A configuration problem, naming the field (or the preset / file).
#[derive(Debug, Error, PartialEq)]
pub enum ConfigError {
    /// A field's value is not allowed.
    #[error("config field `{field}`: {message}")]
    Field {
        /// The field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// No preset of that name.
    #[error("unknown preset {name:?}; presets are: {known}")]
    UnknownPreset {
        /// The name asked for.
        name: String,
        /// The presets that exist.
        known: String,
    },
    /// The file could not be read or parsed.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What went wrong (parser messages name the field and line).
        message: String,
    },
}

fn field(field: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Field {
        field,
        message: message.into(),
    }
}

impl ModelConfig {
    /// A config for `kind` with defaults for everything but width and layers.
    pub fn new(kind: ModelKind, width: usize, layers: usize) -> Self {
        ModelConfig {
            kind,
            vocab: default_vocab(),
            width,
            layers,
            heads: default_heads(),
            ffn: 0,
            expansion: 0,
            shared: default_shared(),
            chunk: default_chunk(),
            norm: default_norm(),
            score: default_score(),
            linear_norm: default_linear_norm(),
            rel_pos_bias: false,
            activation: default_activation(),
            max_len: default_max_len(),
            precision: Precision::default(),
        }
    }

    /// Checks every field; the first problem is returned, naming the field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        limits::check_sizes(self)?;
        let positive = [
            ("vocab", self.vocab),
            ("width", self.width),
            ("layers", self.layers),
            ("heads", self.heads),
            ("shared", self.shared),
            ("chunk", self.chunk),
            ("max_len", self.max_len),
        ];
        for (name, v) in positive {
            if v == 0 {
                return Err(field(name, "must be at least 1"));
            }
        }
        let is_transformer = matches!(
            self.kind,
            ModelKind::Transformer | ModelKind::TransformerPlusPlus
        );
        if is_transformer && !self.width.is_multiple_of(self.heads) {
            return Err(field(
                "heads",
                format!(
                    "width {} is not divisible by {} heads",
                    self.width, self.heads
                ),
            ));
        }
        if self.kind == ModelKind::TransformerPlusPlus
            && !(self.width / self.heads).is_multiple_of(2)
        {
            return Err(field(
                "heads",
                format!(
                    "RoPE needs an even head width, got {}",
                    self.width / self.heads
                ),
            ));
        }
        if !is_transformer && !self.shared.is_multiple_of(2) {
            return Err(field(
                "shared",
                format!("RoPE needs an even shared width, got {}", self.shared),
            ));
        }
        if self.kind == ModelKind::Flash && self.rel_pos_bias {
            return Err(field(
                "rel_pos_bias",
                "is only available for flash-quad (the chunked attention has no bias input)",
            ));
        }
        Ok(())
    }

    /// GAU expansion e (2d unless set).
    pub fn expansion(&self) -> usize {
        if self.expansion == 0 {
            2 * self.width
        } else {
            self.expansion
        }
    }

    /// FFN inner width: 4d for the plain Transformer; for Transformer++'s GLU (three d x f
    /// matrices) the multiple of 8 nearest to 8d/3, so the FFN has about 8d^2 parameters.
    pub fn ffn_width(&self) -> usize {
        if self.ffn != 0 {
            return self.ffn;
        }
        match self.kind {
            ModelKind::TransformerPlusPlus => ((8 * self.width / 3 + 4) / 8 * 8).max(8),
            _ => 4 * self.width,
        }
    }

    /// Reads a config from a `.toml` or `.json` file and validates it.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        let parsed: Result<ModelConfig, String> = match path.extension().and_then(|e| e.to_str()) {
            Some("json") => serde_json::from_str(&text).map_err(|e| e.to_string()),
            Some("toml") => toml::from_str(&text).map_err(|e| e.to_string()),
            _ => Err("config files must end in .toml or .json".to_string()),
        };
        let cfg = parsed.map_err(|message| ConfigError::File {
            path: shown.clone(),
            message,
        })?;
        cfg.validate().map_err(|e| ConfigError::File {
            path: shown,
            message: e.to_string(),
        })?;
        Ok(cfg)
    }

    /// A named preset.
    pub fn preset(name: &str) -> Result<Self, ConfigError> {
        PRESETS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, make)| make())
            .ok_or_else(|| ConfigError::UnknownPreset {
                name: name.to_string(),
                known: preset_names().join(", "),
            })
    }
}

type PresetFn = fn() -> ModelConfig;

/// Every preset: tiny ones for tests and CPU experiments, and the paper's base sizes.
const PRESETS: &[(&str, PresetFn)] = &[
    ("flash-tiny", || tiny(ModelKind::Flash, 4)),
    ("flash-quad-tiny", || tiny(ModelKind::FlashQuad, 4)),
    ("transformer++-tiny", || {
        tiny(ModelKind::TransformerPlusPlus, 2)
    }),
    ("transformer-tiny", || tiny(ModelKind::Transformer, 2)),
    ("flash-base", || base(ModelKind::Flash, 24)),
    ("flash-quad-base", || base(ModelKind::FlashQuad, 24)),
    ("transformer++-base", || {
        base(ModelKind::TransformerPlusPlus, 12)
    }),
];

/// The names of every preset.
pub fn preset_names() -> Vec<&'static str> {
    PRESETS.iter().map(|(n, _)| *n).collect()
}

fn tiny(kind: ModelKind, layers: usize) -> ModelConfig {
    ModelConfig {
        shared: 64,
        chunk: 64,
        heads: 4,
        max_len: 2048,
        ..ModelConfig::new(kind, 128, layers)
    }
}

fn base(kind: ModelKind, layers: usize) -> ModelConfig {
    ModelConfig {
        shared: 128,
        chunk: 256,
        heads: 12,
        expansion: 1536,
        ..ModelConfig::new(kind, 768, layers)
    }
}
