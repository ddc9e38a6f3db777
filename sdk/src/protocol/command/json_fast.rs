//! A fast path for decoding the JSON command header: the plain shape Java writes.
//!
//! Every response from a Java broker has a JSON header (Java answers in its own serialize
//! type whatever the request used), so a sync send decodes one per message. The general
//! decoder in `json` goes through serde's visitor machinery; this one scans the flat
//! object directly and builds the command with one allocation per string.
//!
//! It accepts only the plain shape: strings without raw control characters or `\u`
//! surrogates (other escapes are decoded; Java escapes the separators of the message
//! properties in a send request as `\u0001` and `\u0002`),
//! integers without fraction or exponent, `extFields` values that are strings or `null`,
//! unknown keys whose values are strings, integers, `true`, `false` or `null`. On anything
//! else (escapes, nested values, floats, malformed input, trailing bytes) it returns
//! `None` and the caller runs the general decoder, which then gives the same result or
//! the error. So the fast path can only ever agree with the general one.

use std::borrow::Cow;

use super::RemotingCommand;
use crate::protocol::code::Version;
use crate::protocol::{ExtFields, LanguageCode};

/// Decodes `bytes` if it is a plain header; `None` means "use the general decoder".
pub(super) fn decode_plain(bytes: &[u8]) -> Option<RemotingCommand> {
    // One check of the whole header instead of one per string: JSON outside strings is
    // ASCII, so a header that is not UTF-8 has a bad string, which the general decoder
    // reports.
    let text = std::str::from_utf8(bytes).ok()?;
    let mut s = Scanner {
        bytes,
        text,
        pos: 0,
    };
    let mut cmd = super::json::header_defaults();
    s.expect(b'{')?;
    if !s.eat(b'}') {
        loop {
            let key = s.string()?;
            s.expect(b':')?;
            match key.as_ref() {
                "code" => cmd.code = s.int()?,
                "opaque" => cmd.opaque = s.int()?,
                "flag" => cmd.flag = s.int()?,
                "version" => cmd.version = Version(s.int()?),
                "language" => cmd.language = s.language()?,
                "remark" => cmd.remark = s.nullable_string()?.map(Cow::into_owned),
                "extFields" => cmd.ext_fields = s.ext_fields()?,
                _ => s.skip_scalar()?,
            }
            if !s.eat(b',') {
                break;
            }
        }
        s.expect(b'}')?;
    }
    s.skip_ws();
    (s.pos == bytes.len()).then_some(cmd)
}

