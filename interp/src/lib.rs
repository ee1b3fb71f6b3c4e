//! The reference interpreter of the flash IR: a small, obviously correct evaluator used as the
//! independent oracle that XLA's results are compared against.
//!
//! Conventions (every op):
//! - Values live in [`Array`]s: a [`flash_ir::TensorType`] and row-major `f64` data; integers
//!   and bools are stored as `f64` values (bools as 0 and 1).
//! - Each op computes in `f64` on its (already rounded) operands, accumulating sums, dot
//!   products and prefix sums in `f64` (exactly, with wrapping, in `i128` for integer
//!   operands), then rounds its result once to the result dtype with [`round::round`].
//! - Integer division truncates toward zero; `x / 0 = -1` and `MIN / -1 = MIN`, as XLA's CPU
//!   and GPU backends define them.
//! - Float to integer conversion truncates toward zero and saturates; NaN converts to 0.
//! - `chunk_attention` is evaluated from the dense `T x T` matrix of FLASH.md section 4, never
//!   from the chunked form its lowering uses.
#![deny(missing_docs)]

pub mod array;
pub mod error;
pub mod eval;
pub mod index;
pub mod ops;
pub mod round;

pub use array::Array;
pub use error::InterpError;
pub use eval::evaluate;
