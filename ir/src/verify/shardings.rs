//! The sharding checks of the verifier: the mesh is well formed, every sharding (of a
//! parameter, a result or a `sharding_constraint` node) has a mesh to refer to, names only its
//! axes, each at most once, lists one entry per dimension and splits every dimension into a
//! whole number of pieces; parameter and result shardings are in range and given once each.

use crate::error::IrError;
use crate::graph::Graph;
use crate::op::Op;
use crate::sharding::{Mesh, Sharding};

/// Checks every sharding annotation of `g`.
pub(super) fn verify_shardings(g: &Graph) -> Result<(), IrError> {
    if let Some(mesh) = &g.mesh {
        mesh.check().map_err(|source| IrError::Mesh {
            mesh: mesh.clone(),
            source,
        })?;
    }
    let params = g.params();
    for (k, (p, sharding)) in g.param_shardings.iter().enumerate() {
        let Some(&v) = params.get(*p) else {
            return Err(out_of_range("parameter", *p, params.len()));
        };
        once(&g.param_shardings[..k], *p, "parameter")?;
        let name = g.param_name(v).unwrap_or_default();
        let site = format!("parameter {p} ({name:?})");
        check(g.mesh.as_ref(), sharding, &g.ty(v).shape, site)?;
    }
    for (k, (o, sharding)) in g.result_shardings.iter().enumerate() {
        let Some(&v) = g.outputs.get(*o) else {
            return Err(out_of_range("output", *o, g.outputs.len()));
        };
        once(&g.result_shardings[..k], *o, "output")?;
        check(
            g.mesh.as_ref(),
            sharding,
            &g.ty(v).shape,
            format!("output {o}"),
        )?;
    }
    for (i, n) in g.nodes.iter().enumerate() {
        if let Op::ShardingConstraint { sharding } = &n.op {
            let site = format!("node %{i} ({}) at {}", n.op.name(), n.loc);
            check(g.mesh.as_ref(), sharding, &n.ty.shape, site)?;
        }
    }
    Ok(())
}

/// One sharding against the mesh and the shape of the value it is attached to.
fn check(
    mesh: Option<&Mesh>,
    sharding: &Sharding,
    shape: &[usize],
    site: String,
) -> Result<(), IrError> {
    let Some(mesh) = mesh else {
        return Err(IrError::NoMesh {
            site,
            sharding: sharding.clone(),
        });
    };
    sharding.check(mesh, shape).map_err(|e| IrError::Sharding {
        site,
        source: Box::new(e),
    })
}

fn out_of_range(kind: &str, index: usize, count: usize) -> IrError {
    IrError::Graph(format!(
        "{kind} {index} is sharded but the graph has only {count} {kind}(s)"
    ))
}

/// Fails if `index` already has an entry in `earlier`.
fn once(earlier: &[(usize, Sharding)], index: usize, kind: &str) -> Result<(), IrError> {
    if earlier.iter().any(|(i, _)| *i == index) {
        return Err(IrError::Graph(format!(
            "{kind} {index} has two shardings; give each at most one"
        )));
    }
    Ok(())
}
