//! The verifier: operands defined before use, every node's type equal to its op's inferred
//! type, parameters numbered densely with unique names, outputs and aliases in range, and
//! every sharding fitting the mesh and its value (`verify/shardings.rs`).

mod shardings;

use crate::error::IrError;
use crate::graph::Graph;
use crate::infer::infer;
use crate::op::Op;
use std::collections::HashSet;

/// Checks every invariant of `g`; the first violation is returned.
pub fn verify(g: &Graph) -> Result<(), IrError> {
    for (i, n) in g.nodes.iter().enumerate() {
        if let Some(bad) = n.operands.iter().find(|o| o.index() >= i) {
            return Err(IrError::UseBeforeDef {
                node: i as u32,
                op: n.op.name(),
                loc: n.loc.clone(),
                operand: bad.0,
            });
        }
        let types: Vec<_> = n.operands.iter().map(|o| g.ty(*o)).collect();
        let inferred = infer(&n.op, &types).map_err(|source| IrError::Invalid {
            op: n.op.name(),
            loc: n.loc.clone(),
            source,
        })?;
        if inferred != n.ty {
            return Err(IrError::TypeMismatch {
                node: i as u32,
                op: n.op.name(),
                loc: n.loc.clone(),
                recorded: n.ty.to_string(),
                inferred: inferred.to_string(),
            });
        }
    }
    verify_params(g)?;
    verify_outputs(g)?;
    shardings::verify_shardings(g)
}

fn verify_params(g: &Graph) -> Result<(), IrError> {
    let params = g.params();
    let mut names = HashSet::new();
    for (expected, v) in params.iter().enumerate() {
        if let Op::Parameter { index, name, .. } = &g.node(*v).op {
            if *index != expected {
                return Err(IrError::Graph(format!(
                    "parameter indices must be 0..{} without gaps or repeats; found {index} at position {expected}",
                    params.len()
                )));
            }
            if !names.insert(name.as_str()) {
                return Err(IrError::Graph(format!(
                    "parameter name {name:?} is used twice"
                )));
            }
        }
    }
    Ok(())
}

fn verify_outputs(g: &Graph) -> Result<(), IrError> {
    let n = g.nodes.len();
    if let Some(o) = g.outputs.iter().find(|o| o.index() >= n) {
        return Err(IrError::Graph(format!("output {o} is not defined")));
    }
    let params = g.params();
    for &(p, bound) in &g.bounds {
        let int = params.get(p).is_some_and(|v| g.ty(*v).dtype.is_int());
        if !int || bound == 0 {
            return Err(IrError::Graph(format!(
                "bound ({p}, {bound}) needs an integer parameter and a bound of at least 1"
            )));
        }
    }
    for &(p, o) in &g.aliases {
        let (Some(pv), Some(ov)) = (params.get(p), g.outputs.get(o)) else {
            return Err(IrError::Graph(format!("alias ({p}, {o}) is out of range")));
        };
        if g.ty(*pv) != g.ty(*ov) {
            return Err(IrError::Graph(format!(
                "alias ({p}, {o}): parameter type {} differs from output type {}",
                g.ty(*pv),
                g.ty(*ov)
            )));
        }
    }
    Ok(())
}
