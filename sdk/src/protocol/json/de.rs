//! `serde::Deserializer` over an owned [`JsonValue`], as lenient as fastjson's type mapping:
//! numbers may arrive as strings (`BrowserCompatible` quotes big longs, and map keys are
//! strings in standard JSON), strings may hold numbers, booleans may be `0`/`1` or strings,
//! and object keys may be numbers or whole objects (`Map<MessageQueue, _>`).

use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};

use super::value::{JsonValue, Number};

/// Why a value did not fit the requested type.
#[derive(Debug)]
pub(crate) struct DeError(pub(crate) String);

impl std::fmt::Display for DeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }
}

/// Converts a [`JsonValue`] into `T`.
pub fn from_value<T: DeserializeOwned>(value: JsonValue) -> crate::Result<T> {
    T::deserialize(Val(value)).map_err(|e| crate::Error::Json(e.0))
}

/// The deserializer over one value (a private wrapper, so the error type stays private).
pub(crate) struct Val(pub(crate) JsonValue);

fn kind(v: &JsonValue) -> &'static str {
    match v {
        JsonValue::Null => "null",
        JsonValue::Bool(_) => "a boolean",
        JsonValue::Number(_) => "a number",
        JsonValue::String(_) => "a string",
        JsonValue::Array(_) => "an array",
        JsonValue::Object(_) => "an object",
    }
}

fn mismatch(v: &JsonValue, want: &str) -> DeError {
    DeError(format!("expected {want}, found {}", kind(v)))
}

impl JsonValue {
    /// The value as an `i64`, also from a decimal string or a whole-number float, as fastjson
    /// converts them.
    fn to_i64(&self) -> Result<i64, DeError> {
        match self {
            JsonValue::Number(Number::Float(f)) if f.fract() == 0.0 && f.abs() < 9.2e18 => {
                // In range and integral: the conversion is exact.
                #[allow(clippy::cast_possible_truncation)]
                Ok(*f as i64)
            }
            JsonValue::Number(n) => n
                .as_i64()
                .ok_or_else(|| DeError(format!("number {n} is out of range for a long"))),
            JsonValue::String(s) => s
                .trim()
                .parse::<i64>()
                .map_err(|_| DeError(format!("string {s:?} is not an integer"))),
            JsonValue::Bool(b) => Ok(i64::from(*b)),
            other => Err(mismatch(other, "an integer")),
        }
    }

    fn to_u64(&self) -> Result<u64, DeError> {
        match self {
            JsonValue::Number(Number::UInt(v)) => Ok(*v),
            JsonValue::String(s) if s.trim().parse::<u64>().is_ok() => {
                s.trim().parse::<u64>().map_err(|e| DeError(e.to_string()))
            }
            other => u64::try_from(other.to_i64()?)
                .map_err(|_| DeError("negative number for an unsigned field".to_owned())),
        }
    }

    fn to_f64(&self) -> Result<f64, DeError> {
        match self {
            JsonValue::Number(n) => n
                .as_f64()
                .ok_or_else(|| DeError(format!("number {n} is out of range for a double"))),
            JsonValue::String(s) => match s.trim().parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(DeError(format!("string {s:?} is not a number"))),
            },
            other => Err(mismatch(other, "a number")),
        }
    }

    fn to_bool(&self) -> Result<bool, DeError> {
        match self {
            JsonValue::Bool(b) => Ok(*b),
            JsonValue::Number(n) => match n.as_i64() {
                Some(0) => Ok(false),
                Some(1) => Ok(true),
                _ => Err(DeError(format!("number {n} is not a boolean"))),
            },
            JsonValue::String(s) => match s.trim() {
                "true" | "1" => Ok(true),
                "false" | "0" => Ok(false),
                _ => Err(DeError(format!("string {s:?} is not a boolean"))),
            },
            other => Err(mismatch(other, "a boolean")),
        }
    }

    fn into_text(self) -> Result<String, DeError> {
        match self {
            JsonValue::String(s) => Ok(s),
            JsonValue::Number(n) => Ok(n.to_string()),
            JsonValue::Bool(b) => Ok(b.to_string()),
            other => Err(mismatch(&other, "a string")),
        }
    }
}

