//! What the declaration says about each op besides its attributes: its text name, how many
//! operands it takes and its traits.
//!
//! Passes that only carry ops along ask these questions instead of listing variants, so a new
//! op needs no edit there (see ARCHITECTURE.md, "Adding an op").

/// How many operands an op takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arity {
    /// Exactly this many.
    Fixed(usize),
    /// Any number (the op's inference rule states the minimum).
    Variadic,
}

impl Arity {
    /// The exact count, or `None` for variadic ops.
    pub fn fixed(self) -> Option<usize> {
        match self {
            Arity::Fixed(n) => Some(n),
            Arity::Variadic => None,
        }
    }
}

/// A set of op traits (in the sense of MLIR's op traits): facts a pass may rely on without
/// knowing the op.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Traits(u8);

impl Traits {
    /// No trait.
    pub const NONE: Traits = Traits(0);
    /// A deterministic function of its operands and attributes: two nodes with equal op,
    /// operands and type compute the same value (CSE may merge them). Every op but
    /// `parameter` (each parameter is a distinct program input).
    pub const PURE: Traits = Traits(1);
    /// Takes no operands: the value comes from attributes or the signature.
    pub const SOURCE: Traits = Traits(1 << 1);
    /// Applies a scalar function element by element to operands of one shape.
    pub const ELEMENTWISE: Traits = Traits(1 << 2);
    /// Only moves elements (broadcast, reshape, transpose), which backends fuse into
    /// consumers.
    pub const LAYOUT: Traits = Traits(1 << 3);
    /// Combines elements along dimensions (sums, maxima).
    pub const REDUCTION: Traits = Traits(1 << 4);
    /// Has a lowering pass and must be rewritten into primitive ops before emission.
    pub const COMPOSITE: Traits = Traits(1 << 5);

    /// Both sets.
    pub const fn with(self, other: Traits) -> Traits {
        Traits(self.0 | other.0)
    }

    /// True if every trait of `other` is in `self`.
    pub const fn contains(self, other: Traits) -> bool {
        self.0 & other.0 == other.0
    }
}

/// The declared facts of one op (one row of the op table in [`crate::op`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpSpec {
    /// The name in the IR text form and in error messages (for op families such as `unary`,
    /// the family's name; each member is written under its own name).
    pub name: &'static str,
    /// How many operands it takes.
    pub arity: Arity,
    /// Its traits.
    pub traits: Traits,
}
