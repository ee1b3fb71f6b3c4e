//! Generation in constant time per token for FLASH (and with key/value caches for the
//! baselines): the decode-step and prefill programs ([`program`]), the state they carry
//! ([`state`]), and the runtime loop that samples from them ([`generator`], [`sampling`]).
//!
//! FLASH's causal mixed-chunk attention has an exact recurrent form (FLASH.md section 4): per
//! layer the sum over finished chunks of `k_lin^T v`, the current chunk's partial sum and its
//! quadratic keys and values. The state has a constant size, so a token's cost does not
//! depend on how many came before and the history is never cut off. The other kinds keep a
//! key/value cache of fixed capacity.

pub mod generator;
pub mod program;
pub mod sampling;
pub mod state;

pub use generator::{DecodeError, Decoder};
pub use program::{build_decode_step, build_prefill, uses_kv_cache, DecodeOptions};
pub use sampling::{sample, Sampling};
pub use state::{state_specs, StateSpec};
