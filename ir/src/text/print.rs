//! The printer: one line per node, `%<index>` value names, attributes in a fixed order per op.

use super::names::{norm_name, score_name};
use crate::dtype::DType;
use crate::graph::{Graph, Node};
use crate::op::{ChunkAttention, DotDims, Literal, Op};
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
        let attrs = attrs(&n.op);
        if !attrs.is_empty() {
            let kv: Vec<String> = attrs.iter().map(|(k, v)| format!("{k} = {v}")).collect();
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

/// The attributes of `op` as `(key, text)`, in the fixed printing order.
fn attrs(op: &Op) -> Vec<(&'static str, String)> {
    match op {
        Op::Parameter { index, name, .. } => {
            vec![("index", index.to_string()), ("name", quote(name))]
        }
        Op::Constant { value, ty } => vec![("value", literal(value, ty.dtype))],
        Op::Iota { dim, .. } | Op::Concatenate { dim } => vec![("dim", dim.to_string())],
        Op::Unary(_) | Op::Binary(_) | Op::Select | Op::Gather => vec![],
        Op::Compare(d) => vec![("dir", d.name().into())],
        Op::Convert { to } => vec![("to", to.name().into())],
        Op::BroadcastInDim { shape, dims } => vec![("shape", list(shape)), ("dims", list(dims))],
        Op::Reshape { shape } => vec![("shape", list(shape))],
        Op::Transpose { perm } => vec![("perm", list(perm))],
        Op::Slice {
            start,
            limit,
            stride,
        } => {
            vec![
                ("start", list(start)),
                ("limit", list(limit)),
                ("stride", list(stride)),
            ]
        }
        Op::Pad {
            low,
            high,
            interior,
        } => {
            vec![
                ("low", list(low)),
                ("high", list(high)),
                ("interior", list(interior)),
            ]
        }
        Op::Reduce { kind, dims } => vec![("kind", kind.name().into()), ("dims", list(dims))],
        Op::ReduceWindow {
            kind,
            window,
            strides,
            padding,
        } => vec![
            ("kind", kind.name().into()),
            ("window", list(window)),
            ("strides", list(strides)),
            ("padding", pairs(padding)),
        ],
        Op::DotGeneral(d) => dot_attrs(d),
        Op::Cumsum {
            dim,
            exclusive,
            reverse,
        } => vec![
            ("dim", dim.to_string()),
            ("exclusive", exclusive.to_string()),
            ("reverse", reverse.to_string()),
        ],
        Op::ChunkAttention(a) => chunk_attrs(a),
    }
}

fn dot_attrs(d: &DotDims) -> Vec<(&'static str, String)> {
    vec![
        ("lhs_batch", list(&d.lhs_batch)),
        ("rhs_batch", list(&d.rhs_batch)),
        ("lhs_contract", list(&d.lhs_contract)),
        ("rhs_contract", list(&d.rhs_contract)),
        ("out", d.out.name().into()),
    ]
}

fn chunk_attrs(a: &ChunkAttention) -> Vec<(&'static str, String)> {
    vec![
        ("chunk", a.chunk.to_string()),
        ("causal", a.causal.to_string()),
        ("linear_norm", norm_name(a.linear_norm).into()),
        ("score", score_name(a.score).into()),
    ]
}

/// `[a, b, c]`.
fn list<T: Display>(items: &[T]) -> String {
    let items: Vec<String> = items.iter().map(T::to_string).collect();
    format!("[{}]", items.join(", "))
}

/// `[(a, b), (c, d)]`.
fn pairs(items: &[(usize, usize)]) -> String {
    let items: Vec<String> = items.iter().map(|(a, b)| format!("({a}, {b})")).collect();
    format!("[{}]", items.join(", "))
}

/// `splat(x)` or `dense([x, ...])`, numbers formatted for `dtype`.
fn literal(value: &Literal, dtype: DType) -> String {
    match value {
        Literal::Splat(x) => format!("splat({})", number(*x, dtype)),
        Literal::Dense(xs) => {
            let items: Vec<String> = xs.iter().map(|x| number(*x, dtype)).collect();
            format!("dense([{}])", items.join(", "))
        }
    }
}

/// A literal value: whole numbers of integer and bool constants without a fraction (`3`),
/// everything else in Rust's shortest round-trip form (`1.0`, `1e-30`), plus `inf`, `-inf`
/// and `nan`.
fn number(x: f64, dtype: DType) -> String {
    let whole = x.fract() == 0.0 && x.abs() < 1e18 && !(x == 0.0 && x.is_sign_negative());
    if !dtype.is_float() && whole {
        format!("{}", x as i64)
    } else if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        format!("{x:?}")
    }
}

/// A string literal with `\"`, `\\`, `\n`, `\t`, `\r` and `\u{..}` (other control characters)
/// escaped.
pub(super) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
