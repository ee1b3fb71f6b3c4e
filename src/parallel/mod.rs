//! Running one program on several devices: the `--mesh` flag, the sharding strategies for
//! the language models (data and tensor parallel, ZeRO-1), and moving host tensors to and
//! from per-device pieces. XLA's SPMD partitioner does the partitioning and inserts the
//! collectives; this module only annotates programs and places their inputs.

pub mod error;
pub mod mesh_flag;
pub mod placement;
pub mod strategy;
pub mod tiles;

pub use error::ParallelError;
pub use mesh_flag::{check_devices, parse_mesh, AXES, DATA, MODEL};
pub use placement::Placement;
pub use strategy::Parallelism;
