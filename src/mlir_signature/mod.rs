//! Reads the signature of a StableHLO program's `@main` function from its MLIR text: argument
//! types and names (`flash.name` attributes, else `loc("name")`), and result types. This is
//! all `flash run` needs to feed any StableHLO program, ours or anyone's. Our programs also
//! mark integer inputs whose values must stay below a bound (`flash.bound`).

mod lex;

use crate::ir::{DType, TensorType};
use lex::{Kind, Token};
use thiserror::Error;

/// One argument of `@main`.
#[derive(Clone, Debug, PartialEq)]
pub struct Argument {
    /// Its type.
    pub ty: TensorType,
    /// Its name, if the program gives one.
    pub name: Option<String>,
    /// The exclusive upper bound of its integer values (`flash.bound = N : i64`), if any.
    pub bound: Option<u64>,
}

/// The signature of `@main`.
#[derive(Clone, Debug, PartialEq)]
pub struct Signature {
    /// Arguments in order.
    pub args: Vec<Argument>,
    /// Result types in order.
    pub results: Vec<TensorType>,
}

/// Why a signature could not be read.
#[derive(Debug, Error, PartialEq)]
#[error("line {line}: {message}")]
pub struct SignatureError {
    /// 1-based line of the problem.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Parses the signature of the `@main` function in `text`: the one `func.func @main(` (or
/// `func.func public @main(`) outside comments, string literals and attribute dictionaries.
/// Anything it cannot read for certain is an error, never a guess.
pub fn parse_signature(text: &str) -> Result<Signature, SignatureError> {
    let toks = lex::tokens(text).map_err(|lex::Unterminated(at)| SignatureError {
        line: line_of(text, at),
        message: "a string literal is not closed on its line".into(),
    })?;
    Reader { text, toks }.signature()
}

/// The 1-based line of byte offset `at`.
fn line_of(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].matches('\n').count() + 1
}

/// The tokens of a program and the text they point into.
struct Reader<'t> {
    text: &'t str,
    toks: Vec<Token>,
}

/// A token range `[start, end)`.
type Span = (usize, usize);

