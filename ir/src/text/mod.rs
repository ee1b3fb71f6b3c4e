//! The IR text form: a deterministic printer and a parser that reads the same text back.
//!
//! ```text
//! graph @main {
//!   %0 = parameter {index = 0, name = "x"} : f32[2,3] loc("src/lib.rs":3:9)
//!   %1 = constant {value = splat(1.5)} : f32[2,3]
//!   %2 = add(%0, %1) : f32[2,3] loc("src/lib.rs":4:9) scope("layers.0.attn")
//!   return %2
//!   alias param 0 -> output 0
//!   mesh data=2, model=2
//!   shard param 0 [{data}, {}]
//!   shard result 0 [{data}, {}]
//! }
//! ```
//!
//! Grammar (whitespace and newlines are insignificant; `//` starts a line comment):
//!
//! ```text
//! graph     := "graph" "@" (ident | string) "{" node* return alias* bound* mesh? shard* "}"
//! node      := %name "=" op ("(" [%name ("," %name)*] ")")? ("{" [attr ("," attr)*] "}")?
//!              ":" type ("loc" "(" string ":" int ":" int ")")? ("scope" "(" string ")")?
//! return    := "return" [%name ("," %name)*]
//! alias     := "alias" "param" int "->" "output" int
//! bound     := "bound" "param" int "below" int
//! mesh      := "mesh" [ident "=" int ("," ident "=" int)*]
//! shard     := "shard" ("param" | "result") int sharding
//! sharding  := "[" [axes ("," axes)*] "]"          (one `axes` per dimension)
//! axes      := "{" [ident ("," ident)*] "}"        (mesh axes splitting it, major to minor)
//! attr      := ident "=" value
//! value     := number | string | ident | ident "(" values ")" | "[" values "]" | "(" values ")"
//!            | "{" values "}"
//! type      := dtype "[" [int ("," int)*] "]"
//! ```
//!
//! Value names are any `%` followed by letters, digits, `_` and `.`; they are numbered in
//! definition order. The printer names them `%0`, `%1`, ... Nodes are rebuilt through
//! [`Graph::add`](crate::Graph::add), so every written type is checked against inference.
//! Integers (dimensions, attributes) are limited to `|n| <= 2^31 - 1` and a type to at most
//! `usize::MAX` elements, which keeps all shape arithmetic of inference overflow-free.
//! The parser does not run the [verifier](crate::verify): graph-level properties (parameter
//! numbering, alias ranges) can be written wrong on purpose to test it.

pub(crate) mod attr;
mod cursor;
mod lex;
mod parse;
mod print;
mod value;

pub use parse::{parse_graph, parse_graph_file};
pub use print::print_graph;

use thiserror::Error;

/// A malformed IR text: where (1-based line and column, in characters) and what.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{line}:{col}: {message}")]
pub struct ParseError {
    /// 1-based line of the offending token.
    pub line: usize,
    /// 1-based column (in characters) of the offending token.
    pub col: usize,
    /// What is wrong.
    pub message: String,
}
