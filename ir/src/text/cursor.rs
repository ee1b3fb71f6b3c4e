//! A cursor over the token list with the small expectations every parser rule shares:
//! punctuation, keywords, names, strings, integers and tensor types.

use super::lex::{Pos, Tok, Token};
use super::ParseError;
use crate::dtype::{DType, TensorType};

/// The largest magnitude an integer in the text may have (`2^31 - 1`). Bounding every
/// dimension and attribute keeps the shape arithmetic of inference from overflowing.
pub(super) const MAX_INT: i64 = i32::MAX as i64;

/// Reads tokens front to back; stays on the final [`Tok::Eof`].
pub(super) struct Cursor {
    toks: Vec<Token>,
    i: usize,
}

type Result<T> = std::result::Result<T, ParseError>;

/// Parses an integer token's text, allowing at most [`MAX_INT`] in magnitude.
pub(super) fn int_of(text: &str, pos: Pos) -> Result<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(pos.error(format!("expected an integer, found `{text}`")));
    }
    match text.parse::<i64>() {
        Ok(n) if n.abs() <= MAX_INT => Ok(n),
        _ => Err(pos.error(format!(
            "integer `{text}` is out of range (at most {MAX_INT})"
        ))),
    }
}

/// A non-negative integer from a token's text.
pub(super) fn usize_of(text: &str, pos: Pos) -> Result<usize> {
    let n = int_of(text, pos)?;
    usize::try_from(n)
        .map_err(|_| pos.error(format!("expected a non-negative integer, found `{text}`")))
}

impl Cursor {
    /// A cursor at the first token.
    pub fn new(mut toks: Vec<Token>) -> Self {
        if toks.last().is_none_or(|t| t.tok != Tok::Eof) {
            let pos = toks.last().map_or(Pos { line: 1, col: 1 }, |t| t.pos);
            toks.push(Token { tok: Tok::Eof, pos });
        }
        Cursor { toks, i: 0 }
    }

    fn current(&self) -> &Token {
        let last = self.toks.len().saturating_sub(1);
        &self.toks[self.i.min(last)]
    }

    /// The next token, not consumed.
    pub fn peek(&self) -> &Tok {
        &self.current().tok
    }

    /// True if the token after the next one is the punctuation `c` (one token of lookahead
    /// beyond [`Cursor::peek`]).
    pub fn peek_second_is_punct(&self, c: char) -> bool {
        self.toks
            .get(self.i + 1)
            .is_some_and(|t| t.tok == Tok::Punct(c))
    }

    /// Where the next token starts.
    pub fn pos(&self) -> Pos {
        self.current().pos
    }

    /// Consumes and returns the next token.
    pub fn next(&mut self) -> Token {
        let t = self.current().clone();
        if t.tok != Tok::Eof {
            self.i += 1;
        }
        t
    }

    /// An "expected X, found Y" error at the next token.
    pub fn unexpected(&self, expected: &str) -> ParseError {
        self.pos().error(format!(
            "expected {expected}, found {}",
            self.peek().describe()
        ))
    }

    /// True if the next token is the punctuation `c`.
    pub fn is_punct(&self, c: char) -> bool {
        *self.peek() == Tok::Punct(c)
    }

    /// Consumes the punctuation `c` if it is next.
    pub fn eat_punct(&mut self, c: char) -> bool {
        let hit = self.is_punct(c);
        if hit {
            self.next();
        }
        hit
    }

    /// Consumes the punctuation `c` or fails.
    pub fn punct(&mut self, c: char) -> Result<Pos> {
        let pos = self.pos();
        if !self.eat_punct(c) {
            return Err(self.unexpected(&format!("`{c}`")));
        }
        Ok(pos)
    }

    /// Consumes `->` or fails.
    pub fn arrow(&mut self) -> Result<()> {
        if *self.peek() != Tok::Arrow {
            return Err(self.unexpected("`->`"));
        }
        self.next();
        Ok(())
    }

    /// True if the next token is the word `kw`.
    pub fn is_keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Ident(w) if w == kw)
    }

    /// Consumes the word `kw` or fails.
    pub fn keyword(&mut self, kw: &str) -> Result<()> {
        if !self.is_keyword(kw) {
            return Err(self.unexpected(&format!("`{kw}`")));
        }
        self.next();
        Ok(())
    }

    /// Consumes a word (described as `what` in errors).
    pub fn ident(&mut self, what: &str) -> Result<(String, Pos)> {
        match self.peek().clone() {
            Tok::Ident(w) => Ok((w, self.next().pos)),
            _ => Err(self.unexpected(what)),
        }
    }

    /// Consumes a string literal (described as `what` in errors).
    pub fn string(&mut self, what: &str) -> Result<String> {
        match self.peek().clone() {
            Tok::Str(s) => {
                self.next();
                Ok(s)
            }
            _ => Err(self.unexpected(what)),
        }
    }

    /// Consumes a `%name`.
    pub fn value_name(&mut self) -> Result<(String, Pos)> {
        match self.peek().clone() {
            Tok::Value(v) => Ok((v, self.next().pos)),
            _ => Err(self.unexpected("a value name (`%name`)")),
        }
    }

    /// Consumes a non-negative integer no larger than [`MAX_INT`].
    pub fn usize(&mut self, what: &str) -> Result<usize> {
        match self.peek().clone() {
            Tok::Num(text) => usize_of(&text, self.next().pos),
            _ => Err(self.unexpected(what)),
        }
    }

    /// Consumes an integer in `0..=u32::MAX` (a source line or column).
    pub fn u32(&mut self, what: &str) -> Result<u32> {
        match self.peek().clone() {
            Tok::Num(text) => {
                let pos = self.next().pos;
                text.parse()
                    .map_err(|_| pos.error(format!("expected {what} (a u32), found `{text}`")))
            }
            _ => Err(self.unexpected(what)),
        }
    }

    /// Fails unless the input is used up.
    pub fn end(&self) -> Result<()> {
        match self.peek() {
            Tok::Eof => Ok(()),
            t => Err(self.pos().error(format!(
                "unexpected {} after the end of the graph",
                t.describe()
            ))),
        }
    }

    /// Consumes a tensor type `dtype[d0,d1,...]`; returns it and where it starts.
    pub fn tensor_type(&mut self) -> Result<(TensorType, Pos)> {
        let (name, pos) = self.ident("a type (`f32[2,3]`)")?;
        let dtype =
            DType::from_name(&name).ok_or_else(|| pos.error(format!("unknown dtype `{name}`")))?;
        self.punct('[')?;
        let mut shape = Vec::new();
        if !self.eat_punct(']') {
            loop {
                shape.push(self.usize("a dimension size")?);
                if !self.eat_punct(',') {
                    self.punct(']')?;
                    break;
                }
            }
        }
        let ty = TensorType::new(dtype, shape);
        ty.byte_count().map_err(|e| pos.error(e.to_string()))?;
        Ok((ty, pos))
    }
}
