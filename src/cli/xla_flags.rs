//! `XLA_FLAGS` checked before any work. XLA reads the variable when the plugin creates its
//! first client and ends the process with a fatal log line on a flag name it does not know,
//! which no caller can catch. So when `XLA_FLAGS` is set, a command that loads the plugin
//! first lets a child `flash` (the hidden subcommand [`CHECK_SUBCOMMAND`]) create a client
//! with the same environment; if the child dies, XLA's reason becomes one `error:` line
//! naming `XLA_FLAGS`. The syntax of the variable is checked earlier, with every other
//! environment value (`flash_runtime::env`).

use anyhow::{bail, Context};
use std::process::{Command, Stdio};

/// The hidden subcommand the child runs.
pub const CHECK_SUBCOMMAND: &str = "__check-xla-flags";

/// The variable.
const XLA_FLAGS: &str = "XLA_FLAGS";

/// Refuses an `XLA_FLAGS` that XLA would end the process over (nothing to do when unset).
pub fn check() -> anyhow::Result<()> {
    let Some(flags) = std::env::var_os(XLA_FLAGS).filter(|f| !f.is_empty()) else {
        return Ok(());
    };
    let exe = std::env::current_exe().context("finding the flash binary to check XLA_FLAGS")?;
    let out = Command::new(exe)
        .arg(CHECK_SUBCOMMAND)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .output()
        .context("starting a flash process to check XLA_FLAGS")?;
    if out.status.success() {
        return Ok(());
    }
    let reason = reason(&String::from_utf8_lossy(&out.stderr));
    bail!("{XLA_FLAGS}={flags:?} is refused by XLA: {reason}")
}

/// XLA's own words from the child's stderr: the fatal line's message (after its
/// `file:line] ` prefix), else the last line.
fn reason(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let fatal = lines
        .iter()
        .find(|l| l.starts_with('F') && l.contains("] "));
    let line = fatal
        .or(lines.last())
        .copied()
        .unwrap_or("the plugin could not start");
    let message = line.split_once("] ").map_or(line, |(_, m)| m);
    message.trim_start_matches("error: ").to_string()
}

/// The child's work: load the plugin and create its client, which reads `XLA_FLAGS`.
pub fn run_check() -> anyhow::Result<()> {
    crate::runtime::shared_client(None)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::reason;

    #[test]
    fn the_reason_is_xlas_fatal_message() {
        let stderr = "WARNING: All log messages before absl::InitializeLog() is called are \
                      written to STDERR\nF0000 00:00:1796597478.508253   24042 \
                      parse_flags_from_env.cc:234] Unknown flag in XLA_FLAGS: --xla_bogus=1\n";
        assert_eq!(reason(stderr), "Unknown flag in XLA_FLAGS: --xla_bogus=1");
        assert_eq!(reason("error: no plugin\n"), "no plugin");
        assert_eq!(reason(""), "the plugin could not start");
    }
}
