//! `flash data prepare`: text files to a dataset folder (`train.bin`, `val.bin`, `meta.json`,
//! and the tokenizer), in a stream: each file is read and tokenized in pieces of about
//! [`PIECE`] bytes, cut only where the cut cannot change the ids (any byte for the byte
//! tokenizer; for a `tokenizer.json`, after a newline with non-space characters on both
//! sides, which byte-level BPE's pre-tokenizer always splits at), and the ids are appended to
//! `train.bin`; the last `val_fraction` of them is then moved to `val.bin`. The files are
//! written into a staging folder that replaces the old dataset as a whole ([`super::folder`]).

use super::dataset::val_count;
use super::error::DataError;
use super::folder::StagedDataset;
use super::meta::{Meta, Source, FORMAT, TRAIN_FILE, VAL_FILE};
use super::tokenizer::{Tokenizer, BYTES, TOKENIZER_FILE};
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The size of the pieces a file is read and tokenized in.
pub const PIECE: usize = 1 << 20;

/// What `flash data prepare` is asked for.
#[derive(Clone, Debug)]
pub struct PrepareOptions {
    /// The text files, concatenated in order.
    pub files: Vec<PathBuf>,
    /// The tokenizer.
    pub tokenizer: Tokenizer,
    /// The fraction of the ids (at the end) held out for validation.
    pub val_fraction: f64,
    /// The folder written.
    pub out: PathBuf,
}

/// Tokenizes `path` piece by piece, handing each piece's ids to `sink` and the bytes read so
/// far to `progress`.
pub fn encode_file(
    path: &Path,
    tokenizer: &Tokenizer,
    sink: &mut dyn FnMut(&[u32]) -> Result<(), DataError>,
    progress: &mut dyn FnMut(u64),
) -> Result<(), DataError> {
    let mut file = File::open(path)
        .map_err(|e| DataError::new(path, format!("cannot read the data file: {e}")))?;
    let mut buf: Vec<u8> = Vec::with_capacity(2 * PIECE);
    let mut done = 0u64;
    loop {
        let old = buf.len();
        buf.resize(old + PIECE, 0);
        let n = read_full(&mut file, &mut buf[old..])
            .map_err(|e| DataError::new(path, format!("cannot read: {e}")))?;
        buf.truncate(old + n);
        let at_end = n == 0;
        let cut = if at_end {
            buf.len()
        } else {
            safe_cut(&buf, tokenizer)
        };
        if cut > 0 {
            sink(&tokenizer.encode(&buf[..cut], path)?)?;
            buf.drain(..cut);
        }
        done += n as u64;
        progress(done);
        if at_end {
            return Ok(());
        }
    }
}

