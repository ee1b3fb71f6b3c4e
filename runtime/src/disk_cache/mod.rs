//! The persistent executable cache: compiled executables serialized by the plugin
//! (`PJRT_Executable_Serialize`) and kept as files in a directory, one per key (see
//! [`key`]), loaded back with `PJRT_Executable_DeserializeAndLoad`.
//!
//! - An entry is `MAGIC`, the length (u32, little-endian) and bytes of its own key, the
//!   SHA-256 of the payload, then the payload. A missing, truncated or garbage entry fails
//!   the check and reads as a miss (the file is removed), so the plugin never sees bytes we
//!   did not write; so does an entry whose recorded key is not the one asked for (a file
//!   copied or renamed over another key's name holds another program's executable); an
//!   entry the plugin refuses is a miss too. Nothing here is ever an error for the caller:
//!   the worst case is a recompile.
//! - Entries are written to a temporary sibling and renamed into place, so a reader sees a
//!   whole entry or none, and processes filling the cache at once cannot interleave.
//! - The directory has a size cap: after each store the least recently used entries
//!   (oldest modification time; a hit touches the file) are removed until it fits.
//!
//! `FLASH_CACHE=0` turns the cache off; `FLASH_EXECUTABLE_CACHE_DIR` moves it (default
//! `<flash cache>/executables`; a program's [`set_cache_dir`] wins over both, see `dir.rs`); `FLASH_CACHE_MAX_MB` sets the cap (default 4096);
//! `FLASH_CACHE_LOG=1` prints one line per hit, miss and store on standard error.

pub(crate) mod dir;
pub(crate) mod key;

pub use dir::{set_cache_dir, test_cache_dir, use_test_cache, TEST_CACHE_FOLDER};

use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// Turns the cache off when `0`, `off`, `false` or `no`.
pub const CACHE_ENV: &str = "FLASH_CACHE";
/// Overrides the cache directory.
pub const CACHE_DIR_ENV: &str = "FLASH_EXECUTABLE_CACHE_DIR";
/// The size cap in MiB.
pub const CACHE_MAX_ENV: &str = "FLASH_CACHE_MAX_MB";
/// The caps `FLASH_CACHE_MAX_MB` takes, in MiB: 1 MiB to 1 PiB (so the byte count fits).
pub const MAX_MB: std::ops::RangeInclusive<u64> = 1..=1 << 30;
/// Prints a line per hit, miss and store when on (a switch).
pub const CACHE_LOG_ENV: &str = "FLASH_CACHE_LOG";

/// The default size cap: 4 GiB.
pub const DEFAULT_MAX_BYTES: u64 = 4 << 30;
/// The first bytes of every entry (format version 2: with its key; version 1 entries miss).
const MAGIC: &[u8; 8] = b"FLASHX02";
/// File name suffix of entries.
const SUFFIX: &str = ".xla";
/// Prefix of temporary files being written.
const TMP_PREFIX: &str = ".tmp-";
/// Temporary files older than this are leftovers of killed processes.
const STALE_TMP: Duration = Duration::from_secs(3600);

/// A directory of serialized executables with a size cap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskCache {
    dir: PathBuf,
    max_bytes: u64,
}

/// What the cache directory holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DiskUsage {
    /// Number of entries.
    pub entries: usize,
    /// Their total size in bytes.
    pub bytes: u64,
}

impl DiskCache {
    /// A cache in `dir` (created on first store) holding at most `max_bytes`.
    pub fn new(dir: impl Into<PathBuf>, max_bytes: u64) -> DiskCache {
        DiskCache {
            dir: dir.into(),
            max_bytes,
        }
    }

