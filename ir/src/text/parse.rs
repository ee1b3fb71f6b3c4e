//! The parser: a recursive-descent reader of the text form that rebuilds every node through
//! [`Graph::add`], so types are inferred, then checks each written type against inference.

use super::attr::AttrInput;
use super::cursor::Cursor;
use super::lex::{lex, Pos, Tok};
use super::value::Attrs;
use super::ParseError;
use crate::dtype::TensorType;
use crate::graph::{Graph, Location, ValueId};
use crate::op::{Op, OpKind};
use crate::sharding::{Mesh, MeshAxis};
use std::collections::HashMap;
use std::sync::Arc;

type Result<T> = std::result::Result<T, ParseError>;

/// Parses the IR text form (see [`crate::text`]) into a graph.
///
/// Value names may be any `%name`; they are numbered in definition order. Fails with the
/// line, column and reason of the first problem: a syntax error, an unknown op or
/// attribute, an undefined or redefined value, a wrong operand count, a constraint that
/// inference rejects, or a written type that differs from the inferred one. Never panics.
pub fn parse_graph(src: &str) -> Result<Graph> {
    parse(src, None)
}

/// [`parse_graph`] of the text of `file`: a node written without `loc(...)` is located at
/// its op in that file (`file:line:col`), so later errors (passes, the emitter) point at
/// the text rather than at an unknown place.
pub fn parse_graph_file(src: &str, file: &str) -> Result<Graph> {
    parse(src, Some(Arc::from(file)))
}

/// Parses `src`, locating unlocated nodes in `file` if given.
fn parse(src: &str, file: Option<Arc<str>>) -> Result<Graph> {
    let mut p = Parser {
        cur: Cursor::new(lex(src)?),
        graph: Graph::default(),
        names: HashMap::new(),
        file,
    };
    p.graph()?;
    Ok(p.graph)
}

/// One node as written.
struct NodeSyntax {
    op_name: String,
    kind: OpKind,
    op_pos: Pos,
    operands: Vec<ValueId>,
    attrs: Attrs,
    ty: TensorType,
    ty_pos: Pos,
    loc: Location,
    scope: Arc<str>,
}

struct Parser {
    /// The text's file, where nodes without `loc(...)` are located (`None`: unknown).
    file: Option<Arc<str>>,
    cur: Cursor,
    graph: Graph,
    /// Value names seen so far, with their ids and definition sites.
    names: HashMap<String, (ValueId, Pos)>,
}

impl Parser {
    fn graph(&mut self) -> Result<()> {
        self.cur.keyword("graph")?;
        self.cur.punct('@')?;
        self.graph.name = match self.cur.peek() {
            Tok::Str(_) => self.cur.string("a graph name")?,
            _ => self.cur.ident("a graph name")?.0,
        };
        self.cur.punct('{')?;
        while matches!(self.cur.peek(), Tok::Value(_)) {
            self.node()?;
        }
        if !self.cur.is_keyword("return") {
            return Err(self.cur.unexpected("a node (`%name = ...`) or `return`"));
        }
        self.outputs()?;
        while self.cur.is_keyword("alias") {
            self.alias()?;
        }
        while self.cur.is_keyword("bound") {
            self.bound()?;
        }
        if self.cur.is_keyword("mesh") {
            self.mesh()?;
        }
        while self.cur.is_keyword("shard") {
            self.shard()?;
        }
        if !self.cur.is_punct('}') {
            return Err(self
                .cur
                .unexpected("`alias`, `bound`, `mesh`, `shard` or `}`"));
        }
        self.cur.next();
        self.cur.end()
    }

    /// The value `%name` refers to.
    fn lookup(&mut self) -> Result<ValueId> {
        let (name, pos) = self.cur.value_name()?;
        match self.names.get(&name) {
            Some((id, _)) => Ok(*id),
            None => Err(pos.error(format!("undefined value `%{name}`"))),
        }
    }

