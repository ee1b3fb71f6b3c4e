//! The tokens of MLIR text that the signature reader works on: words (`func.func`, `@main`,
//! `%arg0`, `2x3xf32`, `#loc1`), string literals (one token each, escapes included), the
//! brackets and separators, and `->`. `//` comments and whitespace are dropped, so nothing
//! inside a comment or a string can be mistaken for the program's own text.

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// A bare word: identifiers, numbers, symbols, dimension lists.
    Word,
    /// A string literal, quotes included.
    Str,
    /// `->`.
    Arrow,
    /// Any other single character: brackets, `,`, `:`, `=` and the rest.
    Punct(char),
}

/// One token: its kind and its byte range in the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Token {
    /// What it is.
    pub kind: Kind,
    /// Byte offset of its first character.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
}

/// A string literal left open: the byte offset of its opening quote.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Unterminated(pub usize);

/// Whether `c` continues a word.
fn word_char(c: char) -> bool {
    c.is_alphanumeric() || "_.$%@#!?-+".contains(c)
}

/// The tokens of `text`, without comments and whitespace.
pub(super) fn tokens(text: &str) -> Result<Vec<Token>, Unterminated> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(c) = text[at..].chars().next() {
        let rest = &text[at..];
        let (kind, len) = if c.is_whitespace() {
            at += c.len_utf8();
            continue;
        } else if rest.starts_with("//") {
            at += rest.find('\n').unwrap_or(rest.len());
            continue;
        } else if c == '"' {
            (Kind::Str, string_len(rest).ok_or(Unterminated(at))?)
        } else if rest.starts_with("->") {
            (Kind::Arrow, 2)
        } else if word_char(c) {
            (Kind::Word, word_len(rest))
        } else {
            (Kind::Punct(c), c.len_utf8())
        };
        out.push(Token {
            kind,
            start: at,
            end: at + len,
        });
        at += len;
    }
    Ok(out)
}

/// The length of the word at the start of `s` (it stops before `->`).
fn word_len(s: &str) -> usize {
    let mut len = 0;
    for c in s.chars() {
        if !word_char(c) || s[len..].starts_with("->") {
            break;
        }
        len += c.len_utf8();
    }
    len
}

/// The length of the string literal at the start of `s` (which starts with `"`), quotes
/// included; `None` when it is not closed on its line.
fn string_len(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            '\n' => return None,
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// The value of a string literal (quotes included): `\"`, `\\`, `\n`, `\t` and two-digit
/// hex escapes decoded; `None` for a malformed escape or bytes that are not UTF-8.
pub(super) fn string_value(literal: &str) -> Option<String> {
    let body = literal.strip_prefix('"')?.strip_suffix('"')?;
    let mut bytes = Vec::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let byte = match chars.next()? {
            '"' => b'"',
            '\\' => b'\\',
            'n' => b'\n',
            't' => b'\t',
            hi => {
                let lo = chars.next()?;
                let hex: String = [hi, lo].iter().collect();
                u8::from_str_radix(&hex, 16).ok()?
            }
        };
        bytes.push(byte);
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, &str)> {
        let toks = tokens(text).unwrap();
        toks.iter()
            .map(|t| (t.kind, &text[t.start..t.end]))
            .collect()
    }

    #[test]
    fn comments_and_strings_hide_their_contents() {
        let k = kinds("a // func.func @main(\n{x = \"q\\\"(//\"} -> b");
        assert_eq!(
            k,
            vec![
                (Kind::Word, "a"),
                (Kind::Punct('{'), "{"),
                (Kind::Word, "x"),
                (Kind::Punct('='), "="),
                (Kind::Str, "\"q\\\"(//\""),
                (Kind::Punct('}'), "}"),
                (Kind::Arrow, "->"),
                (Kind::Word, "b"),
            ]
        );
    }

    #[test]
    fn an_open_string_is_an_error_and_escapes_decode() {
        assert_eq!(tokens("x \"abc\ny\""), Err(Unterminated(2)));
        assert_eq!(
            string_value(r#""a\"b\\c\0Ad""#).as_deref(),
            Some("a\"b\\c\nd")
        );
        assert_eq!(string_value(r#""\q""#), None);
    }
}
