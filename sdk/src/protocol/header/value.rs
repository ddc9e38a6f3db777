//! How single header values are written and parsed.
//!
//! Java writes every non-null header field with `value.toString()` (`String.valueOf`) and
//! parses it back in `RemotingCommand.decodeCommandCustomHeader` (or the hand-written
//! `FastCodesHeader.decode` of the hot headers) with `Integer.parseInt`, `Long.parseLong`
//! and `Boolean.parseBoolean`. The rules here follow those:
//!
//! * integers are plain decimal; a leading `+` or `-` and leading zeros are accepted,
//!   whitespace and out-of-range values are not (Java throws `NumberFormatException`);
//! * booleans are written `true`/`false` and parsed like `Boolean.parseBoolean`: `true`
//!   in any letter case is true, anything else (including garbage) is false, never an error.
//!
//! One place where we are stricter than Java: the reflective decoder logs and skips a field
//! it cannot parse, leaving the Java default, while we report [`Error::InvalidField`]; the
//! fast decoders of the hot headers (send, pull) throw in that case, as we do.

use crate::protocol::ExtFields;
use crate::{Error, Result};

/// A scalar that can live in one `extFields` entry.
pub(crate) trait HeaderValue: Sized {
    /// Appends the text Java's `String.valueOf` gives for this value to `out`.
    fn write_field(&self, out: &mut String);
    /// Parses the text as Java's decoder does; `None` when Java would throw.
    fn parse_field(text: &str) -> Option<Self>;
    /// The text Java's `String.valueOf` gives for this value.
    #[cfg(test)]
    fn to_field(&self) -> String {
        let mut out = String::new();
        self.write_field(&mut out);
        out
    }
}

impl HeaderValue for String {
    fn write_field(&self, out: &mut String) {
        out.push_str(self);
    }
    fn parse_field(text: &str) -> Option<Self> {
        Some(text.to_owned())
    }
}

