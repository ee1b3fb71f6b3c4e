//! A dataset folder is replaced as a whole or not at all: `flash data prepare` writes the new
//! dataset into a staging folder beside it (`.NAME.prepare-PID`), then swaps the two with one
//! atomic rename (`renameat2(RENAME_EXCHANGE)`) and removes the old one. A prepare that fails
//! or is killed leaves the old dataset as it was, and a `flash train` that has the old files
//! memory-mapped keeps reading them (they are unlinked, never truncated or rewritten). One
//! writer at a time: the staging is done under the lock `.NAME.prepare.lock` beside the folder
//! ([`crate::file_lock`]); the next prepare removes the staging folders of killed ones. A
//! folder holding anything but a dataset's files (a run folder, a source text) is never
//! replaced.

use super::error::DataError;
use super::meta::{META_FILE, TRAIN_FILE, VAL_FILE};
use super::tokenizer::TOKENIZER_FILE;
use crate::atomic_write::resolve_links;
use crate::file_lock::{lock_exclusive, LockError};
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

/// The files of a dataset folder (anything else in it stops a replacement).
pub const DATASET_FILES: [&str; 4] = [META_FILE, TRAIN_FILE, VAL_FILE, TOKENIZER_FILE];

/// A new dataset being written beside the folder it will replace (see the module doc).
#[derive(Debug)]
pub struct StagedDataset {
    out: PathBuf,
    staging: PathBuf,
    lock_path: PathBuf,
    _lock: File,
    committed: bool,
}

impl StagedDataset {
    /// Locks `out` for writing, checks it can be replaced, removes the staging folders of
    /// killed prepares and makes a fresh staging folder.
    pub fn begin(out: &Path) -> Result<StagedDataset, DataError> {
        let err = |p: &Path, e: io::Error| DataError::new(p, e.to_string());
        let out = real_path(out).map_err(|e| err(out, e))?;
        let (parent, name) = parent_and_name(&out);
        fs::create_dir_all(&parent).map_err(|e| err(&parent, e))?;
        let lock_path = parent.join(format!(".{name}.prepare.lock"));
        let lock = lock_exclusive(&lock_path).map_err(|e| match e {
            LockError::Held(pid) => DataError::new(&out, in_use(pid)),
            LockError::Io(e) => err(&lock_path, e),
        })?;
        let staged = StagedDataset {
            staging: parent.join(format!(".{name}.prepare-{}", std::process::id())),
            out,
            lock_path,
            _lock: lock,
            committed: false,
        };
        check_replaceable(&staged.out)?;
        remove_staging_leftovers(&parent, &name)?;
        fs::create_dir(&staged.staging).map_err(|e| err(&staged.staging, e))?;
        Ok(staged)
    }

    /// The staging folder the new dataset is written into.
    pub fn dir(&self) -> &Path {
        &self.staging
    }

    /// The folder the dataset replaces (links resolved).
    pub fn out(&self) -> &Path {
        &self.out
    }

    /// Puts the new dataset in place of the old one (or of nothing), then removes the old one.
    pub fn commit(mut self) -> Result<(), DataError> {
        let err = |e: io::Error| DataError::new(&self.out, e.to_string());
        if fs::symlink_metadata(&self.out).is_ok() {
            swap(&self.staging, &self.out).map_err(err)?;
            // The old dataset now lies at the staging path; a mapper keeps its inodes alive.
            fs::remove_dir_all(&self.staging).map_err(err)?;
        } else {
            fs::rename(&self.staging, &self.out).map_err(err)?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for StagedDataset {
    /// An uncommitted staging folder is dropped; the lock file goes while still held.
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
        let _ = fs::remove_file(&self.lock_path);
    }
}

/// `out` with links followed (a link to a dataset folder stays a link), and named (`.` and
/// `..` become the folder's real path).
fn real_path(out: &Path) -> io::Result<PathBuf> {
    let target = resolve_links(out)?;
    match target.file_name() {
        Some(_) => Ok(target),
        None => fs::canonicalize(target),
    }
}

/// The folder holding `path` (`.` for a bare name) and its name.
fn parent_and_name(path: &Path) -> (PathBuf, String) {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (parent, name)
}

/// The refusal while another prepare writes the folder.
fn in_use(pid: Option<u32>) -> String {
    format!(
        "the dataset folder is being written by {} (another `flash data prepare`); wait for \
         it to end or choose another --out",
        LockError::holder(pid)
    )
}

/// Refuses an `out` that is not a folder, or holds files that are not a dataset's.
fn check_replaceable(out: &Path) -> Result<(), DataError> {
    let entries = match fs::read_dir(out) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(DataError::new(out, format!("cannot read the folder: {e}"))),
    };
    let mut foreign: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !is_dataset_file(name))
        .collect();
    if foreign.is_empty() {
        return Ok(());
    }
    foreign.sort();
    let more = foreign.len().saturating_sub(3);
    foreign.truncate(3);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    let msg = format!(
        "holds files that are not a dataset's ({}{more}); `data prepare` replaces the whole \
         folder, so give a new or empty folder, or a dataset folder",
        foreign.join(", ")
    );
    Err(DataError::new(out, msg))
}

/// Whether `name` is a dataset file or the temporary of an atomic write of one.
fn is_dataset_file(name: &str) -> bool {
    DATASET_FILES
        .iter()
        .any(|f| name == *f || name.starts_with(&format!(".{f}.tmp")))
}

/// Removes the staging folders `.NAME.prepare-PID` that killed prepares left in `parent`.
fn remove_staging_leftovers(parent: &Path, name: &str) -> Result<(), DataError> {
    let prefix = format!(".{name}.prepare-");
    let entries = fs::read_dir(parent).map_err(|e| DataError::new(parent, e.to_string()))?;
    for entry in entries.filter_map(|e| e.ok()) {
        let leftover = entry.file_name().to_string_lossy().starts_with(&prefix);
        if leftover && entry.path().is_dir() {
            let path = entry.path();
            fs::remove_dir_all(&path).map_err(|e| DataError::new(&path, e.to_string()))?;
        }
    }
    Ok(())
}

/// Swaps the folders `a` and `b` in one atomic rename; where the file system cannot, moves
/// `b` aside, `a` to `b` and the old `b` to `a` (not atomic, but never half a dataset).
fn swap(a: &Path, b: &Path) -> io::Result<()> {
    match exchange(a, b) {
        Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS)) => {
            let mut aside = a.as_os_str().to_owned();
            aside.push("-old");
            fs::rename(b, &aside)?;
            fs::rename(a, b)?;
            fs::rename(&aside, a)
        }
        other => other,
    }
}

/// `renameat2(a, b, RENAME_EXCHANGE)`.
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| std::ffi::CString::new(p.as_os_str().as_bytes()).map_err(io::Error::other);
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both paths are NUL-terminated strings that outlive the call.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