impl Reader<'_> {
    /// The signature of `@main`.
    fn signature(&self) -> Result<Signature, SignatureError> {
        let open = self.find_main()?;
        let close = self.matching(open)?;
        let args = self.arguments((open + 1, close))?;
        let results = self.results(close + 1)?;
        Ok(Signature { args, results })
    }

    /// The arguments in `span` (the inside of the argument list).
    fn arguments(&self, (a, b): Span) -> Result<Vec<Argument>, SignatureError> {
        if a == b {
            return Ok(Vec::new());
        }
        self.split((a, b))
            .into_iter()
            .map(|(s, e)| match s < e {
                true => self.argument((s, e)),
                false => Err(self.error(s, "an empty argument in @main's argument list")),
            })
            .collect()
    }

    /// The text of token `i`.
    fn tok(&self, i: usize) -> &str {
        self.toks.get(i).map_or("", |t| &self.text[t.start..t.end])
    }

    /// The kind of token `i`, if there is one.
    fn kind(&self, i: usize) -> Option<Kind> {
        self.toks.get(i).map(|t| t.kind)
    }

    /// The text from token `a` up to (not including) token `b`.
    fn slice(&self, (a, b): Span) -> &str {
        match (
            self.toks.get(a),
            b.checked_sub(1).and_then(|l| self.toks.get(l)),
        ) {
            (Some(first), Some(last)) if a < b => &self.text[first.start..last.end],
            _ => "",
        }
    }

    /// An error at token `i`'s line.
    fn error(&self, i: usize, message: impl Into<String>) -> SignatureError {
        let at = self.toks.get(i).map_or(self.text.len(), |t| t.start);
        SignatureError {
            line: line_of(self.text, at),
            message: message.into(),
        }
    }

    /// The `(` of `@main`'s argument list: exactly one `func.func [VISIBILITY] @main(` outside
    /// attribute dictionaries.
    fn find_main(&self) -> Result<usize, SignatureError> {
        let mut found: Option<usize> = None;
        let mut i = 0;
        while i < self.toks.len() {
            if self.kind(i) == Some(Kind::Punct('{')) && self.is_attribute_dict(i) {
                i = self.matching(i)? + 1;
                continue;
            }
            if let Some(open) = self.main_at(i) {
                if let Some(first) = found {
                    let msg = format!(
                        "a second function @main (the first is on line {})",
                        self.error(first, "").line
                    );
                    return Err(self.error(open, msg));
                }
                found = Some(open);
            }
            i += 1;
        }
        found.ok_or_else(|| SignatureError {
            line: 1,
            message: "no function @main found (expected `func.func @main(...)`)".into(),
        })
    }

    /// The `(` after `func.func [public|private|nested] @main` starting at token `i`.
    fn main_at(&self, i: usize) -> Option<usize> {
        if self.kind(i) != Some(Kind::Word) || self.tok(i) != "func.func" {
            return None;
        }
        let name = i + 1 + usize::from(matches!(self.tok(i + 1), "public" | "private" | "nested"));
        (self.tok(name) == "@main" && self.kind(name + 1) == Some(Kind::Punct('(')))
            .then_some(name + 1)
    }

    /// Whether the `{` at token `i` opens an attribute dictionary (`{key = value, unit}`,
    /// `{}`), not a region of operations.
    fn is_attribute_dict(&self, i: usize) -> bool {
        let key = matches!(self.kind(i + 1), Some(Kind::Word | Kind::Str))
            && !self.tok(i + 1).starts_with('%');
        let after_key = matches!(self.kind(i + 2), Some(Kind::Punct('=' | ',' | '}')));
        self.kind(i + 1) == Some(Kind::Punct('}')) || (key && after_key)
    }

    /// The token closing the bracket at token `open`; a missing or mismatched close is an
    /// error naming the lines.
    fn matching(&self, open: usize) -> Result<usize, SignatureError> {
        let mut stack: Vec<(usize, char)> = Vec::new();
        for i in open..self.toks.len() {
            let Some(Kind::Punct(c)) = self.kind(i) else {
                continue;
            };
            if let Some(close) = closer(c) {
                stack.push((i, close));
            } else if closer_of(c) {
                let Some((o, want)) = stack.pop() else {
                    return Err(self.error(i, format!("unbalanced `{c}`")));
                };
                if c != want {
                    let msg = format!(
                        "`{c}` does not close the `{}` of line {}",
                        self.tok(o),
                        self.error(o, "").line
                    );
                    return Err(self.error(i, msg));
                }
                if stack.is_empty() {
                    return Ok(i);
                }
            }
        }
        let open_char = self.tok(open).to_string();
        Err(self.error(open, format!("`{open_char}` is never closed")))
    }

    /// The comma-separated parts of `span`, at bracket depth 0 (brackets are balanced there).
    fn split(&self, (a, b): Span) -> Vec<Span> {
        let (mut parts, mut depth, mut last) = (Vec::new(), 0i64, a);
        for i in a..b {
            match self.kind(i) {
                Some(Kind::Punct(c)) if closer(c).is_some() => depth += 1,
                Some(Kind::Punct(c)) if closer_of(c) => depth -= 1,
                Some(Kind::Punct(',')) if depth == 0 => {
                    parts.push((last, i));
                    last = i + 1;
                }
                _ => {}
            }
        }
        parts.push((last, b));
        parts
    }

    /// The type starting at token `i` (a word, with its `<...>` if one follows) and the
    /// token after it.
    fn tensor_type(&self, i: usize) -> Result<(TensorType, usize), SignatureError> {
        if self.kind(i) != Some(Kind::Word) {
            let what = self.tok(i);
            return Err(self.error(i, format!("expected a type, found `{what}`")));
        }
        let end = if self.kind(i + 1) == Some(Kind::Punct('<')) {
            self.matching(i + 1)? + 1
        } else {
            i + 1
        };
        let ty = parse_tensor_type(self.slice((i, end))).map_err(|m| self.error(i, m))?;
        Ok((ty, end))
    }

    /// One argument: `%name: TYPE [{attributes}] [loc(...)]`.
    fn argument(&self, (a, b): Span) -> Result<Argument, SignatureError> {
        let text = self.slice((a, b));
        if !self.tok(a).starts_with('%') || self.kind(a + 1) != Some(Kind::Punct(':')) {
            let msg = format!("argument `{text}` is not `%name: type`");
            return Err(self.error(a, msg));
        }
        let (ty, mut i) = self.tensor_type(a + 2)?;
        let mut arg = Argument {
            ty,
            name: None,
            bound: None,
        };
        if i < b && self.kind(i) == Some(Kind::Punct('{')) {
            let close = self.matching(i)?;
            self.read_attributes(&mut arg, (i + 1, close))?;
            i = close + 1;
        }
        if i < b && self.tok(i) == "loc" && self.kind(i + 1) == Some(Kind::Punct('(')) {
            let close = self.matching(i + 1)?;
            if arg.name.is_none() && self.kind(i + 2) == Some(Kind::Str) {
                arg.name = Some(self.string(i + 2)?);
            }
            i = close + 1;
        }
        if i < b {
            let msg = format!("unexpected `{}` in argument `{text}`", self.tok(i));
            return Err(self.error(i, msg));
        }
        Ok(arg)
    }

    /// The value of the string literal at token `i`.
    fn string(&self, i: usize) -> Result<String, SignatureError> {
        lex::string_value(self.tok(i))
            .ok_or_else(|| self.error(i, format!("malformed string {}", self.tok(i))))
    }

    /// `flash.name` and `flash.bound` of an argument's attribute dictionary (other entries,
    /// nested dictionaries included, are skipped).
    fn read_attributes(&self, arg: &mut Argument, span: Span) -> Result<(), SignatureError> {
        for (a, b) in self.split(span) {
            let key = match self.kind(a) {
                Some(Kind::Str) => self.string(a)?,
                _ => self.tok(a).to_string(),
            };
            let value = (a + 2, b);
            match key.as_str() {
                "flash.name" => arg.name = Some(self.name_value(value)?),
                "flash.bound" => arg.bound = Some(self.bound_value(value)?),
                _ => {}
            }
        }
        Ok(())
    }

    /// The value of `flash.name = "NAME"`.
    fn name_value(&self, (a, b): Span) -> Result<String, SignatureError> {
        if self.kind(a - 1) != Some(Kind::Punct('='))
            || b != a + 1
            || self.kind(a) != Some(Kind::Str)
        {
            let msg = format!(
                "`flash.name` must be a string, not `{}`",
                self.slice((a, b))
            );
            return Err(self.error(a - 1, msg));
        }
        self.string(a)
    }

    /// The value of `flash.bound = N : i64`.
    fn bound_value(&self, (a, b): Span) -> Result<u64, SignatureError> {
        let typed = b == a + 3 && self.tok(a + 1) == ":" && self.tok(a + 2) == "i64";
        let number = (self.kind(a - 1) == Some(Kind::Punct('=')) && (b == a + 1 || typed))
            .then(|| self.tok(a).parse::<u64>().ok())
            .flatten();
        number.ok_or_else(|| {
            let msg = format!(
                "`flash.bound` must be a whole number `N : i64`, not `{}`",
                self.slice((a, b))
            );
            self.error(a - 1, msg)
        })
    }

    /// The result types after the argument list (token `i` on): none without `->`, one
    /// type, or a parenthesised list whose entries may carry attribute dictionaries.
    fn results(&self, i: usize) -> Result<Vec<TensorType>, SignatureError> {
        if self.kind(i) != Some(Kind::Arrow) {
            return Ok(Vec::new());
        }
        if self.kind(i + 1) != Some(Kind::Punct('(')) {
            return Ok(vec![self.tensor_type(i + 1)?.0]);
        }
        let close = self.matching(i + 1)?;
        let parts = self.split((i + 2, close));
        if parts == [(i + 2, close)] && close == i + 2 {
            return Ok(Vec::new());
        }
        parts.into_iter().map(|span| self.result(span)).collect()
    }

    /// One result: `TYPE [{attributes}]`.
    fn result(&self, (a, b): Span) -> Result<TensorType, SignatureError> {
        let (ty, mut i) = self.tensor_type(a)?;
        if i < b && self.kind(i) == Some(Kind::Punct('{')) {
            i = self.matching(i)? + 1;
        }
        if i < b {
            let msg = format!(
                "unexpected `{}` in result `{}`",
                self.tok(i),
                self.slice((a, b))
            );
            return Err(self.error(i, msg));
        }
        Ok(ty)
    }
}

