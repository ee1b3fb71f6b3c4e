//! The module around the body: the `module` header, `func.func public @main` with its
//! argument attributes, the `return`, and the location aliases after the module.

use std::collections::BTreeMap;
use std::fmt::Write;

use flash_ir::{Graph, Op, ValueId};

use super::body::{Body, INDENT};
use super::error::EmitError;
use super::ops::emit_node;
use super::syntax::{quote, symbol};
use super::types::tensor_type;

/// Prints the whole module for `g`.
pub fn emit_module(g: &Graph) -> Result<String, EmitError> {
    let params = checked_params(g)?;
    check_outputs(g)?;
    let aliases = checked_aliases(g, params.len())?;
    let mut body = Body::new(g);
    for (i, node) in g.nodes.iter().enumerate() {
        emit_node(&mut body, ValueId(i as u32), node)?;
    }
    let ret = return_line(&body, g);
    let (ops, locs) = body.finish();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "module {} attributes {{mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32}} {{",
        module_symbol(&g.name)
    );
    let _ = writeln!(
        out,
        "  func.func public @main({}) -> ({}) {{",
        arguments(g, &params, &aliases),
        results(g)
    );
    out.push_str(&ops);
    let _ = writeln!(out, "{INDENT}{ret}");
    out.push_str("  }\n}\n");
    out.push_str(&locs.definitions());
    Ok(out)
}

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

/// `%arg0: tensor<..> {flash.name = "x", tf.aliasing_output = 0 : i32} loc("x"), ...`.
fn arguments(g: &Graph, params: &[ValueId], aliases: &BTreeMap<usize, usize>) -> String {
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
            let q = quote(name);
            format!(
                "%arg{i}: {} {{flash.name = {q}{alias}{bound}}} loc({q})",
                tensor_type(g.ty(v))
            )
        })
        .collect();
    args.join(", ")
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
