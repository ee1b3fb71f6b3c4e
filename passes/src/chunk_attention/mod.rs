//! `lower_chunk_attention`: rewrites the composite `chunk_attention` (FLASH mixed-chunk
//! attention, FLASH.md section 2) into reshapes, batched `dot_general`s, elementwise score
//! functions, iota-built masks and one chunk-level exclusive `cumsum` composite.
//!
//! Needs: a graph that verifies. Guarantees: no `chunk_attention` remains; each is replaced by
//! ops computing the dense definition (FLASH.md section 4) up to float summation order, built
//! through the IR [`Builder`] so types are re-inferred, and carrying the replaced node's
//! location and scope. Causal lowerings with more than one chunk emit a
//! `cumsum {dim=1, exclusive=true}`, so this pass must run before `lower_cumsum`.
//!
//! With `q_quad, k_quad, q_lin, k_lin: [B,T,s]`, `v: [B,T,e]`, chunk C and G = ceil(T / C):
//! - `pad.rs`: T is padded with zero tokens up to `Tp = G * C` and the output cropped back to T;
//!   when `C >= T` a single chunk of size T is used instead (no padding). The score scale stays
//!   `1 / C` (the attribute), as in the dense definition.
//! - `local.rs`: the operands are reshaped to `[B,G,C,x]`; `S = (c q_quad_g) k_quad_g^T`
//!   (`[B,G,C,C]`, the score scale `c`, e.g. `1/C`, applied to the `[B,G,C,s]` queries), the
//!   score function of `score.rs` with the causal and padded-key masks as `select`s of
//!   iota-compare masks, and `vq = P v_g` (`[B,G,C,e]`).
//! - `global.rs`: the linear term `vl = q_lin_g Mbar_g` (`[B,G,C,e]`): non-causal
//!   `Mbar = k_lin^T v / T` (unpadded T), causal an exclusive prefix sum of
//!   `k_lin_g^T v_g / C` over chunks, divided by `max(g, 1)` for the mean norm (the per-chunk
//!   divisor applied to the `[B,G,C,s]` queries rather than the `[B,G,s,e]` memory); skipped
//!   when causal with one chunk (it is zero).
//! - The output is `reshape(vq + vl, [B,Tp,e])` cropped to `[B,T,e]`.
//!
//! ```text
//! before (B = 1, T = 8, s = 3, e = 2):
//!   %5 = chunk_attention(%0, %1, %2, %3, %4) {chunk = 4, causal = true,
//!          linear_norm = mean, score = relu2} : f32[1,8,2]
//! after (abridged):
//!   %5  = reshape(%0) {shape = [1, 2, 4, 3]} : f32[1,2,4,3]          (also %1 -> %6, %4 -> %7)
//!   %9  = dot_general(%5 * 0.25, %6) {lhs_batch = [0, 1], ..., lhs_contract = [3],
//!           rhs_contract = [3]} : f32[1,2,4,4]
//!   %12 = compare(iota {dim = 1}, iota {dim = 0}) {dir = le} : bool[4,4]
//!   %17 = select(broadcast(%12), mul(max(%9, 0), max(%9, 0)), 0) : f32[1,2,4,4]
//!   %18 = dot_general(%17, %7) : f32[1,2,4,2]                        (vq)
//!   %21 = dot_general(reshape(%3), %7) {lhs_contract = [2], ...} : f32[1,2,3,2]
//!   %22 = cumsum(%21) {dim = 1, exclusive = true, reverse = false} : f32[1,2,3,2]
//!   %29 = div(reshape(%2), broadcast(max(iota {dim = 0} : f32[2], 1) * 4)) : f32[1,2,4,3]
//!   %30 = dot_general(%29, %22) : f32[1,2,4,2]                       (vl)
//!   %32 = reshape(add(%18, %30)) {shape = [1, 8, 2]} : f32[1,8,2]
//! ```

mod global;
mod local;
mod pad;
mod score;

use crate::error::PassError;
use crate::pass::{Pass, PassOptions};
use crate::rewrite::{rebuild, Action};
use flash_ir::infer::infer;
use flash_ir::{
    Builder, ChunkAttention, DType, DotDims, Graph, IrError, Node, Op, TensorType, ValueId,
};

/// The chunk-attention lowering pass (see the module docs).
#[derive(Clone, Copy, Debug, Default)]
pub struct LowerChunkAttention;

impl Pass for LowerChunkAttention {
    fn name(&self) -> &'static str {
        "lower_chunk_attention"
    }

    fn run(&self, g: Graph, _opts: &PassOptions) -> Result<Graph, PassError> {
        lower_all(g)
    }
}

/// Replaces every `chunk_attention` node of `g` by its lowering; other nodes are copied.
/// The new nodes carry the location and scope of the node they replace.
pub fn lower_all(g: Graph) -> Result<Graph, PassError> {
    rebuild(&g, |b, _, node, ops| visit(b, node, ops))
}

/// What [`lower_all`] does with one node: lowers chunk attention, keeps everything else.
fn visit(b: &mut Builder<'_>, node: &Node, ops: &[ValueId]) -> Result<Action, PassError> {
    match (&node.op, ops) {
        (Op::ChunkAttention(a), &[qq, kq, ql, kl, v]) => Ok(Action::Replace(
            lower_chunk_attention(b, [qq, kq, ql, kl, v], a)?,
        )),
        _ => Ok(Action::Keep),
    }
}