/// A cursor over the header bytes. Every method returns `None` on anything outside the
/// plain shape.
struct Scanner<'a> {
    bytes: &'a [u8],
    /// `bytes` as text (checked once).
    text: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.bytes.get(self.pos).copied()
    }

    /// Consumes `b` (after whitespace) if it is next.
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, b: u8) -> Option<()> {
        self.eat(b).then_some(())
    }

    /// Consumes `word` (a literal such as `null`) if it is next.
    fn literal(&mut self, word: &[u8]) -> bool {
        self.skip_ws();
        let found = self
            .bytes
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(word));
        if found {
            self.pos += word.len();
        }
        found
    }

    /// A string without raw control characters. Escapes are decoded except
    /// `\\u` surrogates (pairs and lone halves are left to the general decoder).
    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.expect(b'"')?;
        let mut owned: Option<String> = None;
        loop {
            let rest = self.bytes.get(self.pos..)?;
            let len = rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
            // The run ends before an ASCII byte, so both ends are character boundaries.
            let run = self.text.get(self.pos..self.pos + len)?;
            self.pos += len + 1;
            match rest[len] {
                b'"' => {
                    return Some(match owned {
                        None => Cow::Borrowed(run),
                        Some(mut text) => {
                            text.push_str(run);
                            Cow::Owned(text)
                        }
                    });
                }
                b'\\' => {
                    let text = owned.get_or_insert_with(String::new);
                    text.push_str(run);
                    let unescaped = self.escape()?;
                    text.push(unescaped);
                }
                _ => return None,
            }
        }
    }

    /// The character of the escape after a backslash.
    fn escape(&mut self) -> Option<char> {
        let b = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hex = self.bytes.get(self.pos..self.pos + 4)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                let code = u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                self.pos += 4;
                char::from_u32(code)?
            }
            _ => return None,
        })
    }

    fn nullable_string(&mut self) -> Option<Option<Cow<'a, str>>> {
        if self.literal(b"null") {
            Some(None)
        } else {
            self.string().map(Some)
        }
    }

    /// An integer in JSON's grammar (no leading zeros), without fraction or exponent.
    fn integer(&mut self) -> Option<i64> {
        self.skip_ws();
        let start = self.pos;
        let negative = self.bytes.get(self.pos) == Some(&b'-');
        if negative {
            self.pos += 1;
        }
        let digits_start = self.pos;
        let mut value: i64 = 0;
        while let Some(&b) = self.bytes.get(self.pos) {
            if !b.is_ascii_digit() {
                break;
            }
            value = value.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
            self.pos += 1;
        }
        let digits = self.pos - digits_start;
        let leading_zero = digits > 1 && self.bytes.get(digits_start) == Some(&b'0');
        let fraction = matches!(self.bytes.get(self.pos), Some(b'.' | b'e' | b'E'));
        // serde_json reads `-0` as a float, which no header field takes.
        let negative_zero = negative && value == 0;
        if digits == 0 || leading_zero || fraction || negative_zero {
            self.pos = start;
            return None;
        }
        Some(if negative { -value } else { value })
    }

    fn int(&mut self) -> Option<i32> {
        i32::try_from(self.integer()?).ok()
    }

    /// `language`: a name (unknown names become `OTHER`), an ordinal, or `null`.
    fn language(&mut self) -> Option<LanguageCode> {
        match self.peek()? {
            b'"' => {
                let name = self.string()?;
                Some(LanguageCode::from_name(&name).unwrap_or(LanguageCode::OTHER))
            }
            b'n' => self.literal(b"null").then_some(LanguageCode::OTHER),
            _ => u8::try_from(self.integer()?).ok().map(LanguageCode),
        }
    }

    /// `extFields`: `null`, or an object whose values are strings (kept) or `null`
    /// (dropped); later duplicates win, as in the general decoder.
    fn ext_fields(&mut self) -> Option<Option<ExtFields>> {
        if self.literal(b"null") {
            return Some(None);
        }
        self.expect(b'{')?;
        // The keys and values are shorter than what is left of the header.
        let rest = self.bytes.len() - self.pos;
        let mut ext = ExtFields::with_capacity(8, rest);
        if !self.eat(b'}') {
            loop {
                let key = self.string()?;
                self.expect(b':')?;
                if let Some(value) = self.nullable_string()? {
                    ext.insert(key, value);
                }
                if !self.eat(b',') {
                    break;
                }
            }
            self.expect(b'}')?;
        }
        Some(Some(ext))
    }

    /// The value of a key the header does not use: a string, an integer, `true`,
    /// `false` or `null`.
    fn skip_scalar(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b't' => self.literal(b"true").then_some(()),
            b'f' => self.literal(b"false").then_some(()),
            b'n' => self.literal(b"null").then_some(()),
            _ => self.integer().map(drop),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::json::decode_general;
    use super::*;

    /// Asserts the fast path decodes `json` exactly as the general decoder does.
    fn agrees(json: &str) {
        let fast = decode_plain(json.as_bytes()).unwrap_or_else(|| panic!("not plain: {json}"));
        let general = decode_general(json.as_bytes()).unwrap();
        assert_eq!(format!("{fast:?}"), format!("{general:?}"), "{json}");
    }

    /// Asserts the fast path leaves `json` to the general decoder.
    fn declines(json: &str) {
        assert!(decode_plain(json.as_bytes()).is_none(), "{json}");
    }

    #[test]
    fn plain_headers_decode_as_the_general_decoder_does() {
        agrees(
            r#"{"code":0,"extFields":{"queueId":"1","TRACE_ON":"true","MSG_REGION":"DefaultRegion","msgId":"7F00000100002A9F0000000000000000","queueOffset":"42"},"flag":1,"language":"JAVA","opaque":17,"serializeTypeCurrentRPC":"JSON","version":479}"#,
        );
        agrees(r#"{}"#);
        agrees(r#" { "code" : -12 , "opaque":2147483647,"flag":-2147483648 } "#);
        agrees(r#"{"language":"GO","remark":null,"extFields":null}"#);
        agrees(r#"{"language":"KOTLIN","remark":"中文 é"}"#);
        agrees(r#"{"language":9,"version":0}"#);
        agrees(r#"{"language":null,"unknown":true,"u2":false,"u3":null,"u4":12,"u5":"x"}"#);
        agrees(r#"{"extFields":{"a":"1","b":null,"a":"2"},"code":1,"code":2}"#);
        agrees(r#"{"extFields":{},"remark":""}"#);
        agrees(r#"{"remark":"a\nb\t\"q\" \\ \/ \b\f\r é\u00e9\u4E2D"}"#);
        agrees(r#"{"k\u0065y":1,"extFields":{"i":"UNIQ_KEY\u0001AB\u0002TAGS\u0001t\u0002"}}"#);
    }

    #[test]
    fn anything_unusual_goes_to_the_general_decoder() {
        for json in [
            "",
            "[]",
            "{",
            r#"{"code":1"#,
            r#"{"code":1,}"#,
            r#"{"code":1} x"#,
            r#"{"code":"1"}"#,
            r#"{"code":1.5}"#,
            r#"{"code":1e3}"#,
            r#"{"code":01}"#,
            r#"{"code":-}"#,
            r#"{"code":-0}"#,
            r#"{"code":2147483648}"#,
            r#"{"code":99999999999999999999}"#,
            r#"{"language":300}"#,
            r#"{"language":-1}"#,
            r#"{"remark":"\ud83d\ude00"}"#,
            r#"{"remark":"\ud83d"}"#,
            r#"{"remark":"\x"}"#,
            r#"{"remark":"\u00g1"}"#,
            r#"{"remark":"\u+0a1"}"#,
            r#"{"remark":"\u00"}"#,
            r#"{"remark":"ab\"#,
            r#"{"remark":"tab	inside"}"#,
            r#"{"remark":5}"#,
            r#"{"extFields":{"k":1}}"#,
            r#"{"extFields":[]}"#,
            r#"{"unknown":[1]}"#,
            r#"{"unknown":{"a":1}}"#,
            r#"{"unknown":nul}"#,
        ] {
            declines(json);
        }
        // Invalid UTF-8 inside a string.
        assert!(decode_plain(b"{\"remark\":\"\xff\"}").is_none());
    }

    #[test]
    fn truncations_of_a_plain_header_never_decode() {
        let full = br#"{"code":0,"extFields":{"queueId":"1","msgId":"AB"},"flag":1,"language":"JAVA","opaque":17,"version":479}"#;
        assert!(decode_plain(full).is_some());
        for end in 0..full.len() {
            assert!(decode_plain(&full[..end]).is_none(), "{end}");
        }
    }

    /// Every JSON command Java wrote for the golden vectors takes the fast path.
    #[test]
    fn java_golden_headers_take_the_fast_path() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
        let mut seen = 0;
        for version in ["4.9.8", "5.5.0"] {
            let dir = root.join(version);
            let manifest: serde_json::Value =
                serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
            for vector in manifest["vectors"].as_array().unwrap() {
                if vector["kind"] != "command" {
                    continue;
                }
                let frame = std::fs::read(dir.join(vector["file"].as_str().unwrap())).unwrap();
                let header_len = usize::from(frame[5]) << 16
                    | usize::from(frame[6]) << 8
                    | usize::from(frame[7]);
                if frame[4] != 0 {
                    continue; // the binary header form
                }
                let header = &frame[8..8 + header_len];
                let fast =
                    decode_plain(header).unwrap_or_else(|| panic!("{version} {}", vector["name"]));
                assert_eq!(fast, decode_general(header).unwrap());
                seen += 1;
            }
        }
        assert!(seen >= 16, "only {seen} JSON command vectors");
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        const PLAIN: &[u8] = br#"{"code":0,"extFields":{"queueId":"1","i":"K\u0001v\u0002","msgId":"AB"},"flag":1,"language":"JAVA","opaque":17,"remark":"a\nb","version":479}"#;

        proptest! {
            #[test]
            fn mutated_headers_decode_as_the_general_decoder_or_not_at_all(
                edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)
            ) {
                let mut bytes = PLAIN.to_vec();
                for (at, byte) in edits {
                    let i = at.index(bytes.len());
                    bytes[i] = byte;
                }
                if let Some(fast) = decode_plain(&bytes) {
                    prop_assert_eq!(Some(fast), decode_general(&bytes).ok());
                }
            }

            #[test]
            fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
                if let Some(fast) = decode_plain(&bytes) {
                    prop_assert_eq!(Some(fast), decode_general(&bytes).ok());
                }
            }
        }
    }
}
