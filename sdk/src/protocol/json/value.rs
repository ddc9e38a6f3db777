//! The JSON value model: like `serde_json::Value`, but with object keys that may be any value
//! (fastjson writes `Map<MessageQueue, _>` keys as objects and `Map<Long, _>` keys as bare
//! numbers) and with entries kept in the order they were read or built.

use std::fmt;

/// A JSON number as read or to be written.
///
/// Integers keep their exact value; integers beyond `u64` and decimals beyond `f64`'s range keep
/// their text (fastjson reads those as `BigInteger`/`BigDecimal`), so reading never fails on a
/// long literal, but converting such a number into a Rust integer or float does.
#[derive(Clone, Debug, PartialEq)]
pub enum Number {
    /// An integer within `i64`.
    Int(i64),
    /// A positive integer above `i64::MAX` that fits `u64`.
    UInt(u64),
    /// A number with a fraction or exponent, within `f64`'s finite range.
    Float(f64),
    /// A literal kept as text: an integer beyond `u64`, or a decimal beyond `f64`'s range.
    Big(String),
}

impl Number {
    /// The value as `i64` if it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Number::Int(v) => Some(*v),
            Number::UInt(v) => i64::try_from(*v).ok(),
            Number::Float(_) | Number::Big(_) => None,
        }
    }

    /// The value as `u64` if it is a non-negative integer in range.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Number::Int(v) => u64::try_from(*v).ok(),
            Number::UInt(v) => Some(*v),
            Number::Float(_) | Number::Big(_) => None,
        }
    }

    /// The value as `f64` (integers convert with rounding), `None` for a [`Number::Big`].
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            // Rounding to the nearest double is what Java's `longValue -> double` does too.
            #[allow(clippy::cast_precision_loss)]
            Number::Int(v) => Some(*v as f64),
            #[allow(clippy::cast_precision_loss)]
            Number::UInt(v) => Some(*v as f64),
            Number::Float(v) => Some(*v),
            Number::Big(_) => None,
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(v) => write!(f, "{v}"),
            Number::UInt(v) => write!(f, "{v}"),
            Number::Float(v) => f.write_str(&super::double::java_double(*v)),
            Number::Big(text) => f.write_str(text),
        }
    }
}

/// A parsed JSON document, or one about to be written.
///
/// Objects are ordered lists of `(key, value)` pairs. A key is usually a
/// [`JsonValue::String`], but fastjson also writes numbers (`{0:"127.0.0.1:10911"}`) and whole
/// objects (`{{"brokerName":"b","queueId":0,"topic":"t"}:{...}}`) as keys; both are kept as
/// the value they are, so a `Map<MessageQueue, _>` reads back into typed keys.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum JsonValue {
    /// `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<JsonValue>),
    /// An object, in document order.
    Object(Vec<(JsonValue, JsonValue)>),
}

impl JsonValue {
    /// The value under the string key `key` of an object (the last one if repeated).
    ///
    /// ```
    /// # use rocketmq::protocol::json::JsonValue;
    /// let v = JsonValue::parse(br#"{"a":1,7:"seven"}"#).unwrap();
    /// assert_eq!(v.get("a").and_then(JsonValue::as_i64), Some(1));
    /// assert_eq!(v.get("7"), None); // a number key is not a string key
    /// ```
    pub fn get(&self, key: &str) -> Option<&JsonValue> {
        self.entries()?
            .iter()
            .rev()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// The entries of an object, `None` for any other value.
    pub fn entries(&self) -> Option<&[(JsonValue, JsonValue)]> {
        match self {
            JsonValue::Object(entries) => Some(entries),
            _ => None,
        }
    }

    /// The elements of an array, `None` for any other value.
    pub fn as_array(&self) -> Option<&[JsonValue]> {
        match self {
            JsonValue::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The text of a string, `None` for any other value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            JsonValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value of a number that is an integer within `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            JsonValue::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// The value of a number as `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            JsonValue::Number(n) => n.as_f64(),
            _ => None,
        }
    }

    /// The value of a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            JsonValue::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, JsonValue::Null)
    }

    /// Parses fastjson output or standard JSON (see [`super::parse`]).
    pub fn parse(input: &[u8]) -> crate::Result<JsonValue> {
        super::parse(input)
    }

    /// Writes this value as fastjson's `JSON.toJSONString` would (see [`super::write`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        super::write(self, super::WriteOptions::default())
    }
}

impl From<bool> for JsonValue {
    fn from(v: bool) -> Self {
        JsonValue::Bool(v)
    }
}

impl From<i64> for JsonValue {
    fn from(v: i64) -> Self {
        JsonValue::Number(Number::Int(v))
    }
}

impl From<i32> for JsonValue {
    fn from(v: i32) -> Self {
        JsonValue::Number(Number::Int(i64::from(v)))
    }
}

impl From<f64> for JsonValue {
    fn from(v: f64) -> Self {
        JsonValue::Number(Number::Float(v))
    }
}

impl From<&str> for JsonValue {
    fn from(v: &str) -> Self {
        JsonValue::String(v.to_owned())
    }
}

impl From<String> for JsonValue {
    fn from(v: String) -> Self {
        JsonValue::String(v)
    }
}

impl fmt::Display for JsonValue {
    /// Formats as fastjson's default output would be (UTF-8 text).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}
