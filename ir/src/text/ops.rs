//! Op names of the text form and the construction of an [`Op`] from its name, its attributes
//! and its written type. The attribute order here matches the printer's.

use super::names::{norm_name, score_name, NORMS, REDUCE_KINDS, SCORES};
use super::value::Attrs;
use super::ParseError;
use crate::dtype::TensorType;
use crate::op::{BinaryOp, ChunkAttention, CmpDir, DotDims, Op, ReduceKind, UnaryOp};

type Result<T> = std::result::Result<T, ParseError>;

/// Names of the ops that are not unary or binary functions.
const OTHER_OPS: [&str; 18] = [
    "parameter",
    "constant",
    "iota",
    "compare",
    "select",
    "convert",
    "broadcast_in_dim",
    "reshape",
    "transpose",
    "slice",
    "concatenate",
    "pad",
    "reduce",
    "reduce_window",
    "dot_general",
    "gather",
    "cumsum",
    "chunk_attention",
];

fn unary(name: &str) -> Option<UnaryOp> {
    UnaryOp::ALL.into_iter().find(|u| u.name() == name)
}

fn binary(name: &str) -> Option<BinaryOp> {
    BinaryOp::ALL.into_iter().find(|b| b.name() == name)
}

/// True if `name` names an op.
pub(super) fn is_op_name(name: &str) -> bool {
    OTHER_OPS.contains(&name) || unary(name).is_some() || binary(name).is_some()
}

/// Builds op `name` from its attributes; `ty` is the written result type, which is the op's
/// own `ty` for parameters, constants and iotas.
pub(super) fn build_op(name: &str, a: &mut Attrs, ty: &TensorType) -> Result<Op> {
    if let Some(u) = unary(name) {
        return Ok(Op::Unary(u));
    }
    if let Some(b) = binary(name) {
        return Ok(Op::Binary(b));
    }
    match name {
        "parameter" | "constant" | "iota" => build_nullary(name, a, ty),
        "broadcast_in_dim" | "reshape" | "transpose" | "slice" | "concatenate" | "pad" => {
            build_shaping(name, a)
        }
        "reduce" => Ok(Op::Reduce {
            kind: a.choice("kind", &REDUCE_KINDS, ReduceKind::name)?,
            dims: a.usizes("dims")?,
        }),
        "reduce_window" => build_reduce_window(a),
        "dot_general" => build_dot(a),
        "chunk_attention" => build_chunk_attention(a),
        _ => build_other(name, a),
    }
}

fn build_nullary(name: &str, a: &mut Attrs, ty: &TensorType) -> Result<Op> {
    let ty = ty.clone();
    match name {
        "parameter" => Ok(Op::Parameter {
            index: a.usize("index")?,
            name: a.string("name")?,
            ty,
        }),
        "constant" => Ok(Op::Constant {
            value: a.literal("value")?,
            ty,
        }),
        _ => Ok(Op::Iota {
            dim: a.usize("dim")?,
            ty,
        }),
    }
}

fn build_shaping(name: &str, a: &mut Attrs) -> Result<Op> {
    Ok(match name {
        "broadcast_in_dim" => Op::BroadcastInDim {
            shape: a.shape("shape")?,
            dims: a.usizes("dims")?,
        },
        "reshape" => Op::Reshape {
            shape: a.shape("shape")?,
        },
        "transpose" => Op::Transpose {
            perm: a.usizes("perm")?,
        },
        "slice" => Op::Slice {
            start: a.usizes("start")?,
            limit: a.usizes("limit")?,
            stride: a.usizes("stride")?,
        },
        "concatenate" => Op::Concatenate {
            dim: a.usize("dim")?,
        },
        _ => Op::Pad {
            low: a.i64s("low")?,
            high: a.i64s("high")?,
            interior: a.usizes("interior")?,
        },
    })
}

fn build_reduce_window(a: &mut Attrs) -> Result<Op> {
    Ok(Op::ReduceWindow {
        kind: a.choice("kind", &REDUCE_KINDS, ReduceKind::name)?,
        window: a.usizes("window")?,
        strides: a.usizes("strides")?,
        padding: a.pairs("padding")?,
    })
}

fn build_dot(a: &mut Attrs) -> Result<Op> {
    Ok(Op::DotGeneral(DotDims {
        lhs_batch: a.usizes("lhs_batch")?,
        rhs_batch: a.usizes("rhs_batch")?,
        lhs_contract: a.usizes("lhs_contract")?,
        rhs_contract: a.usizes("rhs_contract")?,
        out: a.dtype("out")?,
    }))
}

fn build_chunk_attention(a: &mut Attrs) -> Result<Op> {
    Ok(Op::ChunkAttention(ChunkAttention {
        chunk: a.usize("chunk")?,
        causal: a.flag("causal")?,
        linear_norm: a.choice("linear_norm", &NORMS, norm_name)?,
        score: a.choice("score", &SCORES, score_name)?,
    }))
}

fn build_other(name: &str, a: &mut Attrs) -> Result<Op> {
    match name {
        "compare" => Ok(Op::Compare(a.choice("dir", &CmpDir::ALL, CmpDir::name)?)),
        "select" => Ok(Op::Select),
        "convert" => Ok(Op::Convert { to: a.dtype("to")? }),
        "gather" => Ok(Op::Gather),
        "cumsum" => Ok(Op::Cumsum {
            dim: a.usize("dim")?,
            exclusive: a.flag("exclusive")?,
            reverse: a.flag("reverse")?,
        }),
        _ => Err(a.pos().error(format!("unknown op `{name}`"))),
    }
}
