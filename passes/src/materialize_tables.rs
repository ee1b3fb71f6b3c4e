//! `materialize_tables`: a transcendental "table" (a sin, cos, exp, ... computed from iotas
//! and constants only, such as RoPE's `cos(pos * inv_freq)` and `sin(...)`) with many
//! consumers is made to be computed once, by routing it through an exact identity product
//! `dot_general(table, I)` over its last dim.
//!
//! Why: XLA counts sin and cos as cheap, so it fuses the whole table computation into every
//! consumer fusion. On the FLASH train step (4 layers, T = 8192) the two `[T, s]` RoPE tables
//! were recomputed in 32 fusions (each a libm call per element, with the slow large-argument
//! reduction), about 8% of the step. A `dot_general` is never fused into an elementwise
//! consumer, so the table is materialised once and read by all. The IR has no
//! `optimization_barrier`; this is the exact stand-in: each result element is `x * 1` plus
//! `k - 1` products `y * 0` (tables are finite), i.e. `x` itself, at a cost of `2 N k` flops
//! (`k <= 256`), well under the `N` transcendentals saved per duplicate. Measured on XLA's
//! CPU runtime: the pipeline runs it where the target's tuning says so
//! ([`crate::pipeline::Tuning::materialize_tables`]).
//!
//! A *positional* table is one that also reads integer scalar parameters (a decode step's
//! `position`): RoPE's `[1, s]` row of the token being decoded. It is small, but XLA fused it
//! into every consumer of every head and layer (20 fusions of the four-layer FLASH decode
//! step, each a libm `sincosf` per element: 13% of the step); one dot in its place costs one
//! small kernel. So positional tables count by the elements their duplicates would recompute.
//!
//! Needs: a graph that verifies. Guarantees: the same values, bit for bit; only f32 and f64
//! tables whose last dim is at most [`MAX_LAST_DIM`] and which reach at least
//! [`MIN_CONSUMERS`] consumers (counted through broadcasts, reshapes and transposes) are
//! touched: constant tables of at least [`MIN_ELEMENTS`] elements, positional ones whose
//! duplicates would recompute at least [`MIN_RECOMPUTED`] elements; one identity per size is
//! shared. Run after `cse`, which merges the copies of a table before they are counted.
//!
//! ```text
//! before:
//!   %0 = iota {dim = 0} : f32[8192,128]
//!   %1 = cos(%0) : f32[8192,128]
//!   ... four multiplies reading %1
//! after:
//!   %2 = iota {dim = 0} : i32[128,128]
//!   %3 = iota {dim = 1} : i32[128,128]
//!   %4 = compare(%2, %3) {dir = eq} : bool[128,128]
//!   %5 = convert(%4) {to = f32} : f32[128,128]
//!   %6 = dot_general(%1, %5) {lhs_batch = [], rhs_batch = [], lhs_contract = [1],
//!          rhs_contract = [0], out = f32} : f32[8192,128]
//!   ... the four multiplies read %6
//! ```

use crate::error::PassError;
use crate::pass::{Pass, PassOptions};
use crate::rewrite::{rebuild, Action};
use flash_ir::build::BuildResult;
use flash_ir::{Builder, CmpDir, DType, DotDims, Graph, Op, TensorType, Traits, ValueId};
use std::collections::HashMap;

/// The fewest consumers for which a table is materialised.
pub const MIN_CONSUMERS: usize = 3;

/// The largest last dim (the identity's size) for which a table is materialised.
pub const MAX_LAST_DIM: usize = 256;

/// The fewest elements for which a table is materialised: below it, recomputing the table in
/// every consumer costs less than launching one more dot.
pub const MIN_ELEMENTS: usize = 1 << 14;

/// The fewest elements the duplicates of a positional table would recompute (its elements
/// times its consumers but one) for which it is materialised.
pub const MIN_RECOMPUTED: usize = 1 << 10;

/// The table-materialising pass.
#[derive(Clone, Copy, Debug, Default)]
pub struct MaterializeTables;

impl Pass for MaterializeTables {
    fn name(&self) -> &'static str {
        "materialize_tables"
    }

    fn run(&self, g: Graph, _opts: &PassOptions) -> Result<Graph, PassError> {
        let tables = tables(&g);
        // One identity per (size, dtype), shared by the tables that need it.
        let mut identities: HashMap<(usize, DType), ValueId> = HashMap::new();
        rebuild(&g, |b, id, node, ops| {
            if !tables[id.index()] {
                return Ok(Action::Keep);
            }
            let table = b.op(node.op.clone(), ops.to_vec())?;
            Ok(Action::Replace(through_identity(
                b,
                table,
                &mut identities,
            )?))
        })
    }
}

