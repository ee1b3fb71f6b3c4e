//! The kind of machine a program is compiled for ([`Target`]): named with `flash compile
//! --target`, or read from the PJRT plugin's platform name when the plugin is loaded (`flash
//! train`, `flash bench`). It decides the two target-dependent choices of the compiler: the
//! smallest chunk `--chunk auto` may pick, and whether dots with bf16 operands and f32 results
//! are widened to f32 (XLA's CPU runtime lacks some of those kernels; GPUs and TPUs run them
//! natively, so widening them there only costs bandwidth).

use crate::passes::chunk_size::ChunkBackend;
use crate::passes::PipelineOptions;
use crate::runtime::Client;
use clap::ValueEnum;

/// A kind of machine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, ValueEnum)]
pub enum Target {
    /// XLA's CPU runtime.
    #[default]
    Cpu,
    /// An NVIDIA or AMD GPU.
    Gpu,
    /// A TPU.
    Tpu,
}

impl Target {
    /// The target of a PJRT platform name (`cpu`, `cuda`, `rocm`, `tpu`, ...); unknown names
    /// count as CPU, the conservative choice for both decisions.
    pub fn from_platform(name: &str) -> Target {
        match name.to_ascii_lowercase().as_str() {
            "cuda" | "rocm" | "gpu" => Target::Gpu,
            "tpu" => Target::Tpu,
            _ => Target::Cpu,
        }
    }

    /// The target of the machine `client` runs on.
    pub fn of(client: &Client) -> Target {
        Target::from_platform(client.platform_name())
    }

    /// The backend whose floor `--chunk auto` uses.
    pub fn chunk_backend(self) -> ChunkBackend {
        match self {
            Target::Cpu => ChunkBackend::Cpu,
            Target::Gpu => ChunkBackend::Gpu,
            Target::Tpu => ChunkBackend::Tpu,
        }
    }

    /// Whether bf16 x bf16 -> f32 dots must be widened for this target.
    pub fn widens_mixed_dots(self) -> bool {
        self == Target::Cpu
    }

    /// `options` adjusted for this target (the mixed-dot widening switched off where the
    /// hardware multiplies narrow floats itself).
    pub fn pipeline(self, options: PipelineOptions) -> PipelineOptions {
        PipelineOptions {
            upcast_mixed_dots: options.upcast_mixed_dots && self.widens_mixed_dots(),
            ..options
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_names_map_to_targets() {
        assert_eq!(Target::from_platform("cpu"), Target::Cpu);
        assert_eq!(Target::from_platform("CUDA"), Target::Gpu);
        assert_eq!(Target::from_platform("rocm"), Target::Gpu);
        assert_eq!(Target::from_platform("tpu"), Target::Tpu);
        assert_eq!(Target::from_platform("interpreter"), Target::Cpu);
    }

    #[test]
    fn only_cpu_widens_mixed_dots() {
        let on = PipelineOptions::default();
        assert!(Target::Cpu.pipeline(on.clone()).upcast_mixed_dots);
        assert!(!Target::Gpu.pipeline(on.clone()).upcast_mixed_dots);
        assert!(!Target::Tpu.pipeline(on).upcast_mixed_dots);
    }
}
