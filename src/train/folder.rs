//! [`RunFolder`]: a run folder held by one training process. Opening it takes an advisory
//! lock (`DIR/.flash-train.lock`, naming the holder's pid; the OS drops it when the process
//! ends, so a killed run never blocks the next, and a run that ends normally removes the file
//! while it still holds the lock), removes what interrupted runs left behind
//! (temporary files of atomic writes, an unfinished `--overwrite`'s staging folder) and
//! finishes a replacement that was committed but not completed.
//!
//! `--overwrite` writes the new run's files into `DIR/.overwrite-pending/` and replaces the old
//! run's files only once the new run's first checkpoint exists ([`RunFolder::commit`]): the
//! staging folder is renamed to `DIR/.overwrite-commit/` (the commit point, one atomic rename),
//! then its files are moved over the old ones and the old files the new run lacks are removed.
//! A crash before the commit point leaves the old run intact; a crash after it is finished by
//! the next run (or `--resume`) of the folder.

use super::checkpoint::CHECKPOINT_FILE;
use super::error::TrainError;
use super::metrics::METRICS_FILE;
use crate::data::tokenizer::TOKENIZER_FILE;
use crate::file_lock::{lock_exclusive, LockError};
use std::fs::File;
use std::path::{Path, PathBuf};

/// The lock file's name inside a run folder.
pub const LOCK_FILE: &str = ".flash-train.lock";

/// The loss plot's name inside a run folder.
pub const PLOT_FILE: &str = "loss.png";

/// The folder an `--overwrite` run writes into until its first checkpoint.
pub const STAGING_DIR: &str = ".overwrite-pending";

/// The staging folder once committed, while its files replace the old run's.
pub const COMMIT_DIR: &str = ".overwrite-commit";

/// The list of the files a committed staging folder holds (the others are removed).
const MANIFEST_FILE: &str = "files";

/// The files that make up a run.
pub const RUN_FILES: [&str; 4] = [CHECKPOINT_FILE, METRICS_FILE, TOKENIZER_FILE, PLOT_FILE];

/// A run folder locked by this process (the lock is released when this is dropped).
#[derive(Debug)]
pub struct RunFolder {
    dir: PathBuf,
    _lock: File,
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> TrainError + '_ {
    move |source| TrainError::Io {
        path: path.into(),
        source,
    }
}

impl RunFolder {
    /// Creates `dir` if needed, locks it, finishes a committed `--overwrite` and removes
    /// leftovers. Refuses when another process holds the lock, naming its pid.
    pub fn lock(dir: &Path) -> Result<RunFolder, TrainError> {
        std::fs::create_dir_all(dir).map_err(io_error(dir))?;
        let path = dir.join(LOCK_FILE);
        let file = lock_file(dir, &path)?;
        let folder = RunFolder {
            dir: dir.into(),
            _lock: file,
        };
        folder.finish_commit()?;
        folder.remove_leftovers()?;
        Ok(folder)
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A fresh, empty staging folder for an `--overwrite` run's files.
    pub fn stage(&self) -> Result<PathBuf, TrainError> {
        let staging = self.dir.join(STAGING_DIR);
        remove_dir_if_present(&staging)?;
        std::fs::create_dir(&staging).map_err(io_error(&staging))?;
        Ok(staging)
    }

    /// Replaces the old run's files with the staged ones (see the module doc).
    pub fn commit(&self) -> Result<(), TrainError> {
        let staging = self.dir.join(STAGING_DIR);
        let present: Vec<&str> = RUN_FILES
            .into_iter()
            .filter(|f| staging.join(f).exists())
            .collect();
        let manifest = staging.join(MANIFEST_FILE);
        std::fs::write(&manifest, present.join("\n")).map_err(io_error(&manifest))?;
        let commit = self.dir.join(COMMIT_DIR);
        std::fs::rename(&staging, &commit).map_err(io_error(&commit))?;
        self.finish_commit()
    }

    /// Completes a committed replacement, if one is pending (idempotent).
    fn finish_commit(&self) -> Result<(), TrainError> {
        let commit = self.dir.join(COMMIT_DIR);
        let manifest = commit.join(MANIFEST_FILE);
        let listed = match std::fs::read_to_string(&manifest) {
            Ok(text) => text,
            // Not committed (or already finished and only the folder is left).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return remove_dir_if_present(&commit)
            }
            Err(source) => return Err(io_error(&manifest)(source)),
        };
        for name in RUN_FILES {
            let (new, old) = (commit.join(name), self.dir.join(name));
            if listed.lines().any(|l| l == name) {
                if new.exists() {
                    std::fs::rename(&new, &old).map_err(io_error(&old))?;
                }
            } else {
                remove_file_if_present(&old)?;
            }
        }
        remove_dir_if_present(&commit)
    }

    /// Removes temporary files of interrupted atomic writes and an uncommitted staging folder.
    fn remove_leftovers(&self) -> Result<(), TrainError> {
        remove_dir_if_present(&self.dir.join(STAGING_DIR))?;
        let entries = std::fs::read_dir(&self.dir).map_err(io_error(&self.dir))?;
        for entry in entries {
            let entry = entry.map_err(io_error(&self.dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if is_leftover(&name) && entry.path().is_file() {
                remove_file_if_present(&entry.path())?;
            }
        }
        Ok(())
    }
}

impl Drop for RunFolder {
    /// An uncommitted staging folder belongs to a run that failed: the old run stays. The
    /// lock file goes while the lock is still held (the file handle closes after this), so
    /// no other process can hold a lock on the removed file (see [`lock_file`]).
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.dir.join(STAGING_DIR));
        let _ = std::fs::remove_file(self.dir.join(LOCK_FILE));
    }
}