/// `n` in decimal (`Long.toString`), written at the end of `buf` (20 bytes hold
/// `i64::MIN`); returns the written part. No allocation.
pub(crate) fn decimal(n: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    let mut v = n.unsigned_abs();
    loop {
        at -= 1;
        buf[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if n < 0 {
        at -= 1;
        buf[at] = b'-';
    }
    &buf[at..]
}

/// Appends `n` in decimal (`Long.toString`), digits made on the stack.
pub(crate) fn push_decimal(out: &mut String, n: i64) {
    let mut buf = [0u8; 20];
    // Only ASCII digits and '-' were written.
    out.push_str(std::str::from_utf8(decimal(n, &mut buf)).unwrap_or_default());
}

impl HeaderValue for i32 {
    fn write_field(&self, out: &mut String) {
        push_decimal(out, i64::from(*self));
    }
    fn parse_field(text: &str) -> Option<Self> {
        // Rust's integer parser accepts exactly the ASCII forms Java's `Integer.parseInt`
        // does: optional sign, then decimal digits, no whitespace, range-checked.
        text.parse().ok()
    }
}

impl HeaderValue for i64 {
    fn write_field(&self, out: &mut String) {
        push_decimal(out, *self);
    }
    fn parse_field(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

impl HeaderValue for bool {
    fn write_field(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
    fn parse_field(text: &str) -> Option<Self> {
        Some(text.eq_ignore_ascii_case("true"))
    }
}

/// Which side of a timestamp `SEARCH_OFFSET_BY_TIMESTAMP` should land on (5.x
/// `BoundaryType`; 4.x brokers always search the lower boundary).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum BoundaryType {
    /// The first offset whose store time is at or after the timestamp.
    #[default]
    Lower,
    /// The last offset whose store time is at or before the timestamp.
    Upper,
}

impl HeaderValue for BoundaryType {
    fn write_field(&self, out: &mut String) {
        // Java writes the enum constant's name.
        out.push_str(match self {
            BoundaryType::Lower => "LOWER",
            BoundaryType::Upper => "UPPER",
        });
    }
    fn parse_field(text: &str) -> Option<Self> {
        // `BoundaryType.getType`: "upper" in any case is UPPER, anything else LOWER.
        Some(if text.eq_ignore_ascii_case("upper") {
            BoundaryType::Upper
        } else {
            BoundaryType::Lower
        })
    }
}

/// A header field: a bare value is required (missing -> [`Error::MissingField`]) and always
/// written; an `Option` is optional and written only when present.
pub(crate) trait HeaderField: Sized {
    /// Reads the field named `key` of header `header` from its text (`None`: the key is
    /// absent); `default` is used when the key is absent and the field has a Java default
    /// (a primitive or an initialised field).
    fn read(
        text: Option<&str>,
        header: &'static str,
        key: &'static str,
        default: Option<Self>,
    ) -> Result<Self>;
    /// Writes the field under `key` if it has a value. `fresh`: `key` is known not to be
    /// in `ext` yet (a header written into a new map), so it is appended without a search.
    fn write(&self, ext: &mut ExtFields, key: &'static str, fresh: bool);
}

fn parse<T: HeaderValue>(key: &'static str, text: &str) -> Result<T> {
    T::parse_field(text).ok_or_else(|| Error::InvalidField {
        field: key,
        value: text.to_owned(),
    })
}

impl<T: HeaderValue> HeaderField for T {
    fn read(
        text: Option<&str>,
        header: &'static str,
        key: &'static str,
        default: Option<Self>,
    ) -> Result<Self> {
        match (text, default) {
            (Some(text), _) => parse(key, text),
            (None, Some(default)) => Ok(default),
            (None, None) => Err(Error::MissingField { header, field: key }),
        }
    }
    fn write(&self, ext: &mut ExtFields, key: &'static str, fresh: bool) {
        ext.put_with(key, fresh, |out| self.write_field(out));
    }
}

impl<T: HeaderValue> HeaderField for Option<T> {
    fn read(
        text: Option<&str>,
        _header: &'static str,
        key: &'static str,
        default: Option<Self>,
    ) -> Result<Self> {
        match text {
            Some(text) => parse(key, text).map(Some),
            None => Ok(default.flatten()),
        }
    }
    fn write(&self, ext: &mut ExtFields, key: &'static str, fresh: bool) {
        if let Some(value) = self {
            value.write(ext, key, fresh);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_parse_like_java() {
        assert_eq!(i32::parse_field("42"), Some(42));
        assert_eq!(i32::parse_field("-7"), Some(-7));
        assert_eq!(i32::parse_field("+7"), Some(7));
        assert_eq!(i32::parse_field("007"), Some(7));
        assert_eq!(i32::parse_field(" 7"), None);
        assert_eq!(i32::parse_field("7 "), None);
        assert_eq!(i32::parse_field(""), None);
        assert_eq!(i32::parse_field("2147483648"), None);
        assert_eq!(i32::parse_field("-2147483648"), Some(i32::MIN));
        assert_eq!(i64::parse_field("9223372036854775807"), Some(i64::MAX));
        assert_eq!(i64::parse_field("1.5"), None);
        assert_eq!(i64::parse_field("0x10"), None);
    }

    #[test]
    fn integers_write_like_java() {
        for n in [
            0i64,
            7,
            -7,
            10,
            -10,
            99,
            1_234_567_890,
            i64::from(i32::MAX),
            i64::from(i32::MIN),
            i64::MAX,
            i64::MIN,
        ] {
            assert_eq!(n.to_field(), n.to_string());
            if let Ok(small) = i32::try_from(n) {
                assert_eq!(small.to_field(), n.to_string());
            }
        }
        let mut out = String::from("x");
        push_decimal(&mut out, -42);
        assert_eq!(out, "x-42");
    }

    #[test]
    fn booleans_parse_like_java() {
        assert_eq!(bool::parse_field("true"), Some(true));
        assert_eq!(bool::parse_field("TRUE"), Some(true));
        assert_eq!(bool::parse_field("tRuE"), Some(true));
        assert_eq!(bool::parse_field("false"), Some(false));
        assert_eq!(bool::parse_field("1"), Some(false));
        assert_eq!(bool::parse_field("yes"), Some(false));
        assert_eq!(bool::parse_field(""), Some(false));
        assert_eq!(true.to_field(), "true");
        assert_eq!(false.to_field(), "false");
    }

    #[test]
    fn boundary_type_matches_java() {
        assert_eq!(BoundaryType::Upper.to_field(), "UPPER");
        assert_eq!(BoundaryType::Lower.to_field(), "LOWER");
        assert_eq!(
            BoundaryType::parse_field("upper"),
            Some(BoundaryType::Upper)
        );
        assert_eq!(
            BoundaryType::parse_field("whatever"),
            Some(BoundaryType::Lower)
        );
    }

    #[test]
    fn required_optional_and_defaulted_fields() {
        let ext: ExtFields = [("n", "5"), ("bad", "x")].into_iter().collect();
        assert_eq!(i32::read(ext.get("n"), "H", "n", None).ok(), Some(5));
        assert!(matches!(
            i32::read(ext.get("missing"), "H", "missing", None),
            Err(Error::MissingField {
                header: "H",
                field: "missing"
            })
        ));
        assert_eq!(
            i32::read(ext.get("missing"), "H", "missing", Some(-1)).ok(),
            Some(-1)
        );
        assert!(matches!(
            i32::read(ext.get("bad"), "H", "bad", None),
            Err(Error::InvalidField { field: "bad", ref value }) if value == "x"
        ));
        assert_eq!(
            Option::<i32>::read(ext.get("missing"), "H", "missing", None).ok(),
            Some(None)
        );
        assert!(Option::<i32>::read(ext.get("bad"), "H", "bad", None).is_err());

        // Appended (fresh) or inserted, the map ends up the same.
        for fresh in [true, false] {
            let mut out = ExtFields::new();
            None::<i32>.write(&mut out, "a", fresh);
            Some(3i64).write(&mut out, "b", fresh);
            7i32.write(&mut out, "c", fresh);
            assert_eq!(out.get("a"), None);
            assert_eq!(out.get("b"), Some("3"));
            assert_eq!(out.get("c"), Some("7"));
            assert_eq!(out.len(), 2);
        }
        // Inserting replaces a value in place.
        let mut out = ExtFields::new();
        1i32.write(&mut out, "c", true);
        2i32.write(&mut out, "c", false);
        assert_eq!((out.get("c"), out.len()), (Some("2"), 1));
    }
}
