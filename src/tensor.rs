//! Host tensors: a dtype, a shape and little-endian row-major bytes, with conversions to and
//! from `f64` values and seeded random filling. This is the currency between safetensors
//! files, the PJRT runtime and the reference interpreter.

use crate::ir::{DType, SizeError, TensorType};
use half::{bf16, f16};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use thiserror::Error;

/// Why a host tensor could not be allocated.
#[derive(Debug, Error)]
pub enum TensorError {
    /// The type is larger than any tensor XLA accepts.
    #[error(transparent)]
    Size(#[from] SizeError),
    /// The host has not that much memory to give.
    #[error("cannot allocate {bytes} bytes on the host for {what}: {reason}")]
    OutOfMemory {
        /// What the memory was for (`a f32[...] tensor`, `the program's inputs`).
        what: String,
        /// How many bytes were asked for.
        bytes: u128,
        /// The allocator's refusal, or the memory the system has available.
        reason: String,
    },
}

/// A tensor in host memory.
#[derive(Clone, Debug, PartialEq)]
pub struct HostTensor {
    /// Element type and shape.
    pub ty: TensorType,
    /// Row-major little-endian element bytes (`ty.num_elements() * dtype.size_bytes()`).
    pub bytes: Vec<u8>,
}

impl HostTensor {
    /// A tensor from `f64` values, rounded or truncated to `ty.dtype`.
    pub fn from_f64(ty: TensorType, values: &[f64]) -> Self {
        let mut bytes = Vec::with_capacity(values.len() * ty.dtype.size_bytes());
        for &v in values {
            push_element(&mut bytes, ty.dtype, v);
        }
        HostTensor { ty, bytes }
    }

    /// The elements as `f64` values.
    pub fn to_f64(&self) -> Vec<f64> {
        let size = self.ty.dtype.size_bytes();
        self.bytes
            .chunks_exact(size)
            .map(|c| read_element(c, self.ty.dtype))
            .collect()
    }

    /// A tensor whose elements are `next()` in row-major order, allocated fallibly: a type
    /// beyond XLA's sizes or beyond the host's memory is an error, not an abort.
    pub fn try_from_fn(ty: TensorType, mut next: impl FnMut() -> f64) -> Result<Self, TensorError> {
        let n = ty.element_count()?;
        let mut bytes = alloc_bytes(&ty)?;
        for _ in 0..n {
            push_element(&mut bytes, ty.dtype, next());
        }
        Ok(HostTensor { ty, bytes })
    }

    /// Seeded random values: standard normal for floats, uniform in `[0, int_high)` for
    /// integers, fair coin for bools; allocated fallibly (see [`HostTensor::try_from_fn`]).
    pub fn try_random(ty: TensorType, seed: u64, int_high: i64) -> Result<Self, TensorError> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let dtype = ty.dtype;
        HostTensor::try_from_fn(ty, || match dtype {
            d if d.is_float() => StandardNormal.sample(&mut rng),
            DType::Bool => rng.gen_range(0..2) as f64,
            _ => rng.gen_range(0..int_high.max(1)) as f64,
        })
    }

    /// A tensor of zeros, allocated fallibly.
    pub fn try_zeros(ty: TensorType) -> Result<Self, TensorError> {
        let mut bytes = alloc_bytes(&ty)?;
        bytes.resize(bytes.capacity(), 0);
        Ok(HostTensor { ty, bytes })
    }

    /// [`HostTensor::try_random`] for types known to fit in memory (tests, examples).
    ///
    /// # Panics
    /// If the tensor cannot be allocated; values from user input go through `try_random`.
    pub fn random(ty: TensorType, seed: u64, int_high: i64) -> Self {
        HostTensor::try_random(ty, seed, int_high).unwrap_or_else(|e| panic!("{e}"))
    }
}

/// An empty byte buffer with room for one tensor of `ty`, reserved fallibly.
pub fn alloc_bytes(ty: &TensorType) -> Result<Vec<u8>, TensorError> {
    let n = ty.byte_count()?;
    let mut bytes = Vec::new();
    bytes
        .try_reserve_exact(n)
        .map_err(|e| TensorError::OutOfMemory {
            what: format!("a {ty} tensor"),
            bytes: n as u128,
            reason: e.to_string(),
        })?;
    Ok(bytes)
}

/// Refuses to allocate `bytes` for `what` when the system reports less memory available
/// (`MemAvailable` plus free swap in `/proc/meminfo`): an allocation that large would succeed
/// under overcommit and then end in the out-of-memory killer's SIGKILL. Where the figure is
/// unknown (no `/proc`), the allocation itself is the check.
pub fn check_available_memory(bytes: u128, what: &str) -> Result<(), TensorError> {
    match available_memory() {
        Some(free) if bytes > free => Err(TensorError::OutOfMemory {
            what: what.to_string(),
            bytes,
            reason: format!("the system has {free} bytes available (MemAvailable + SwapFree)"),
        }),
        _ => Ok(()),
    }
}

/// `MemAvailable + SwapFree` from `/proc/meminfo`, in bytes.
fn available_memory() -> Option<u128> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib = |key: &str| -> Option<u128> {
        let line = text.lines().find(|l| l.starts_with(key))?;
        line[key.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some((kib("MemAvailable:")? + kib("SwapFree:").unwrap_or(0)) * 1024)
}

fn push_element(out: &mut Vec<u8>, dtype: DType, v: f64) {
    match dtype {
        DType::F32 => out.extend_from_slice(&(v as f32).to_le_bytes()),
        DType::F64 => out.extend_from_slice(&v.to_le_bytes()),
        DType::BF16 => out.extend_from_slice(&bf16::from_f64(v).to_le_bytes()),
        DType::F16 => out.extend_from_slice(&f16::from_f64(v).to_le_bytes()),
        DType::I32 => out.extend_from_slice(&(v as i64 as i32).to_le_bytes()),
        DType::I64 => out.extend_from_slice(&(v as i64).to_le_bytes()),
        DType::Bool => out.push((v != 0.0) as u8),
    }
}

fn read_element(c: &[u8], dtype: DType) -> f64 {
    match dtype {
        DType::F32 => f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64,
        DType::F64 => f64::from_le_bytes(c.try_into().unwrap_or([0; 8])),
        DType::BF16 => bf16::from_le_bytes([c[0], c[1]]).to_f64(),
        DType::F16 => f16::from_le_bytes([c[0], c[1]]).to_f64(),
        DType::I32 => i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64,
        DType::I64 => i64::from_le_bytes(c.try_into().unwrap_or([0; 8])) as f64,
        DType::Bool => (c[0] != 0) as u8 as f64,
    }
}
