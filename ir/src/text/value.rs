//! Attribute values: the syntax tree that `{key = value, ...}` parses to, and [`Attrs`], the
//! typed getters through which the op builder reads it (reporting missing, unknown,
//! duplicate and ill-typed attributes).

use super::cursor::{int_of, usize_of, Cursor};
use super::lex::{Pos, Tok};
use super::ParseError;
use crate::dtype::DType;
use crate::op::Literal;
use crate::sharding::Sharding;
use crate::size::checked_product;

type Result<T> = std::result::Result<T, ParseError>;

/// How deeply attribute values may nest (`[[[...]]]`), so hostile input cannot exhaust the
/// stack.
const MAX_DEPTH: usize = 32;

/// An attribute value as written.
#[derive(Clone, Debug)]
enum Value {
    /// A number token's text.
    Num(String),
    /// A string literal.
    Str(String),
    /// A bare word: `true`, `f32`, `sum`, `inf`.
    Word(String),
    /// `[a, b, ...]`.
    List(Vec<Spanned>),
    /// `(a, b, ...)`.
    Tuple(Vec<Spanned>),
    /// `name(a, ...)`, e.g. `splat(1.5)`.
    Call(String, Vec<Spanned>),
    /// `{a, b, ...}`: the mesh axes of one dimension of a sharding.
    Set(Vec<Spanned>),
}

/// A value and where it starts.
#[derive(Clone, Debug)]
pub(super) struct Spanned {
    value: Value,
    pos: Pos,
}

/// The attributes of one node, consumed key by key while the op is built.
pub(crate) struct Attrs {
    op: String,
    pos: Pos,
    entries: Vec<(String, Pos, Spanned)>,
}

impl Cursor {
    /// Parses an optional `{key = value, ...}` for op `op` written at `pos`.
    pub fn attrs(&mut self, op: &str, pos: Pos) -> Result<Attrs> {
        let mut attrs = Attrs {
            op: op.to_string(),
            pos,
            entries: Vec::new(),
        };
        if !self.eat_punct('{') || self.eat_punct('}') {
            return Ok(attrs);
        }
        loop {
            let (key, key_pos) = self.ident("an attribute name")?;
            if attrs.entries.iter().any(|(k, ..)| *k == key) {
                return Err(key_pos.error(format!("duplicate attribute `{key}`")));
            }
            self.punct('=')?;
            let value = self.value(0)?;
            attrs.entries.push((key, key_pos, value));
            if !self.eat_punct(',') {
                self.punct('}')?;
                return Ok(attrs);
            }
        }
    }

    /// A sharding `[{axis, ...}, ...]` outside an attribute list (the `shard` trailer lines).
    pub fn sharding(&mut self) -> Result<Sharding> {
        self.value(0)?.sharding()
    }

    fn value(&mut self, depth: usize) -> Result<Spanned> {
        let pos = self.pos();
        if depth > MAX_DEPTH {
            return Err(pos.error(format!("attribute value nested more than {MAX_DEPTH} deep")));
        }
        let value = match self.next().tok {
            Tok::Num(s) => Value::Num(s),
            Tok::Str(s) => Value::Str(s),
            Tok::Ident(w) if self.eat_punct('(') => Value::Call(w, self.items(')', depth)?),
            Tok::Ident(w) => Value::Word(w),
            Tok::Punct('[') => Value::List(self.items(']', depth)?),
            Tok::Punct('(') => Value::Tuple(self.items(')', depth)?),
            Tok::Punct('{') => Value::Set(self.items('}', depth)?),
            t => {
                return Err(pos.error(format!(
                    "expected an attribute value, found {}",
                    t.describe()
                )))
            }
        };
        Ok(Spanned { value, pos })
    }

    /// Comma-separated values up to `close` (the opener is already consumed).
    fn items(&mut self, close: char, depth: usize) -> Result<Vec<Spanned>> {
        let mut items = Vec::new();
        if self.eat_punct(close) {
            return Ok(items);
        }
        loop {
            items.push(self.value(depth + 1)?);
            if !self.eat_punct(',') {
                self.punct(close)?;
                return Ok(items);
            }
        }
    }
}

