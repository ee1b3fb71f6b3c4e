//! The module around the body: the `module` header (with `mhlo.num_partitions` and, for
//! Shardy, the `sdy.mesh`), `func.func public @main` with its argument and result attributes,
//! the `return`, and the location aliases after the module.

use std::collections::BTreeMap;
use std::fmt::Write;

use flash_ir::{Graph, Mesh, Op, Sharding, ValueId};

use super::body::{Body, INDENT};
use super::error::EmitError;
use super::ops::emit_node;
use super::sharding::{
    checked_mesh, mesh_declaration, value_attribute, EmitOptions, ShardingFormat,
};
use super::syntax::{quote, symbol};
use super::types::tensor_type;

/// Prints the whole module for `g`.
pub fn emit_module(g: &Graph, opts: &EmitOptions) -> Result<String, EmitError> {
    let params = checked_params(g)?;
    check_outputs(g)?;
    let aliases = checked_aliases(g, params.len())?;
    let mesh = checked_mesh(g)?;
    let sharding = mesh.map(|m| (opts.sharding_format, m));
    let mut body = Body::new(g, sharding);
    for (i, node) in g.nodes.iter().enumerate() {
        emit_node(&mut body, ValueId(i as u32), node)?;
    }
    let ret = return_line(&body, g);
    let (ops, locs) = body.finish();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "module {} attributes {{mhlo.num_partitions = {} : i32, mhlo.num_replicas = 1 : i32}} {{",
        module_symbol(&g.name),
        mesh.map_or(1, Mesh::device_count)
    );
    if let Some(decl) = sharding.and_then(|(f, m)| mesh_declaration(f, m)) {
        let _ = writeln!(out, "  {decl}");
    }
    let _ = writeln!(
        out,
        "  func.func public @main({}) -> ({}) {{",
        arguments(g, &params, &aliases, sharding),
        result_signature(g, sharding)
    );
    out.push_str(&ops);
    let _ = writeln!(out, "{INDENT}{ret}");
    out.push_str("  }\n}\n");
    out.push_str(&locs.definitions());
    Ok(out)
}

/// The sharding spelling and mesh of a partitioned program.
type Sharded<'g> = Option<(ShardingFormat, &'g Mesh)>;

/// The module's symbol: the graph name, or `@main` for an unnamed graph (XLA refuses a
/// module without a name).
fn module_symbol(name: &str) -> String {
    symbol(if name.is_empty() { "main" } else { name })
}

/// Parameter values in index order, after checking the indices are exactly `0..n`.
fn checked_params(g: &Graph) -> Result<Vec<ValueId>, EmitError> {
    let params = g.params();
    for (position, &v) in params.iter().enumerate() {
        if let Op::Parameter { index, .. } = g.node(v).op {
            if index != position {
                return Err(EmitError::ParameterIndex {
                    position,
                    index,
                    count: params.len(),
                });
            }
        }
    }
    Ok(params)
}

/// Checks every output names an existing value.
fn check_outputs(g: &Graph) -> Result<(), EmitError> {
    match g
        .outputs
        .iter()
        .enumerate()
        .find(|(_, v)| v.index() >= g.nodes.len())
    {
        Some((index, v)) => Err(EmitError::UndefinedOutput { index, value: v.0 }),
        None => Ok(()),
    }
}

/// The aliased output of each parameter, after range and uniqueness checks.
fn checked_aliases(g: &Graph, n_params: usize) -> Result<BTreeMap<usize, usize>, EmitError> {
    let mut map = BTreeMap::new();
    let mut outputs = Vec::new();
    for &(param, output) in &g.aliases {
        let reason = if param >= n_params {
            Some("no such parameter")
        } else if output >= g.outputs.len() {
            Some("no such output")
        } else if map.contains_key(&param) {
            Some("the parameter is aliased twice")
        } else if outputs.contains(&output) {
            Some("the output is aliased twice")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(EmitError::Alias {
                param,
                output,
                reason,
            });
        }
        map.insert(param, output);
        outputs.push(output);
    }
    Ok(map)
}

/// The sharding of a value as an attribute list entry (`, sdy.sharding = ...`), or nothing.
fn sharding_entry(sharding: Sharded<'_>, s: Option<&Sharding>) -> String {
    match (sharding, s) {
        (Some((format, mesh)), Some(s)) => format!(", {}", value_attribute(format, mesh, s)),
        _ => String::new(),
    }
}

/// `%arg0: tensor<..> {flash.name = "x", tf.aliasing_output = 0 : i32} loc("x"), ...`.
fn arguments(
    g: &Graph,
    params: &[ValueId],
    aliases: &BTreeMap<usize, usize>,
    sharding: Sharded<'_>,
) -> String {
    let args: Vec<String> = params
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let name = g.param_name(v).unwrap_or_default();
            let alias = aliases
                .get(&i)
                .map(|o| format!(", tf.aliasing_output = {o} : i32"))
                .unwrap_or_default();
            let bound = g
                .bounds
                .iter()
                .find(|(p, _)| *p == i)
                .map(|(_, b)| format!(", flash.bound = {b} : i64"))
                .unwrap_or_default();
            let shard = sharding_entry(sharding, g.param_sharding(i));
            let q = quote(name);
            format!(
                "%arg{i}: {} {{flash.name = {q}{alias}{bound}{shard}}} loc({q})",
                tensor_type(g.ty(v))
            )
        })
        .collect();
    args.join(", ")
}

/// The result types with their sharding attributes (`tensor<..> {sdy.sharding = ...}`).
fn result_signature(g: &Graph, sharding: Sharded<'_>) -> String {
    let tys: Vec<String> = g
        .outputs
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let ty = tensor_type(g.ty(v));
            match sharding_entry(sharding, g.result_sharding(i)).strip_prefix(", ") {
                Some(attr) => format!("{ty} {{{attr}}}"),
                None => ty,
            }
        })
        .collect();
    tys.join(", ")
}

/// The result types, comma separated.
fn results(g: &Graph) -> String {
    let tys: Vec<String> = g.outputs.iter().map(|&v| tensor_type(g.ty(v))).collect();
    tys.join(", ")
}

/// `return %a, %b : tensor<..>, tensor<..>` (a bare `return` without outputs).
fn return_line(body: &Body<'_>, g: &Graph) -> String {
    if g.outputs.is_empty() {
        return "return".into();
    }
    let names: Vec<String> = g.outputs.iter().map(|&v| body.name(v)).collect();
    format!("return {} : {}", names.join(", "), results(g))
}
