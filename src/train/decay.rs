//! The weight-decay rule: which parameters AdamW's decoupled decay applies to.
//!
//! A parameter is decayed when it is a matrix or larger (rank >= 2) **and** its last name
//! segment is neither `gamma` nor `beta`. So weight matrices and embeddings (the tied output
//! layer included) are decayed; norm gains and biases (`*.g`, `*.b`, `*.b_in`, `*.b_out`,
//! scalars and vectors), the GAU/FLASH per-dimension affine `gamma`/`beta` (`[heads, s]`,
//! matrices by shape but scale/offset vectors by role) and relative-position biases (vectors)
//! are not.

use crate::models::ParamSpec;

/// True when AdamW's weight decay applies to `spec` (see the module docs).
pub fn decays(spec: &ParamSpec) -> bool {
    let last = spec.name.rsplit('.').next().unwrap_or("");
    spec.ty.rank() >= 2 && last != "gamma" && last != "beta"
}