impl Spanned {
    fn describe(&self) -> String {
        match &self.value {
            Value::Num(s) | Value::Word(s) => format!("`{s}`"),
            Value::Str(s) => format!("string {s:?}"),
            Value::List(_) => "a list".into(),
            Value::Tuple(_) => "a tuple".into(),
            Value::Set(_) => "a set `{...}`".into(),
            Value::Call(name, _) => format!("`{name}(...)`"),
        }
    }

    fn expected(&self, what: &str) -> ParseError {
        self.pos
            .error(format!("expected {what}, found {}", self.describe()))
    }

    fn int(&self) -> Result<i64> {
        match &self.value {
            Value::Num(s) => int_of(s, self.pos),
            _ => Err(self.expected("an integer")),
        }
    }

    fn usize(&self) -> Result<usize> {
        match &self.value {
            Value::Num(s) => usize_of(s, self.pos),
            _ => Err(self.expected("a non-negative integer")),
        }
    }

    fn float(&self) -> Result<f64> {
        let parsed = match &self.value {
            Value::Num(s) => return literal_number(s, self.pos),
            Value::Word(w) if w == "inf" => Some(f64::INFINITY),
            Value::Word(w) if w == "nan" => Some(f64::NAN),
            _ => None,
        };
        parsed.ok_or_else(|| self.expected("a number"))
    }

    fn list(&self) -> Result<&[Spanned]> {
        match &self.value {
            Value::List(items) => Ok(items),
            _ => Err(self.expected("a list `[...]`")),
        }
    }

    fn pair(&self) -> Result<(usize, usize)> {
        match &self.value {
            Value::Tuple(items) if items.len() == 2 => Ok((items[0].usize()?, items[1].usize()?)),
            _ => Err(self.expected("a pair `(low, high)`")),
        }
    }

    fn literal(&self) -> Result<Literal> {
        match &self.value {
            Value::Call(f, args) if f == "splat" && args.len() == 1 => {
                Ok(Literal::Splat(args[0].float()?))
            }
            Value::Call(f, args) if f == "dense" && args.len() == 1 => args[0]
                .list()?
                .iter()
                .map(Spanned::float)
                .collect::<Result<_>>()
                .map(Literal::Dense),
            _ => Err(self.expected("`splat(x)` or `dense([x, ...])`")),
        }
    }

    /// `[{data}, {}]`: per dimension, a set of axis names.
    fn sharding(&self) -> Result<Sharding> {
        let dims = self
            .list()
            .map_err(|_| self.expected("a sharding `[{axis, ...}, ...]`"))?
            .iter()
            .map(Spanned::axes)
            .collect::<Result<_>>()?;
        Ok(Sharding { dims })
    }

    /// `{data, model}`: axis names.
    fn axes(&self) -> Result<Vec<String>> {
        let Value::Set(items) = &self.value else {
            return Err(self.expected("the axes of one dimension `{axis, ...}`"));
        };
        items
            .iter()
            .map(|item| match &item.value {
                Value::Word(w) => Ok(w.clone()),
                _ => Err(item.expected("a mesh axis name")),
            })
            .collect()
    }

    fn choice<T: Copy>(&self, all: &[T], name: fn(T) -> &'static str) -> Result<T> {
        let found = match &self.value {
            Value::Word(w) => all.iter().copied().find(|t| name(*t) == w),
            _ => None,
        };
        found.ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|t| name(*t)).collect();
            self.expected(&format!("one of {}", names.join(", ")))
        })
    }
}

/// The largest integer every literal holds exactly: literals are `f64`s, whose 53-bit
/// mantissa is exact for whole numbers up to `2^53`.
pub(super) const MAX_EXACT_INT: u64 = 1 << 53;

