//! Small pieces of MLIR syntax shared by the printers: quoted strings, symbol names and
//! integer lists.

use std::fmt::Write;

/// An MLIR string literal: `"..."` with `"` and `\` escaped and control bytes as `\XX`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\{:02X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A symbol reference `@name`: bare when `name` is an MLIR bare identifier, quoted otherwise.
pub fn symbol(name: &str) -> String {
    let mut chars = name.chars();
    let bare = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '.'));
    if bare {
        format!("@{name}")
    } else {
        format!("@{}", quote(name))
    }
}

/// A bracketed list `[0, 1, 2]`.
pub fn list<T: ToString>(items: &[T]) -> String {
    format!("[{}]", join(items))
}

/// A dense i64 array attribute `array<i64: 1, 2>` (`array<i64>` when empty).
pub fn i64_array<T: ToString>(items: &[T]) -> String {
    if items.is_empty() {
        "array<i64>".into()
    } else {
        format!("array<i64: {}>", join(items))
    }
}

/// Items joined by `", "`.
pub fn join<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
