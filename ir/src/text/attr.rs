//! How each attribute type is written and read: the [`AttrValue`] trait with one impl per
//! type that an op declaration (in [`crate::op`]) uses. The printer and the parser of every op
//! are generated from the declaration and go through these impls, so one attribute type is
//! written one way everywhere.

use super::value::Attrs;
use super::ParseError;
use crate::dtype::{DType, TensorType};
use crate::op::{
    BinaryOp, ChunkAttention, CmpDir, DotDims, LinearNorm, Literal, ReduceKind, ScoreFn, UnaryOp,
};
use crate::sharding::Sharding;
use std::fmt::Display;

type Result<T> = std::result::Result<T, ParseError>;

/// The attributes of one node as they are printed: `(key, text)` in declaration order.
pub(crate) struct AttrPrinter {
    /// The node's result dtype (literals are formatted for it).
    dtype: DType,
    entries: Vec<(&'static str, String)>,
}

impl AttrPrinter {
    /// An empty list for a node whose result has dtype `dtype`.
    pub(crate) fn new(dtype: DType) -> AttrPrinter {
        AttrPrinter {
            dtype,
            entries: Vec::new(),
        }
    }

    fn push(&mut self, key: &'static str, text: String) {
        self.entries.push((key, text));
    }

    /// The entries, in declaration order.
    pub(crate) fn entries(&self) -> &[(&'static str, String)] {
        &self.entries
    }
}

/// The attributes of one node as they were written, with what else the op may need to be
/// built: its name (for op families) and its written result type.
pub(crate) struct AttrInput<'a> {
    /// The written attributes, consumed key by key.
    pub(crate) attrs: &'a mut Attrs,
    /// The name the op was written under.
    pub(crate) op_name: &'a str,
    /// The written result type.
    pub(crate) ty: &'a TensorType,
}

/// An attribute type of the text form.
pub(crate) trait AttrValue: Sized {
    /// Appends `key = text` (or nothing, for values not written as attributes).
    fn print(&self, key: &'static str, out: &mut AttrPrinter);

    /// Reads the value of `key`.
    fn parse(key: &'static str, input: &mut AttrInput<'_>) -> Result<Self>;

    /// For op families: the name this member is written under.
    fn op_name(&self) -> Option<&'static str> {
        None
    }

    /// For op families: true if `name` names a member.
    fn is_member(_name: &str) -> bool {
        false
    }

    /// True for op families.
    fn is_family() -> bool {
        false
    }
}

impl AttrValue for usize {
    fn print(&self, key: &'static str, out: &mut AttrPrinter) {
        out.push(key, self.to_string());
    }

    fn parse(key: &'static str, input: &mut AttrInput<'_>) -> Result<Self> {
        input.attrs.usize(key)
    }
}

impl AttrValue for bool {
    fn print(&self, key: &'static str, out: &mut AttrPrinter) {
        out.push(key, self.to_string());
    }

    fn parse(key: &'static str, input: &mut AttrInput<'_>) -> Result<Self> {
        input.attrs.flag(key)
    }
}

impl AttrValue for String {
    fn print(&self, key: &'static str, out: &mut AttrPrinter) {
        out.push(key, quote(self));
    }

    fn parse(key: &'static str, input: &mut AttrInput<'_>) -> Result<Self> {
        input.attrs.string(key)
    }
}

impl AttrValue for Vec<usize> {
    fn print(&self, key: &'static str, out: &mut AttrPrinter) {
        out.push(key, list(self));
    }

    /// Read as a shape: besides being non-negative, the product must not overflow (so a
    /// `shape` attribute is safe to multiply out).
    fn parse(key: &'static str, input: &mut AttrInput<'_>) -> Result<Self> {
        input.attrs.usizes(key)
    }
}

impl AttrValue for Vec<i64> {
    fn print(&self, key: &'static str, out: &mut AttrPrinter) {
        out.push(key, list(self));
    }

    fn parse(key: &'static str, input: &mut AttrInput<'_>) -> Result<Self> {
        input.attrs.i64s(key)
    }
}

impl AttrValue for Vec<(usize, usize)> {
    fn print(&self, key: &'static str, out: &mut AttrPrinter) {
        let items: Vec<String> = self.iter().map(|(a, b)| format!("({a}, {b})")).collect();
        out.push(key, format!("[{}]", items.join(", ")));
    }

