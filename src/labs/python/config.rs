//! The Python lab's link form: the program itself (`code`, compressed) or a preset's id,
//! and `run=1`. See README for the table.

use super::programs::{self, Program};
use crate::core::link::{self, quote, LinkError, Query};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// The largest program the lab takes, in bytes of UTF-8. The editor refuses nothing, but a
/// longer program is not put into a link, and a link cannot bring one in.
pub const MAX_PROGRAM_BYTES: usize = 100_000;

/// What a link asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    pub code: String,
    /// The preset the link named, if it named one and the code is that preset's.
    pub preset: Option<&'static str>,
    pub run: bool,
    pub errors: Vec<LinkError>,
}

/// Why a `code` value is not a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeError {
    NotBase64,
    NotDeflate,
    TooLong,
    NotUtf8,
}

impl CodeError {
    fn message(&self) -> String {
        match self {
            CodeError::NotBase64 => "is not base64url text (letters, digits, - and _)".into(),
            CodeError::NotDeflate => "does not decompress: it is not raw DEFLATE data, or it was cut short".into(),
            CodeError::TooLong => format!("holds a program longer than {} bytes", link::group(MAX_PROGRAM_BYTES as u64)),
            CodeError::NotUtf8 => "decompresses to bytes that are not UTF-8 text".into(),
        }
    }
}

/// The program as a link value: raw DEFLATE (no zlib header), then base64url without
/// padding, so that it needs no percent-encoding and a few kilobytes of Python fit.
pub fn encode_code(code: &str) -> String {
    URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(code.as_bytes(), 9))
}

/// The program a `code` value holds. Never panics, and never inflates more than
/// [`MAX_PROGRAM_BYTES`] (a small hostile link cannot make a huge string).
pub fn decode_code(value: &str) -> Result<String, CodeError> {
    let bytes = URL_SAFE_NO_PAD.decode(value.trim_end_matches('=')).map_err(|_| CodeError::NotBase64)?;
    let raw = miniz_oxide::inflate::decompress_to_vec_with_limit(&bytes, MAX_PROGRAM_BYTES).map_err(|e| {
        if e.status == miniz_oxide::inflate::TINFLStatus::HasMoreOutput {
            CodeError::TooLong
        } else {
            CodeError::NotDeflate
        }
    })?;
    String::from_utf8(raw).map_err(|_| CodeError::NotUtf8)
}

/// Decodes a link's query. A bad part is reported and the editor keeps the default program.
pub fn decode(raw: &str) -> Decoded {
    let mut q = Query::parse(raw);
    let run = q.flag("run");
    let preset_raw = q.take("preset");
    let code_raw = q.take("code");
    let mut code = programs::DEFAULT.source.to_string();
    let mut preset = Some(programs::DEFAULT.id);
    // A link that did not work asks to run nothing (the user did not write the default),
    // and says so where it asked to run.
    let not_run = if run { ", and not run" } else { "" };
    if let Some(id) = &preset_raw {
        match programs::find(id) {
            Some(p) => {
                code = p.source.to_string();
                preset = Some(p.id);
            }
            None => q.error("preset", format!("{} is not a preset of this lab; the default program is in the editor{not_run}", quote(id))),
        }
    }
    if let Some(value) = code_raw {
        if preset_raw.is_some() {
            q.error("code", format!("a link gives either code or preset, not both; its code was ignored{not_run}"));
        } else {
            match decode_code(&value) {
                Ok(text) => {
                    preset = programs::matching(&text).map(|p| p.id);
                    code = text;
                }
                Err(e) => q.error("code", format!("{}; the default program is in the editor{not_run}", e.message())),
            }
        }
    }
    let errors = q.finish();
    let run = run && errors.iter().all(|e| e.key != "code" && e.key != "preset");
    Decoded { code, preset, run, errors }
}

/// The link form of a program: a preset's id when it is one, else the compressed code.
/// `None` when the program is too long for a link.
pub fn query(code: &str) -> Option<String> {
    if let Some(p) = programs::matching(code) {
        return Some(link::encode(&[("preset", p.id.to_string())]));
    }
    if code.len() > MAX_PROGRAM_BYTES {
        return None;
    }
    Some(link::encode(&[("code", encode_code(code))]))
}

