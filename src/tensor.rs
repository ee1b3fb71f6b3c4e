//! Host tensors: a dtype, a shape and little-endian row-major bytes, with conversions to and
//! from `f64` values and seeded random filling. This is the currency between safetensors
//! files, the PJRT runtime and the reference interpreter.

use crate::ir::{DType, TensorType};
use half::{bf16, f16};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

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

    /// Seeded random values: standard normal for floats, uniform in `[0, int_high)` for
    /// integers, fair coin for bools.
    pub fn random(ty: TensorType, seed: u64, int_high: i64) -> Self {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let n = ty.num_elements();
        let values: Vec<f64> = match ty.dtype {
            d if d.is_float() => (0..n).map(|_| StandardNormal.sample(&mut rng)).collect(),
            DType::Bool => (0..n).map(|_| rng.gen_range(0..2) as f64).collect(),
            _ => (0..n)
                .map(|_| rng.gen_range(0..int_high.max(1)) as f64)
                .collect(),
        };
        HostTensor::from_f64(ty, &values)
    }
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
