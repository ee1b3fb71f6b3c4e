//! The key of a cache entry: SHA-256 over the plugin's fingerprint (its file's path, size
//! and modification time, its PJRT API version, the platform's name and version),
//! `XLA_FLAGS`, the compile options' bytes and the program text, each length-prefixed so
//! that no two different inputs hash the same bytes.

use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::SystemTime;

/// What identifies a plugin build: any change (a new wheel, another file) misses.
pub(crate) fn plugin_fingerprint(
    path: &Path,
    api: (i32, i32),
    platform: &str,
    version: &str,
) -> String {
    let (size, mtime) = match std::fs::metadata(path) {
        Ok(m) => {
            let t = m.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            let since = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
            (m.len(), since.as_nanos())
        }
        Err(_) => (0, 0),
    };
    format!(
        "plugin {} size {size} mtime {mtime} api {}.{} platform {platform} {version}",
        path.display(),
        api.0,
        api.1
    )
}

/// The hex key of a program compiled with `options` on the plugin with `fingerprint`,
/// under the current `XLA_FLAGS`.
pub(crate) fn entry_key(fingerprint: &str, program: &str, options: &[u8]) -> String {
    let flags = std::env::var("XLA_FLAGS").unwrap_or_default();
    key_of(&[
        b"flash executable cache v1",
        fingerprint.as_bytes(),
        flags.as_bytes(),
        options,
        program.as_bytes(),
    ])
}

/// SHA-256 of length-prefixed parts, in hex.
fn key_of(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_input_changes_the_key() {
        let base = entry_key("plugin A", "prog", b"\x1a\x04");
        assert_eq!(base.len(), 64);
        assert_eq!(base, entry_key("plugin A", "prog", b"\x1a\x04"));
        assert_ne!(base, entry_key("plugin B", "prog", b"\x1a\x04"));
        assert_ne!(base, entry_key("plugin A", "prog2", b"\x1a\x04"));
        assert_ne!(base, entry_key("plugin A", "prog", b"\x1a\x05"));
    }

    #[test]
    fn parts_do_not_run_into_each_other() {
        assert_ne!(key_of(&[b"ab", b"c"]), key_of(&[b"a", b"bc"]));
    }

    #[test]
    fn fingerprint_names_file_size_and_versions() {
        let exe = std::env::current_exe().unwrap();
        let f = plugin_fingerprint(&exe, (0, 81), "cpu", "v1");
        let size = std::fs::metadata(&exe).unwrap().len();
        assert!(
            f.contains(&format!("size {size}")) && f.contains("api 0.81"),
            "{f}"
        );
        assert_ne!(f, plugin_fingerprint(&exe, (0, 82), "cpu", "v1"));
    }
}
