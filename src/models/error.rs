//! [`ModelError`]: why a model could not be described or built.

use crate::config::ConfigError;
use crate::dsl::DslError;
use crate::ir::MAX_TENSOR_BYTES;
use thiserror::Error;

/// A model configuration, build option or graph construction problem.
#[derive(Debug, Error)]
pub enum ModelError {
    /// The configuration is invalid; the error names the field.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A build option is invalid for this configuration.
    #[error("build option `{field}`: {message}")]
    BuildOption {
        /// The option (`batch`, `seq_len`).
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The parameters alone are more bytes than any machine (and XLA) can hold (boxed, to
    /// keep `Result<_, ModelError>` small).
    #[error("{0}")]
    TooManyParameters(Box<ParamTotal>),
    /// The DSL rejected an op; the error carries the call site and scope (boxed, to keep
    /// `Result<_, ModelError>` small).
    #[error("building the model graph: {0}")]
    Dsl(Box<DslError>),
}

impl From<DslError> for ModelError {
    fn from(e: DslError) -> Self {
        ModelError::Dsl(Box::new(e))
    }
}

/// A parameter total beyond [`MAX_TENSOR_BYTES`] bytes.
#[derive(Debug, Error)]
#[error(
    "the model has {total} parameters in {layers} layers ({bytes} bytes as f32), more than \
     the {MAX_TENSOR_BYTES} bytes XLA can address; lower `layers`, `width` or `vocab`"
)]
pub struct ParamTotal {
    /// The exact parameter total.
    pub total: u128,
    /// The config's layer count.
    pub layers: usize,
    /// The total's size in bytes.
    pub bytes: u128,
}

/// A [`ModelError::Config`] for `field`.
pub(crate) fn config_field(field: &'static str, message: impl Into<String>) -> ModelError {
    ModelError::Config(ConfigError::Field {
        field,
        message: message.into(),
    })
}
