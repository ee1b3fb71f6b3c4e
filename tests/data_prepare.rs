//! Prepared token datasets: the ids in train.bin/val.bin are the tokenizer's encoding of the
//! sources (u16 for a BPE, u32 for a vocabulary over 65536); windows drawn from the
//! memory-mapped folder equal those of the in-memory path for the same seed; a multi-GB
//! (sparse) dataset opens and draws windows with little memory; and every bad input is an
//! error naming its file.

use flash::data::meta::{Meta, META_FILE, TRAIN_FILE, VAL_FILE};
use flash::data::{prepare, Dataset, PrepareOptions, Tokenizer};
use flash::train::data::{train_batch, validation_batches};
use std::path::{Path, PathBuf};

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flash-data-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// About 3 MB of text, so the stream is cut into several pieces.
fn text() -> String {
    let mut s = String::new();
    for i in 0..60_000 {
        s.push_str(&format!(
            "Line {i}: to be, or not to be; 中文 😀 e\u{301}\n"
        ));
        if i % 7 == 0 {
            s.push_str("\n  indented\n\n\n");
        }
    }
    s
}

fn read_ids(path: &Path, width: usize) -> Vec<u32> {
    let b = std::fs::read(path).unwrap();
    b.chunks_exact(width)
        .map(|c| {
            if width == 2 {
                u32::from(u16::from_le_bytes([c[0], c[1]]))
            } else {
                u32::from_le_bytes([c[0], c[1], c[2], c[3]])
            }
        })
        .collect()
}

fn bpe(dir: &Path, src: &Path) -> Tokenizer {
    let out = dir.join("tok.json");
    let tk = Tokenizer::train_bpe(&[src.to_path_buf()], 512, &out).unwrap();
    tk.save(&out).unwrap();
    tk
}

fn prepared(dir: &Path, src: &Path, tk: Tokenizer) -> (PathBuf, Meta) {
    let out = dir.join("ds");
    let opts = PrepareOptions {
        files: vec![src.to_path_buf()],
        tokenizer: tk,
        val_fraction: 0.1,
        out: out.clone(),
    };
    let meta = prepare(&opts, &mut |_, _| {}).unwrap();
    (out, meta)
}

#[test]
fn bin_ids_equal_the_encoding_and_mapped_windows_equal_in_memory_ones() {
    let dir = tmp("bpe");
    let src = dir.join("a.txt");
    let text = text();
    std::fs::write(&src, &text).unwrap();
    let tk = bpe(&dir, &src);
    let whole = tk.encode(text.as_bytes(), &src).unwrap();
    let (out, meta) = prepared(&dir, &src, tk.clone());
    assert_eq!(meta.dtype, "u16");
    let mut ids = read_ids(&out.join(TRAIN_FILE), 2);
    ids.extend(read_ids(&out.join(VAL_FILE), 2));
    assert_eq!(
        ids, whole,
        "the streamed ids are the encoding of the whole file"
    );
    assert_eq!(meta.train_bytes + meta.val_bytes, text.len() as u64);
    let mapped = Dataset::open(&out, None).unwrap();
    let memory = Dataset::open(&src, Some(&dir.join("tok.json"))).unwrap();
    assert_eq!(mapped.train.len(), memory.train.len());
    for step in [0, 1, 17] {
        let a = train_batch(&mapped, 5, step, 4, 64).unwrap();
        let b = train_batch(&memory, 5, step, 4, 64).unwrap();
        assert_eq!(a.tokens.bytes, b.tokens.bytes, "step {step}");
        assert_eq!(a.target_bytes, b.target_bytes, "step {step}");
    }
    let va = validation_batches(&mapped, &mapped.val, 2, 4, 64).unwrap();
    let vb = validation_batches(&memory, &memory.val, 2, 4, 64).unwrap();
    assert_eq!(va.bytes, vb.bytes);
    assert_eq!(va.batches[1].bytes, vb.batches[1].bytes);
}

