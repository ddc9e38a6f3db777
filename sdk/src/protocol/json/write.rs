//! The JSON writer, byte-compatible with fastjson 1.2.x (`JSON.toJSONString`).
//!
//! What fastjson does and this writer mirrors:
//! * strings: `"` and `\` escaped, `\b \t \n \f \r` as short escapes, the other control
//!   characters, DEL and U+0080..U+009F as `\u00XX` (upper-case hex), U+2028/U+2029 as
//!   `\u2028`/`\u2029`; everything else, `/` included, as raw UTF-8;
//! * numbers: integers in decimal, doubles as [`super::double`] formats them, NaN and
//!   infinities as `null`;
//! * object keys: strings quoted, number keys bare (`{0:"a"}`), object keys as JSON objects.
//!
//! [`Style::Standard`] is what name servers since 4.9.4 use for topic routes
//! (`BrowserCompatible, QuoteFieldNames, SkipTransientField, MapSortField`): every character
//! from DEL up escaped as `\uXXXX` (UTF-16 units), `/` escaped, integers beyond ±(2^53 - 1)
//! written as strings, non-string keys written as strings (`{"0":"a"}`), and map keys sorted.

use std::cmp::Ordering;

use super::double::java_double;
use super::value::{JsonValue, Number};

/// Which fastjson feature set to imitate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Style {
    /// fastjson's defaults, as `RemotingSerializable.encode()` writes every body.
    #[default]
    Fastjson,
    /// `BrowserCompatible` + `MapSortField`: strict, ASCII-only JSON that any parser reads
    /// (what GET_ROUTEINFO_BY_TOPIC answers to clients of version 4.9.4 and later).
    Standard,
}

/// Options for [`write()`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct WriteOptions {
    /// The feature set to imitate.
    pub style: Style,
}

impl WriteOptions {
    /// fastjson's default output.
    pub const FASTJSON: Self = Self {
        style: Style::Fastjson,
    };
    /// Browser-compatible output with sorted maps (see [`Style::Standard`]).
    pub const STANDARD: Self = Self {
        style: Style::Standard,
    };
}

/// The largest integer magnitude `BrowserCompatible` writes as a number (2^53 - 1).
const JS_SAFE_INT: i64 = 9_007_199_254_740_991;

/// Writes `value` as fastjson would.
///
/// ```
/// # use rocketmq::protocol::json::{parse, write, WriteOptions};
/// let v = parse(br#"{"brokerAddrs":{0:"127.0.0.1:10911"}}"#).unwrap();
/// assert_eq!(write(&v, WriteOptions::FASTJSON), br#"{"brokerAddrs":{0:"127.0.0.1:10911"}}"#);
/// assert_eq!(write(&v, WriteOptions::STANDARD), br#"{"brokerAddrs":{"0":"127.0.0.1:10911"}}"#);
/// ```
pub fn write(value: &JsonValue, options: WriteOptions) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    write_value(&mut out, value, options.style);
    out
}

fn write_value(out: &mut Vec<u8>, value: &JsonValue, style: Style) {
    match value {
        JsonValue::Null => out.extend_from_slice(b"null"),
        JsonValue::Bool(true) => out.extend_from_slice(b"true"),
        JsonValue::Bool(false) => out.extend_from_slice(b"false"),
        JsonValue::Number(n) => write_number(out, n, style),
        JsonValue::String(s) => write_string(out, s, style),
        JsonValue::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item, style);
            }
            out.push(b']');
        }
        JsonValue::Object(entries) => {
            out.push(b'{');
            if style == Style::Standard {
                let mut sorted: Vec<&(JsonValue, JsonValue)> = entries.iter().collect();
                sorted.sort_by(|a, b| compare_keys(&a.0, &b.0));
                write_entries(out, sorted.into_iter(), style);
            } else {
                write_entries(out, entries.iter(), style);
            }
            out.push(b'}');
        }
    }
}

fn write_entries<'a>(
    out: &mut Vec<u8>,
    entries: impl Iterator<Item = &'a (JsonValue, JsonValue)>,
    style: Style,
) {
    for (i, (key, value)) in entries.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_key(out, key, style);
        out.push(b':');
        write_value(out, value, style);
    }
}

fn write_key(out: &mut Vec<u8>, key: &JsonValue, style: Style) {
    match (key, style) {
        (JsonValue::String(s), _) => write_string(out, s, style),
        (_, Style::Fastjson) => write_value(out, key, style),
        // `WriteNonStringKeyAsString` (implied by BrowserCompatible): the key's default JSON
        // text, written as a string.
        (_, Style::Standard) => {
            let text = write(key, WriteOptions::FASTJSON);
            write_string(out, &String::from_utf8_lossy(&text), style);
        }
    }
}

/// Java's `TreeMap` order for the keys fastjson's `MapSortField` sorts: numbers by value,
/// strings by UTF-16 code units; anything else keeps its place.
fn compare_keys(a: &JsonValue, b: &JsonValue) -> Ordering {
    match (a, b) {
        (JsonValue::String(x), JsonValue::String(y)) => x.encode_utf16().cmp(y.encode_utf16()),
        (JsonValue::Number(x), JsonValue::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                _ => Ordering::Equal,
            },
        },
        _ => Ordering::Equal,
    }
}

