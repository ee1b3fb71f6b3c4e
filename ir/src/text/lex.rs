//! The lexer of the text form: characters to tokens, each with its 1-based line and column.

use super::ParseError;

/// A 1-based position in the source text (columns count characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Pos {
    /// Line.
    pub line: usize,
    /// Column.
    pub col: usize,
}

impl Pos {
    /// An error at this position.
    pub fn error(self, message: impl Into<String>) -> ParseError {
        ParseError {
            line: self.line,
            col: self.col,
            message: message.into(),
        }
    }
}

/// A token of the text form.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    /// A word: keyword, op name, dtype, enum name (`graph`, `add`, `f32`, `true`).
    Ident(String),
    /// A value name, without its `%`.
    Value(String),
    /// A number as written: `-12`, `1.5e-3`, `-inf`.
    Num(String),
    /// A string literal, escapes resolved.
    Str(String),
    /// One of `( ) { } [ ] , = : @`.
    Punct(char),
    /// `->`.
    Arrow,
    /// The end of the input.
    Eof,
}

impl Tok {
    /// How the token is named in error messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) | Tok::Num(s) => format!("`{s}`"),
            Tok::Value(s) => format!("`%{s}`"),
            Tok::Str(s) => format!("string {s:?}"),
            Tok::Punct(c) => format!("`{c}`"),
            Tok::Arrow => "`->`".into(),
            Tok::Eof => "end of input".into(),
        }
    }
}

/// A token and where it starts.
#[derive(Clone, Debug)]
pub(super) struct Token {
    /// The token.
    pub tok: Tok,
    /// Its first character.
    pub pos: Pos,
}

/// Splits `src` into tokens; the last one is always [`Tok::Eof`].
pub(super) fn lex(src: &str) -> Result<Vec<Token>, ParseError> {
    let mut lexer = Lexer {
        chars: src.chars().collect(),
        i: 0,
        line: 1,
        col: 1,
    };
    let mut tokens = Vec::new();
    loop {
        let token = lexer.token()?;
        let done = token.tok == Tok::Eof;
        tokens.push(token);
        if done {
            return Ok(tokens);
        }
    }
}

/// True for characters that may continue an identifier.
fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// True for characters of a value name after `%`.
fn is_value_char(c: char) -> bool {
    is_ident_char(c) || c == '.'
}

struct Lexer {
    chars: Vec<char>,
    i: usize,
    line: usize,
    col: usize,
}

impl Lexer {
    fn peek_at(&self, k: usize) -> Option<char> {
        self.chars.get(self.i + k).copied()
    }

