//! Shardings as StableHLO attributes, in the two spellings XLA's SPMD partitioners read:
//! Shardy (`sdy.mesh`, `#sdy.sharding<@mesh, [{"data"}, {}]>`, `sdy.sharding_constraint`)
//! and GSPMD (`mhlo.sharding = "{devices=[2,1,2]<=[4] last_tile_dim_replicate}"`,
//! `custom_call @Sharding`). [`EmitOptions`] picks one; [`DEFAULT_SHARDING_FORMAT`] is the one
//! default. A graph without a mesh is emitted as a one-device program whatever the format.

use flash_ir::{Graph, Mesh, Sharding, TensorType};

use super::error::EmitError;
use super::syntax::quote;
use crate::config::names::{display_and_from_str_by_name, Named};

/// Which sharding attributes the emitter writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ShardingFormat {
    /// Shardy (`sdy` dialect): JAX's default and XLA's preferred partitioner.
    Shardy,
    /// GSPMD (`mhlo.sharding` strings): the older partitioner.
    Gspmd,
}

/// The format used unless a caller asks for another.
pub const DEFAULT_SHARDING_FORMAT: ShardingFormat = ShardingFormat::Shardy;

impl Default for ShardingFormat {
    fn default() -> Self {
        DEFAULT_SHARDING_FORMAT
    }
}

impl Named for ShardingFormat {
    const WHAT: &'static str = "sharding format";
    const ALL: &'static [ShardingFormat] = &[ShardingFormat::Shardy, ShardingFormat::Gspmd];
    fn name(self) -> &'static str {
        match self {
            ShardingFormat::Shardy => "shardy",
            ShardingFormat::Gspmd => "gspmd",
        }
    }
}

display_and_from_str_by_name!(ShardingFormat);

/// How [`emit_with`](super::emit_with) prints a graph.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EmitOptions {
    /// The spelling of shardings (ignored for graphs without a mesh).
    pub sharding_format: ShardingFormat,
}

/// The symbol of the one Shardy mesh of a module.
const MESH_SYMBOL: &str = "@mesh";

/// The module-level op declaring the mesh: `sdy.mesh @mesh = <["data"=2, "model"=2]>`
/// (Shardy only; GSPMD names devices directly).
pub fn mesh_declaration(format: ShardingFormat, mesh: &Mesh) -> Option<String> {
    match format {
        ShardingFormat::Shardy => {
            let axes: Vec<String> = mesh
                .axes
                .iter()
                .map(|a| format!("{}={}", quote(&a.name), a.size))
                .collect();
            Some(format!("sdy.mesh {MESH_SYMBOL} = <[{}]>", axes.join(", ")))
        }
        ShardingFormat::Gspmd => None,
    }
}

/// The argument or result attribute of a sharded value:
/// `sdy.sharding = #sdy.sharding<@mesh, [{"data"}, {}]>` or `mhlo.sharding = "{...}"`.
pub fn value_attribute(format: ShardingFormat, mesh: &Mesh, s: &Sharding) -> String {
    match format {
        ShardingFormat::Shardy => format!("sdy.sharding = #sdy.sharding<{}>", shardy_body(s)),
        ShardingFormat::Gspmd => format!("mhlo.sharding = {}", quote(&gspmd_sharding(mesh, s))),
    }
}

/// The op of a `sharding_constraint` node with operand `x` and result type `ty`, without its
/// `%N = ` and location.
pub fn constraint_op(
    format: ShardingFormat,
    mesh: &Mesh,
    s: &Sharding,
    x: &str,
    ty: &TensorType,
) -> String {
    let t = super::types::tensor_type(ty);
    match format {
        ShardingFormat::Shardy => format!("sdy.sharding_constraint {x} <{}> : {t}", shardy_body(s)),
        ShardingFormat::Gspmd => format!(
            "stablehlo.custom_call @Sharding({x}) {{{}}} : ({t}) -> {t}",
            value_attribute(format, mesh, s)
        ),
    }
}

/// `@mesh, [{"data"}, {}]`.
fn shardy_body(s: &Sharding) -> String {
    let dims: Vec<String> = s
        .dims
        .iter()
        .map(|axes| {
            let names: Vec<String> = axes.iter().map(|a| quote(a)).collect();
            format!("{{{}}}", names.join(", "))
        })
        .collect();
    format!("{MESH_SYMBOL}, [{}]", dims.join(", "))
}

/// GSPMD's sharding string: `{replicated}` when no dimension is split, else
/// `{devices=[tiles..., replicas]<=[n] last_tile_dim_replicate}` with the device order of
/// [`Sharding::tile_layout`] written in iota form (`<=[2,2]T(1,0)` when axes are taken out of
/// mesh order).
pub fn gspmd_sharding(mesh: &Mesh, s: &Sharding) -> String {
    let layout = s.tile_layout(mesh);
    if layout.is_replicated() {
        return "{replicated}".into();
    }
    let mut dims = layout.tiles.clone();
    let replicate = layout.replicas > 1;
    if replicate {
        dims.push(layout.replicas);
    }
    let devices = if layout.iota.is_identity() {
        format!("<=[{}]", mesh.device_count())
    } else {
        let (reshape, perm) = (&layout.iota.reshape, &layout.iota.perm);
        format!("<=[{}]T({})", commas(reshape), commas(perm))
    };
    let suffix = if replicate {
        " last_tile_dim_replicate"
    } else {
        ""
    };
    format!("{{devices=[{}]{devices}{suffix}}}", commas(&dims))
}

/// `2,1,2`: numbers joined by commas without spaces, as HLO's sharding syntax writes them.
fn commas(items: &[usize]) -> String {
    let items: Vec<String> = items.iter().map(ToString::to_string).collect();
    items.join(",")
}

/// The mesh of a graph that carries shardings, after checking every sharding against it and
/// its value (`None` for a graph without shardings or mesh: a one-device program).
pub fn checked_mesh(g: &Graph) -> Result<Option<&Mesh>, EmitError> {
    let params = g.params();
    let mut sites: Vec<(String, &Sharding, &TensorType)> = Vec::new();
    for (p, s) in &g.param_shardings {
        let v = params.get(*p).ok_or(EmitError::ShardedIndex {
            kind: "parameter",
            index: *p,
            count: params.len(),
        })?;
        sites.push((format!("parameter {p}"), s, g.ty(*v)));
    }
    for (o, s) in &g.result_shardings {
        let v = g.outputs.get(*o).ok_or(EmitError::ShardedIndex {
            kind: "output",
            index: *o,
            count: g.outputs.len(),
        })?;
        sites.push((format!("output {o}"), s, g.ty(*v)));
    }
    for (i, n) in g.nodes.iter().enumerate() {
        if let flash_ir::Op::ShardingConstraint { sharding } = &n.op {
            sites.push((format!("node %{i} at {}", n.loc), sharding, &n.ty));
        }
    }
    let Some(mesh) = &g.mesh else {
        return match sites.into_iter().next() {
            Some((site, ..)) => Err(EmitError::NoMesh { site }),
            None => Ok(None),
        };
    };
    mesh.check().map_err(|source| EmitError::Mesh {
        mesh: mesh.to_string(),
        source,
    })?;
    for (site, s, ty) in sites {
        s.check(mesh, &ty.shape).map_err(|e| EmitError::Sharding {
            site,
            source: Box::new(e),
        })?;
    }
    Ok(Some(mesh))
}