#[test]
fn byte_datasets_split_as_the_text_path_does() {
    let dir = tmp("bytes");
    let src = dir.join("b.txt");
    std::fs::write(&src, text()).unwrap();
    let (out, meta) = prepared(&dir, &src, Tokenizer::Bytes);
    assert_eq!(meta.vocab_size, 256);
    let memory = Dataset::open(&src, None).unwrap();
    let mapped = Dataset::open(&out, None).unwrap();
    let a = train_batch(&mapped, 1, 3, 8, 128).unwrap();
    let b = train_batch(&memory, 1, 3, 8, 128).unwrap();
    assert_eq!(a.tokens.bytes, b.tokens.bytes);
    assert_eq!(a.target_bytes, 8 * 128, "a byte predicts one byte");
}

/// A WordLevel tokenizer.json of `n` words `w0 .. w{n-1}` split at whitespace.
fn word_level(path: &Path, n: usize) -> Tokenizer {
    let vocab: Vec<String> = (0..n).map(|i| format!("\"w{i}\": {i}")).collect();
    let json = format!(
        "{{\"version\": \"1.0\", \"truncation\": null, \"padding\": null, \"added_tokens\": [], \
         \"normalizer\": null, \"pre_tokenizer\": {{\"type\": \"WhitespaceSplit\"}}, \
         \"post_processor\": null, \"decoder\": null, \"model\": {{\"type\": \"WordLevel\", \
         \"vocab\": {{{}}}, \"unk_token\": \"w0\"}}}}",
        vocab.join(", ")
    );
    std::fs::write(path, json).unwrap();
    Tokenizer::load(path).unwrap()
}

#[test]
fn vocabularies_over_65536_are_written_as_u32() {
    let dir = tmp("u32");
    let tk = word_level(&dir.join("words.json"), 70_000);
    let src = dir.join("w.txt");
    let words: Vec<String> = (0..5000)
        .map(|i| format!("w{}", (i * 7919) % 70_000))
        .collect();
    std::fs::write(&src, words.join(" ") + "\n").unwrap();
    let (out, meta) = prepared(&dir, &src, tk.clone());
    assert_eq!(meta.dtype, "u32");
    let mut ids = read_ids(&out.join(TRAIN_FILE), 4);
    ids.extend(read_ids(&out.join(VAL_FILE), 4));
    let want: Vec<u32> = (0..5000).map(|i| ((i * 7919) % 70_000) as u32).collect();
    assert_eq!(ids, want);
    let ds = Dataset::open(&out, None).unwrap();
    assert_eq!(ds.vocab_size(), 70_000);
    train_batch(&ds, 0, 0, 2, 16).unwrap();
}

/// RSS of this process in kB (Linux), from /proc/self/status.
fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_multi_gigabyte_dataset_is_mapped_not_read() {
    let dir = tmp("big");
    let tokens: u64 = 3 << 30; // 6 GiB of u16 ids (sparse: all zeros)
    std::fs::File::create(dir.join(TRAIN_FILE))
        .unwrap()
        .set_len(tokens * 2)
        .unwrap();
    std::fs::write(dir.join(VAL_FILE), vec![1u8; 2000]).unwrap();
    let meta = Meta {
        format: flash::data::meta::FORMAT.into(),
        dtype: "u16".into(),
        vocab_size: 256,
        tokenizer: "bytes".into(),
        tokenizer_sha256: "bytes".into(),
        train_tokens: tokens,
        val_tokens: 1000,
        train_bytes: tokens,
        val_bytes: 1000,
        sources: vec![],
    };
    meta.save(&dir).unwrap();
    let before = rss_kb();
    let ds = Dataset::open(&dir, None).unwrap();
    assert_eq!(ds.train.len() as u64, tokens);
    for step in 0..50 {
        train_batch(&ds, 0, step, 16, 256).unwrap();
    }
    // 800 windows touch at most 800 pages plus the kernel's read-ahead around each (and the
    // other tests of this process run meanwhile): far below the 6 GiB the file holds.
    let grown = rss_kb().saturating_sub(before);
    assert!(
        grown < 512 * 1024,
        "RSS grew by {grown} kB for a 6 GiB dataset"
    );
}

fn expect_err(r: Result<Dataset, flash::data::DataError>, file: &str, needle: &str) {
    let msg = r.unwrap_err().to_string();
    assert!(msg.contains(file) && msg.contains(needle), "{msg}");
}

