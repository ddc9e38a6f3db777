//! `serde::Serializer` into [`JsonValue`], shaped the way fastjson writes Java beans:
//! struct fields sorted by name (`SortField`), `null` fields and `null` map values left out,
//! unit enum variants as their name (`WriteEnumUsingName`), map keys kept as the value they
//! are (a struct key becomes an object key, an integer key a bare number).

use serde::ser::{self, Serialize};

use super::value::{JsonValue, Number};

/// Why a value could not be turned into JSON (only a hand-written `Serialize` that reports
/// its own error can cause one).
#[derive(Debug)]
pub(crate) struct SerError(pub(crate) String);

impl std::fmt::Display for SerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SerError {}

impl ser::Error for SerError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        SerError(msg.to_string())
    }
}

/// Converts `value` into a [`JsonValue`].
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> crate::Result<JsonValue> {
    value
        .serialize(ValueSerializer)
        .map_err(|e| crate::Error::Json(e.0))
}

pub(crate) struct ValueSerializer;

type Res = Result<JsonValue, SerError>;

impl ser::Serializer for ValueSerializer {
    type Ok = JsonValue;
    type Error = SerError;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = VariantBuilder<SeqBuilder>;
    type SerializeMap = MapBuilder;
    type SerializeStruct = StructBuilder;
    type SerializeStructVariant = VariantBuilder<StructBuilder>;

    fn serialize_bool(self, v: bool) -> Res {
        Ok(JsonValue::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Res {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Res {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Res {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Res {
        Ok(JsonValue::Number(Number::Int(v)))
    }
    fn serialize_u8(self, v: u8) -> Res {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Res {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Res {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Res {
        Ok(JsonValue::Number(match i64::try_from(v) {
            Ok(v) => Number::Int(v),
            Err(_) => Number::UInt(v),
        }))
    }
    fn serialize_f32(self, v: f32) -> Res {
        // Keep the float's own shortest digits (fastjson writes floats with RyuFloat).
        let v = v.to_string().parse::<f64>().unwrap_or(f64::from(v));
        self.serialize_f64(v)
    }
    fn serialize_f64(self, v: f64) -> Res {
        // fastjson writes NaN and infinities as null, which then drops out of objects.
        Ok(if v.is_finite() {
            JsonValue::Number(Number::Float(v))
        } else {
            JsonValue::Null
        })
    }
    fn serialize_char(self, v: char) -> Res {
        Ok(JsonValue::String(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Res {
        Ok(JsonValue::String(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Res {
        Ok(JsonValue::Array(
            v.iter().map(|b| JsonValue::from(i64::from(*b))).collect(),
        ))
    }
    fn serialize_none(self) -> Res {
        Ok(JsonValue::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Res {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Res {
        Ok(JsonValue::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Res {
        Ok(JsonValue::Null)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Res {
        Ok(JsonValue::String(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Res {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Res {
        Ok(JsonValue::Object(vec![(
            JsonValue::String(variant.to_owned()),
            value.serialize(ValueSerializer)?,
        )]))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder, SerError> {
        Ok(SeqBuilder(Vec::with_capacity(len.unwrap_or(0).min(1024))))
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder, SerError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<SeqBuilder, SerError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, SerError> {
        Ok(VariantBuilder {
            variant,
            inner: self.serialize_seq(Some(len))?,
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapBuilder, SerError> {
        Ok(MapBuilder {
            entries: Vec::with_capacity(len.unwrap_or(0).min(1024)),
            key: None,
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<StructBuilder, SerError> {
        Ok(StructBuilder(Vec::with_capacity(len)))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, SerError> {
        Ok(VariantBuilder {
            variant,
            inner: StructBuilder(Vec::with_capacity(len)),
        })
    }
}

pub(crate) struct SeqBuilder(Vec<JsonValue>);

impl ser::SerializeSeq for SeqBuilder {
    type Ok = JsonValue;
    type Error = SerError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.0.push(value.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> Res {
        Ok(JsonValue::Array(self.0))
    }
}

impl ser::SerializeTuple for SeqBuilder {
    type Ok = JsonValue;
    type Error = SerError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Res {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for SeqBuilder {
    type Ok = JsonValue;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Res {
        ser::SerializeSeq::end(self)
    }
}

pub(crate) struct MapBuilder {
    entries: Vec<(JsonValue, JsonValue)>,
    key: Option<JsonValue>,
}

impl ser::SerializeMap for MapBuilder {
    type Ok = JsonValue;
    type Error = SerError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerError> {
        self.key = Some(key.serialize(ValueSerializer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| SerError("map value without a key".to_owned()))?;
        let value = value.serialize(ValueSerializer)?;
        // fastjson leaves out map entries whose value is null.
        if !value.is_null() {
            self.entries.push((key, value));
        }
        Ok(())
    }
    fn end(self) -> Res {
        Ok(JsonValue::Object(self.entries))
    }
}

pub(crate) struct StructBuilder(Vec<(JsonValue, JsonValue)>);

impl ser::SerializeStruct for StructBuilder {
    type Ok = JsonValue;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        let value = value.serialize(ValueSerializer)?;
        // fastjson leaves out null bean properties.
        if !value.is_null() {
            self.0.push((JsonValue::String(key.to_owned()), value));
        }
        Ok(())
    }
    fn end(mut self) -> Res {
        // `SortField`: bean properties in name order (Java `String.compareTo`, which is byte
        // order for the ASCII names beans have).
        self.0.sort_by(|a, b| a.0.as_str().cmp(&b.0.as_str()));
        Ok(JsonValue::Object(self.0))
    }
}

pub(crate) struct VariantBuilder<B> {
    variant: &'static str,
    inner: B,
}

impl VariantBuilder<SeqBuilder> {
    fn wrap(self) -> Res {
        let value = ser::SerializeSeq::end(self.inner)?;
        Ok(JsonValue::Object(vec![(
            JsonValue::String(self.variant.to_owned()),
            value,
        )]))
    }
}

impl ser::SerializeTupleVariant for VariantBuilder<SeqBuilder> {
    type Ok = JsonValue;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        ser::SerializeSeq::serialize_element(&mut self.inner, value)
    }
    fn end(self) -> Res {
        self.wrap()
    }
}

impl ser::SerializeStructVariant for VariantBuilder<StructBuilder> {
    type Ok = JsonValue;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        ser::SerializeStruct::serialize_field(&mut self.inner, key, value)
    }
    fn end(self) -> Res {
        let value = ser::SerializeStruct::end(self.inner)?;
        Ok(JsonValue::Object(vec![(
            JsonValue::String(self.variant.to_owned()),
            value,
        )]))
    }
}

impl Serialize for JsonValue {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use ser::{SerializeMap, SerializeSeq};
        match self {
            JsonValue::Null => serializer.serialize_none(),
            JsonValue::Bool(b) => serializer.serialize_bool(*b),
            JsonValue::Number(Number::Int(v)) => serializer.serialize_i64(*v),
            JsonValue::Number(Number::UInt(v)) => serializer.serialize_u64(*v),
            JsonValue::Number(Number::Float(v)) => serializer.serialize_f64(*v),
            JsonValue::Number(Number::Big(text)) => serializer.serialize_str(text),
            JsonValue::String(s) => serializer.serialize_str(s),
            JsonValue::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            JsonValue::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}
