//! One writer at a time: an exclusive advisory lock (`flock`) on a lock file that names its
//! holder's pid. The OS drops the lock when the process ends, so a killed holder never blocks
//! the next one. The lock file is never followed through a symbolic link (`O_NOFOLLOW`: a link
//! planted at its path cannot make the pid land in another file), and a holder removes the
//! file while it still holds the lock, so a lock taken on a file that is no longer at its path
//! is stale and is taken again on the new file. Run folders (`train::folder`) and dataset
//! folders (`data::folder`) are locked this way.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Why a lock was not taken.
#[derive(Debug)]
pub enum LockError {
    /// Another process (or another handle of this one) holds it: its pid, if the file says.
    Held(Option<u32>),
    /// The lock file cannot be opened, locked or written.
    Io(io::Error),
}

impl LockError {
    /// Who holds the lock, in words (`process 123`, or `another process`).
    pub fn holder(pid: Option<u32>) -> String {
        match pid {
            Some(pid) => format!("process {pid}"),
            None => "another process".into(),
        }
    }
}

/// Opens (creating it) and locks the lock file `path`, then writes this process's pid into it.
pub fn lock_exclusive(path: &Path) -> Result<File, LockError> {
    let mut file = loop {
        let mut file = open_no_follow(path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(LockError::Held(read_pid(&mut file))),
            Err(TryLockError::Error(e)) => return Err(LockError::Io(e)),
        }
        if is_same_file(&file, path).map_err(LockError::Io)? {
            break file;
        }
    };
    let pid = std::process::id().to_string();
    file.set_len(0)
        .and_then(|_| file.rewind())
        .and_then(|_| file.write_all(pid.as_bytes()))
        .map_err(LockError::Io)?;
    Ok(file)
}

/// Opens `path` for reading and writing, creating it, without following a symbolic link.
fn open_no_follow(path: &Path) -> Result<File, LockError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => LockError::Io(io::Error::other(
                "the lock file is a symbolic link, which is never followed; remove it",
            )),
            _ => LockError::Io(e),
        })
}

/// The pid a holder wrote into its lock file, if it reads as one.
fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

/// Whether `file` is the file now at `path` (a missing path is not).
pub fn is_same_file(file: &File, path: &Path) -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let held = file.metadata()?;
    match std::fs::symlink_metadata(path) {
        Ok(now) => Ok(now.dev() == held.dev() && now.ino() == held.ino()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_file_that_is_a_symbolic_link_is_not_followed() {
        let dir = std::env::temp_dir().join(format!("flash-lock-link-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let victim = dir.join("victim.txt");
        std::fs::write(&victim, "keep me").unwrap();
        let lock = dir.join("x.lock");
        std::os::unix::fs::symlink(&victim, &lock).unwrap();
        let err = match lock_exclusive(&lock) {
            Err(LockError::Io(e)) => e.to_string(),
            other => panic!("{other:?}"),
        };
        assert!(err.contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    }
}