    /// `return [%a, %b, ...]`.
    fn outputs(&mut self) -> Result<()> {
        self.cur.keyword("return")?;
        if !matches!(self.cur.peek(), Tok::Value(_)) {
            return Ok(());
        }
        loop {
            let v = self.lookup()?;
            self.graph.outputs.push(v);
            if !self.cur.eat_punct(',') {
                return Ok(());
            }
        }
    }

    /// `alias param P -> output O`.
    fn alias(&mut self) -> Result<()> {
        self.cur.keyword("alias")?;
        self.cur.keyword("param")?;
        let param = self.cur.usize("a parameter index")?;
        self.cur.arrow()?;
        self.cur.keyword("output")?;
        let output = self.cur.usize("an output index")?;
        self.graph.aliases.push((param, output));
        Ok(())
    }

    /// `bound param P below N`.
    fn bound(&mut self) -> Result<()> {
        self.cur.keyword("bound")?;
        self.cur.keyword("param")?;
        let param = self.cur.usize("a parameter index")?;
        self.cur.keyword("below")?;
        let bound = self.cur.usize("a bound")?;
        self.graph.bounds.push((param, bound as u64));
        Ok(())
    }

    /// `mesh data=2, model=2` (no axes: a one-device mesh), checked as [`Mesh::check`] does.
    fn mesh(&mut self) -> Result<()> {
        let pos = self.cur.pos();
        self.cur.keyword("mesh")?;
        let mut axes = Vec::new();
        if matches!(self.cur.peek(), Tok::Ident(_)) && self.cur.peek_second_is_punct('=') {
            loop {
                let (name, _) = self.cur.ident("a mesh axis name")?;
                self.cur.punct('=')?;
                let size = self.cur.usize("a mesh axis size")?;
                axes.push(MeshAxis { name, size });
                if !self.cur.eat_punct(',') {
                    break;
                }
            }
        }
        let mesh = Mesh { axes };
        mesh.check()
            .map_err(|e| pos.error(format!("bad mesh: {e}")))?;
        self.graph.mesh = Some(mesh);
        Ok(())
    }

    /// `shard param P [{axis, ...}, ...]` or `shard result R [...]`.
    fn shard(&mut self) -> Result<()> {
        self.cur.keyword("shard")?;
        let pos = self.cur.pos();
        let (what, _) = self.cur.ident("`param` or `result`")?;
        let is_param = match what.as_str() {
            "param" => true,
            "result" => false,
            _ => return Err(pos.error(format!("expected `param` or `result`, found `{what}`"))),
        };
        let index = self.cur.usize(if is_param {
            "a parameter index"
        } else {
            "an output index"
        })?;
        let sharding = self.cur.sharding()?;
        let (entries, kind) = if is_param {
            (&self.graph.param_shardings, "parameter")
        } else {
            (&self.graph.result_shardings, "output")
        };
        if entries.iter().any(|(i, _)| *i == index) {
            return Err(pos.error(format!("{kind} {index} is sharded twice")));
        }
        if is_param {
            self.graph.shard_param(index, sharding);
        } else {
            self.graph.shard_result(index, sharding);
        }
        Ok(())
    }

    /// `%name = op(operands) {attrs} : type loc(...) scope(...)`.
    fn node(&mut self) -> Result<()> {
        let (name, def_pos) = self.definition()?;
        let syntax = self.node_syntax()?;
        let id = self.add(syntax)?;
        self.names.insert(name, (id, def_pos));
        Ok(())
    }

    /// `%name =`, where `%name` is not yet defined.
    fn definition(&mut self) -> Result<(String, Pos)> {
        let (name, pos) = self.cur.value_name()?;
        if let Some((_, prev)) = self.names.get(&name) {
            let (line, col) = (prev.line, prev.col);
            return Err(pos.error(format!(
                "value `%{name}` is already defined at {line}:{col}"
            )));
        }
        self.cur.punct('=')?;
        Ok((name, pos))
    }

