//! `declare_ops!`: turns the op table of [`crate::op`] into the [`Op`](crate::op::Op) enum and
//! everything that follows from the table alone.
//!
//! Each row is one op: its doc comment, its variant with the attributes it carries (struct
//! fields, or one named tuple field), then `=> "text name", arity, traits;`. From the rows the
//! macro generates
//! - `Op` itself (the variants exactly as written) and its fieldless twin `OpKind`;
//! - `Op::kind`, `Op::name`, `OpKind::spec` (name, arity, traits) and `OpKind::ALL`;
//! - the text form: `Op::print_attrs` writes the attributes in declaration order and
//!   `Op::parse_attrs` reads them back, each through its type's
//!   [`AttrValue`](crate::text::attr::AttrValue) impl, and `OpKind::named` finds the op a
//!   text name stands for. So the printer and the parser cover every op by construction.
//!
//! The attribute key of a field is the field's name; a tuple variant's one field is declared
//! as `Variant(key: Type)`.

/// See the module documentation.
macro_rules! declare_ops {
    ($(
        $(#[$meta:meta])*
        $variant:ident
        $( ( $(#[$tuple_meta:meta])* $tuple_key:ident : $tuple_ty:ty ) )?
        $( { $( $(#[$field_meta:meta])* $field:ident : $field_ty:ty ),* $(,)? } )?
        => $name:literal, $arity:expr, $traits:expr;
    )*) => {
        /// One IR operation. Each variant documents its operands, result and constraints.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Op {
            $(
                $(#[$meta])*
                $variant
                $( ( $(#[$tuple_meta])* $tuple_ty ) )?
                $( { $( $(#[$field_meta])* $field: $field_ty ),* } )?,
            )*
        }

        /// Which op a node is, without its attributes.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum OpKind {
            $(
                #[doc = concat!("`", $name, "`.")]
                $variant,
            )*
        }

        impl OpKind {
            /// Every op, in declaration order.
            pub const ALL: &'static [OpKind] = &[$(OpKind::$variant),*];

            /// The declared name, arity and traits.
            pub fn spec(self) -> OpSpec {
                match self {
                    $(OpKind::$variant => OpSpec {
                        name: $name,
                        arity: $arity,
                        traits: $traits,
                    },)*
                }
            }

            /// True for op families (such as `unary`), whose members are written under
            /// their own names.
            fn is_family(self) -> bool {
                match self {
                    $(OpKind::$variant => false
                        $( || <$tuple_ty as AttrValue>::is_family() )?,)*
                }
            }

            /// The op that text name `name` stands for.
            pub(crate) fn named(name: &str) -> Option<OpKind> {
                $($(
                    if <$tuple_ty as AttrValue>::is_member(name) {
                        return Some(OpKind::$variant);
                    }
                )?)*
                OpKind::ALL
                    .iter()
                    .copied()
                    .find(|k| !k.is_family() && k.spec().name == name)
            }
        }

        impl Op {
            /// Which op this is.
            pub fn kind(&self) -> OpKind {
                match self {
                    $(Op::$variant { .. } => OpKind::$variant,)*
                }
            }

            /// The op's name in the IR text form and in error messages.
            pub fn name(&self) -> &'static str {
                match self {
                    $(
                        Op::$variant $( { 0: $tuple_key } )? $( { $($field: _),* } )? => {
                            $(
                                if let Some(name) = $tuple_key.op_name() {
                                    return name;
                                }
                            )?
                            $name
                        }
                    )*
                }
            }

            /// Writes the attributes in declaration order.
            pub(crate) fn print_attrs(&self, out: &mut AttrPrinter) {
                match self {
                    $(
                        Op::$variant $( { 0: $tuple_key } )? $( { $($field),* } )? => {
                            $( $tuple_key.print(stringify!($tuple_key), out); )?
                            $( $( $field.print(stringify!($field), out); )* )?
                        }
                    )*
                }
            }

            /// Reads the attributes of an op of kind `kind`.
            pub(crate) fn parse_attrs(
                kind: OpKind,
                input: &mut AttrInput<'_>,
            ) -> Result<Op, ParseError> {
                Ok(match kind {
                    $(
                        OpKind::$variant => Op::$variant
                            $( ( <$tuple_ty as AttrValue>::parse(stringify!($tuple_key), input)? ) )?
                            $( { $( $field: <$field_ty as AttrValue>::parse(stringify!($field), input)? ),* } )?,
                    )*
                })
            }
        }
    };
}

pub(crate) use declare_ops;
