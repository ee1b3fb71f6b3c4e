//! `flash generate --out-dir DIR`: each sample streamed to a file of its own,
//! `DIR/sample-I.txt`, as its tokens are drawn (the prompt first, then each token's bytes,
//! flushed), so a batch is usable sample by sample and `tail -f` follows one. The bytes go to
//! a temporary sibling (`.sample-I.txt.tmpPID`, as every output of flash's does,
//! [`crate::atomic_write`]) and each file is moved into place when the samples are complete;
//! a run that fails or is stopped leaves no half-written sample behind.

use crate::atomic_write::{finish_temp, temp_sibling};
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// One sample's file on its way.
struct SampleFile {
    temp: PathBuf,
    path: PathBuf,
    file: File,
}

/// The samples' files while they are drawn.
pub struct SampleFiles {
    files: Vec<SampleFile>,
}

/// The name of sample `i` (from 0) in `dir`.
pub fn sample_path(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("sample-{}.txt", i + 1))
}

impl SampleFiles {
    /// Creates `dir` if needed and a file for each of `batch` samples, each starting with
    /// `prompt`.
    pub fn create(dir: &Path, batch: usize, prompt: &[u8]) -> io::Result<SampleFiles> {
        std::fs::create_dir_all(dir)?;
        let mut files = SampleFiles { files: Vec::new() };
        for i in 0..batch {
            let path = sample_path(dir, i);
            let temp = temp_sibling(&path, "");
            let file = File::create(&temp)?;
            // Listed before the first write, so a failed one is cleaned up too.
            files.files.push(SampleFile { temp, path, file });
            files.push(i, prompt)?;
        }
        Ok(files)
    }

    /// Appends the bytes of one token drawn for sample `row`.
    pub fn push(&mut self, row: usize, bytes: &[u8]) -> io::Result<()> {
        match self.files.get_mut(row) {
            Some(f) => f.file.write_all(bytes).and_then(|()| f.file.flush()),
            None => Err(io::Error::other(format!("no sample {row}"))),
        }
    }

    /// Moves every finished sample into place; returns their paths.
    pub fn finish(mut self) -> io::Result<Vec<PathBuf>> {
        let files = std::mem::take(&mut self.files);
        let mut done = Vec::with_capacity(files.len());
        for (i, f) in files.iter().enumerate() {
            if let Err(e) = f
                .file
                .sync_all()
                .and_then(|()| finish_temp(&f.temp, &f.path))
            {
                remove_temps(&files[i..]);
                return Err(e);
            }
            done.push(f.path.clone());
        }
        Ok(done)
    }
}

impl Drop for SampleFiles {
    /// Samples never finished (an error, a stop) leave nothing behind.
    fn drop(&mut self) {
        remove_temps(&self.files);
    }
}

fn remove_temps(files: &[SampleFile]) {
    for f in files {
        let _ = std::fs::remove_file(&f.temp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_grow_in_temporary_files_and_move_into_place_when_finished() {
        let dir = std::env::temp_dir().join(format!("flash-samples-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut files = SampleFiles::create(&dir, 2, b"to ").unwrap();
        files.push(1, b"be").unwrap();
        files.push(0, b"go").unwrap();
        assert!(
            !sample_path(&dir, 0).exists(),
            "nothing half-written in place"
        );
        let paths = files.finish().unwrap();
        assert_eq!(std::fs::read(&paths[0]).unwrap(), b"to go");
        assert_eq!(std::fs::read(&paths[1]).unwrap(), b"to be");
        let entries = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(entries, 2, "no temporary file left");
        // Dropped before finishing: no file at all.
        let unfinished = SampleFiles::create(&dir, 1, b"x").unwrap();
        drop(unfinished);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
    }
}
