//! [`ModelError`]: why a model could not be described or built.

use crate::config::ConfigError;
use crate::dsl::DslError;
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

/// A [`ModelError::Config`] for `field`.
pub(crate) fn config_field(field: &'static str, message: impl Into<String>) -> ModelError {
    ModelError::Config(ConfigError::Field {
        field,
        message: message.into(),
    })
}