/// A literal's number from its text: an integer must be at most [`MAX_EXACT_INT`] in
/// magnitude (a larger one would be rounded, silently), any other number finite as an
/// `f64` (`1e400` is not `inf`; `inf`, `-inf` and `nan` written as such are taken); either
/// error quotes the text as written.
fn literal_number(text: &str, pos: Pos) -> Result<f64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let whole = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    if whole && digits.parse::<u64>().map_or(true, |n| n > MAX_EXACT_INT) {
        return Err(pos.error(format!(
            "integer `{text}` is out of range: a literal holds whole numbers exactly up to \
             2^53 = {MAX_EXACT_INT} in magnitude"
        )));
    }
    let spelled = ["inf", "infinity", "nan"]
        .iter()
        .any(|w| digits.trim_start_matches('+').eq_ignore_ascii_case(w));
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() || spelled => Ok(x),
        Ok(_) => Err(pos.error(format!(
            "number `{text}` is out of range: beyond the largest f64 (write inf for infinity)"
        ))),
        Err(_) => Err(pos.error(format!("expected a number, found `{text}`"))),
    }
}

fn bool_name(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

impl Attrs {
    /// Where the op was written (missing attributes are reported here).
    pub(super) fn pos(&self) -> Pos {
        self.pos
    }

    fn take(&mut self, key: &str) -> Result<Spanned> {
        match self.entries.iter().position(|(k, ..)| k == key) {
            Some(i) => Ok(self.entries.remove(i).2),
            None => Err(self
                .pos
                .error(format!("missing attribute `{key}` of `{}`", self.op))),
        }
    }

    /// A non-negative integer.
    pub fn usize(&mut self, key: &str) -> Result<usize> {
        self.take(key)?.usize()
    }

    /// A list of non-negative integers whose product does not overflow.
    pub fn usizes(&mut self, key: &str) -> Result<Vec<usize>> {
        let v = self.take(key)?;
        let shape: Vec<usize> = v
            .list()?
            .iter()
            .map(Spanned::usize)
            .collect::<Result<_>>()?;
        match checked_product(shape.iter().copied()) {
            Some(_) => Ok(shape),
            None => Err(v
                .pos
                .error(format!("`{key}` {shape:?} has too many elements"))),
        }
    }

    /// A list of signed integers.
    pub fn i64s(&mut self, key: &str) -> Result<Vec<i64>> {
        self.take(key)?.list()?.iter().map(Spanned::int).collect()
    }

    /// A list of `(low, high)` pairs.
    pub fn pairs(&mut self, key: &str) -> Result<Vec<(usize, usize)>> {
        self.take(key)?.list()?.iter().map(Spanned::pair).collect()
    }

    /// `true` or `false`.
    pub fn flag(&mut self, key: &str) -> Result<bool> {
        self.take(key)?.choice(&[false, true], bool_name)
    }

    /// A string.
    pub fn string(&mut self, key: &str) -> Result<String> {
        let v = self.take(key)?;
        match v.value {
            Value::Str(s) => Ok(s),
            _ => Err(v.expected("a string")),
        }
    }

    /// A dtype name.
    pub fn dtype(&mut self, key: &str) -> Result<DType> {
        self.take(key)?.choice(&DType::ALL, DType::name)
    }

    /// One of the names `name(t)` of `all`.
    pub fn choice<T: Copy>(
        &mut self,
        key: &str,
        all: &[T],
        name: fn(T) -> &'static str,
    ) -> Result<T> {
        self.take(key)?.choice(all, name)
    }

    /// A sharding `[{axis, ...}, ...]`.
    pub fn sharding(&mut self, key: &str) -> Result<Sharding> {
        self.take(key)?.sharding()
    }

    /// A constant's `splat(x)` or `dense([...])`.
    pub fn literal(&mut self, key: &str) -> Result<Literal> {
        self.take(key)?.literal()
    }

    /// Fails on the first attribute the op did not take.
    pub fn finish(self) -> Result<()> {
        match self.entries.first() {
            Some((key, pos, _)) => {
                Err(pos.error(format!("unknown attribute `{key}` of `{}`", self.op)))
            }
            None => Ok(()),
        }
    }
}
