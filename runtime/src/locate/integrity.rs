//! Is an installed plugin the file its wheel shipped? pip writes every installed file's
//! sha256 (urlsafe base64, unpadded) and size to `<name>.dist-info/RECORD`; a plugin found
//! under a folder holding such a RECORD is checked against its line. [`check_before_load`]
//! is cheap (the size, and that the ELF file holds every segment its header names), so a
//! truncated plugin is reported instead of ending in SIGBUS inside `dlopen`;
//! [`verify_hash`] reads the whole file (`flash setup`).

use crate::error::{Result, RuntimeError};
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

/// How many folders above the plugin file a `*.dist-info/RECORD` is looked for (the CPU
/// plugin is at `xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so` under its install folder).
const RECORD_SEARCH_DEPTH: usize = 4;

/// One file's line in a RECORD.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordEntry {
    /// The RECORD file it came from.
    pub record: PathBuf,
    /// The sha256 digest, urlsafe base64 without padding, as pip writes it.
    pub sha256: String,
    /// The file size in bytes.
    pub size: u64,
}

/// The RECORD line of `file` from a `*.dist-info/RECORD` in one of its ancestors, if any.
pub fn record_entry(file: &Path) -> Option<RecordEntry> {
    let mut dir = file.parent();
    for _ in 0..RECORD_SEARCH_DEPTH {
        let d = dir?;
        let relative = file.strip_prefix(d).ok()?.to_str()?.to_string();
        for record in records_in(d) {
            if let Some(entry) = find_line(&record, &relative) {
                return Some(entry);
            }
        }
        dir = d.parent();
    }
    None
}

/// The `*.dist-info/RECORD` files directly under `dir`.
fn records_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "dist-info"))
        .map(|p| p.join("RECORD"))
        .filter(|p| p.is_file())
        .collect()
}

/// The entry for `relative` in `record` (lines `path,sha256=DIGEST,SIZE`).
fn find_line(record: &Path, relative: &str) -> Option<RecordEntry> {
    let text = fs::read_to_string(record).ok()?;
    text.lines().find_map(|line| {
        let mut fields = line.rsplitn(3, ',');
        let (size, hash, path) = (fields.next()?, fields.next()?, fields.next()?);
        (path == relative).then_some(())?;
        Some(RecordEntry {
            record: record.to_path_buf(),
            sha256: hash.strip_prefix("sha256=")?.to_string(),
            size: size.trim().parse().ok()?,
        })
    })
}

/// The cheap checks before `dlopen`: the size RECORD gives, and that an ELF file is as long
/// as its program and section headers say.
pub fn check_before_load(path: &Path) -> Result<()> {
    let damaged = |reason: String| RuntimeError::PluginDamaged {
        path: path.to_path_buf(),
        reason,
    };
    let len = fs::metadata(path)
        .map_err(|e| RuntimeError::io(format!("reading {}", path.display()), e))?
        .len();
    if let Some(entry) = record_entry(path) {
        if entry.size != len {
            return Err(damaged(format!(
                "it is {len} bytes but {} records {} bytes",
                entry.record.display(),
                entry.size
            )));
        }
    }
    match elf_extent(path) {
        Some(extent) if extent > len => Err(damaged(format!(
            "it is {len} bytes but its ELF headers describe {extent} bytes (truncated)"
        ))),
        _ => Ok(()),
    }
}