fn read_full(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

/// The last position in `buf` where a cut leaves the ids unchanged (0: none yet).
fn safe_cut(buf: &[u8], tokenizer: &Tokenizer) -> usize {
    if matches!(tokenizer, Tokenizer::Bytes) {
        return buf.len();
    }
    let space = |b: u8| b.is_ascii_whitespace() || b >= 0x80;
    (1..buf.len().saturating_sub(1))
        .rev()
        .find(|&i| buf[i] == b'\n' && !space(buf[i - 1]) && !space(buf[i + 1]))
        .map_or(0, |i| i + 1)
}

/// Writes the dataset folder `opts.out`, replacing an old one as a whole (see
/// [`super::folder`]); `progress(done, total)` in bytes of text read.
pub fn prepare(
    opts: &PrepareOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Meta, DataError> {
    let out = &opts.out;
    if !(opts.val_fraction > 0.0 && opts.val_fraction < 1.0) {
        let msg = format!(
            "--val-fraction {} is not in (0, 1): `flash train` evaluates on the validation \
             tokens, so hold out some (e.g. 0.1)",
            opts.val_fraction
        );
        return Err(DataError::new(out, msg));
    }
    let sources = sources_of(&opts.files)?;
    let staged = StagedDataset::begin(out)?;
    let meta = write_dataset(opts, sources, staged.dir(), progress)?;
    staged.commit()?;
    Ok(meta)
}

/// The source files with their sizes.
fn sources_of(files: &[PathBuf]) -> Result<Vec<Source>, DataError> {
    files
        .iter()
        .map(|f| {
            let bytes = std::fs::metadata(f)
                .map_err(|e| DataError::new(f, format!("cannot read: {e}")))?
                .len();
            Ok(Source {
                path: f.clone(),
                bytes,
            })
        })
        .collect()
}

/// Writes the dataset of `sources` into the (new, empty) folder `dir`.
fn write_dataset(
    opts: &PrepareOptions,
    sources: Vec<Source>,
    dir: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Meta, DataError> {
    let tk = &opts.tokenizer;
    let width = Meta::width_for(tk.vocab_size());
    let lens = tk.byte_lengths();
    let train_path = dir.join(TRAIN_FILE);
    let (count, covered) = write_ids(&sources, tk, width, &train_path, progress)?;
    if count == 0 {
        return Err(DataError::new(
            opts.files.first().cloned().unwrap_or_default(),
            "the data file is empty (it holds no tokens)",
        ));
    }
    let n_val = val_count(count, opts.val_fraction);
    if n_val == 0 {
        let msg = format!(
            "--val-fraction {} of {count} tokens holds out none for validation; give a larger \
             fraction or more text",
            opts.val_fraction
        );
        return Err(DataError::new(&opts.out, msg));
    }
    let val_bytes = split_tail(
        &train_path,
        &dir.join(VAL_FILE),
        count - n_val,
        width,
        &lens,
    )?;
    let name = match tk {
        Tokenizer::Bytes => BYTES.to_string(),
        Tokenizer::Json { .. } => {
            tk.save(&dir.join(TOKENIZER_FILE))?;
            TOKENIZER_FILE.to_string()
        }
    };
    let meta = Meta {
        format: FORMAT.into(),
        dtype: Meta::dtype_for(width).into(),
        vocab_size: tk.vocab_size(),
        tokenizer: name,
        tokenizer_sha256: tk.hash(),
        train_tokens: count - n_val,
        val_tokens: n_val,
        train_bytes: covered - val_bytes,
        val_bytes,
        sources,
    };
    meta.save(dir)?;
    Ok(meta)
}

/// Tokenizes every source into `train_path`; returns the id count and the text bytes covered.
fn write_ids(
    sources: &[Source],
    tk: &Tokenizer,
    width: usize,
    train_path: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(u64, u64), DataError> {
    let file = File::create(train_path).map_err(|e| DataError::new(train_path, e.to_string()))?;
    let mut w = BufWriter::new(file);
    let lens = tk.byte_lengths();
    let (mut count, mut covered) = (0u64, 0u64);
    let total: u64 = sources.iter().map(|s| s.bytes).sum();
    let mut before = 0u64;
    for s in sources {
        let mut sink = |ids: &[u32]| {
            for &id in ids {
                covered += u64::from(lens.get(id as usize).copied().unwrap_or(0));
                write_id(&mut w, id, width)
                    .map_err(|e| DataError::new(train_path, e.to_string()))?;
            }
            count += ids.len() as u64;
            Ok(())
        };
        encode_file(&s.path, tk, &mut sink, &mut |d| progress(before + d, total))?;
        before += s.bytes;
    }
    w.flush()
        .map_err(|e| DataError::new(train_path, e.to_string()))?;
    Ok((count, covered))
}

fn write_id(w: &mut impl Write, id: u32, width: usize) -> std::io::Result<()> {
    if width == 2 {
        w.write_all(&(id as u16).to_le_bytes())
    } else {
        w.write_all(&id.to_le_bytes())
    }
}

/// Moves the ids from number `keep` on of `train` into `val`, truncating `train`; returns
/// the text bytes the moved ids cover.
fn split_tail(
    train: &Path,
    val: &Path,
    keep: u64,
    width: usize,
    lens: &[u32],
) -> Result<u64, DataError> {
    let err = |p: &Path, e: std::io::Error| DataError::new(p, e.to_string());
    let mut src = OpenOptions::new()
        .read(true)
        .write(true)
        .open(train)
        .map_err(|e| err(train, e))?;
    src.seek(SeekFrom::Start(keep * width as u64))
        .map_err(|e| err(train, e))?;
    let mut dst = BufWriter::new(File::create(val).map_err(|e| err(val, e))?);
    let mut buf = vec![0u8; PIECE];
    let mut covered = 0u64;
    loop {
        let n = read_full(&mut src, &mut buf).map_err(|e| err(train, e))?;
        if n == 0 {
            break;
        }
        for id in buf[..n].chunks_exact(width) {
            let v = if width == 2 {
                u32::from(u16::from_le_bytes([id[0], id[1]]))
            } else {
                u32::from_le_bytes([id[0], id[1], id[2], id[3]])
            };
            covered += u64::from(lens.get(v as usize).copied().unwrap_or(0));
        }
        dst.write_all(&buf[..n]).map_err(|e| err(val, e))?;
    }
    dst.flush().map_err(|e| err(val, e))?;
    src.set_len(keep * width as u64)
        .map_err(|e| err(train, e))?;
    Ok(covered)
}
