//! Output paths checked before any work starts (`-o`, `--out`, `--output`, `--json`,
//! `--plot`): a command that compiles for minutes or benchmarks for an hour must not learn
//! only at the end that it cannot write its result, nor destroy its own input by writing it.
//! One helper per kind of path, used by every command.

use crate::atomic_write::{resolve_links, same_file, temp_sibling};
use std::fs;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// An output path that cannot be written, naming the flag and what would be valid.
#[derive(Debug, Error)]
#[error("{flag} {}: {problem}", path.display())]
pub struct OutputPathError {
    /// The flag, as the command line spells it (`--json`).
    pub flag: &'static str,
    /// The path given.
    pub path: PathBuf,
    /// What is wrong and what would do.
    pub problem: String,
}

/// Checks that the file `path` given by `flag` can be written: not a folder, in an existing
/// folder where a new file can be created (devices, FIFOs and links to them are written in
/// place and need no folder access).
pub fn check_output_file(flag: &'static str, path: &Path) -> Result<(), OutputPathError> {
    let fail = |problem: String| OutputPathError {
        flag,
        path: path.into(),
        problem,
    };
    let target = resolve_links(path).map_err(|e| fail(e.to_string()))?;
    match fs::metadata(&target) {
        Ok(m) if m.is_dir() => {
            return Err(fail("is a folder; give the path of a file to write".into()))
        }
        Ok(m) if !m.is_file() => return Ok(()),
        _ => {}
    }
    let folder = parent_folder(&target);
    check_writable_folder(&folder, &temp_sibling(&target, ".probe")).map_err(fail)
}

/// Checks that the folder `dir` given by `flag` exists and is writable, or can be created
/// (its nearest existing ancestor is a writable folder).
pub fn check_output_dir(flag: &'static str, dir: &Path) -> Result<(), OutputPathError> {
    let fail = |problem: String| OutputPathError {
        flag,
        path: dir.into(),
        problem,
    };
    let mut existing = dir.to_path_buf();
    while fs::symlink_metadata(&existing).is_err() {
        existing = parent_folder(&existing);
    }
    if !existing.is_dir() {
        let what = if existing == dir {
            "it"
        } else {
            "its ancestor"
        };
        return Err(fail(format!(
            "{what} {} is not a folder; give a folder path",
            existing.display()
        )));
    }
    let probe = existing.join(format!(".flash-probe{}", std::process::id()));
    check_writable_folder(&existing, &probe).map_err(fail)
}

/// Checks that writing the output `path` given by `flag` destroys none of the command's
/// `inputs` (`(flag, path)`, each as the command line spells it): a file output must not be an
/// input file (compared by device and inode, so through links, hard links and `/dev/stdin`
/// too); a folder output (replaced as a whole) must not hold an input.
pub fn check_not_an_input(
    flag: &'static str,
    path: &Path,
    inputs: &[(&str, &Path)],
) -> Result<(), OutputPathError> {
    for &(input_flag, input) in inputs {
        if let Some(how) = clash(path, input) {
            let problem = format!(
                "{how} the input {input_flag} {}; writing it would destroy that input: write \
                 the output elsewhere",
                input.display()
            );
            return Err(OutputPathError {
                flag,
                path: path.into(),
                problem,
            });
        }
    }
    Ok(())
}

/// How writing `output` would destroy `input`, if it would.
fn clash(output: &Path, input: &Path) -> Option<&'static str> {
    if output.is_dir() {
        let (Ok(dir), Ok(file)) = (fs::canonicalize(output), fs::canonicalize(input)) else {
            return None;
        };
        return file.starts_with(dir).then_some("holds");
    }
    let regular = fs::metadata(output).is_ok_and(|m| m.is_file());
    (regular && same_file(output, input)).then_some("is")
}

/// The folder holding `path` (`.` for a bare name).
fn parent_folder(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Checks that `folder` is an existing folder where `probe` (a path inside it) can be
/// created, by creating and removing it.
fn check_writable_folder(folder: &Path, probe: &Path) -> Result<(), String> {
    match fs::metadata(folder) {
        Err(_) => {
            return Err(format!(
                "the folder {} does not exist; create it first or write elsewhere",
                folder.display()
            ))
        }
        Ok(m) if !m.is_dir() => {
            return Err(format!("{} is not a folder", folder.display()));
        }
        Ok(_) => {}
    }
    match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(probe)
    {
        Ok(_) => {
            let _ = fs::remove_file(probe);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(format!(
            "cannot create files in the folder {}: {e}",
            folder.display()
        )),
    }
}