#[test]
fn bad_datasets_are_errors_naming_the_file() {
    let dir = tmp("bad");
    let src = dir.join("c.txt");
    std::fs::write(&src, text()).unwrap();
    let (out, _) = prepared(&dir, &src, Tokenizer::Bytes);
    // Truncated: an odd number of bytes.
    let train = out.join(TRAIN_FILE);
    let len = std::fs::metadata(&train).unwrap().len();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&train)
        .unwrap();
    f.set_len(len - 1).unwrap();
    expect_err(Dataset::open(&out, None), "train.bin", "not a whole number");
    // Whole ids but fewer than meta.json says.
    f.set_len(len - 2).unwrap();
    expect_err(Dataset::open(&out, None), "train.bin", "meta.json says");
    f.set_len(len).unwrap();
    // meta.json disagreeing with the tokenizer.
    let meta_path = out.join(META_FILE);
    let good = std::fs::read_to_string(&meta_path).unwrap();
    std::fs::write(
        &meta_path,
        good.replace("\"vocab_size\": 256", "\"vocab_size\": 300"),
    )
    .unwrap();
    expect_err(
        Dataset::open(&out, None),
        "meta.json",
        "not the one meta.json records",
    );
    std::fs::write(&meta_path, "{not json").unwrap();
    expect_err(Dataset::open(&out, None), "meta.json", "corrupt meta.json");
    std::fs::write(&meta_path, &good).unwrap();
    // A --tokenizer that is not the folder's.
    let other = word_level(&dir.join("other.json"), 10);
    drop(other);
    expect_err(
        Dataset::open(&out, Some(&dir.join("other.json"))),
        "other.json",
        "is not the tokenizer",
    );
    // An empty text file.
    let empty = dir.join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    expect_err(
        Dataset::open(&empty, None),
        "empty.txt",
        "the data file is empty",
    );
    // Ids out of range: a byte dataset claiming vocab 256 holding id 300.
    let big = dir.join("ids");
    std::fs::create_dir_all(&big).unwrap();
    let ids: Vec<u8> = (0..400u16).flat_map(|i| (i % 301).to_le_bytes()).collect();
    std::fs::write(big.join(TRAIN_FILE), &ids).unwrap();
    std::fs::write(big.join(VAL_FILE), &ids).unwrap();
    std::fs::write(
        big.join(META_FILE),
        good.replace(
            &format!("\"train_tokens\": {}", len / 2),
            "\"train_tokens\": 400",
        )
        .replacen(
            &format!("\"val_tokens\": {}", Meta::load(&out).unwrap().val_tokens),
            "\"val_tokens\": 400",
            1,
        ),
    )
    .unwrap();
    let ds = Dataset::open(&big, None).unwrap();
    let e = validation_batches(&ds, &ds.val, 1, 1, 398)
        .unwrap_err()
        .to_string();
    assert!(e.contains("val.bin") && e.contains("out of range"), "{e}");
}