/// The end of the last segment or section header an ELF64 little-endian file names, or
/// `None` if the file is not one (the dynamic loader then says what it is).
fn elf_extent(path: &Path) -> Option<u64> {
    let mut file = File::open(path).ok()?;
    let mut header = [0u8; 64];
    file.read_exact(&mut header).ok()?;
    if &header[..4] != b"\x7fELF" || header[4] != 2 || header[5] != 1 {
        return None;
    }
    let u16_at = |b: &[u8], o: usize| u64::from(u16::from_le_bytes([b[o], b[o + 1]]));
    let u64_at = |b: &[u8], o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap_or([0; 8]));
    let (phoff, shoff) = (u64_at(&header, 0x20), u64_at(&header, 0x28));
    let (phentsize, phnum) = (u16_at(&header, 0x36), u16_at(&header, 0x38));
    let (shentsize, shnum) = (u16_at(&header, 0x3a), u16_at(&header, 0x3c));
    let mut extent = shoff.saturating_add(shentsize * shnum);
    let table_len = usize::try_from(phentsize * phnum).ok()?;
    let mut table = vec![0u8; table_len];
    std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(phoff)).ok()?;
    if file.read_exact(&mut table).is_err() {
        return Some(extent.max(phoff.saturating_add(table_len as u64)));
    }
    for ph in table.chunks_exact(usize::try_from(phentsize).ok()?.max(1)) {
        if ph.len() >= 40 {
            extent = extent.max(u64_at(ph, 8).saturating_add(u64_at(ph, 32)));
        }
    }
    Some(extent)
}

/// Checks the whole file against its RECORD hash. `Ok(false)` when no RECORD lists it.
pub fn verify_hash(path: &Path) -> Result<bool> {
    check_before_load(path)?;
    let Some(entry) = record_entry(path) else {
        return Ok(false);
    };
    let actual = sha256_urlsafe(path)?;
    if actual != entry.sha256 {
        return Err(RuntimeError::PluginDamaged {
            path: path.to_path_buf(),
            reason: format!(
                "its sha256 is {actual} but {} records {}",
                entry.record.display(),
                entry.sha256
            ),
        });
    }
    Ok(true)
}

/// The file's sha256 in RECORD's spelling: urlsafe base64 without padding.
fn sha256_urlsafe(path: &Path) -> Result<String> {
    let io = |e| RuntimeError::io(format!("reading {}", path.display()), e);
    let mut file = File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(base64_urlsafe(&hasher.finalize()))
}

/// Urlsafe base64 without padding (RFC 4648 section 5), as in wheel RECORDs.
fn base64_urlsafe(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_pip_spelling() {
        // sha256 of the empty string, as pip writes it for an empty file.
        let empty = Sha256::digest(b"");
        assert_eq!(
            base64_urlsafe(&empty),
            "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
        );
        assert_eq!(base64_urlsafe(b"f"), "Zg");
        assert_eq!(base64_urlsafe(b"fo"), "Zm8");
        assert_eq!(base64_urlsafe(b"foo"), "Zm9v");
        assert_eq!(base64_urlsafe(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn record_lines_are_found_above_the_file() {
        let dir = std::env::temp_dir().join(format!("flash-record-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("pkg-1.dist-info")).unwrap();
        fs::create_dir_all(dir.join("a/b")).unwrap();
        fs::write(dir.join("a/b/lib.so"), b"").unwrap();
        let record = "a/b/lib.so,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n\
                      pkg-1.dist-info/RECORD,,\n";
        fs::write(dir.join("pkg-1.dist-info/RECORD"), record).unwrap();
        let so = dir.join("a/b/lib.so");
        assert_eq!(record_entry(&so).map(|e| e.size), Some(0));
        assert!(verify_hash(&so).unwrap());
        fs::write(&so, b"x").unwrap();
        let e = check_before_load(&so).unwrap_err().to_string();
        assert!(
            e.contains("it is 1 bytes but") && e.contains("records 0 bytes"),
            "{e}"
        );
        let same_size = record.replace(",0\n", ",1\n");
        fs::write(dir.join("pkg-1.dist-info/RECORD"), same_size).unwrap();
        let e = verify_hash(&so).unwrap_err().to_string();
        assert!(
            e.contains("its sha256 is LXEWQrcm") && e.contains("is damaged"),
            "{e}"
        );
        let _ = fs::remove_dir_all(&dir);
    }
}