    fn parse(key: &'static str, input: &mut AttrInput<'_>) -> Result<Self> {
        input.attrs.pairs(key)
    }
}

impl AttrValue for DType {
    fn print(&self, key: &'static str, out: &mut AttrPrinter) {
        out.push(key, self.name().into());
    }

    fn parse(key: &'static str, input: &mut AttrInput<'_>) -> Result<Self> {
        input.attrs.dtype(key)
    }
}

impl AttrValue for Literal {
    fn print(&self, key: &'static str, out: &mut AttrPrinter) {
        let dtype = out.dtype;
        let text = match self {
            Literal::Splat(x) => format!("splat({})", number(*x, dtype)),
            Literal::Dense(xs) => {
                let items: Vec<String> = xs.iter().map(|x| number(*x, dtype)).collect();
                format!("dense([{}])", items.join(", "))
            }
        };
        out.push(key, text);
    }

    fn parse(key: &'static str, input: &mut AttrInput<'_>) -> Result<Self> {
        input.attrs.literal(key)
    }
}

/// `[{data}, {}]`, the spelling of [`Sharding`]'s `Display`.
impl AttrValue for Sharding {
    fn print(&self, key: &'static str, out: &mut AttrPrinter) {
        out.push(key, self.to_string());
    }

    fn parse(key: &'static str, input: &mut AttrInput<'_>) -> Result<Self> {
        input.attrs.sharding(key)
    }
}

/// A declared result type is written once, after the `:`, not as an attribute.
impl AttrValue for TensorType {
    fn print(&self, _key: &'static str, _out: &mut AttrPrinter) {}

    fn parse(_key: &'static str, input: &mut AttrInput<'_>) -> Result<Self> {
        Ok(input.ty.clone())
    }
}

/// Attribute types written as one of a fixed set of names.
macro_rules! named_attr {
    ($($ty:ty),* $(,)?) => {$(
        impl AttrValue for $ty {
            fn print(&self, key: &'static str, out: &mut AttrPrinter) {
                out.push(key, self.name().into());
            }

            fn parse(key: &'static str, input: &mut AttrInput<'_>) -> Result<Self> {
                input.attrs.choice(key, &<$ty>::ALL, <$ty>::name)
            }
        }
    )*};
}

named_attr!(ReduceKind, CmpDir, ScoreFn, LinearNorm);

/// Op families: the member is the op's name, and carries no attribute.
macro_rules! family_attr {
    ($($ty:ty),* $(,)?) => {$(
        impl AttrValue for $ty {
            fn print(&self, _key: &'static str, _out: &mut AttrPrinter) {}

            fn parse(_key: &'static str, input: &mut AttrInput<'_>) -> Result<Self> {
                let name = input.op_name;
                <$ty>::ALL
                    .into_iter()
                    .find(|m| m.name() == name)
                    .ok_or_else(|| input.attrs.pos().error(format!("unknown op `{name}`")))
            }

            fn op_name(&self) -> Option<&'static str> {
                Some(self.name())
            }

            fn is_member(name: &str) -> bool {
                <$ty>::ALL.into_iter().any(|m| m.name() == name)
            }

            fn is_family() -> bool {
                true
            }
        }
    )*};
}

family_attr!(UnaryOp, BinaryOp);

/// Attribute groups: a struct whose fields are written as attributes of the op that carries
/// it, in field order.
macro_rules! group_attr {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl AttrValue for $ty {
            fn print(&self, _key: &'static str, out: &mut AttrPrinter) {
                $( self.$field.print(stringify!($field), out); )*
            }

            fn parse(_key: &'static str, input: &mut AttrInput<'_>) -> Result<Self> {
                Ok($ty {
                    $( $field: AttrValue::parse(stringify!($field), input)?, )*
                })
            }
        }
    };
}

group_attr!(DotDims {
    lhs_batch,
    rhs_batch,
    lhs_contract,
    rhs_contract,
    out
});
group_attr!(ChunkAttention {
    chunk,
    causal,
    linear_norm,
    score
});

/// `[a, b, c]`.
fn list<T: Display>(items: &[T]) -> String {
    let items: Vec<String> = items.iter().map(T::to_string).collect();
    format!("[{}]", items.join(", "))
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
