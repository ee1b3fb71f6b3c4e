//! The one way flash writes an output file: the content goes to a temporary sibling first,
//! so a failed or interrupted write never leaves a half-written file, and then
//!
//! - a new path or an existing regular file is replaced by renaming the sibling over it
//!   (keeping the old file's permissions);
//! - a symbolic link is followed (to its final target, which is then treated as below), so
//!   the link stays a link;
//! - any other existing file (a FIFO, a character or block device such as `/dev/null`, a
//!   socket) is written in place: renaming over it would replace a device node or a pipe
//!   with a regular file.
//!
//! Temporary siblings are named `.{name}.tmp{pid}{suffix}` (the run-folder cleanup removes
//! leftovers by that pattern).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// How many symbolic links are followed before giving up (Linux's own limit).
const MAX_LINKS: usize = 40;

/// A failure of [`write_through_temp`]: filling the temporary file, or moving it into place.
#[derive(Debug)]
pub enum WriteError<E> {
    /// The caller's writer failed.
    Fill(E),
    /// Creating, renaming or copying the file failed.
    Io(io::Error),
}

/// Writes `bytes` to `path` (see the module doc: temp sibling and rename, or in place for
/// devices and FIFOs, through symbolic links).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let target = resolve_links(path)?;
    if is_special(&target)? {
        return write_in_place(&target, bytes);
    }
    write_through_temp(&target, "", |tmp| fs::write(tmp, bytes)).map_err(|e| match e {
        WriteError::Fill(e) | WriteError::Io(e) => e,
    })
}

/// Lets `fill` write the file at a temporary sibling path of `path` (ending in
/// `temp_suffix`, e.g. `.png` for writers that pick the format by extension), then moves the
/// content into place as [`write_atomically`] does. The temporary file is removed on failure.
pub fn write_through_temp<E>(
    path: &Path,
    temp_suffix: &str,
    fill: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), WriteError<E>> {
    let target = resolve_links(path).map_err(WriteError::Io)?;
    let tmp = temp_sibling(&target, temp_suffix);
    let result = fill(&tmp)
        .map_err(WriteError::Fill)
        .and_then(|()| move_into_place(&tmp, &target).map_err(WriteError::Io));
    if result.is_err() || tmp.exists() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// The identity `(device, inode)` of the file at `path`, following links (`None`: nothing
/// there). `/dev/stdin` gives the file or pipe standard input is.
pub fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Whether `a` and `b` are one existing file or folder (through links, hard links too).
pub fn same_file(a: &Path, b: &Path) -> bool {
    file_id(a).is_some_and(|id| file_id(b) == Some(id))
}

/// The temporary sibling of `path`: `.{name}.tmp{pid}{suffix}` in the same folder.
pub fn temp_sibling(path: &Path, suffix: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(suffix).filter(|_| !suffix.is_empty());
    let base = stem.unwrap_or(&name);
    path.with_file_name(format!(".{base}.tmp{}{suffix}", std::process::id()))
}

/// Moves a temporary file `tmp` (made with [`temp_sibling`] of `path`) that its writer has
/// finished to `path`, as [`write_atomically`] does (through links; in place for devices).
pub fn finish_temp(tmp: &Path, path: &Path) -> io::Result<()> {
    move_into_place(tmp, &resolve_links(path)?)
}

/// Moves the finished temporary file `tmp` to `target` (a path that is not a link).
fn move_into_place(tmp: &Path, target: &Path) -> io::Result<()> {
    if is_special(target)? {
        let bytes = fs::read(tmp)?;
        write_in_place(target, &bytes)?;
        return fs::remove_file(tmp);
    }
    if let Ok(old) = fs::metadata(target) {
        fs::set_permissions(tmp, old.permissions())?;
    }
    fs::File::open(tmp)?.sync_all()?;
    fs::rename(tmp, target)
}

/// True if `path` exists and is neither a regular file nor a symbolic link (a FIFO, a
/// device, a socket or a folder: written in place, which fails cleanly for a folder).
fn is_special(path: &Path) -> io::Result<bool> {
    match fs::symlink_metadata(path) {
        Ok(m) => Ok(!m.file_type().is_file() && !m.file_type().is_symlink()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Writes `bytes` into the existing file `path` without replacing it.
fn write_in_place(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.flush()
}

/// `path` with every symbolic link in its last component followed (a dangling link gives
/// the path it points at, which is then created).
pub fn resolve_links(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = fs::read_link(&current)?;
                let parent = current.parent().unwrap_or(Path::new(""));
                current = parent.join(link);
            }
            _ => return Ok(current),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{}: more than {MAX_LINKS} symbolic links to follow (a loop?)",
            path.display()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("flash-atomic-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_new_file_and_a_regular_file_are_replaced_and_no_temp_is_left() {
        let dir = scratch("regular");
        let path = dir.join("out.txt");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
    }

    #[test]
    fn a_symlink_stays_a_link_and_its_target_gets_the_bytes() {
        let dir = scratch("link");
        let target = dir.join("real.txt");
        fs::write(&target, b"old").unwrap();
        let link = dir.join("link.txt");
        std::os::unix::fs::symlink("real.txt", &link).unwrap();
        write_atomically(&link, b"new").unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(&target).unwrap(), b"new");
    }

    #[test]
    fn a_dangling_symlink_creates_its_target() {
        let dir = scratch("dangling");
        let link = dir.join("link.txt");
        std::os::unix::fs::symlink("made.txt", &link).unwrap();
        write_atomically(&link, b"x").unwrap();
        assert_eq!(fs::read(dir.join("made.txt")).unwrap(), b"x");
    }

    #[test]
    fn a_link_loop_is_an_error_not_a_hang() {
        let dir = scratch("loop");
        std::os::unix::fs::symlink("b", dir.join("a")).unwrap();
        std::os::unix::fs::symlink("a", dir.join("b")).unwrap();
        let e = write_atomically(&dir.join("a"), b"x").unwrap_err();
        assert!(e.to_string().contains("symbolic links"), "{e}");
    }

    #[test]
    fn dev_null_stays_a_character_device() {
        use std::os::unix::fs::FileTypeExt;
        write_atomically(Path::new("/dev/null"), b"discarded").unwrap();
        let m = fs::symlink_metadata("/dev/null").unwrap();
        assert!(m.file_type().is_char_device());
    }

    #[test]
    fn a_folder_is_refused() {
        let dir = scratch("folder");
        assert!(write_atomically(&dir, b"x").is_err());
        assert!(dir.is_dir());
    }

    #[test]
    fn a_failed_fill_leaves_no_temp_and_keeps_the_old_file() {
        let dir = scratch("fill");
        let path = dir.join("plot.png");
        fs::write(&path, b"old").unwrap();
        let r = write_through_temp(&path, ".png", |tmp| {
            fs::write(tmp, b"partial").unwrap();
            Err("drawing failed")
        });
        assert!(matches!(r, Err(WriteError::Fill("drawing failed"))));
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
    }

    #[test]
    fn the_temp_sibling_keeps_the_suffix() {
        let t = temp_sibling(Path::new("/r/loss.png"), ".png");
        let name = t.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with(".loss.tmp") && name.ends_with(".png"),
            "{name}"
        );
    }
}
