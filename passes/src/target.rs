//! The kind of machine a program is compiled for ([`Target`]). It is an input of the pipeline
//! ([`crate::PipelineOptions::target`]): the pipeline's per-target list and tuning
//! ([`crate::pipeline::Tuning::of`]) and `--chunk auto`'s floor ([`crate::chunk_size::min_chunk`])
//! are chosen from it. Detecting it from a loaded PJRT plugin is the runtime's business (the
//! `flash` crate's `target` module).

use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// A kind of machine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Target {
    /// XLA's CPU runtime.
    #[default]
    Cpu,
    /// An NVIDIA or AMD GPU.
    Gpu,
    /// A TPU.
    Tpu,
}

/// A target name that is not `cpu`, `gpu` or `tpu`.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("unknown target {0:?}; valid: cpu, gpu, tpu")]
pub struct UnknownTarget(pub String);

impl Target {
    /// Every target.
    pub const ALL: [Target; 3] = [Target::Cpu, Target::Gpu, Target::Tpu];

    /// The name used on the command line (`cpu`, `gpu`, `tpu`).
    pub fn name(self) -> &'static str {
        match self {
            Target::Cpu => "cpu",
            Target::Gpu => "gpu",
            Target::Tpu => "tpu",
        }
    }

    /// A one-line description (for `--help`).
    pub fn description(self) -> &'static str {
        match self {
            Target::Cpu => "XLA's CPU runtime",
            Target::Gpu => "An NVIDIA or AMD GPU",
            Target::Tpu => "A TPU",
        }
    }

    /// The target of a PJRT platform name (`cpu`, `cuda`, `rocm`, `tpu`, ...); unknown names
    /// count as CPU, the conservative choice (its tuning is the measured one, and it widens
    /// the dots that some backends lack kernels for).
    pub fn from_platform(name: &str) -> Target {
        match name.to_ascii_lowercase().as_str() {
            "cuda" | "rocm" | "gpu" => Target::Gpu,
            "tpu" => Target::Tpu,
            _ => Target::Cpu,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Target {
    type Err = UnknownTarget;

    fn from_str(s: &str) -> Result<Self, UnknownTarget> {
        Target::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| UnknownTarget(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in Target::ALL {
            assert_eq!(t.name().parse::<Target>(), Ok(t));
            assert_eq!(t.to_string(), t.name());
        }
        let err = "npu".parse::<Target>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown target \"npu\"; valid: cpu, gpu, tpu"
        );
    }

    #[test]
    fn platform_names_map_to_targets() {
        assert_eq!(Target::from_platform("cpu"), Target::Cpu);
        assert_eq!(Target::from_platform("CUDA"), Target::Gpu);
        assert_eq!(Target::from_platform("rocm"), Target::Gpu);
        assert_eq!(Target::from_platform("tpu"), Target::Tpu);
        assert_eq!(Target::from_platform("interpreter"), Target::Cpu);
    }
}