    /// The cache the environment asks for, in the directory [`set_cache_dir`] chose if any:
    /// `None` when `FLASH_CACHE` turns it off or there is no per-user cache directory.
    pub fn from_env() -> Option<DiskCache> {
        if !enabled_by_env() {
            return None;
        }
        let dir = dir::chosen(|| Some(crate::locate::cache_dir().ok()?.join("executables")))?;
        // A bad value was refused by `check_environment` before any client was made.
        let max_mb = crate::env::whole_number(CACHE_MAX_ENV, MAX_MB).unwrap_or(None);
        let max = max_mb.map_or(DEFAULT_MAX_BYTES, |mb| mb << 20);
        Some(DiskCache::new(dir, max))
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The size cap in bytes.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// The path of the entry for a key (a hex digest).
    pub fn entry_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}{SUFFIX}"))
    }

    /// Number and total size of the entries (zero when the directory does not exist).
    pub fn usage(&self) -> DiskUsage {
        let entries = self.entries();
        DiskUsage {
            entries: entries.len(),
            bytes: entries.iter().map(|e| e.1).sum(),
        }
    }

    /// The verified payload of an entry, touching it; `None` for a missing entry, and for
    /// a corrupt one, which is removed.
    pub(crate) fn load(&self, key: &str) -> Option<Vec<u8>> {
        let path = self.entry_path(key);
        let bytes = fs::read(&path).ok()?;
        match verified_payload(&bytes, key) {
            Some(payload) => {
                touch(&path);
                Some(payload.to_vec())
            }
            None => {
                log(&format!(
                    "corrupt entry, or another key's, {} removed",
                    path.display()
                ));
                let _ = fs::remove_file(&path);
                None
            }
        }
    }

    /// Removes an entry (one the plugin refused to load).
    pub(crate) fn remove(&self, key: &str) {
        let _ = fs::remove_file(self.entry_path(key));
    }

    /// Writes an entry atomically (temporary sibling, then rename) and evicts the least
    /// recently used entries beyond the cap.
    pub(crate) fn store(&self, key: &str, payload: &[u8]) -> std::io::Result<()> {
        fs::create_dir_all(&self.dir)?;
        let tmp = self.dir.join(temp_name());
        let written =
            write_entry(&tmp, key, payload).and_then(|_| fs::rename(&tmp, self.entry_path(key)));
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        written?;
        self.evict();
        Ok(())
    }

    /// Removes the oldest entries until the directory fits the cap, and stale temporaries.
    fn evict(&self) {
        self.remove_stale_temporaries();
        let mut entries = self.entries();
        let mut total: u64 = entries.iter().map(|e| e.1).sum();
        entries.sort_by_key(|e| e.2);
        for (path, size, _) in entries {
            if total <= self.max_bytes {
                break;
            }
            if fs::remove_file(&path).is_ok() {
                log(&format!("evicted {}", path.display()));
            }
            total = total.saturating_sub(size);
        }
    }

    /// Every entry: path, size, modification time.
    fn entries(&self) -> Vec<(PathBuf, u64, SystemTime)> {
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        dir.flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(SUFFIX))
            .filter_map(|e| {
                let meta = e.metadata().ok()?;
                let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                Some((e.path(), meta.len(), mtime))
            })
            .collect()
    }

    /// Removes temporary files left by killed writers.
    fn remove_stale_temporaries(&self) {
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return;
        };
        let now = SystemTime::now();
        for e in dir.flatten() {
            let is_tmp = e.file_name().to_string_lossy().starts_with(TMP_PREFIX);
            let age = e
                .metadata()
                .and_then(|m| m.modified())
                .map(|t| now.duration_since(t).unwrap_or_default());
            if is_tmp && age.is_ok_and(|a| a > STALE_TMP) {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}

/// Whether `FLASH_CACHE` leaves the cache on (a switch, on unless set off; a bad value,
/// refused by [`check_env`] up front, leaves it on).
pub fn enabled_by_env() -> bool {
    crate::env::switch(CACHE_ENV, true).unwrap_or(true)
}

/// Reads the cache's variables, refusing a value they do not take.
pub(crate) fn check_env() -> crate::Result<()> {
    crate::env::switch(CACHE_ENV, true)?;
    crate::env::switch(CACHE_LOG_ENV, false)?;
    crate::env::whole_number(CACHE_MAX_ENV, MAX_MB)?;
    Ok(())
}

/// Prints a cache event when `FLASH_CACHE_LOG` is on.
pub(crate) fn log(message: &str) {
    if crate::env::switch(CACHE_LOG_ENV, false).unwrap_or(false) {
        crate::note_stderr!("flash: executable cache: {message}");
    }
}

/// The payload of an entry whose magic, recorded key (`key`) and checksum are right.
fn verified_payload<'b>(bytes: &'b [u8], key: &str) -> Option<&'b [u8]> {
    let rest = bytes.strip_prefix(MAGIC.as_slice())?;
    let (len, rest) = rest.split_first_chunk::<4>()?;
    let rest = rest.strip_prefix(key.as_bytes())?;
    if u32::from_le_bytes(*len) as usize != key.len() || rest.len() < 32 {
        return None;
    }
    let (sum, payload) = rest.split_at(32);
    (Sha256::digest(payload).as_slice() == sum).then_some(payload)
}

