//! GPT-2's byte-level alphabet (what the `tokenizers` crate's `ByteLevel` uses): each of the
//! 256 bytes is one printable character, so a byte-level BPE token's text spells its raw
//! bytes. [`token_bytes`] reads them back, without the UTF-8 repair (U+FFFD) that decoding
//! a lone token through the library does when a character spans several tokens.

/// The byte each byte-level character stands for, indexed by `char as u32` (0 where none).
fn table() -> [Option<u8>; 512] {
    let printable = |b: u8| matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
    let mut out = [None; 512];
    let mut next = 256;
    for b in 0..=255u8 {
        if printable(b) {
            out[usize::from(b)] = Some(b);
        } else {
            out[next] = Some(b);
            next += 1;
        }
    }
    out
}

/// The raw bytes a byte-level token's text spells, or `None` if a character of it is not in
/// the byte-level alphabet (an added token, or another kind of tokenizer).
pub fn token_bytes(text: &str) -> Option<Vec<u8>> {
    let table = table();
    text.chars()
        .map(|c| table.get(c as usize).copied().flatten())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokenizers::pre_tokenizers::byte_level::ByteLevel;

    #[test]
    fn every_character_of_the_library_alphabet_maps_to_a_distinct_byte() {
        let alphabet = ByteLevel::alphabet();
        let mut bytes: Vec<u8> = alphabet
            .iter()
            .map(|c| token_bytes(&c.to_string()).expect("in the table")[0])
            .collect();
        bytes.sort_unstable();
        bytes.dedup();
        assert_eq!(bytes.len(), 256);
    }

    #[test]
    fn spaces_and_multibyte_characters_read_back_raw() {
        // 'Ġ' is the space, 'Ã' + '©' are the two bytes of 'é' (0xC3 0xA9).
        assert_eq!(token_bytes("Ġa").unwrap(), b" a");
        assert_eq!(token_bytes("Ã").unwrap(), vec![0xC3]);
        assert_eq!(token_bytes("Ã©").unwrap(), "é".as_bytes());
        assert_eq!(token_bytes("▁x"), None);
    }
}
