//! The printer: one line per node, `%<index>` value names, attributes in declaration order.

use super::attr::{quote, AttrPrinter};
use crate::graph::{Graph, Node};
use std::fmt::{self, Display};

/// Prints `g` in the IR text form (see [`crate::text`]); [`parse_graph`](super::parse_graph)
/// reads it back into an equal graph.
///
/// ```
/// use flash_ir::text::{parse_graph, print_graph};
/// let text = "graph @main {\n  %0 = parameter {index = 0, name = \"x\"} : f32[2]\n  \
///             %1 = neg(%0) : f32[2]\n  return %1\n}\n";
/// assert_eq!(print_graph(&parse_graph(text).unwrap()), text);
/// ```
pub fn print_graph(g: &Graph) -> String {
    GraphText(g).to_string()
}

struct GraphText<'a>(&'a Graph);

impl Display for GraphText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = self.0;
        writeln!(f, "graph @{} {{", graph_name(&g.name))?;
        for (i, node) in g.nodes.iter().enumerate() {
            writeln!(f, "  %{i} = {}", NodeText(node))?;
        }
        f.write_str("  return")?;
        for (i, o) in g.outputs.iter().enumerate() {
            f.write_str(if i == 0 { " " } else { ", " })?;
            write!(f, "%{}", o.0)?;
        }
        writeln!(f)?;
        for (p, o) in &g.aliases {
            writeln!(f, "  alias param {p} -> output {o}")?;
        }
        for (p, bound) in &g.bounds {
            writeln!(f, "  bound param {p} below {bound}")?;
        }
        if let Some(mesh) = &g.mesh {
            let sep = if mesh.axes.is_empty() { "" } else { " " };
            writeln!(f, "  mesh{sep}{mesh}")?;
        }
        for (p, s) in &g.param_shardings {
            writeln!(f, "  shard param {p} {s}")?;
        }
        for (o, s) in &g.result_shardings {
            writeln!(f, "  shard result {o} {s}")?;
        }
        writeln!(f, "}}")
    }
}

/// A graph name as written after `@`: bare when it lexes as one word, else quoted.
fn graph_name(name: &str) -> String {
    let mut chars = name.chars();
    let word = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if word {
        name.to_string()
    } else {
        quote(name)
    }
}

struct NodeText<'a>(&'a Node);

impl Display for NodeText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        f.write_str(n.op.name())?;
        if !n.operands.is_empty() {
            let names: Vec<String> = n.operands.iter().map(|v| format!("%{}", v.0)).collect();
            write!(f, "({})", names.join(", "))?;
        }
        let mut attrs = AttrPrinter::new(n.ty.dtype);
        n.op.print_attrs(&mut attrs);
        if !attrs.entries().is_empty() {
            let kv: Vec<String> = attrs
                .entries()
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect();
            write!(f, " {{{}}}", kv.join(", "))?;
        }
        write!(f, " : {}", n.ty)?;
        if !n.loc.is_unknown() {
            write!(
                f,
                " loc({}:{}:{})",
                quote(&n.loc.file),
                n.loc.line,
                n.loc.col
            )?;
        }
        if !n.scope.is_empty() {
            write!(f, " scope({})", quote(&n.scope))?;
        }
        Ok(())
    }
}
