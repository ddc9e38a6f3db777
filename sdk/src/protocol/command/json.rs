//! The JSON command header, as Java writes it with fastjson 1.2.x (`RemotingSerializable`).
//!
//! Java 4.9.8 (fastjson 1.2.69) and 5.3.3 (fastjson 1.2.83) write the same bytes:
//!
//! * bean properties sorted by name: `code`, `extFields`, `flag`, `language`, `opaque`,
//!   `remark`, `serializeTypeCurrentRPC`, `version`; null properties (`remark`,
//!   `extFields`, an unknown `language`) are left out;
//! * no whitespace; enums by name; ints in decimal;
//! * `extFields` keys in Java `HashMap` iteration order (see `java_order`), null values
//!   left out;
//! * strings escaped the fastjson way: `"` and `\` with a backslash; `\b \t \n \f \r` as
//!   short escapes; every other char below U+0020, U+007F..=U+009F, U+2028 and U+2029 as
//!   `\uXXXX` with upper-case hex; everything else, `/` and non-ASCII included, as UTF-8.
//!
//! Decoding accepts any valid JSON object: keys in any order, unknown keys, missing
//! optional fields, escapes, and (like fastjson) the language as a name or an ordinal.

use std::fmt;

use bytes::BytesMut;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::{ExtFieldsOrder, RemotingCommand, SerializeType};
use crate::protocol::code::Version;
use crate::protocol::{ExtFields, LanguageCode};
use crate::{Error, Result};

const WHAT: &str = "JSON remoting command header";

/// Appends the JSON header of `cmd` to `out`, writing `extFields` in `order`.
///
/// The header is written into a `Vec` first (its many small writes stay inline there)
/// and copied into `out` once; `size_hint` is the caller's estimate of its length.
pub(super) fn encode_header(
    cmd: &RemotingCommand,
    order: ExtFieldsOrder,
    out: &mut BytesMut,
    size_hint: usize,
) {
    let mut buf = Vec::with_capacity(size_hint);
    buf.extend_from_slice(b"{\"code\":");
    push_int(&mut buf, i64::from(cmd.code));
    if let Some(ext) = &cmd.ext_fields {
        buf.extend_from_slice(b",\"extFields\":{");
        let mut first = true;
        let Ok(()) = order.for_each::<std::convert::Infallible>(ext, |k, v| {
            if !std::mem::take(&mut first) {
                buf.push(b',');
            }
            push_str(&mut buf, k);
            buf.push(b':');
            push_str(&mut buf, v);
            Ok(())
        });
        buf.push(b'}');
    }
    buf.extend_from_slice(b",\"flag\":");
    push_int(&mut buf, i64::from(cmd.flag));
    if let Some(name) = cmd.language.name() {
        buf.extend_from_slice(b",\"language\":");
        push_str(&mut buf, name);
    }
    buf.extend_from_slice(b",\"opaque\":");
    push_int(&mut buf, i64::from(cmd.opaque));
    if let Some(remark) = &cmd.remark {
        buf.extend_from_slice(b",\"remark\":");
        push_str(&mut buf, remark);
    }
    buf.extend_from_slice(b",\"serializeTypeCurrentRPC\":");
    push_str(&mut buf, cmd.serialize_type.name());
    buf.extend_from_slice(b",\"version\":");
    push_int(&mut buf, i64::from(cmd.version.0));
    buf.push(b'}');
    out.extend_from_slice(&buf);
}

fn push_int(out: &mut Vec<u8>, n: i64) {
    let mut buf = [0u8; 20];
    out.extend_from_slice(crate::protocol::header::decimal(n, &mut buf));
}