/// The closing bracket of an opening one.
fn closer(c: char) -> Option<char> {
    match c {
        '(' => Some(')'),
        '{' => Some('}'),
        '[' => Some(']'),
        '<' => Some('>'),
        _ => None,
    }
}

/// Whether `c` closes a bracket.
fn closer_of(c: char) -> bool {
    matches!(c, ')' | '}' | ']' | '>')
}

/// Whether `s` holds a comma outside brackets (a tensor type's encoding follows one).
fn has_top_level_comma(s: &str) -> bool {
    let mut depth = 0i64;
    s.chars().any(|c| {
        match c {
            '(' | '<' | '{' | '[' => depth += 1,
            ')' | '>' | '}' | ']' => depth -= 1,
            _ => {}
        }
        c == ',' && depth == 0
    })
}

/// The leading `Nx` (or `?x`) dimensions of a tensor type's inside, and the element type
/// after them, which may hold an `x` itself (`complex<f32>`).
fn dims_and_element(inner: &str) -> (Vec<&str>, &str) {
    let mut dims = Vec::new();
    let mut rest = inner;
    while let Some((d, after)) = rest.split_once('x') {
        let is_dim = d == "?" || (!d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
        if !is_dim {
            break;
        }
        dims.push(d);
        rest = after;
    }
    (dims, rest)
}

/// Parses `tensor<2x3xf32>` / `tensor<f32>` into a [`TensorType`].
pub fn parse_tensor_type(s: &str) -> Result<TensorType, String> {
    let inner = s
        .trim()
        .strip_prefix("tensor<")
        .and_then(|r| r.strip_suffix('>'))
        .ok_or_else(|| format!("`{}` is not a ranked tensor type", s.trim()))?;
    if has_top_level_comma(inner) {
        return Err(format!(
            "`{}`: tensor encodings are not supported (give `tensor<DIMSxTYPE>`)",
            s.trim()
        ));
    }
    let (parts, elem) = dims_and_element(inner);
    let dtype = DType::from_mlir_name(elem).ok_or_else(|| {
        let supported: Vec<&str> = DType::ALL.iter().map(|d| d.mlir_name()).collect();
        format!(
            "`{}`: element type `{elem}` is not supported (valid: {})",
            s.trim(),
            supported.join(", ")
        )
    })?;
    let shape = parts
        .iter()
        .map(|d| {
            d.parse::<usize>()
                .map_err(|_| format!("dimension `{d}` in `{}` is not static", s.trim()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let ty = TensorType::new(dtype, shape);
    ty.byte_count()
        .map_err(|e| format!("`{}`: {e}", s.trim()))?;
    Ok(ty)
}