/// The preset a program is, for the preset bar.
pub fn preset_of(code: &str) -> Option<&'static Program> {
    programs::matching(code)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_program_round_trips_and_stays_short() {
        let program = programs::find("gather-pitfall").unwrap().source;
        let encoded = encode_code(program);
        assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{encoded}");
        assert!(encoded.len() < program.len() * 3 / 4, "{} of {}", encoded.len(), program.len());
        assert_eq!(decode_code(&encoded).unwrap(), program);
        let q = query(&(program.to_string() + "\n# edited\n")).unwrap();
        let back = decode(&format!("{q}&run=1"));
        assert_eq!(back.code, program.to_string() + "\n# edited\n");
        assert_eq!(back.preset, None);
        assert!(back.run && back.errors.is_empty(), "{:?}", back.errors);
    }

    #[test]
    fn presets_travel_by_id() {
        for p in programs::ALL {
            let q = query(p.source).unwrap();
            assert_eq!(q, format!("preset={}", p.id));
            let back = decode(&q);
            assert_eq!(back.code, p.source);
            assert_eq!(back.preset, Some(p.id));
        }
    }

    #[test]
    fn garbage_is_reported_and_the_default_stays() {
        for (value, says) in [
            ("%%%", "not base64url"),
            ("!!!!", "not base64url"),
            ("AAAA", "does not decompress"),
            (&encode_code("print(1)")[..4], "does not decompress"),
            (&URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(&[0xff, 0xfe, 0x00], 6)), "not UTF-8"),
        ] {
            let d = decode(&format!("code={value}&run=1"));
            assert_eq!(d.code, programs::DEFAULT.source, "{value}");
            assert!(!d.run, "a broken link runs nothing");
            assert_eq!(d.errors.len(), 1, "{value}: {:?}", d.errors);
            assert!(d.errors[0].message.contains(says), "{value}: {}", d.errors[0].message);
            assert!(d.errors[0].message.ends_with("the default program is in the editor, and not run"), "{}", d.errors[0].message);
        }
        let d = decode("preset=nope");
        assert_eq!(d.code, programs::DEFAULT.source);
        assert!(d.errors[0].message.contains("not a preset"));
    }

    #[test]
    fn oversized_programs_are_refused_without_inflating_them() {
        // A tiny link that would inflate to 10 MB of spaces.
        let bomb = encode_code(&" ".repeat(10_000_000));
        assert!(bomb.len() < 20_000, "{}", bomb.len());
        assert_eq!(decode_code(&bomb), Err(CodeError::TooLong));
        let d = decode(&format!("code={bomb}"));
        assert!(d.errors[0].message.contains("longer than 100,000 bytes"), "{}", d.errors[0].message);
        assert_eq!(query(&"x".repeat(MAX_PROGRAM_BYTES + 1)), None);
        let at_limit = "x".repeat(MAX_PROGRAM_BYTES);
        assert_eq!(decode_code(&encode_code(&at_limit)).unwrap(), at_limit);
    }

    #[test]
    fn code_and_preset_together_use_the_preset() {
        let d = decode(&format!("preset=cpu-seq&code={}", encode_code("print(2)")));
        assert_eq!(d.preset, Some("cpu-seq"));
        assert_eq!(d.errors[0].key, "code");
        // With a preset that does not exist, the code's message still holds: it was ignored.
        let d = decode(&format!("preset=nope&code={}&run=1", encode_code("print(2)")));
        assert_eq!(d.code, programs::DEFAULT.source);
        let code = d.errors.iter().find(|e| e.key == "code").map(|e| e.message.as_str()).unwrap_or_default();
        assert_eq!(code, "a link gives either code or preset, not both; its code was ignored, and not run");
    }

    proptest! {
        #[test]
        fn any_text_round_trips(text in "\\PC{0,400}") {
            prop_assert_eq!(decode_code(&encode_code(&text)).unwrap(), text);
        }

        #[test]
        fn any_value_decodes_or_fails_cleanly(value in "[A-Za-z0-9_=%-]{0,300}") {
            let _ = decode(&format!("code={value}&run=1"));
        }

        #[test]
        fn any_bytes_fail_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = decode_code(&URL_SAFE_NO_PAD.encode(&bytes));
        }
    }
}
