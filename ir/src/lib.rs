//! The flash IR: a typed SSA graph of tensor operations kept in an arena.
//!
//! Values are indices ([`ValueId`]) into [`Graph::nodes`]; every node produces exactly one
//! tensor value. Operands are always defined before use, which the verifier checks once so
//! every later consumer can index freely. Each op has exactly one shape/dtype inference rule
//! ([`infer::infer`]), shared by the builder, the verifier and the interpreter.
#![deny(missing_docs)]

pub mod build;
pub mod dtype;
pub mod error;
pub mod graph;
pub mod infer;
pub mod op;
pub mod round;
pub mod scalar;
pub mod sharding;
pub mod size;
pub mod text;
pub mod verify;

pub use build::Builder;
pub use dtype::{DType, TensorType};
pub use error::{InferError, IrError};
pub use graph::{Graph, Location, Node, ValueId};
pub use op::{
    Arity, BinaryOp, ChunkAttention, CmpDir, DotDims, LinearNorm, Literal, Op, OpKind, OpSpec,
    ReduceKind, ScoreFn, Traits, UnaryOp,
};
pub use sharding::{
    IotaDevices, Mesh, MeshAxis, MeshError, Sharding, ShardingError, TileLayout, MAX_MESH_DEVICES,
};
pub use size::{checked_product, checked_sum, SizeError, MAX_TENSOR_BYTES};
pub use text::{parse_graph, parse_graph_file, print_graph, ParseError};