/// Lowers one mixed-chunk attention of `operands = [q_quad, k_quad, q_lin, k_lin, v]` with
/// attributes `attrs` into primitive ops (plus one `cumsum` composite when causal with more
/// than one chunk), appended through `b`. Returns the `[B,T,e]` result.
///
/// Fails, without building anything, if an operand is undefined or the operands break the
/// op's constraints C1/C2.
pub fn lower_chunk_attention(
    b: &mut Builder<'_>,
    operands: [ValueId; 5],
    attrs: &ChunkAttention,
) -> Result<ValueId, IrError> {
    let geo = Geometry::of(b, &operands, attrs)?;
    if geo.tokens == 0 {
        return b.splat(0.0, geo.result_type());
    }
    let padded = pad::pad_tokens(b, operands, &geo)?;
    let chunked = Chunked::of(b, padded, &geo)?;
    let vq = local::local_term(b, &chunked, &geo, attrs)?;
    let sum = match global::linear_term(b, padded, &chunked, &geo, attrs)? {
        Some(vl) => b.add(vq, vl)?,
        None => vq,
    };
    let flat = b.reshape(sum, &[geo.batch, geo.padded, geo.width_v])?;
    pad::crop(b, flat, &geo)
}

/// The sizes one lowering works with.
#[derive(Clone, Copy, Debug)]
struct Geometry {
    /// B.
    batch: usize,
    /// T, the unpadded sequence length.
    tokens: usize,
    /// Tp = chunks * chunk >= T.
    padded: usize,
    /// The chunk size used for reshaping: the attribute C, or T when C >= T.
    chunk: usize,
    /// G, the number of chunks.
    chunks: usize,
    /// s, the width of the queries and keys.
    width_qk: usize,
    /// e, the width of the values and the result.
    width_v: usize,
    /// The attribute C, the score scale and the per-chunk normaliser of the linear part.
    scale_chunk: usize,
    /// The element type of every operand and of the result.
    dtype: DType,
}

impl Geometry {
    /// Checks the operands (defined, constraints C1/C2) and derives the sizes.
    fn of(b: &Builder<'_>, xs: &[ValueId; 5], attrs: &ChunkAttention) -> Result<Self, IrError> {
        let types = operand_types(b, xs)?;
        let op = Op::ChunkAttention(attrs.clone());
        let ty = infer(&op, &types).map_err(|source| IrError::Invalid {
            op: op.name(),
            loc: b.loc.clone(),
            source,
        })?;
        let (q, tokens) = (&types[0].shape, ty.shape[1]);
        let chunk = attrs.chunk.min(tokens);
        let chunks = tokens.div_ceil(chunk.max(1));
        Ok(Geometry {
            batch: ty.shape[0],
            tokens,
            padded: chunks * chunk,
            chunk,
            chunks,
            width_qk: q[2],
            width_v: ty.shape[2],
            scale_chunk: attrs.chunk,
            dtype: ty.dtype,
        })
    }

    /// `[B, T, e]`.
    fn result_type(&self) -> TensorType {
        TensorType::new(self.dtype, vec![self.batch, self.tokens, self.width_v])
    }

    /// `[B, G, C, width]`.
    fn chunked_shape(&self, width: usize) -> [usize; 4] {
        [self.batch, self.chunks, self.chunk, width]
    }
}

/// The types of the five operands, or `UseBeforeDef` for one the graph does not define.
fn operand_types<'a>(
    b: &'a Builder<'_>,
    xs: &[ValueId; 5],
) -> Result<Vec<&'a TensorType>, IrError> {
    xs.iter()
        .map(|&v| match b.graph.nodes.get(v.index()) {
            Some(n) => Ok(&n.ty),
            None => Err(IrError::UseBeforeDef {
                node: b.graph.nodes.len() as u32,
                op: "chunk_attention",
                loc: b.loc.clone(),
                operand: v.0,
            }),
        })
        .collect()
}

/// The operands of the local part, reshaped from `[B, Tp, x]` to `[B, G, C, x]` (the linear
/// part reshapes `q_lin` and `k_lin` itself, only where it needs them).
#[derive(Clone, Copy, Debug)]
struct Chunked {
    q_quad: ValueId,
    k_quad: ValueId,
    v: ValueId,
}

impl Chunked {
    /// Reshapes `q_quad`, `k_quad` and `v` of the padded operands.
    fn of(b: &mut Builder<'_>, xs: [ValueId; 5], geo: &Geometry) -> Result<Self, IrError> {
        let qk = geo.chunked_shape(geo.width_qk);
        Ok(Chunked {
            q_quad: b.reshape(xs[0], &qk)?,
            k_quad: b.reshape(xs[1], &qk)?,
            v: b.reshape(xs[4], &geo.chunked_shape(geo.width_v))?,
        })
    }
}

/// Dot dimensions with the same `batch` dims on both sides, contracting `lhs` with `rhs`.
fn dims(batch: &[usize], lhs: &[usize], rhs: &[usize], geo: &Geometry) -> DotDims {
    DotDims {
        lhs_batch: batch.to_vec(),
        rhs_batch: batch.to_vec(),
        lhs_contract: lhs.to_vec(),
        rhs_contract: rhs.to_vec(),
        out: geo.dtype,
    }
}