/// Locks the lock file `path` of `dir` (see [`crate::file_lock`]).
fn lock_file(dir: &Path, path: &Path) -> Result<File, TrainError> {
    lock_exclusive(path).map_err(|e| match e {
        LockError::Held(pid) => held_by_another(dir, pid),
        LockError::Io(source) => io_error(path)(source),
    })
}

/// Whether `name` is a temporary file of an atomic write of a run file: `.NAME.tmpPID` (or
/// `.STEM.tmpPID.EXT`, as the plot writes).
pub fn is_leftover(name: &str) -> bool {
    RUN_FILES.iter().any(|f| {
        let stem = f.rsplit_once('.').map_or(*f, |(stem, _)| stem);
        name.starts_with(&format!(".{f}.tmp")) || name.starts_with(&format!(".{stem}.tmp"))
    })
}

/// The refusal when another process holds the lock of `dir` (`pid`: read from the file).
fn held_by_another(dir: &Path, pid: Option<u32>) -> TrainError {
    TrainError::Checkpoint {
        path: dir.into(),
        message: format!(
            "the run folder is in use by {} (another `flash train`); wait for it to end, \
             stop it, or choose another --out",
            LockError::holder(pid)
        ),
    }
}

fn remove_file_if_present(path: &Path) -> Result<(), TrainError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_error(path)(e)),
        _ => Ok(()),
    }
}

fn remove_dir_if_present(path: &Path) -> Result<(), TrainError> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_error(path)(e)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("flash-folder-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_second_lock_of_a_folder_names_the_holder_and_a_dropped_lock_frees_it() {
        let dir = scratch("lock");
        let first = RunFolder::lock(&dir).unwrap();
        let err = RunFolder::lock(&dir).unwrap_err().to_string();
        let pid = std::process::id();
        assert!(err.contains(&format!("in use by process {pid}")), "{err}");
        assert!(err.contains(&dir.display().to_string()), "{err}");
        drop(first);
        assert!(
            !dir.join(LOCK_FILE).exists(),
            "the lock file goes with the lock"
        );
        RunFolder::lock(&dir).unwrap();
    }

    #[test]
    fn a_lock_on_a_file_removed_by_its_last_holder_is_taken_again_on_the_new_file() {
        let dir = scratch("stale");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(LOCK_FILE);
        // Opened before the last holder removed it: locking it must not count.
        let stale = std::fs::File::create(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert!(!crate::file_lock::is_same_file(&stale, &path).unwrap());
        let folder = RunFolder::lock(&dir).unwrap();
        assert!(crate::file_lock::is_same_file(&folder._lock, &path).unwrap());
    }

    #[test]
    fn a_lock_file_that_is_a_symbolic_link_is_refused_and_its_target_kept() {
        let dir = scratch("link");
        std::fs::create_dir_all(&dir).unwrap();
        let victim = dir.join("notes.txt");
        std::fs::write(&victim, "keep me").unwrap();
        std::os::unix::fs::symlink(&victim, dir.join(LOCK_FILE)).unwrap();
        let err = RunFolder::lock(&dir).unwrap_err().to_string();
        assert!(
            err.contains(LOCK_FILE) && err.contains("symbolic link"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    }

    #[test]
    fn leftover_names_are_the_temporaries_of_run_files_only() {
        assert!(is_leftover(".checkpoint.safetensors.tmp1234"));
        assert!(is_leftover(".metrics.jsonl.tmp7"));
        assert!(is_leftover(".loss.tmp99.png"));
        assert!(!is_leftover("checkpoint.safetensors"));
        assert!(!is_leftover(".notes.tmp1"));
        assert!(!is_leftover(LOCK_FILE));
    }

    #[test]
    fn a_commit_interrupted_after_its_rename_is_finished_by_the_next_lock() {
        let dir = scratch("commit");
        let folder = RunFolder::lock(&dir).unwrap();
        std::fs::write(dir.join(CHECKPOINT_FILE), "old ckpt").unwrap();
        std::fs::write(dir.join(PLOT_FILE), "old plot").unwrap();
        let staging = folder.stage().unwrap();
        std::fs::write(staging.join(CHECKPOINT_FILE), "new ckpt").unwrap();
        std::fs::write(staging.join(METRICS_FILE), "new metrics").unwrap();
        // The commit point, as `commit` takes it, then a crash before the files move.
        std::fs::write(
            staging.join(MANIFEST_FILE),
            "checkpoint.safetensors\nmetrics.jsonl",
        )
        .unwrap();
        std::fs::rename(&staging, dir.join(COMMIT_DIR)).unwrap();
        drop(folder);
        let _again = RunFolder::lock(&dir).unwrap();
        let read = |f: &str| std::fs::read_to_string(dir.join(f)).ok();
        assert_eq!(read(CHECKPOINT_FILE).as_deref(), Some("new ckpt"));
        assert_eq!(read(METRICS_FILE).as_deref(), Some("new metrics"));
        assert_eq!(read(PLOT_FILE), None, "the old run's plot is removed");
        assert!(!dir.join(COMMIT_DIR).exists());
    }

    #[test]
    fn an_uncommitted_staging_folder_is_dropped_and_the_old_files_stay() {
        let dir = scratch("stage");
        let folder = RunFolder::lock(&dir).unwrap();
        std::fs::write(dir.join(CHECKPOINT_FILE), "old").unwrap();
        let staging = folder.stage().unwrap();
        std::fs::write(staging.join(CHECKPOINT_FILE), "new").unwrap();
        drop(folder);
        assert!(!staging.exists());
        assert_eq!(
            std::fs::read_to_string(dir.join(CHECKPOINT_FILE)).unwrap(),
            "old"
        );
    }
}