fn write_number(out: &mut Vec<u8>, n: &Number, style: Style) {
    let quote = style == Style::Standard
        && match n {
            Number::Int(v) => !(-JS_SAFE_INT..=JS_SAFE_INT).contains(v),
            Number::UInt(_) => true,
            Number::Float(_) | Number::Big(_) => false,
        };
    match n {
        Number::Float(v) if !v.is_finite() => out.extend_from_slice(b"null"),
        Number::Float(v) => out.extend_from_slice(java_double(*v).as_bytes()),
        _ => {
            if quote {
                out.push(b'"');
            }
            out.extend_from_slice(n.to_string().as_bytes());
            if quote {
                out.push(b'"');
            }
        }
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn push_u_escape(out: &mut Vec<u8>, unit: u16) {
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[usize::from((unit >> shift) & 0xF)]);
    }
}

fn write_string(out: &mut Vec<u8>, s: &str, style: Style) {
    out.push(b'"');
    match style {
        Style::Fastjson => escape_default(out, s),
        Style::Standard => escape_browser(out, s),
    }
    out.push(b'"');
}

fn short_escape(c: char) -> Option<u8> {
    Some(match c {
        '"' => b'"',
        '\\' => b'\\',
        '\u{8}' => b'b',
        '\t' => b't',
        '\n' => b'n',
        '\u{C}' => b'f',
        '\r' => b'r',
        _ => return None,
    })
}

fn escape_default(out: &mut Vec<u8>, s: &str) {
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let short = short_escape(c);
        let unicode = short.is_none()
            && (c < ' '
                || ('\u{7F}'..='\u{9F}').contains(&c)
                || c == '\u{2028}'
                || c == '\u{2029}');
        if short.is_none() && !unicode {
            continue;
        }
        out.extend_from_slice(&s.as_bytes()[start..i]);
        start = i + c.len_utf8();
        match short {
            Some(e) => out.extend_from_slice(&[b'\\', e]),
            None => push_u_escape(out, c as u16),
        }
    }
    out.extend_from_slice(&s.as_bytes()[start..]);
}

fn escape_browser(out: &mut Vec<u8>, s: &str) {
    for c in s.chars() {
        if c == '/' {
            out.extend_from_slice(b"\\/");
        } else if let Some(e) = short_escape(c) {
            out.extend_from_slice(&[b'\\', e]);
        } else if !(' '..'\u{7F}').contains(&c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                push_u_escape(out, *unit);
            }
        } else {
            // ASCII printable: one byte.
            out.push(c as u8);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::json::parse;

    fn fj(v: &JsonValue) -> String {
        String::from_utf8(write(v, WriteOptions::FASTJSON)).unwrap()
    }

    fn std_(v: &JsonValue) -> String {
        String::from_utf8(write(v, WriteOptions::STANDARD)).unwrap()
    }

    #[test]
    fn default_escaping() {
        let s: JsonValue =
            "a\"b\\c/d\u{8}\t\n\u{B}\u{C}\r\u{0}\u{1F}\u{7F}\u{85}\u{A0}é中😀\u{2028}\u{2029}"
                .into();
        assert_eq!(
            fj(&s),
            "\"a\\\"b\\\\c/d\\b\\t\\n\\u000B\\f\\r\\u0000\\u001F\\u007F\\u0085\u{A0}é中😀\\u2028\\u2029\""
        );
    }

    #[test]
    fn browser_escaping() {
        let s: JsonValue = "a\"/\t\u{1}\u{7F}é😀~".into();
        assert_eq!(
            std_(&s),
            "\"a\\\"\\/\\t\\u0001\\u007F\\u00E9\\uD83D\\uDE00~\""
        );
    }

    #[test]
    fn numbers() {
        let v = JsonValue::Array(vec![
            0i64.into(),
            (-5i64).into(),
            JsonValue::from(9_007_199_254_740_992i64),
            JsonValue::from(9_007_199_254_740_991i64),
            1.0.into(),
            f64::NAN.into(),
            f64::INFINITY.into(),
            1e7.into(),
            JsonValue::Number(Number::UInt(u64::MAX)),
        ]);
        assert_eq!(
            fj(&v),
            "[0,-5,9007199254740992,9007199254740991,1.0,null,null,1.0E7,18446744073709551615]"
        );
        assert_eq!(
            std_(&v),
            "[0,-5,\"9007199254740992\",9007199254740991,1.0,null,null,1.0E7,\"18446744073709551615\"]"
        );
    }

    #[test]
    fn keys_in_both_styles() {
        let v =
            parse(br#"{"b":1,10:"x",2:"y",{"brokerName":"b","queueId":0,"topic":"t"}:5,"a":2}"#)
                .unwrap();
        assert_eq!(
            fj(&v),
            r#"{"b":1,10:"x",2:"y",{"brokerName":"b","queueId":0,"topic":"t"}:5,"a":2}"#
        );
        let nums = parse(br#"{10:"x",2:"y",-1:"z"}"#).unwrap();
        assert_eq!(std_(&nums), r#"{"-1":"z","2":"y","10":"x"}"#);
        let strs = parse(br#"{"b":1,"B":2,"a":{"d":1,"c":2}}"#).unwrap();
        assert_eq!(std_(&strs), r#"{"B":2,"a":{"c":2,"d":1},"b":1}"#);
        let mq = parse(br#"{{"topic":"t/x"}:1}"#).unwrap();
        assert_eq!(std_(&mq), r#"{"{\"topic\":\"t\/x\"}":1}"#);
    }

    #[test]
    fn parse_write_round_trip() {
        let doc = r#"{"a":[1,-2,3.5,true,false,null,"x\u0001y"],0:{"k":"中"},{"q":1}:[]}"#;
        let v = parse(doc.as_bytes()).unwrap();
        assert_eq!(fj(&v), doc);
        assert_eq!(parse(fj(&v).as_bytes()).unwrap(), v);
        assert_eq!(parse(std_(&v).as_bytes()).unwrap().get("a"), v.get("a"));
    }
}
