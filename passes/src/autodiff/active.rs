//! Activity analysis: which forward values get an adjoint. A value is *active* when it is a
//! non-empty float tensor that depends on a `wrt` parameter (forward sweep) and the loss
//! depends on it (backward sweep). Integer and bool values, constants, iotas and everything
//! off the paths from the `wrt` parameters to the loss get no reverse-pass nodes.

use flash_ir::{Graph, ValueId};

/// `active[i]` says whether `ValueId(i)` lies on a float path from a `wrt` parameter to `loss`.
pub(crate) fn active_values(g: &Graph, loss: ValueId, wrt: &[ValueId]) -> Vec<bool> {
    let varies = varying(g, wrt);
    let mut useful = vec![false; g.nodes.len()];
    if let Some(slot) = useful.get_mut(loss.index()) {
        *slot = varies[loss.index()];
    }
    for i in (0..g.nodes.len()).rev() {
        if !useful[i] {
            continue;
        }
        for o in &g.nodes[i].operands {
            useful[o.index()] |= varies[o.index()];
        }
    }
    useful
}

/// Forward sweep: float values with elements that depend on a `wrt` parameter.
fn varying(g: &Graph, wrt: &[ValueId]) -> Vec<bool> {
    let mut seeded = vec![false; g.nodes.len()];
    for w in wrt {
        if let Some(s) = seeded.get_mut(w.index()) {
            *s = true;
        }
    }
    let mut varies = vec![false; g.nodes.len()];
    for (i, n) in g.nodes.iter().enumerate() {
        let differentiable = n.ty.dtype.is_float() && n.ty.num_elements() > 0;
        let reached = n.operands.iter().any(|o| varies[o.index()]);
        varies[i] = differentiable && (seeded[i] || reached);
    }
    varies
}
