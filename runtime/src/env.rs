//! Typed, range-checked readers of flash's environment variables, and [`check_environment`],
//! which reads every one of them so that a value a variable does not take is refused before
//! any work starts.
//!
//! Every `FLASH_*` variable is read through this module: a switch ([`switch`]: `1`, `on`,
//! `true`, `yes` or `0`, `off`, `false`, `no`, any case; empty or unset: its default), a
//! whole number in a range ([`whole_number`]; empty or unset: none), or text ([`text`]).
//! A value outside those is a [`RuntimeError::BadEnv`] naming the variable, the value and
//! the values it takes. `XLA_FLAGS` is checked for its syntax ([`check_xla_flags`]): XLA
//! ends the process, printing every flag it knows, on a word it cannot parse as a flag.

use crate::error::{Result, RuntimeError};
use std::ops::RangeInclusive;

/// The spellings of "on" a switch takes (any case).
const ON: [&str; 4] = ["1", "on", "true", "yes"];
/// The spellings of "off" a switch takes (any case).
const OFF: [&str; 4] = ["0", "off", "false", "no"];
/// What a switch takes, for messages.
pub const SWITCH_VALUES: &str = "1, on, true or yes (on) or 0, off, false or no (off), or unset";

/// XLA's flags variable.
pub const XLA_FLAGS_ENV: &str = "XLA_FLAGS";

/// The error for `name=value` when `name` takes `takes`.
pub fn bad(name: &'static str, value: impl Into<String>, takes: impl Into<String>) -> RuntimeError {
    RuntimeError::BadEnv {
        name,
        value: value.into(),
        takes: takes.into(),
    }
}

/// The variable's text (`None`: unset). A value that is not Unicode is an error.
pub fn text(name: &'static str, takes: &str) -> Result<Option<String>> {
    match std::env::var(name) {
        Ok(v) => Ok(Some(v)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(v)) => Err(bad(name, v.to_string_lossy(), takes)),
    }
}

/// A switch's setting for `value` (`None`: not a switch value); empty is `default`.
pub fn parse_switch(value: &str, default: bool) -> Option<bool> {
    let v = value.trim().to_ascii_lowercase();
    if v.is_empty() {
        Some(default)
    } else if ON.contains(&v.as_str()) {
        Some(true)
    } else if OFF.contains(&v.as_str()) {
        Some(false)
    } else {
        None
    }
}

/// The switch `name` (unset or empty: `default`).
pub fn switch(name: &'static str, default: bool) -> Result<bool> {
    match text(name, SWITCH_VALUES)? {
        None => Ok(default),
        Some(v) => parse_switch(&v, default).ok_or_else(|| bad(name, v, SWITCH_VALUES)),
    }
}

/// A whole number in `range` (`Ok(None)`: empty), or what the variable takes.
pub fn parse_whole_number(value: &str, range: &RangeInclusive<u64>) -> Result<Option<u64>, String> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    match v.parse::<u64>() {
        Ok(n) if range.contains(&n) => Ok(Some(n)),
        _ => Err(format!(
            "a whole number from {} to {}, or unset",
            range.start(),
            range.end()
        )),
    }
}

/// The whole number `name` holds, which must lie in `range` (unset or empty: `None`).
pub fn whole_number(name: &'static str, range: RangeInclusive<u64>) -> Result<Option<u64>> {
    let takes = || {
        format!(
            "a whole number from {} to {}, or unset",
            range.start(),
            range.end()
        )
    };
    match text(name, &takes())? {
        None => Ok(None),
        Some(v) => parse_whole_number(&v, &range).map_err(|t| bad(name, v, t)),
    }
}

/// What `XLA_FLAGS` takes, for messages.
const XLA_FLAGS_TAKES: &str =
    "XLA flags separated by spaces, each --name or --name=value (name: letters, digits, _)";

/// Checks `XLA_FLAGS`' syntax: words separated by white space, each `--name[=value]`.
pub fn parse_xla_flags(value: &str) -> Result<(), String> {
    match words(value).into_iter().find(|w| !is_flag_word(w)) {
        None => Ok(()),
        Some(w) => Err(format!("{w:?} is not a flag; it takes {XLA_FLAGS_TAKES}")),
    }
}

/// The words of `XLA_FLAGS`: split at white space outside double quotes (as XLA does).
fn words(value: &str) -> Vec<String> {
    let (mut words, mut word, mut quoted) = (Vec::new(), String::new(), false);
    for c in value.chars() {
        if c == '"' {
            quoted = !quoted;
        } else if c.is_whitespace() && !quoted {
            words.extend((!word.is_empty()).then(|| std::mem::take(&mut word)));
            continue;
        }
        word.push(c);
    }
    words.extend((!word.is_empty()).then_some(word));
    words
}

/// Whether a word is `--name` or `--name=value` with a name of letters, digits and `_`.
fn is_flag_word(word: &str) -> bool {
    let Some(rest) = word.strip_prefix("--") else {
        return false;
    };
    let name = rest.split_once('=').map_or(rest, |(n, _)| n);
    !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Checks `XLA_FLAGS` (unset: fine).
pub fn check_xla_flags() -> Result<()> {
    let Some(v) = text(XLA_FLAGS_ENV, XLA_FLAGS_TAKES)? else {
        return Ok(());
    };
    parse_xla_flags(&v).map_err(|why| RuntimeError::BadXlaFlags { value: v, why })
}

/// Reads every variable flash takes, so that a bad value is refused up front (the CLI calls
/// it first thing, [`crate::Plugin::load`] before loading a plugin): the first bad one is
/// the error.
pub fn check_environment() -> Result<()> {
    crate::disk_cache::check_env()?;
    crate::locate::check_env()?;
    crate::host_memory::keep_host_memory_setting()?;
    crate::ClientOptions::from_env()?;
    crate::XlaLog::from_env()?;
    check_xla_flags()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_take_their_spellings_in_any_case() {
        for (v, want) in [("1", true), ("ON", true), (" yes ", true), ("off", false)] {
            assert_eq!(parse_switch(v, false), Some(want), "{v:?}");
        }
        assert_eq!(parse_switch("  ", true), Some(true));
        assert_eq!(parse_switch("banana", true), None);
        assert_eq!(parse_switch("2", true), None);
    }

    #[test]
    fn whole_numbers_are_range_checked() {
        let r = 1..=4096;
        assert_eq!(parse_whole_number(" 8 ", &r), Ok(Some(8)));
        assert_eq!(parse_whole_number("", &r), Ok(None));
        for v in ["0", "4097", "-5", "1e3", "99999999999999999999999", "x"] {
            let e = parse_whole_number(v, &r).unwrap_err();
            assert!(e.contains("1 to 4096"), "{v}: {e}");
        }
    }

    #[test]
    fn xla_flags_syntax() {
        for ok in [
            "",
            "--xla_dump_to=/tmp/x",
            " --a=1   --b_2 ",
            "--x=a=b",
            "--x=\"a b\"",
        ] {
            assert!(parse_xla_flags(ok).is_ok(), "{ok:?}");
        }
        for bad in ["xla_dump_to=/x", "--", "-x", "--=1", "--a-b", "--1a"] {
            assert!(parse_xla_flags(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_error_names_the_variable_the_value_and_what_it_takes() {
        let e = bad("FLASH_CACHE", "banana", SWITCH_VALUES).to_string();
        for needle in ["FLASH_CACHE", "banana", "0", "off", "unset"] {
            assert!(e.contains(needle), "{e} lacks {needle}");
        }
    }
}