/// `prepare` of `files` (bytes) into `out` with `val_fraction`.
fn prepare_bytes(files: &[PathBuf], out: &Path, val_fraction: f64) -> Result<Meta, String> {
    let opts = PrepareOptions {
        files: files.to_vec(),
        tokenizer: Tokenizer::Bytes,
        val_fraction,
        out: out.to_path_buf(),
    };
    prepare(&opts, &mut |_, _| {}).map_err(|e| e.to_string())
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_mapped_old_dataset_keeps_its_ids_while_a_new_one_replaces_it() {
    let dir = tmp("mapped");
    let (a, b) = (dir.join("a.txt"), dir.join("b.txt"));
    std::fs::write(&a, text()).unwrap();
    std::fs::write(&b, "short\n".repeat(50)).unwrap();
    let out = dir.join("ds");
    prepare_bytes(std::slice::from_ref(&a), &out, 0.1).unwrap();
    let old = Dataset::open(&out, None).unwrap();
    let first: Vec<u32> = (0..old.train.len()).map(|i| old.train.get(i)).collect();
    prepare_bytes(&[b], &out, 0.1).unwrap();
    // Truncating the mapped train.bin in place would make these reads fault (SIGBUS).
    let again: Vec<u32> = (0..old.train.len()).map(|i| old.train.get(i)).collect();
    assert_eq!(first, again, "the old mapping still reads the old ids");
    assert_eq!(Meta::load(&out).unwrap().train_tokens, 270);
    assert_eq!(
        names(&dir),
        ["a.txt", "b.txt", "ds"],
        "no staging folder left"
    );
}

#[test]
fn a_failed_prepare_leaves_the_old_dataset_and_no_staging_folder() {
    let dir = tmp("failed");
    let a = dir.join("a.txt");
    std::fs::write(&a, text()).unwrap();
    let out = dir.join("ds");
    prepare_bytes(std::slice::from_ref(&a), &out, 0.1).unwrap();
    let before: Vec<Vec<u8>> = [META_FILE, TRAIN_FILE, VAL_FILE]
        .iter()
        .map(|f| std::fs::read(out.join(f)).unwrap())
        .collect();
    // The second source is a folder: reading it fails after train.bin was half written.
    let sub = dir.join("sub");
    std::fs::create_dir(&sub).unwrap();
    let err = prepare_bytes(&[a, sub], &out, 0.1).unwrap_err();
    assert!(err.contains("sub"), "{err}");
    for (f, old) in [META_FILE, TRAIN_FILE, VAL_FILE].iter().zip(&before) {
        assert!(&std::fs::read(out.join(f)).unwrap() == old, "{f} changed");
    }
    assert_eq!(
        names(&dir),
        ["a.txt", "ds", "sub"],
        "no staging folder left"
    );
}

#[test]
fn one_prepare_writes_a_folder_at_a_time_and_the_next_removes_killed_ones_leftovers() {
    let dir = tmp("race");
    let a = dir.join("a.txt");
    std::fs::write(&a, "some text\n".repeat(40)).unwrap();
    let out = dir.join("ds");
    let held = flash::data::folder::StagedDataset::begin(&out).unwrap();
    let err = prepare_bytes(std::slice::from_ref(&a), &out, 0.1).unwrap_err();
    let pid = std::process::id();
    assert!(
        err.contains(&format!("being written by process {pid}")),
        "{err}"
    );
    drop(held);
    // A prepare killed while writing leaves its staging folder behind.
    std::fs::create_dir_all(dir.join(".ds.prepare-4000000/x")).unwrap();
    prepare_bytes(&[a], &out, 0.1).unwrap();
    assert_eq!(names(&dir), ["a.txt", "ds"]);
}

#[test]
fn a_folder_holding_other_files_such_as_a_run_is_never_replaced() {
    let dir = tmp("foreign");
    let a = dir.join("a.txt");
    std::fs::write(&a, "some text\n".repeat(40)).unwrap();
    let run = dir.join("run");
    std::fs::create_dir(&run).unwrap();
    std::fs::write(run.join("checkpoint.safetensors"), "ckpt").unwrap();
    std::fs::write(run.join("tokenizer.json"), "the run's tokenizer").unwrap();
    let err = prepare_bytes(&[a], &run, 0.1).unwrap_err();
    assert!(
        err.contains("holds files that are not a dataset's (checkpoint.safetensors)"),
        "{err}"
    );
    assert_eq!(names(&run), ["checkpoint.safetensors", "tokenizer.json"]);
    let tk = std::fs::read_to_string(run.join("tokenizer.json")).unwrap();
    assert_eq!(tk, "the run's tokenizer");
}

#[test]
fn a_val_fraction_that_holds_out_nothing_is_refused() {
    let dir = tmp("val0");
    let a = dir.join("a.txt");
    std::fs::write(&a, "some text\n".repeat(40)).unwrap();
    let out = dir.join("ds");
    let err = prepare_bytes(std::slice::from_ref(&a), &out, 0.0).unwrap_err();
    assert!(err.contains("--val-fraction 0 is not in (0, 1)"), "{err}");
    let err = prepare_bytes(&[a], &out, 0.001).unwrap_err();
    assert!(err.contains("holds out none for validation"), "{err}");
    assert!(!out.exists());
}