/// Writes `s` as a quoted JSON string escaped exactly like fastjson 1.2.x.
///
/// Works on the UTF-8 bytes: runs that need no escape are copied whole. The characters
/// to escape are ASCII (one byte), U+0080..=U+009F (`C2 80`..=`C2 9F`) and U+2028/U+2029
/// (`E2 80 A8`/`E2 80 A9`); a continuation byte never equals a lead byte, so the lead
/// bytes `C2` and `E2` found here always start a character.
pub(super) fn push_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (escape, len): (Option<u32>, usize) = match b {
            b'"' | b'\\' | 0..=0x1f | 0x7f => (Some(u32::from(b)), 1),
            0xc2 => match bytes.get(i + 1) {
                Some(&c @ 0x80..=0x9f) => (Some(u32::from(c)), 2),
                _ => (None, 1),
            },
            0xe2 => match (bytes.get(i + 1), bytes.get(i + 2)) {
                (Some(&0x80), Some(&0xa8)) => (Some(0x2028), 3),
                (Some(&0x80), Some(&0xa9)) => (Some(0x2029), 3),
                _ => (None, 1),
            },
            _ => (None, 1),
        };
        if let Some(c) = escape {
            out.extend_from_slice(&bytes[run..i]);
            push_escape(out, c);
            run = i + len;
        }
        i += len;
    }
    out.extend_from_slice(&bytes[run..]);
    out.push(b'"');
}

/// The fastjson escape of one character that needs one.
fn push_escape(out: &mut Vec<u8>, c: u32) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    match c {
        0x22 => out.extend_from_slice(b"\\\""),
        0x5c => out.extend_from_slice(b"\\\\"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x09 => out.extend_from_slice(b"\\t"),
        0x0a => out.extend_from_slice(b"\\n"),
        0x0c => out.extend_from_slice(b"\\f"),
        0x0d => out.extend_from_slice(b"\\r"),
        _ => {
            out.extend_from_slice(b"\\u");
            for shift in [12u32, 8, 4, 0] {
                out.push(HEX[((c >> shift) & 0xF) as usize]);
            }
        }
    }
}

/// Parses a JSON header. `serialize_type` is left as JSON: the frame says how it was
/// serialized, whatever the header claims.
pub(super) fn decode_header(bytes: &[u8]) -> Result<RemotingCommand> {
    match super::json_fast::decode_plain(bytes) {
        Some(cmd) => Ok(cmd),
        None => decode_general(bytes),
    }
}

/// Parses any JSON header through serde (escapes, nested values, lenient forms), with a
/// readable error for what is not a header.
pub(super) fn decode_general(bytes: &[u8]) -> Result<RemotingCommand> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let header = de
        .deserialize_map(HeaderVisitor)
        .map_err(|e| Error::decode(WHAT, e.to_string()))?;
    de.end().map_err(|e| Error::decode(WHAT, e.to_string()))?;
    Ok(header)
}

/// A decoded command before its header's fields are read: Java's defaults for the fields
/// a JSON header leaves out.
pub(super) fn header_defaults() -> RemotingCommand {
    RemotingCommand {
        code: 0,
        language: LanguageCode::JAVA,
        version: Version(0),
        opaque: 0,
        flag: 0,
        remark: None,
        ext_fields: None,
        serialize_type: SerializeType::Json,
        body: bytes::Bytes::new(),
    }
}

struct HeaderVisitor;

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = RemotingCommand;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a remoting command header object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut cmd = header_defaults();
        // Later duplicates win, as in fastjson.
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "code" => cmd.code = map.next_value()?,
                "language" => cmd.language = map.next_value::<Language>()?.0,
                "version" => cmd.version = Version(map.next_value()?),
                "opaque" => cmd.opaque = map.next_value()?,
                "flag" => cmd.flag = map.next_value()?,
                "remark" => cmd.remark = map.next_value()?,
                "extFields" => {
                    cmd.ext_fields = map.next_value::<Option<ExtFieldsJson>>()?.map(|e| e.0)
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(cmd)
    }
}

/// The `language` value: an enum name, or (as fastjson also accepts) an ordinal. A name
/// this crate does not know, or `null`, becomes `OTHER`.
struct Language(LanguageCode);