    /// Everything right of the `=`, read but not yet checked against the op.
    fn node_syntax(&mut self) -> Result<NodeSyntax> {
        let (op_name, op_pos) = self.cur.ident("an op name")?;
        let Some(kind) = OpKind::named(&op_name) else {
            return Err(op_pos.error(format!("unknown op `{op_name}`")));
        };
        let operands = self.operands()?;
        let attrs = self.cur.attrs(&op_name, op_pos)?;
        self.cur.punct(':')?;
        let (ty, ty_pos) = self.cur.tensor_type()?;
        let (loc, scope) = (self.location(op_pos)?, self.scope()?);
        Ok(NodeSyntax {
            op_name,
            kind,
            op_pos,
            operands,
            attrs,
            ty,
            ty_pos,
            loc,
            scope,
        })
    }

    /// Builds the op, appends it through [`Graph::add`] and checks the written type.
    fn add(&mut self, n: NodeSyntax) -> Result<ValueId> {
        let NodeSyntax {
            op_name,
            kind,
            op_pos,
            operands,
            mut attrs,
            ty,
            ty_pos,
            loc,
            scope,
        } = n;
        let mut input = AttrInput {
            attrs: &mut attrs,
            op_name: &op_name,
            ty: &ty,
        };
        let op = Op::parse_attrs(kind, &mut input)?;
        attrs.finish()?;
        if let Some(want) = op
            .spec()
            .arity
            .fixed()
            .filter(|want| *want != operands.len())
        {
            let msg = format!(
                "`{op_name}` expects {want} operand(s), got {}",
                operands.len()
            );
            return Err(op_pos.error(msg));
        }
        let id = self
            .graph
            .add(op, operands, loc, scope)
            .map_err(|e| op_pos.error(e.to_string()))?;
        let inferred = self.graph.ty(id);
        if *inferred != ty {
            let msg =
                format!("type mismatch: `{op_name}` is written as {ty} but inferred as {inferred}");
            return Err(ty_pos.error(msg));
        }
        Ok(id)
    }

    /// An optional `(%a, %b, ...)`.
    fn operands(&mut self) -> Result<Vec<ValueId>> {
        let mut operands = Vec::new();
        if !self.cur.eat_punct('(') || self.cur.eat_punct(')') {
            return Ok(operands);
        }
        loop {
            operands.push(self.lookup()?);
            if !self.cur.eat_punct(',') {
                self.cur.punct(')')?;
                return Ok(operands);
            }
        }
    }

    /// An optional `loc("file":line:col)`; when absent, `at` in the text's file, else
    /// unknown.
    fn location(&mut self, at: Pos) -> Result<Location> {
        if !self.cur.is_keyword("loc") {
            return Ok(self
                .file
                .clone()
                .map_or_else(Location::unknown, |file| Location {
                    file,
                    line: u32::try_from(at.line).unwrap_or(u32::MAX),
                    col: u32::try_from(at.col).unwrap_or(u32::MAX),
                }));
        }
        self.cur.next();
        self.cur.punct('(')?;
        let file = self.cur.string("a file name string")?;
        self.cur.punct(':')?;
        let line = self.cur.u32("a line number")?;
        self.cur.punct(':')?;
        let col = self.cur.u32("a column number")?;
        self.cur.punct(')')?;
        Ok(Location {
            file: Arc::from(file),
            line,
            col,
        })
    }

    /// An optional `scope("path")`; empty when absent.
    fn scope(&mut self) -> Result<Arc<str>> {
        if !self.cur.is_keyword("scope") {
            return Ok(Arc::from(""));
        }
        self.cur.next();
        self.cur.punct('(')?;
        let scope = self.cur.string("a scope string")?;
        self.cur.punct(')')?;
        Ok(Arc::from(scope))
    }
}
