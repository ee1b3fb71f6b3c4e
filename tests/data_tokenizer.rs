//! Tokenizers: byte-level BPE training, encode/decode round trips on ASCII and multi-byte
//! UTF-8 (Chinese, emoji, combining accents), a saved tokenizer.json giving the same ids, and
//! the errors (vocabulary too small, a tokenizer.json that does not parse).

use flash::data::Tokenizer;
use std::path::{Path, PathBuf};

const TEXT: &str = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\
    中文的文本，还有更多中文。 emoji 😀🎉👩‍👩‍👧 and e\u{301}te\u{301} (combining accents), café, naïve\n\
    \t tabs  and   spaces \r\n windows line\r\n";

fn corpus(dir: &Path) -> PathBuf {
    let path = dir.join("corpus.txt");
    std::fs::write(&path, TEXT.repeat(20)).unwrap();
    path
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flash-tok-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn bpe_round_trips_ascii_and_multi_byte_utf8_and_reloads_with_the_same_ids() {
    let dir = tmp("rt");
    let out = dir.join("tokenizer.json");
    let tk = Tokenizer::train_bpe(&[corpus(&dir)], 300, &out).unwrap();
    assert!(
        tk.vocab_size() > 256 && tk.vocab_size() <= 300,
        "{}",
        tk.vocab_size()
    );
    for text in [
        TEXT,
        "plain ascii only",
        "中文",
        "😀",
        "e\u{301}",
        " leading space",
        "",
    ] {
        let ids = tk.encode(text.as_bytes(), &out).unwrap();
        assert_eq!(tk.decode(&ids).unwrap(), text.as_bytes(), "{text:?}");
        let lens: u32 = ids.iter().map(|&i| tk.byte_lengths()[i as usize]).sum();
        assert_eq!(lens as usize, text.len(), "byte lengths of {text:?}");
    }
    let ids = tk.encode(TEXT.as_bytes(), &out).unwrap();
    assert!(ids.len() < TEXT.len(), "merges shorten the text");
    tk.save(&out).unwrap();
    let loaded = Tokenizer::load(&out).unwrap();
    assert_eq!(loaded.encode(TEXT.as_bytes(), &out).unwrap(), ids);
    assert_eq!(loaded.hash(), tk.hash());
}

#[test]
fn bytes_tokenizer_is_the_identity() {
    let tk = Tokenizer::Bytes;
    let ids = tk.encode(TEXT.as_bytes(), Path::new("x")).unwrap();
    assert_eq!(ids.len(), TEXT.len());
    assert_eq!(tk.decode(&ids).unwrap(), TEXT.as_bytes());
    assert_eq!(tk.vocab_size(), 256);
}

#[test]
fn vocab_below_the_byte_alphabet_is_an_error_naming_the_output() {
    let dir = tmp("small");
    let out = dir.join("tok.json");
    let e = Tokenizer::train_bpe(&[corpus(&dir)], 100, &out).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("tok.json") && msg.contains("--vocab 100 is too small"),
        "{msg}"
    );
}

#[test]
fn a_tokenizer_json_that_does_not_parse_is_an_error_naming_the_file() {
    let dir = tmp("bad");
    let path = dir.join("broken.json");
    std::fs::write(&path, "{\"model\": 3").unwrap();
    let msg = Tokenizer::load(&path).unwrap_err().to_string();
    assert!(
        msg.contains("broken.json") && msg.contains("not a valid tokenizer.json"),
        "{msg}"
    );
    let missing = Tokenizer::load(&dir.join("nope.json"))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("nope.json"), "{missing}");
}

#[test]
fn a_vocabulary_beyond_what_the_text_can_give_is_refused_naming_the_text() {
    let dir = tmp("huge");
    let text = corpus(&dir);
    let out = dir.join("tok.json");
    for vocab in [1_000_000, 1_000_000_000_000, usize::MAX] {
        let msg = Tokenizer::train_bpe(std::slice::from_ref(&text), vocab, &out)
            .unwrap_err()
            .to_string();
        let names_text = msg.contains("corpus.txt") && msg.contains("can give at most");
        assert!(
            names_text || msg.contains("largest dimension"),
            "{vocab}: {msg}"
        );
    }
    assert!(!out.exists());
}

#[test]
fn a_training_text_that_is_not_utf8_is_an_error_naming_the_text_and_the_offset() {
    let dir = tmp("latin1");
    let text = dir.join("latin1.txt");
    std::fs::write(&text, b"caf\xe9 au lait").unwrap();
    let out = dir.join("tok.json");
    let msg = Tokenizer::train_bpe(&[text], 300, &out)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("latin1.txt") && msg.contains("offset 3") && !msg.contains("tok.json"),
        "{msg}"
    );
}