macro_rules! int_methods {
    ($($method:ident => $visit:ident: $ty:ty, via $conv:ident),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            let wide = self.0.$conv()?;
            let v = <$ty>::try_from(wide)
                .map_err(|_| DeError(format!("{wide} is out of range for {}", stringify!($ty))))?;
            visitor.$visit(v)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Val {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            JsonValue::Null => visitor.visit_unit(),
            JsonValue::Bool(b) => visitor.visit_bool(b),
            JsonValue::Number(Number::Int(v)) => visitor.visit_i64(v),
            JsonValue::Number(Number::UInt(v)) => visitor.visit_u64(v),
            JsonValue::Number(Number::Float(v)) => visitor.visit_f64(v),
            JsonValue::Number(Number::Big(text)) => visitor.visit_string(text),
            JsonValue::String(s) => visitor.visit_string(s),
            JsonValue::Array(items) => visit_array(items, visitor),
            JsonValue::Object(entries) => visit_object(entries, visitor),
        }
    }

    int_methods! {
        deserialize_i8 => visit_i8: i8, via to_i64,
        deserialize_i16 => visit_i16: i16, via to_i64,
        deserialize_i32 => visit_i32: i32, via to_i64,
        deserialize_i64 => visit_i64: i64, via to_i64,
        deserialize_u8 => visit_u8: u8, via to_u64,
        deserialize_u16 => visit_u16: u16, via to_u64,
        deserialize_u32 => visit_u32: u32, via to_u64,
        deserialize_u64 => visit_u64: u64, via to_u64,
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_bool(self.0.to_bool()?)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_f64(self.0.to_f64()?)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_string(self.0.into_text()?)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            JsonValue::Null => visitor.visit_none(),
            other => visitor.visit_some(Val(other)),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            JsonValue::Array(items) => visit_array(items, visitor),
            other => Err(mismatch(&other, "an array")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            JsonValue::Object(entries) => visit_object(entries, visitor),
            // `WriteNonStringKeyAsString` (BrowserCompatible) turns an object key into its
            // JSON text; read it back as the object.
            JsonValue::String(s) if s.trim_start().starts_with('{') => {
                match super::parse(s.as_bytes()) {
                    Ok(JsonValue::Object(entries)) => visit_object(entries, visitor),
                    _ => Err(DeError(format!("string {s:?} is not a JSON object"))),
                }
            }
            other => Err(mismatch(&other, "an object")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.0 {
            JsonValue::String(s) => visitor.visit_enum(s.into_deserializer()),
            JsonValue::Object(mut entries) if entries.len() == 1 => {
                let (key, value) = entries.pop().ok_or_else(|| DeError("empty".to_owned()))?;
                visitor.visit_enum(EnumAccess {
                    variant: key.into_text()?,
                    value,
                })
            }
            other => Err(mismatch(&other, "an enum name")),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

fn visit_array<'de, V: Visitor<'de>>(
    items: Vec<JsonValue>,
    visitor: V,
) -> Result<V::Value, DeError> {
    let len = items.len();
    let mut seq = de::value::SeqDeserializer::new(items.into_iter().map(Val));
    let value = visitor.visit_seq(&mut seq)?;
    seq.end()
        .map_err(|_| DeError(format!("array of {len} elements has too many")))?;
    Ok(value)
}

fn visit_object<'de, V: Visitor<'de>>(
    entries: Vec<(JsonValue, JsonValue)>,
    visitor: V,
) -> Result<V::Value, DeError> {
    visitor.visit_map(MapAccess {
        iter: entries.into_iter(),
        value: None,
    })
}

impl<'de> IntoDeserializer<'de, DeError> for Val {
    type Deserializer = Val;
    fn into_deserializer(self) -> Val {
        self
    }
}

struct MapAccess {
    iter: std::vec::IntoIter<(JsonValue, JsonValue)>,
    value: Option<JsonValue>,
}

impl<'de> de::MapAccess<'de> for MapAccess {
    type Error = DeError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.iter.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(Val(key)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DeError> {
        let value = self
            .value
            .take()
            .ok_or_else(|| DeError("map value requested before its key".to_owned()))?;
        seed.deserialize(Val(value))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

struct EnumAccess {
    variant: String,
    value: JsonValue,
}

impl<'de> de::EnumAccess<'de> for EnumAccess {
    type Error = DeError;
    type Variant = Val;

    fn variant_seed<V: de::DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Val), DeError> {
        let variant = seed.deserialize(Val(JsonValue::String(self.variant)))?;
        Ok((variant, Val(self.value)))
    }
}

impl<'de> de::VariantAccess<'de> for Val {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        Ok(())
    }

    fn newtype_variant_seed<T: de::DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, DeError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_seq(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_map(self, visitor)
    }
}

impl<'de> de::Deserialize<'de> for JsonValue {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = JsonValue;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<JsonValue, E> {
        Ok(JsonValue::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<JsonValue, E> {
        Ok(JsonValue::Number(Number::Int(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<JsonValue, E> {
        Ok(JsonValue::Number(match i64::try_from(v) {
            Ok(v) => Number::Int(v),
            Err(_) => Number::UInt(v),
        }))
    }
    fn visit_f64<E>(self, v: f64) -> Result<JsonValue, E> {
        Ok(JsonValue::Number(Number::Float(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<JsonValue, E> {
        Ok(JsonValue::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<JsonValue, E> {
        Ok(JsonValue::String(v))
    }
    fn visit_unit<E>(self) -> Result<JsonValue, E> {
        Ok(JsonValue::Null)
    }
    fn visit_none<E>(self) -> Result<JsonValue, E> {
        Ok(JsonValue::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<JsonValue, D::Error> {
        de::Deserialize::deserialize(d)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<JsonValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(JsonValue::Array(items))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<JsonValue, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(JsonValue::Object(entries))
    }
}
