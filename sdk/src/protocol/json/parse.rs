//! A lenient JSON reader for what fastjson writes and what it reads by default.
//!
//! Beyond standard JSON it accepts, as fastjson 1.x's default parser features do:
//! object keys that are bare numbers or identifiers (`{0:"a"}`, `{name:"a"}`), keys that are
//! objects or arrays (`{{"topic":"t"}:1}`), single-quoted strings, extra commas
//! (`[1,2,]`, `{,"a":1}`), the escapes `\'`, `\v`, `\xHH` and `\0`..`\7`, raw control
//! characters inside strings, `\f`/`\b` as white space, a leading byte-order mark, and the
//! type suffixes fastjson's `WriteClassName` puts after numbers (`1L`, `2.5D`).
//! Invalid UTF-8 and unpaired surrogate escapes become U+FFFD, as Java's decoder does.
//!
//! Nesting is limited to [`MAX_DEPTH`]; input is never trusted: every failure is an
//! [`Error::Json`] naming the byte offset.

use super::value::{JsonValue, Number};
use crate::{Error, Result};

/// The deepest nesting of arrays and objects (keys included) accepted.
pub const MAX_DEPTH: usize = 128;

/// Parses one JSON document from `input`.
///
/// ```
/// # use rocketmq::protocol::json::{parse, JsonValue};
/// let v = parse(br#"{"brokerAddrs":{0:"127.0.0.1:10911"}}"#).unwrap();
/// let addrs = v.get("brokerAddrs").and_then(JsonValue::entries).unwrap();
/// assert_eq!(addrs[0].0.as_i64(), Some(0));
/// ```
pub fn parse(input: &[u8]) -> Result<JsonValue> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let mut parser = Parser { input, pos: 0 };
    parser.skip_ws();
    let value = parser.value(0)?;
    parser.skip_ws();
    if parser.pos < input.len() {
        return Err(parser.error("unexpected data after the JSON value"));
    }
    Ok(value)
}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn error(&self, what: &str) -> Error {
        Error::Json(format!("{what} at byte {}", self.pos))
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0C' | b'\x08') = self.peek() {
            self.pos += 1;
        }
    }

    /// Skips white space and any number of commas; true if at least one comma was seen.
    fn skip_commas(&mut self) -> bool {
        let mut seen = false;
        loop {
            self.skip_ws();
            if self.peek() == Some(b',') {
                self.pos += 1;
                seen = true;
            } else {
                return seen;
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<JsonValue> {
        match self.peek() {
            None => Err(self.error("unexpected end of input")),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(q @ (b'"' | b'\'')) => Ok(JsonValue::String(self.string(q)?)),
            Some(b'-' | b'+' | b'0'..=b'9' | b'.') => Ok(JsonValue::Number(self.number()?)),
            Some(_) => {
                let word = self.word();
                match word {
                    b"true" => Ok(JsonValue::Bool(true)),
                    b"false" => Ok(JsonValue::Bool(false)),
                    b"null" | b"undefined" => Ok(JsonValue::Null),
                    b"" => Err(self.error("unexpected character")),
                    _ => {
                        self.pos -= word.len();
                        Err(self.error("unknown literal"))
                    }
                }
            }
        }
    }

    /// An identifier-like run of bytes (fastjson's unquoted names): letters, digits, `_`, `$`
    /// and any non-ASCII byte.
    fn word(&mut self) -> &'a [u8] {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80 {
                self.pos += 1;
            } else {
                break;
            }
        }
        &self.input[start..self.pos]
    }

    fn check_depth(&self, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            Err(self.error("nesting deeper than 128 levels"))
        } else {
            Ok(())
        }
    }

    fn object(&mut self, depth: usize) -> Result<JsonValue> {
        self.check_depth(depth)?;
        self.pos += 1; // '{'
        let mut entries = Vec::new();
        loop {
            let had_comma = self.skip_commas();
            match self.peek() {
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(JsonValue::Object(entries));
                }
                None => return Err(self.error("unterminated object")),
                Some(_) if !entries.is_empty() && !had_comma => {
                    return Err(self.error("expected ',' or '}' in object"));
                }
                Some(_) => {}
            }
            let key = self.key(depth)?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.error("expected ':' after object key"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth)?;
            entries.push((key, value));
        }
    }

    fn key(&mut self, depth: usize) -> Result<JsonValue> {
        match self.peek() {
            Some(q @ (b'"' | b'\'')) => Ok(JsonValue::String(self.string(q)?)),
            Some(b'{' | b'[') => self.value(depth),
            Some(b'-' | b'+' | b'0'..=b'9' | b'.') => Ok(JsonValue::Number(self.number()?)),
            _ => {
                let word = self.word();
                if word.is_empty() {
                    return Err(self.error("expected an object key"));
                }
                Ok(JsonValue::String(
                    String::from_utf8_lossy(word).into_owned(),
                ))
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<JsonValue> {
        self.check_depth(depth)?;
        self.pos += 1; // '['
        let mut items = Vec::new();
        loop {
            let had_comma = self.skip_commas();
            match self.peek() {
                Some(b']') => {
                    self.pos += 1;
                    return Ok(JsonValue::Array(items));
                }
                None => return Err(self.error("unterminated array")),
                Some(_) if !items.is_empty() && !had_comma => {
                    return Err(self.error("expected ',' or ']' in array"));
                }
                Some(_) => items.push(self.value(depth)?),
            }
        }
    }

    fn number(&mut self) -> Result<Number> {
        let start = self.pos;
        if let Some(b'-' | b'+') = self.peek() {
            self.pos += 1;
        }
        let int_start = self.pos;
        self.digits();
        let int_digits = self.pos - int_start;
        let mut is_float = false;
        let mut frac_digits = 0;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            is_float = true;
            let frac_start = self.pos;
            self.digits();
            frac_digits = self.pos - frac_start;
        }
        if int_digits == 0 && frac_digits == 0 {
            return Err(self.error("malformed number"));
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            is_float = true;
            if let Some(b'-' | b'+') = self.peek() {
                self.pos += 1;
            }
            let exp_start = self.pos;
            self.digits();
            if self.pos == exp_start {
                return Err(self.error("malformed number exponent"));
            }
        }
        let text = std::str::from_utf8(&self.input[start..self.pos])
            .map_err(|_| self.error("malformed number"))?;
        let text = text.strip_prefix('+').unwrap_or(text);
        // fastjson's WriteClassName suffixes: long, short, byte, float, double.
        if let Some(b'L' | b'S' | b'B' | b'F' | b'D') = self.peek() {
            self.pos += 1;
        }
        if !is_float {
            if let Ok(v) = text.parse::<i64>() {
                return Ok(Number::Int(v));
            }
            if let Ok(v) = text.parse::<u64>() {
                return Ok(Number::UInt(v));
            }
            return Ok(Number::Big(text.to_owned()));
        }
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Number::Float(v)),
            _ => Ok(Number::Big(text.to_owned())),
        }
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn string(&mut self, quote: u8) -> Result<String> {
        self.pos += 1; // opening quote
        let mut out: Vec<u8> = Vec::new();
        loop {
            let start = self.pos;
            while let Some(b) = self.peek() {
                if b == quote || b == b'\\' {
                    break;
                }
                self.pos += 1;
            }
            out.extend_from_slice(&self.input[start..self.pos]);
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b) if b == quote => {
                    self.pos += 1;
                    return Ok(match String::from_utf8(out) {
                        Ok(s) => s,
                        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
                    });
                }
                Some(_) => self.escape(&mut out)?,
            }
        }
    }

    /// Decodes one escape sequence (the cursor is on the backslash) into `out` as UTF-8.
    fn escape(&mut self, out: &mut Vec<u8>) -> Result<()> {
        self.pos += 1;
        let Some(c) = self.peek() else {
            return Err(self.error("unterminated escape"));
        };
        self.pos += 1;
        let ch: char = match c {
            b'"' | b'\'' | b'\\' | b'/' => char::from(c),
            b'b' => '\u{8}',
            b'f' => '\u{C}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'v' => '\u{B}',
            b'0'..=b'7' => char::from(c - b'0'),
            b'x' => {
                let v = self.hex(2)?;
                char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER)
            }
            b'u' => self.unicode_escape()?,
            _ => {
                self.pos -= 1;
                return Err(self.error("invalid escape"));
            }
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        Ok(())
    }

    /// `\uXXXX`, joining a surrogate pair written as two escapes.
    fn unicode_escape(&mut self) -> Result<char> {
        let first = self.hex(4)?;
        if (0xD800..0xDC00).contains(&first) && self.input[self.pos..].starts_with(b"\\u") {
            let save = self.pos;
            self.pos += 2;
            let second = self.hex(4)?;
            if (0xDC00..0xE000).contains(&second) {
                let cp = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                return Ok(char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            self.pos = save;
        }
        Ok(char::from_u32(first).unwrap_or(char::REPLACEMENT_CHARACTER))
    }

    fn hex(&mut self, len: usize) -> Result<u32> {
        let Some(digits) = self.input.get(self.pos..self.pos + len) else {
            return Err(self.error("truncated hex escape"));
        };
        let mut v = 0u32;
        for &d in digits {
            let n = char::from(d)
                .to_digit(16)
                .ok_or_else(|| self.error("invalid hex digit in escape"))?;
            v = v * 16 + n;
        }
        self.pos += len;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(entries: Vec<(JsonValue, JsonValue)>) -> JsonValue {
        JsonValue::Object(entries)
    }

    #[test]
    fn standard_json() {
        let v = parse(br#" {"a": [1, -2, 3.5, 1e3, true, false, null], "b": "x\"y"} "#).unwrap();
        assert_eq!(
            v,
            obj(vec![
                (
                    "a".into(),
                    JsonValue::Array(vec![
                        1i64.into(),
                        (-2i64).into(),
                        3.5.into(),
                        1000.0.into(),
                        true.into(),
                        false.into(),
                        JsonValue::Null,
                    ])
                ),
                ("b".into(), "x\"y".into()),
            ])
        );
    }

    #[test]
    fn fastjson_keys() {
        let v = parse(br#"{0:"a",-1:"b",name:'c',{"queueId":1}:2,[1]:3}"#).unwrap();
        let e = v.entries().unwrap();
        assert_eq!(e[0], (0i64.into(), "a".into()));
        assert_eq!(e[1], ((-1i64).into(), "b".into()));
        assert_eq!(e[2], ("name".into(), "c".into()));
        assert_eq!(e[3].0, obj(vec![("queueId".into(), 1i64.into())]));
        assert_eq!(e[4].0, JsonValue::Array(vec![1i64.into()]));
    }

    #[test]
    fn escapes_and_surrogates() {
        let v = parse(br#""\u00e9\uD83D\uDE00\n\t\/\\\'\v\x41\1""#).unwrap();
        assert_eq!(v.as_str(), Some("é😀\n\t/\\'\u{B}A\u{1}"));
        // Raw UTF-8 passes through; an unpaired surrogate becomes U+FFFD.
        let v = parse("\"中文\\uD800x\"".as_bytes()).unwrap();
        assert_eq!(v.as_str(), Some("中文\u{FFFD}x"));
        let v = parse(b"\"\\uDC00\\uD800\"").unwrap();
        assert_eq!(v.as_str(), Some("\u{FFFD}\u{FFFD}"));
        // Invalid UTF-8 is replaced, as Java's decoder does.
        let v = parse(b"\"a\xFFb\"").unwrap();
        assert_eq!(v.as_str(), Some("a\u{FFFD}b"));
    }

    #[test]
    fn lenient_commas_ws_and_suffixes() {
        let v = parse(b"\xEF\xBB\xBF{,\"a\":[1,,2,],\x0C\"b\":3L,}").unwrap();
        assert_eq!(
            v,
            obj(vec![
                ("a".into(), JsonValue::Array(vec![1i64.into(), 2i64.into()])),
                ("b".into(), 3i64.into()),
            ])
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(parse(b"9223372036854775807").unwrap(), i64::MAX.into());
        assert_eq!(
            parse(b"18446744073709551615").unwrap(),
            JsonValue::Number(Number::UInt(u64::MAX))
        );
        let big = "1".repeat(500);
        assert_eq!(
            parse(big.as_bytes()).unwrap(),
            JsonValue::Number(Number::Big(big.clone()))
        );
        assert_eq!(
            parse(b"1e999").unwrap(),
            JsonValue::Number(Number::Big("1e999".into()))
        );
        assert_eq!(parse(b"-0.5").unwrap(), (-0.5).into());
        assert_eq!(parse(b"+7").unwrap(), 7i64.into());
    }

    #[test]
    fn hostile_input_is_an_error() {
        let deep = "[".repeat(100_000);
        assert!(matches!(parse(deep.as_bytes()), Err(Error::Json(_))));
        let deep_keys = "{".repeat(1000);
        assert!(matches!(parse(deep_keys.as_bytes()), Err(Error::Json(_))));
        let ok_depth = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert!(parse(ok_depth.as_bytes()).is_ok());
        let too_deep = format!("{}{}", "[".repeat(129), "]".repeat(129));
        assert!(parse(too_deep.as_bytes()).is_err());
        let bad: &[&[u8]] = &[
            b"",
            b"   ",
            b"{",
            b"{\"a\"",
            b"{\"a\":",
            b"{\"a\":1",
            b"[1,2",
            b"\"abc",
            b"\"\\u12",
            b"\"\\",
            b"\"\\q\"",
            b"{\"a\" 1}",
            b"{\"a\":1 \"b\":2}",
            b"[1 2]",
            b"tru",
            b"nul",
            b"-",
            b"1e",
            b".",
            b"1 2",
            b"}",
            b"@",
            b"{:1}",
        ];
        for input in bad {
            assert!(
                matches!(parse(input), Err(Error::Json(_))),
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn every_prefix_of_a_document_fails_cleanly() {
        let doc = br#"{"brokerAddrTable":{"b":{"brokerAddrs":{0:"127.0.0.1:10911"}}},{"topic":"t","queueId":1}:[1.5,'x\u00e9']}"#;
        for cut in 0..doc.len() {
            assert!(parse(&doc[..cut]).is_err(), "prefix of {cut} bytes");
        }
        assert!(parse(doc).is_ok());
    }
}
