//! Host-side initial values of parameters: [`init_params`] draws every parameter from its
//! [`Init`], deterministically per seed, and [`count_params`] counts elements.
//!
//! Each parameter has its own random stream, seeded from the run seed and a stable hash of
//! its name (FNV-1a), so adding or reordering parameters leaves the others' values unchanged.

use super::params::{Init, ParamSpec};
use crate::tensor::HostTensor;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

/// The initial value of every parameter of `specs`, in order, as `(name, tensor)` pairs.
pub fn init_params(specs: &[ParamSpec], seed: u64) -> Vec<(String, HostTensor)> {
    specs
        .iter()
        .map(|s| (s.name.clone(), init_one(s, seed)))
        .collect()
}

/// The initial value of one parameter.
pub fn init_one(spec: &ParamSpec, seed: u64) -> HostTensor {
    let n = spec.ty.num_elements();
    let values: Vec<f64> = match spec.init {
        Init::Normal { std } => {
            let mut rng = rand::rngs::StdRng::seed_from_u64(stream_seed(seed, &spec.name));
            (0..n)
                .map(|_| std * Distribution::<f64>::sample(&StandardNormal, &mut rng))
                .collect()
        }
        Init::Zeros => vec![0.0; n],
        Init::Ones => vec![1.0; n],
        Init::Constant(c) => vec![c; n],
    };
    HostTensor::from_f64(spec.ty.clone(), &values)
}

/// The total number of parameter elements, saturating at `usize::MAX` (never wrapping;
/// [`crate::models::param_specs`] refuses models whose total is anywhere near it).
pub fn count_params(specs: &[ParamSpec]) -> usize {
    specs
        .iter()
        .fold(0usize, |n, s| n.saturating_add(s.ty.num_elements()))
}

/// The seed of one parameter's stream: FNV-1a of the name, mixed with the run seed.
fn stream_seed(seed: u64, name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes().chain(seed.to_le_bytes()) {
        h ^= u64::from(byte);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}
