//! `cse`: common-subexpression elimination.
//!
//! Needs: a graph that verifies. Guarantees: the same values; of the nodes with equal op
//! (attributes included), equal operands and equal type only the first remains, and every
//! use refers to it. Only ops with the `PURE` trait are merged, so this is always sound;
//! parameters (not pure: each is a distinct input) never are. Constants merge when their literals are bitwise equal
//! (so `-0.0` and `+0.0` stay apart and equal NaNs merge); a splat and a dense literal of the
//! same values do not. Op attributes other than literals hold no floats, so their `Debug` text
//! is an exact key.
//!
//! ```text
//! before:
//!   %0 = parameter {index = 0, name = "x"} : f32[4]
//!   %1 = exp(%0) : f32[4]
//!   %2 = exp(%0) : f32[4]
//!   %3 = add(%1, %2) : f32[4]
//!   return %3
//! after:
//!   %0 = parameter {index = 0, name = "x"} : f32[4]
//!   %1 = exp(%0) : f32[4]
//!   %2 = add(%1, %1) : f32[4]
//!   return %2
//! ```

use crate::error::PassError;
use crate::pass::{Pass, PassOptions};
use crate::rewrite::{rebuild, Action};
use flash_ir::{Graph, Literal, Op, TensorType, Traits, ValueId};
use std::collections::HashMap;

/// The common-subexpression elimination pass.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cse;

impl Pass for Cse {
    fn name(&self) -> &'static str {
        "cse"
    }

    fn run(&self, g: Graph, _opts: &PassOptions) -> Result<Graph, PassError> {
        let mut seen: HashMap<Key, ValueId> = HashMap::new();
        rebuild(&g, |b, _, node, ops| {
            let Some(op) = op_key(&node.op) else {
                return Ok(Action::Keep);
            };
            let key = Key {
                op,
                operands: ops.to_vec(),
                ty: node.ty.clone(),
            };
            if let Some(&v) = seen.get(&key) {
                return Ok(Action::Replace(v));
            }
            let v = b.op(node.op.clone(), ops.to_vec())?;
            seen.insert(key, v);
            Ok(Action::Replace(v))
        })
    }
}

/// What makes two nodes equal.
#[derive(Debug, Hash, PartialEq, Eq)]
struct Key {
    op: OpKey,
    operands: Vec<ValueId>,
    ty: TensorType,
}

/// An op with its attributes, in a hashable form.
#[derive(Debug, Hash, PartialEq, Eq)]
enum OpKey {
    /// A splat constant's bit pattern.
    Splat(u64),
    /// A dense constant's bit patterns.
    Dense(Vec<u64>),
    /// Any other op: its `Debug` text (exact, since it holds no floats).
    Attrs(String),
}

/// The key of an op, or `None` for ops that are never merged (those without the
/// [`Traits::PURE`] trait: parameters).
fn op_key(op: &Op) -> Option<OpKey> {
    if !op.has(Traits::PURE) {
        return None;
    }
    Some(match op {
        Op::Constant {
            value: Literal::Splat(v),
            ..
        } => OpKey::Splat(v.to_bits()),
        Op::Constant {
            value: Literal::Dense(vs),
            ..
        } => OpKey::Dense(vs.iter().map(|v| v.to_bits()).collect()),
        _ => OpKey::Attrs(format!("{op:?}")),
    })
}