/// Writes magic, key, checksum and payload to a new file and syncs it.
fn write_entry(path: &Path, key: &str, payload: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(key.len()).map_err(std::io::Error::other)?;
    let mut f = fs::File::create_new(path)?;
    f.write_all(MAGIC)?;
    f.write_all(&len.to_le_bytes())?;
    f.write_all(key.as_bytes())?;
    f.write_all(&Sha256::digest(payload))?;
    f.write_all(payload)?;
    f.sync_all()
}

/// A temporary file name unique across processes and threads.
fn temp_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("{TMP_PREFIX}{}-{nanos}-{n}", std::process::id())
}

/// Sets a file's modification time to now (best effort): the LRU clock.
fn touch(path: &Path) {
    if let Ok(f) = fs::File::options().append(true).open(path) {
        let _ = f.set_modified(SystemTime::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_cache(max: u64) -> DiskCache {
        let dir = std::env::temp_dir().join(format!("flash-disk-cache-{}", temp_name()));
        DiskCache::new(dir, max)
    }

    #[test]
    fn store_then_load_round_trips() {
        let c = temp_cache(1 << 20);
        c.store("k1", b"payload").unwrap();
        assert_eq!(c.load("k1").as_deref(), Some(&b"payload"[..]));
        assert_eq!(c.load("k2"), None);
        assert_eq!(c.usage().entries, 1);
        let _ = fs::remove_dir_all(c.dir());
    }

    #[test]
    fn truncated_and_garbage_entries_miss_and_are_removed() {
        let c = temp_cache(1 << 20);
        c.store("k", b"0123456789").unwrap();
        let path = c.entry_path("k");
        let whole = fs::read(&path).unwrap();
        fs::write(&path, &whole[..whole.len() - 3]).unwrap();
        assert_eq!(c.load("k"), None);
        assert!(!path.exists());
        fs::write(&path, b"garbage").unwrap();
        assert_eq!(c.load("k"), None);
        let _ = fs::remove_dir_all(c.dir());
    }

    #[test]
    fn an_entry_under_another_keys_name_misses_and_is_removed() {
        let c = temp_cache(1 << 20);
        c.store("k1", b"program one").unwrap();
        c.store("k2", b"program two").unwrap();
        fs::copy(c.entry_path("k1"), c.entry_path("k2")).unwrap();
        assert_eq!(c.load("k2"), None, "k1's executable is no answer for k2");
        assert!(!c.entry_path("k2").exists());
        assert_eq!(c.load("k1").as_deref(), Some(&b"program one"[..]));
        let mut old = b"FLASHX01".to_vec();
        old.extend_from_slice(&Sha256::digest(b"p"));
        old.push(b'p');
        fs::write(c.entry_path("k3"), old).unwrap();
        assert_eq!(c.load("k3"), None, "a version 1 entry records no key");
        let _ = fs::remove_dir_all(c.dir());
    }

    #[test]
    fn eviction_removes_least_recently_used() {
        let c = temp_cache(2 * (40 + 5 + 100));
        for k in ["a", "b"] {
            c.store(k, &[0u8; 100]).unwrap();
        }
        let old = SystemTime::now() - Duration::from_secs(100);
        let a = fs::File::options().append(true).open(c.entry_path("a"));
        a.unwrap().set_modified(old).unwrap();
        let b = fs::File::options().append(true).open(c.entry_path("b"));
        b.unwrap()
            .set_modified(old - Duration::from_secs(10))
            .unwrap();
        assert!(c.load("b").is_some()); // a hit makes b the most recent
        c.store("c", &[0u8; 100]).unwrap();
        assert!(!c.entry_path("a").exists(), "a was least recently used");
        assert!(c.entry_path("b").exists() && c.entry_path("c").exists());
        let _ = fs::remove_dir_all(c.dir());
    }
}
