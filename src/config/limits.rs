//! The largest sizes a config may ask for: every dimension field at most [`MAX_DIM`], so a
//! config with a 10^12-wide layer is refused naming the field, before any graph is built.

use super::{field, ConfigError, ModelConfig};

/// The largest dimension (width, vocabulary, sequence length, batch, ...) flash builds a
/// model with: token ids, positions and gather indices are `i32` in its programs, and the
/// IR text form reads no larger integer.
pub const MAX_DIM: usize = i32::MAX as usize;

/// Why `value` cannot be a dimension (it is above [`MAX_DIM`]), or `None` if it can.
pub fn dim_too_large(value: usize) -> Option<String> {
    (value > MAX_DIM).then(|| {
        format!(
            "{value} is larger than {MAX_DIM}, the largest dimension flash builds (token ids, \
             positions and indices are i32 in its programs)"
        )
    })
}

/// Refuses a config field above [`MAX_DIM`], naming it.
fn check_dim(name: &'static str, value: usize) -> Result<(), ConfigError> {
    match dim_too_large(value) {
        Some(message) => Err(field(name, message)),
        None => Ok(()),
    }
}

/// Checks every size field of `cfg` against [`MAX_DIM`].
pub(super) fn check_sizes(cfg: &ModelConfig) -> Result<(), ConfigError> {
    let sizes = [
        ("vocab", cfg.vocab),
        ("width", cfg.width),
        ("layers", cfg.layers),
        ("heads", cfg.heads),
        ("ffn", cfg.ffn),
        ("expansion", cfg.expansion),
        ("shared", cfg.shared),
        ("chunk", cfg.chunk),
        ("max_len", cfg.max_len),
    ];
    for (name, value) in sizes {
        check_dim(name, value)?;
    }
    // The derived widths (2d, 4d, ~8d/3) cannot wrap from here: they are at most 8 x MAX_DIM;
    // inference refuses any tensor of theirs beyond what XLA holds, naming the parameter.
    Ok(())
}