/// Which nodes are tables to materialise.
fn tables(g: &Graph) -> Vec<bool> {
    let kinds = table_kinds(g);
    let consumers = consumers(g);
    g.nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let ty = &n.ty;
            let last = ty.shape.last().copied().unwrap_or(0);
            let float = matches!(ty.dtype, DType::F32 | DType::F64);
            let elements = ty.num_elements();
            let large = match kinds[i] {
                Kind::Constant => elements >= MIN_ELEMENTS,
                Kind::Positional => elements * consumers[i].saturating_sub(1) >= MIN_RECOMPUTED,
                Kind::Activation => false,
            };
            large
                && transcendental(&n.op)
                && float
                && (1..=MAX_LAST_DIM).contains(&last)
                && consumers[i] >= MIN_CONSUMERS
        })
        .collect()
}

/// What a value is computed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// Iotas and constants only.
    Constant,
    /// Those and integer scalar parameters (positions), at least one.
    Positional,
    /// Anything else (a tensor parameter): not a table.
    Activation,
}

/// The [`Kind`] of each node: the widest of its operands' (a leaf's own).
fn table_kinds(g: &Graph) -> Vec<Kind> {
    let mut out: Vec<Kind> = Vec::with_capacity(g.nodes.len());
    for n in &g.nodes {
        let leaf = match &n.op {
            Op::Parameter { .. } if n.ty.rank() == 0 && n.ty.dtype.is_int() => {
                Some(Kind::Positional)
            }
            Op::Parameter { .. } => Some(Kind::Activation),
            op if op.has(Traits::SOURCE) => Some(Kind::Constant),
            _ => None,
        };
        let widest = n.operands.iter().map(|o| out[o.index()]).max();
        out.push(leaf.unwrap_or(widest.unwrap_or(Kind::Constant)));
    }
    out
}

/// The consumers of each value, looking through broadcasts, reshapes and transposes (which
/// the backend fuses away, so their consumers are the table's).
fn consumers(g: &Graph) -> Vec<usize> {
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); g.nodes.len()];
    for (i, n) in g.nodes.iter().enumerate() {
        for o in &n.operands {
            users[o.index()].push(i);
        }
    }
    let mut count = vec![0usize; g.nodes.len()];
    for i in (0..g.nodes.len()).rev() {
        let outputs = g.outputs.iter().filter(|o| o.index() == i).count();
        count[i] = outputs
            + users[i]
                .iter()
                .map(|&u| if layout(&g.nodes[u].op) { count[u] } else { 1 })
                .sum::<usize>();
    }
    count
}

fn layout(op: &Op) -> bool {
    op.has(Traits::LAYOUT)
}

fn transcendental(op: &Op) -> bool {
    matches!(op, Op::Unary(u) if u.is_transcendental())
}

/// `dot_general(x, I)` contracting x's last dim with an identity built from iotas (or taken
/// from `identities`).
fn through_identity(
    b: &mut Builder<'_>,
    x: ValueId,
    identities: &mut HashMap<(usize, DType), ValueId>,
) -> BuildResult {
    let ty = b.ty(x).clone();
    let k = ty.shape[ty.rank() - 1];
    let identity = match identities.get(&(k, ty.dtype)) {
        Some(&i) => i,
        None => {
            let idx = TensorType::new(DType::I32, vec![k, k]);
            let row = b.iota(0, idx.clone())?;
            let col = b.iota(1, idx)?;
            let eq = b.compare(CmpDir::Eq, row, col)?;
            let i = b.convert(eq, ty.dtype)?;
            identities.insert((k, ty.dtype), i);
            i
        }
    };
    let dims = DotDims {
        lhs_batch: vec![],
        rhs_batch: vec![],
        lhs_contract: vec![ty.rank() - 1],
        rhs_contract: vec![0],
        out: ty.dtype,
    };
    b.dot_general(x, identity, dims)
}

/// Whether `v` is one of this pass's products `dot_general(table, I)`: a dot whose rhs is
/// `convert(compare(iota {dim = 0}, iota {dim = 1}) {dir = eq})`. A FLOP count of useful
/// work (the cost model) should skip these: they only stand in for an optimisation barrier.
pub fn is_identity_product(g: &Graph, v: ValueId) -> bool {
    let node = g.node(v);
    let (Op::DotGeneral(_), [_, rhs]) = (&node.op, node.operands.as_slice()) else {
        return false;
    };
    let convert = g.node(*rhs);
    let (Op::Convert { .. }, [eq]) = (&convert.op, convert.operands.as_slice()) else {
        return false;
    };
    let compare = g.node(*eq);
    let (Op::Compare(CmpDir::Eq), [row, col]) = (&compare.op, compare.operands.as_slice()) else {
        return false;
    };
    let iota =
        |x: &ValueId, want: usize| matches!(g.node(*x).op, Op::Iota { dim, .. } if dim == want);
    iota(row, 0) && iota(col, 1)
}