    fn peek(&self) -> Option<char> {
        self.peek_at(0)
    }

    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
        }
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    /// Consumes characters while `keep` holds and returns them.
    fn take_while(&mut self, keep: fn(char) -> bool) -> String {
        let mut s = String::new();
        while let Some(c) = self.peek().filter(|c| keep(*c)) {
            s.push(c);
            self.bump();
        }
        s
    }

    /// Skips whitespace and `//` comments.
    fn skip_trivia(&mut self) {
        loop {
            match (self.peek(), self.peek_at(1)) {
                (Some(c), _) if c.is_whitespace() => {
                    self.bump();
                }
                (Some('/'), Some('/')) => {
                    self.take_while(|c| c != '\n');
                }
                _ => return,
            }
        }
    }

    fn token(&mut self) -> Result<Token, ParseError> {
        self.skip_trivia();
        let pos = self.pos();
        let tok = match self.peek() {
            None => Tok::Eof,
            Some(c) => self.token_from(c, pos)?,
        };
        Ok(Token { tok, pos })
    }

    fn token_from(&mut self, c: char, pos: Pos) -> Result<Tok, ParseError> {
        match c {
            '(' | ')' | '{' | '}' | '[' | ']' | ',' | '=' | ':' | '@' => {
                self.bump();
                Ok(Tok::Punct(c))
            }
            '"' => self.string(pos),
            '%' => self.value_name(pos),
            '-' if self.peek_at(1) == Some('>') => {
                self.bump();
                self.bump();
                Ok(Tok::Arrow)
            }
            '-' | '0'..='9' => self.number(pos),
            c if c.is_ascii_alphabetic() || c == '_' => {
                Ok(Tok::Ident(self.take_while(is_ident_char)))
            }
            c => Err(pos.error(format!("unexpected character {c:?}"))),
        }
    }

    fn value_name(&mut self, pos: Pos) -> Result<Tok, ParseError> {
        self.bump();
        let name = self.take_while(is_value_char);
        if name.is_empty() {
            return Err(pos.error("expected a value name after `%`"));
        }
        Ok(Tok::Value(name))
    }

    /// Appends a run of decimal digits to `text`; returns how many there were.
    fn digits(&mut self, text: &mut String) -> usize {
        let d = self.take_while(|c| c.is_ascii_digit());
        text.push_str(&d);
        d.len()
    }

    /// Appends `c` to `text` if it is next and satisfies `want`; returns whether it did.
    fn push_if(&mut self, text: &mut String, want: fn(char) -> bool) -> bool {
        match self.peek().filter(|c| want(*c)) {
            Some(c) => {
                self.bump();
                text.push(c);
                true
            }
            None => false,
        }
    }

    /// A number: `-?digits(.digits)?([eE][+-]?digits)?`, or `-inf`.
    fn number(&mut self, pos: Pos) -> Result<Tok, ParseError> {
        let mut text = String::new();
        if self.push_if(&mut text, |c| c == '-') && self.peek() == Some('i') {
            text.push_str(&self.take_while(is_ident_char));
            return match text.as_str() {
                "-inf" => Ok(Tok::Num(text)),
                _ => Err(pos.error(format!("bad number `{text}`"))),
            };
        }
        let mut ok = self.digits(&mut text) > 0;
        if self.push_if(&mut text, |c| c == '.') {
            ok &= self.digits(&mut text) > 0;
        }
        if self.push_if(&mut text, |c| matches!(c, 'e' | 'E')) {
            self.push_if(&mut text, |c| matches!(c, '+' | '-'));
            ok &= self.digits(&mut text) > 0;
        }
        let rest = self.take_while(is_value_char);
        if !ok || !rest.is_empty() {
            return Err(pos.error(format!("bad number `{text}{rest}`")));
        }
        Ok(Tok::Num(text))
    }

    fn string(&mut self, pos: Pos) -> Result<Tok, ParseError> {
        self.bump();
        let mut s = String::new();
        loop {
            let at = self.pos();
            match self.bump() {
                None | Some('\n') => return Err(pos.error("unterminated string")),
                Some('"') => return Ok(Tok::Str(s)),
                Some('\\') => s.push(self.escape(at)?),
                Some(c) => s.push(c),
            }
        }
    }

    /// Reads the rest of an escape sequence whose backslash is at `at`.
    fn escape(&mut self, at: Pos) -> Result<char, ParseError> {
        let c = match self.bump() {
            Some('n') => '\n',
            Some('t') => '\t',
            Some('r') => '\r',
            Some('\\') => '\\',
            Some('"') => '"',
            Some('u') if self.peek() == Some('{') => return self.unicode_escape(at),
            Some(c) if c != '\n' => return Err(at.error(format!("bad escape `\\{c}` in string"))),
            _ => return Err(at.error("bad escape at the end of a string")),
        };
        Ok(c)
    }

    /// Reads `{hex}` after `\u`.
    fn unicode_escape(&mut self, at: Pos) -> Result<char, ParseError> {
        self.bump();
        let hex = self.take_while(|c| c.is_ascii_hexdigit());
        let code = (hex.len() <= 6 && self.bump() == Some('}'))
            .then(|| u32::from_str_radix(&hex, 16).ok())
            .flatten()
            .and_then(char::from_u32);
        code.ok_or_else(|| at.error(format!("bad escape `\\u{{{hex}` in string")))
    }
}