impl<'de> de::Deserialize<'de> for Language {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Language;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a language name or code")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Language, E> {
                Ok(Language(
                    LanguageCode::from_name(v).unwrap_or(LanguageCode::OTHER),
                ))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Language, E> {
                u8::try_from(v)
                    .map(|c| Language(LanguageCode(c)))
                    .map_err(|_| E::custom(format!("language code {v} out of range")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Language, E> {
                u8::try_from(v)
                    .map(|c| Language(LanguageCode(c)))
                    .map_err(|_| E::custom(format!("language code {v} out of range")))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Language, E> {
                Ok(Language(LanguageCode::OTHER))
            }
        }
        d.deserialize_any(V)
    }
}

/// `extFields`, keeping the wire order. Values that are not strings are kept as their
/// JSON text (fastjson converts them to strings too); `null` values are dropped.
struct ExtFieldsJson(ExtFields);

impl<'de> de::Deserialize<'de> for ExtFieldsJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ExtFieldsJson;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ExtFieldsJson, A::Error> {
                let mut ext = ExtFields::new();
                while let Some(key) = map.next_key::<String>()? {
                    match map.next_value::<serde_json::Value>()? {
                        serde_json::Value::Null => {}
                        serde_json::Value::String(s) => ext.insert(key, s),
                        other => ext.insert(key, other.to_string()),
                    }
                }
                Ok(ExtFieldsJson(ext))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str) -> String {
        let mut out = Vec::new();
        push_str(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    /// The escaping rules char by char, as the module docs state them.
    fn oracle(s: &str) -> String {
        let mut out = String::from("\"");
        for ch in s.chars() {
            match ch {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\u{8}' => out.push_str("\\b"),
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                '\u{c}' => out.push_str("\\f"),
                '\r' => out.push_str("\\r"),
                '\0'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' => {
                    out.push_str(&format!("\\u{:04X}", u32::from(ch)));
                }
                _ => out.push(ch),
            }
        }
        out.push('"');
        out
    }

    #[test]
    fn escapes_match_the_rules_for_every_char_class() {
        let samples = [
            "",
            "a",
            "\u{80}",
            "\u{9f}",
            "\u{a0}",
            "\u{ff}",
            "\u{100}",
            "\u{7ff}",
            "\u{800}",
            "\u{2027}",
            "\u{2028}",
            "\u{2029}",
            "\u{202a}",
            "\u{20ac}",
            "\u{e2}",
            "\u{c2}",
            "\u{fffd}",
            "\u{10000}",
            "\u{10ffff}",
            "\u{7f}",
            "\u{1f}",
            "\"",
            "\\",
            "/",
        ];
        for a in samples {
            for b in samples {
                let s = format!("{a}x{b}{a}");
                assert_eq!(esc(&s), oracle(&s), "{s:?}");
            }
        }
        for c in (0..0x3000u32)
            .chain(0xe000..0x10000)
            .filter_map(char::from_u32)
        {
            let s = format!("{c}{c}z");
            assert_eq!(esc(&s), oracle(&s), "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn integers_in_decimal() {
        for n in [
            0i64,
            7,
            -7,
            10,
            99,
            100,
            -100,
            i64::from(i32::MAX),
            i64::from(i32::MIN),
            i64::MAX,
            i64::MIN,
        ] {
            let mut out = Vec::new();
            push_int(&mut out, n);
            assert_eq!(String::from_utf8(out).unwrap(), n.to_string());
        }
    }

    #[test]
    fn escapes_like_fastjson() {
        assert_eq!(esc("plain"), "\"plain\"");
        assert_eq!(esc("a\"b\\c/d"), r#""a\"b\\c/d""#);
        assert_eq!(esc("\u{8}\t\n\u{c}\r"), r#""\b\t\n\f\r""#);
        assert_eq!(esc("\0\u{1}\u{b}\u{1f}"), r#""\u0000\u0001\u000B\u001F""#);
        assert_eq!(esc("\u{7f}\u{9f}\u{a0}"), "\"\\u007F\\u009F\u{a0}\"");
        assert_eq!(esc("\u{2028}x\u{2029}"), r#""\u2028x\u2029""#);
        assert_eq!(esc("中文é😀"), "\"中文é😀\"");
    }

    #[test]
    fn encodes_sorted_fields_and_omits_nulls() {
        let cmd = RemotingCommand {
            code: 105,
            language: LanguageCode::JAVA,
            version: Version(479),
            opaque: 7,
            flag: 0,
            remark: None,
            ext_fields: None,
            serialize_type: SerializeType::Json,
            body: bytes::Bytes::new(),
        };
        let mut out = BytesMut::new();
        encode_header(&cmd, ExtFieldsOrder::default(), &mut out, 0);
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            r#"{"code":105,"flag":0,"language":"JAVA","opaque":7,"serializeTypeCurrentRPC":"JSON","version":479}"#
        );
    }

    #[test]
    fn encodes_ext_fields_in_hash_order() {
        let mut ext = ExtFields::new();
        ext.insert("b", "2");
        ext.insert("q", "3");
        ext.insert("a", "1");
        let cmd = RemotingCommand {
            code: -1,
            language: LanguageCode(99),
            version: Version(0),
            opaque: -5,
            flag: 1,
            remark: Some("r\"".into()),
            ext_fields: Some(ext),
            serialize_type: SerializeType::Json,
            body: bytes::Bytes::new(),
        };
        let mut out = BytesMut::new();
        encode_header(&cmd, ExtFieldsOrder::default(), &mut out, 0);
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            r#"{"code":-1,"extFields":{"q":"3","a":"1","b":"2"},"flag":1,"opaque":-5,"remark":"r\"","serializeTypeCurrentRPC":"JSON","version":0}"#
        );
    }

    #[test]
    fn decodes_any_order_unknown_keys_and_escapes() {
        let json = br#" { "version" : 5, "unknown": [1, {"x": null}], "extFields": {"k\u00e9": "v\n", "n": 3, "z": null, "b": true},
            "remark": "\ud83d\ude00", "language": "GO", "opaque": -3, "flag": 3, "code": 17 } "#;
        let cmd = decode_header(json).unwrap();
        assert_eq!(cmd.code, 17);
        assert_eq!(cmd.language, LanguageCode::GO);
        assert_eq!(cmd.version, Version(5));
        assert_eq!(cmd.opaque, -3);
        assert_eq!(cmd.flag, 3);
        assert_eq!(cmd.remark.as_deref(), Some("😀"));
        let ext = cmd.ext_fields.unwrap();
        let entries: Vec<_> = ext.iter().collect();
        assert_eq!(entries, vec![("ké", "v\n"), ("n", "3"), ("b", "true")]);
    }

    #[test]
    fn decodes_minimal_and_lenient_language() {
        let cmd = decode_header(b"{}").unwrap();
        assert_eq!(cmd.code, 0);
        assert_eq!(cmd.language, LanguageCode::JAVA);
        assert!(cmd.ext_fields.is_none() && cmd.remark.is_none());
        assert_eq!(
            decode_header(br#"{"language":9}"#).unwrap().language,
            LanguageCode::GO
        );
        assert_eq!(
            decode_header(br#"{"language":"KOTLIN"}"#).unwrap().language,
            LanguageCode::OTHER
        );
        assert_eq!(
            decode_header(br#"{"extFields":null,"remark":null}"#)
                .unwrap()
                .ext_fields,
            None
        );
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            &b""[..],
            b"[]",
            b"{",
            b"{\"code\":\"x\"}",
            b"{\"code\":1e99}",
            b"{} x",
            b"{\"code\":2147483648}",
            b"{\"language\":300}",
            b"{\"extFields\":[]}",
        ] {
            assert!(
                matches!(decode_header(bad), Err(Error::Decode { .. })),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
