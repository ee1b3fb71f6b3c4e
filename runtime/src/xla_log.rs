//! How much of XLA's own logging reaches standard error: `FLASH_XLA_LOG`.
//!
//! The XLA plugins log through absl, filtered by tsl's `TF_CPP_MIN_LOG_LEVEL` (0 info,
//! 1 warnings, 2 errors, 3 fatal only), which the plugin reads after it is loaded. Left
//! alone, the CPU plugin prints absl's "All log messages before absl::InitializeLog() is
//! called are written to STDERR", informational lines (the device count it was given),
//! GSPMD's deprecation notice for every program in that dialect, and XLA's errors a second
//! time: a failed `RET_CHECK` is logged with a stack trace (`E0000 ... status_macros.cc`)
//! and also returned to us as the error we report. So the default is quiet (fatal only):
//! XLA's errors reach the user once, as our own messages.
//!
//! `FLASH_XLA_LOG` = unset, empty, `0` or `off`: quiet; `1` or `info`: everything;
//! `warning`; `error`. When `FLASH_XLA_LOG` is unset, a `TF_CPP_MIN_LOG_LEVEL` the user set
//! is left as it is. Any other value is an error naming the variable and its values.
//! [`apply_xla_log_setting`] applies it once per process; [`crate::Plugin::load`] calls it
//! before the first plugin is loaded, so the library, the CLI and the tests all get it.

use crate::error::{Result, RuntimeError};
use std::sync::OnceLock;

/// The variable choosing how much XLA logs.
pub const XLA_LOG_ENV: &str = "FLASH_XLA_LOG";

/// tsl's logging threshold, read by the plugin.
const MIN_LOG_LEVEL_ENV: &str = "TF_CPP_MIN_LOG_LEVEL";

/// How much of XLA's logging to let through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XlaLog {
    /// Nothing but fatal messages (the default).
    Quiet,
    /// Errors.
    Error,
    /// Warnings and errors.
    Warning,
    /// Everything, informational lines included.
    Info,
}

impl XlaLog {
    /// Parses a `FLASH_XLA_LOG` value (any case, surrounding spaces ignored).
    pub fn parse(value: &str) -> Result<XlaLog> {
        XlaLog::named(value).ok_or_else(|| RuntimeError::BadXlaLogEnv {
            value: value.to_string(),
        })
    }

    /// The setting `FLASH_XLA_LOG` asks for: `None` when it is unset.
    pub fn from_env() -> Result<Option<XlaLog>> {
        setting_in_env().map_err(|value| RuntimeError::BadXlaLogEnv { value })
    }

    /// The setting a value names, if any.
    fn named(value: &str) -> Option<XlaLog> {
        Some(match value.trim().to_ascii_lowercase().as_str() {
            "" | "0" | "off" => XlaLog::Quiet,
            "error" => XlaLog::Error,
            "warning" => XlaLog::Warning,
            "1" | "info" => XlaLog::Info,
            _ => return None,
        })
    }

    /// The `TF_CPP_MIN_LOG_LEVEL` that lets this much through.
    pub fn min_log_level(self) -> &'static str {
        match self {
            XlaLog::Info => "0",
            XlaLog::Warning => "1",
            XlaLog::Error => "2",
            XlaLog::Quiet => "3",
        }
    }
}

/// `FLASH_XLA_LOG`'s setting (`None`: unset), or the value it cannot take.
fn setting_in_env() -> std::result::Result<Option<XlaLog>, String> {
    match std::env::var(XLA_LOG_ENV) {
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(v)) => Err(v.to_string_lossy().into_owned()),
        Ok(v) => XlaLog::named(&v).map(Some).ok_or(v),
    }
}

/// Applies `FLASH_XLA_LOG` (see the module doc) by setting `TF_CPP_MIN_LOG_LEVEL`, once per
/// process: later calls give the first call's outcome. Call it before a plugin is loaded
/// (the plugin reads the threshold then) and, where possible, before other threads start:
/// the CLI calls it first thing, [`crate::Plugin::load`] before the first `dlopen`.
pub fn apply_xla_log_setting() -> Result<()> {
    static APPLIED: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    let outcome = APPLIED.get_or_init(|| setting_in_env().map(set_threshold));
    outcome
        .clone()
        .map_err(|value| RuntimeError::BadXlaLogEnv { value })
}

/// Sets the threshold for an explicit setting; without one, quiet unless the user set it.
fn set_threshold(setting: Option<XlaLog>) {
    let level = match setting {
        Some(s) => s.min_log_level(),
        None if std::env::var_os(MIN_LOG_LEVEL_ENV).is_some() => return,
        None => XlaLog::Quiet.min_log_level(),
    };
    // Once per process, before the plugin (the only other reader) is loaded; std's own
    // readers of the environment take the same lock as this write.
    std::env::set_var(MIN_LOG_LEVEL_ENV, level);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_to_settings_and_thresholds() {
        let cases = [
            ("", XlaLog::Quiet, "3"),
            ("0", XlaLog::Quiet, "3"),
            ("OFF", XlaLog::Quiet, "3"),
            ("error", XlaLog::Error, "2"),
            (" Warning ", XlaLog::Warning, "1"),
            ("1", XlaLog::Info, "0"),
            ("info", XlaLog::Info, "0"),
        ];
        for (value, setting, level) in cases {
            let parsed = XlaLog::parse(value).unwrap();
            assert_eq!(
                (parsed, parsed.min_log_level()),
                (setting, level),
                "{value:?}"
            );
        }
    }

    #[test]
    fn an_unknown_value_is_refused_naming_the_variable_and_its_values() {
        let e = XlaLog::parse("banana").unwrap_err().to_string();
        for needle in ["FLASH_XLA_LOG", "banana", "info", "warning", "error", "0"] {
            assert!(e.contains(needle), "{e} lacks {needle}");
        }
    }
}
