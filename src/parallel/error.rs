//! [`ParallelError`]: what can be wrong with a mesh or a sharding strategy.

use crate::ir::Mesh;
use thiserror::Error;

/// A bad `--mesh`, or a model or batch that a strategy cannot split over it.
#[derive(Debug, Error)]
pub enum ParallelError {
    /// The `--mesh` text is not `axis=size[,axis=size]`.
    #[error("mesh `{text}`: {why} (expected e.g. `data=4` or `data=2,model=2`)")]
    MalformedMesh {
        /// The flag's text.
        text: String,
        /// What is wrong.
        why: String,
    },
    /// An axis other than `data` and `model`.
    #[error("unknown mesh axis `{name}`; the axes are {}", super::AXES.join(", "))]
    UnknownAxis {
        /// The axis named.
        name: String,
    },
    /// The mesh has more devices than the client.
    #[error(
        "mesh {mesh} needs {needs} devices but the client has {available} \
         (the CPU plugin makes more with --cpu-devices N or FLASH_CPU_DEVICES=N)"
    )]
    TooFewDevices {
        /// The mesh.
        mesh: Mesh,
        /// Its device count.
        needs: usize,
        /// The client's device count.
        available: usize,
    },
    /// A dimension the strategy splits is not a multiple of the axis size.
    #[error("{what}: dimension {dim} of size {size} cannot be split over {axis}={parts} (it must be a multiple of {parts})")]
    Indivisible {
        /// The value (`the token batch`, a parameter name).
        what: String,
        /// The dimension.
        dim: usize,
        /// Its size.
        size: usize,
        /// The mesh axis.
        axis: &'static str,
        /// The axis size.
        parts: usize,
    },
}
