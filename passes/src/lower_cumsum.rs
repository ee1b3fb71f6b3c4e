//! `lower_cumsum`: rewrites the composite `cumsum{dim, exclusive, reverse}` into primitive ops,
//! by one of three strategies ([`CumsumStrategy`]).
//!
//! Needs: a graph that verifies. Guarantees: no `cumsum` remains; each is replaced by
//! primitive ops computing the same values (up to float summation order), built through the
//! IR [`Builder`] so types are re-inferred, and carrying the cumsum's location and scope.
//! A cumsum over an empty dim is its operand.
//!
//! - [`CumsumStrategy::Matmul`]: `dot_general` with an n x n 0/1 triangle built from
//!   iota + compare + convert (no dense literal), laid out so that no transpose follows
//!   (batched over the leading dims for a middle dim; see `matmul.rs`).
//! - [`CumsumStrategy::ReduceWindow`]: a window-n sum with padding (n-1, 0), or (0, n-1) in
//!   reverse; exclusive adds a shift by one (pad + slice).
//! - [`CumsumStrategy::LogScan`]: Hillis-Steele, ceil(log2 n) steps of `y + shift(y, 2^k)`;
//!   exclusive adds a final shift by one.
//!
//! ```text
//! before:
//!   %0 = parameter {index = 0, name = "x"} : f32[3]
//!   %1 = cumsum(%0) {dim = 0, exclusive = false, reverse = false} : f32[3]
//!   return %1
//! after (matmul):
//!   %0 = parameter {index = 0, name = "x"} : f32[3]
//!   %1 = iota {dim = 0} : i32[3,3]
//!   %2 = iota {dim = 1} : i32[3,3]
//!   %3 = compare(%2, %1) {dir = le} : bool[3,3]
//!   %4 = convert(%3) {to = f32} : f32[3,3]
//!   %5 = dot_general(%4, %0) {lhs_batch = [], rhs_batch = [], lhs_contract = [1],
//!          rhs_contract = [0], out = f32} : f32[3]
//!   return %5
//! after (log_scan, n = 3: two steps):
//!   %2 = pad(%0, %1) {low = [1], high = [0], interior = [0]} : f32[4]   (%1: zero)
//!   %3 = slice(%2) {start = [0], limit = [3], stride = [1]} : f32[3]
//!   %4 = add(%0, %3) : f32[3]
//!   ... the same with a shift by 2, giving %8
//! ```

mod log_scan;
mod matmul;
mod reduce_window;

use crate::error::PassError;
use crate::pass::{Pass, PassOptions};
use crate::rewrite::{rebuild, Action};
use flash_ir::build::BuildResult;
use flash_ir::{Builder, Graph, Op, TensorType, ValueId};
use std::fmt;
use std::str::FromStr;

/// How `lower_cumsum` lowers a cumsum of length n (the size of its dim) over N elements.
///
/// `Auto` picks, per cumsum, by the target's thresholds ([`CumsumAuto`], handed over by the
/// pipeline's tuning table, [`crate::pipeline::Tuning`]; the values below are XLA CPU's):
/// - `Matmul` for float tensors when n <= `float_matmul_max_n` (1024), and for any dtype
///   when n <= `matmul_max_n` (256). FLASH's chunk-level prefix sum (n = number of chunks)
///   falls here, as in the paper on TPUs.
/// - `Matmul` also for float tensors whose work N * n is at most `float_matmul_max_work`
///   (2^24): small enough that the quadratic cost does not matter.
/// - `LogScan` otherwise: O(N log n) adds, against the O(N n) of the matmul.
///
/// Measured on the 2-core CPU (XLA CPU plugin; exclusive prefix sum over dim 1 of
/// `[1, n, 128, 128]` f32, interleaved runs, median of 10; the transpose-free matmul of
/// `matmul.rs`):
///
/// | n    | matmul | log_scan | reduce_window |
/// |------|--------|----------|---------------|
/// | 128  | 10 ms  | 32 ms    | 22 ms         |
/// | 512  | 128 ms | 232 ms   | 219 ms        |
/// | 1024 | 327 ms | 507 ms   | 463 ms        |
///
/// and over the chunks of FLASH's `[1, G, 128, 512]` memories (min of 20): G = 32: 4.3 ms
/// (matmul), 41 ms (log_scan), 32 ms (reduce_window); G = 128: 134, 320, 383 ms. The matmul
/// runs on the matrix kernels at about 100 GFLOP/s while the others are memory-bound passes
/// (XLA does not fuse the log-scan's steps), so the crossover lies above n = 1024 here.
/// Integer dots have no fast kernels, so integers keep the n <= 256 bound (not measured).
/// `ReduceWindow` is never chosen automatically.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CumsumStrategy {
    /// Choose per cumsum by the rule above.
    #[default]
    Auto,
    /// Triangular-matrix `dot_general`.
    Matmul,
    /// Padded `reduce_window` sum.
    ReduceWindow,
    /// Log-step (Hillis-Steele) scan.
    LogScan,
}

