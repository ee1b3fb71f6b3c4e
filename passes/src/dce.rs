//! `dce`: dead-code elimination.
//!
//! Needs: a graph that verifies. Guarantees: only the nodes the outputs depend on remain,
//! plus every parameter (the parameters are the program's signature, used or not), in their
//! original order and renumbered compactly; outputs and aliases are unchanged.
//!
//! ```text
//! before:
//!   %0 = parameter {index = 0, name = "x"} : f32[4]
//!   %1 = parameter {index = 1, name = "y"} : f32[4]
//!   %2 = exp(%1) : f32[4]
//!   %3 = neg(%0) : f32[4]
//!   return %3
//! after (y is kept although unused):
//!   %0 = parameter {index = 0, name = "x"} : f32[4]
//!   %1 = parameter {index = 1, name = "y"} : f32[4]
//!   %2 = neg(%0) : f32[4]
//!   return %2
//! ```

use crate::error::PassError;
use crate::pass::{Pass, PassOptions};
use crate::rewrite::{rebuild, Action};
use flash_ir::Graph;

/// The dead-code elimination pass.
#[derive(Clone, Copy, Debug, Default)]
pub struct Dce;

impl Pass for Dce {
    fn name(&self) -> &'static str {
        "dce"
    }

    fn run(&self, g: Graph, _opts: &PassOptions) -> Result<Graph, PassError> {
        let live = live_nodes(&g);
        rebuild(&g, |_, id, _, _| {
            let keep = live.get(id.index()).copied().unwrap_or(false);
            Ok(if keep { Action::Keep } else { Action::Drop })
        })
    }
}

/// Marks the nodes the outputs depend on, walking backwards from the outputs.
fn live_nodes(g: &Graph) -> Vec<bool> {
    let mut live = vec![false; g.nodes.len()];
    for o in &g.outputs {
        if let Some(l) = live.get_mut(o.index()) {
            *l = true;
        }
    }
    for (i, node) in g.nodes.iter().enumerate().rev() {
        if live[i] {
            for o in &node.operands {
                if let Some(l) = live.get_mut(o.index()) {
                    *l = true;
                }
            }
        }
    }
    live
}
