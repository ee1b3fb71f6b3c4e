//! One spelling per choice: the [`Named`] trait gives an enum its list of values and their
//! names, and from that one table come parsing ([`parse`], with an error listing the valid
//! names), serde ([`by_name`], for config and checkpoint files) and the command line's
//! choices (`src/cli`). Implemented here for the enums of other crates that configs and
//! flags name: the IR's [`ScoreFn`] and [`LinearNorm`] (with the IR text form's names) and
//! the passes' [`CumsumStrategy`] (its own names).

use crate::ir::{LinearNorm, ScoreFn};
use crate::passes::CumsumStrategy;
use thiserror::Error;

/// An enum whose values have one name each.
pub trait Named: Copy + 'static {
    /// What the values are, for messages ("score function").
    const WHAT: &'static str;
    /// Every value, in the order they are listed.
    const ALL: &'static [Self];
    /// The value's name.
    fn name(self) -> &'static str;
}

/// A name that is none of an enum's.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("unknown {what} {given:?}; valid: {valid}")]
pub struct UnknownName {
    /// What was being named.
    pub what: &'static str,
    /// The name given.
    pub given: String,
    /// The valid names, comma separated.
    pub valid: String,
}

/// The valid names of `T`, comma separated.
pub fn valid_names<T: Named>() -> String {
    let names: Vec<&str> = T::ALL.iter().map(|v| v.name()).collect();
    names.join(", ")
}

/// The value of `T` named `s`.
pub fn parse<T: Named>(s: &str) -> Result<T, UnknownName> {
    T::ALL
        .iter()
        .copied()
        .find(|v| v.name() == s)
        .ok_or_else(|| UnknownName {
            what: T::WHAT,
            given: s.to_string(),
            valid: valid_names::<T>(),
        })
}

/// Implements `Display` (the name) and `FromStr` (by [`parse`], failing with
/// [`UnknownName`]) for enums of this crate that implement [`Named`].
macro_rules! display_and_from_str_by_name {
    ($t:ty) => {
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::config::names::Named::name(*self))
            }
        }

        impl std::str::FromStr for $t {
            type Err = $crate::config::names::UnknownName;

            fn from_str(s: &str) -> Result<$t, Self::Err> {
                $crate::config::names::parse(s)
            }
        }
    };
}
pub(crate) use display_and_from_str_by_name;

/// Serde by name, for `#[serde(with = "crate::config::names::by_name")]`: written and read as
/// a unit enum variant (a string in JSON and TOML), accepting what a derived enum accepts.
pub mod by_name {
    use super::Named;
    use serde::de::{EnumAccess, VariantAccess, Visitor};
    use serde::{Deserializer, Serializer};
    use std::fmt;
    use std::marker::PhantomData;

    /// Writes `value` as its name.
    pub fn serialize<T: Named, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        let index = T::ALL.iter().position(|v| v.name() == value.name());
        let index = index.and_then(|i| u32::try_from(i).ok()).unwrap_or(0);
        s.serialize_unit_variant(T::WHAT, index, value.name())
    }

    /// Reads a name of `T`.
    pub fn deserialize<'de, T: Named, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        d.deserialize_enum(T::WHAT, &[], ByName(PhantomData))
    }

    struct ByName<T>(PhantomData<T>);

    impl<'de, T: Named> Visitor<'de> for ByName<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a {}: one of {}", T::WHAT, super::valid_names::<T>())
        }

        fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<T, A::Error> {
            let (name, variant): (String, _) = data.variant()?;
            let value = super::parse::<T>(&name).map_err(|e| {
                let quoted: Vec<String> =
                    T::ALL.iter().map(|v| format!("`{}`", v.name())).collect();
                serde::de::Error::custom(format!(
                    "unknown variant `{}`, expected one of {}",
                    e.given,
                    quoted.join(", ")
                ))
            })?;
            variant.unit_variant()?;
            Ok(value)
        }
    }
}

impl Named for ScoreFn {
    const WHAT: &'static str = "score function";
    const ALL: &'static [ScoreFn] = &ScoreFn::ALL;
    fn name(self) -> &'static str {
        ScoreFn::name(self)
    }
}

impl Named for LinearNorm {
    const WHAT: &'static str = "linear-part normalisation";
    const ALL: &'static [LinearNorm] = &LinearNorm::ALL;
    fn name(self) -> &'static str {
        LinearNorm::name(self)
    }
}

impl Named for CumsumStrategy {
    const WHAT: &'static str = "cumsum strategy";
    const ALL: &'static [CumsumStrategy] = &CumsumStrategy::ALL;
    fn name(self) -> &'static str {
        CumsumStrategy::name(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_list_the_valid_ones() {
        for s in ScoreFn::ALL {
            assert_eq!(parse::<ScoreFn>(s.name()), Ok(s));
        }
        let e = parse::<LinearNorm>("avg").unwrap_err().to_string();
        assert_eq!(
            e,
            "unknown linear-part normalisation \"avg\"; valid: mean, sum"
        );
    }
}