/// The thresholds by which `Auto` picks a strategy (the rule on [`CumsumStrategy`]): per
/// target, from the pipeline's tuning table ([`crate::pipeline::Tuning`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CumsumAuto {
    /// `Auto` uses the matmul for every cumsum at most this long.
    pub matmul_max_n: usize,
    /// `Auto` uses the matmul for every float cumsum at most this long.
    pub float_matmul_max_n: usize,
    /// `Auto` uses the matmul for float cumsums whose N * n is at most this.
    pub float_matmul_max_work: usize,
}

impl CumsumStrategy {
    /// Every strategy.
    pub const ALL: [CumsumStrategy; 4] = [
        CumsumStrategy::Auto,
        CumsumStrategy::Matmul,
        CumsumStrategy::ReduceWindow,
        CumsumStrategy::LogScan,
    ];

    /// The name used on the command line (`auto`, `matmul`, `reduce-window`, `log-scan`).
    pub fn name(self) -> &'static str {
        match self {
            CumsumStrategy::Auto => "auto",
            CumsumStrategy::Matmul => "matmul",
            CumsumStrategy::ReduceWindow => "reduce-window",
            CumsumStrategy::LogScan => "log-scan",
        }
    }

    /// The concrete strategy for a cumsum of an operand of type `ty` along `dim`
    /// (`Auto` resolved by the documented rule with the thresholds `auto`; the others
    /// returned unchanged).
    pub fn resolve(self, ty: &TensorType, dim: usize, auto: &CumsumAuto) -> CumsumStrategy {
        if self != CumsumStrategy::Auto {
            return self;
        }
        let n = ty.shape.get(dim).copied().unwrap_or(0);
        let work = ty.num_elements().saturating_mul(n);
        let float = ty.dtype.is_float();
        let short = n <= auto.matmul_max_n || (float && n <= auto.float_matmul_max_n);
        if short || (float && work <= auto.float_matmul_max_work) {
            CumsumStrategy::Matmul
        } else {
            CumsumStrategy::LogScan
        }
    }
}

impl fmt::Display for CumsumStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is none of [`CumsumStrategy::name`]'s; shows the valid names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownCumsumStrategy(pub String);

impl fmt::Display for UnknownCumsumStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let valid: Vec<&str> = CumsumStrategy::ALL.iter().map(|c| c.name()).collect();
        write!(
            f,
            "unknown cumsum strategy {:?}; valid: {}",
            self.0,
            valid.join(", ")
        )
    }
}

impl std::error::Error for UnknownCumsumStrategy {}

impl FromStr for CumsumStrategy {
    type Err = UnknownCumsumStrategy;

    fn from_str(s: &str) -> Result<Self, UnknownCumsumStrategy> {
        CumsumStrategy::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| UnknownCumsumStrategy(s.to_string()))
    }
}

/// The attributes of one cumsum.
#[derive(Clone, Copy, Debug)]
struct Spec {
    dim: usize,
    /// The size of `dim`, at least 1.
    n: usize,
    exclusive: bool,
    reverse: bool,
}

/// The cumsum lowering pass.
#[derive(Clone, Copy, Debug, Default)]
pub struct LowerCumsum;

impl Pass for LowerCumsum {
    fn name(&self) -> &'static str {
        "lower_cumsum"
    }

    fn run(&self, g: Graph, opts: &PassOptions) -> Result<Graph, PassError> {
        rebuild(&g, |b, _, node, ops| match (&node.op, ops) {
            (
                &Op::Cumsum {
                    dim,
                    exclusive,
                    reverse,
                },
                &[x],
            ) => Ok(Action::Replace(lower(
                b,
                x,
                (dim, exclusive, reverse),
                (opts.cumsum, &opts.tuning.cumsum_auto),
            )?)),
            _ => Ok(Action::Keep),
        })
    }
}

/// Lowers one cumsum `(dim, exclusive, reverse)` of `x` with `strategy` (`Auto` resolved
/// with the thresholds `auto`).
fn lower(
    b: &mut Builder<'_>,
    x: ValueId,
    (dim, exclusive, reverse): (usize, bool, bool),
    (strategy, auto): (CumsumStrategy, &CumsumAuto),
) -> BuildResult {
    let ty = b.ty(x).clone();
    let n = ty.shape.get(dim).copied().unwrap_or(0);
    if n == 0 {
        return Ok(x);
    }
    let spec = Spec {
        dim,
        n,
        exclusive,
        reverse,
    };
    match strategy.resolve(&ty, dim, auto) {
        CumsumStrategy::Matmul | CumsumStrategy::Auto => matmul::lower(b, x, spec),
        CumsumStrategy::ReduceWindow => reduce_window::lower(b, x, spec),
        CumsumStrategy::LogScan => log_scan::lower(b, x, spec),
    }
}

/// Shifts `x` by `by` along `dim`, filling with zeros: towards higher indices (element i gets
/// element i - by), or towards lower ones when `reverse`. Built as pad + slice.
fn shift(b: &mut Builder<'_>, x: ValueId, dim: usize, by: usize, reverse: bool) -> BuildResult {
    let n = b.shape(x).get(dim).copied().unwrap_or(0);
    let pad = by as i64;
    if reverse {
        let padded = b.pad_dim(x, dim, 0, pad, 0.0)?;
        b.slice_dim(padded, dim, by, n + by)
    } else {
        let padded = b.pad_dim(x, dim, pad, 0, 0.0)?;
        b.slice_dim(padded, dim, 0, n)
    }
}
