//! A fastjson-compatible JSON reader and writer.
//!
//! Java RocketMQ encodes every command body that is a `RemotingSerializable` with fastjson
//! 1.x (4.9.8 ships 1.2.69, 5.3.x ships 1.2.83; fastjson2 is not used for remoting bodies).
//! fastjson's output is not always standard JSON: a `Map<Long, _>` is written with bare
//! number keys (`{0:"127.0.0.1:10911"}`) and a `Map<MessageQueue, _>` with object keys
//! (`{{"brokerName":"b","queueId":0,"topic":"t"}:{...}}`). This module reads both, plus
//! standard JSON, into [`JsonValue`], and writes values back byte for byte as fastjson does.
//!
//! Body types are plain serde structs; [`to_value`]/[`from_value`] bridge them to
//! [`JsonValue`] with fastjson's bean rules (fields sorted by name, `null`s left out, enums
//! by name), and [`JsonBody`] is the one-call API the request layer uses.
//!
//! ```
//! use rocketmq::protocol::json::JsonBody;
//! use rocketmq::protocol::body::TopicList;
//!
//! let list = TopicList::from_json(br#"{"topicList":["a","b"]}"#).unwrap();
//! assert_eq!(list.topics, ["a", "b"]);
//! assert_eq!(list.to_json(), br#"{"topicList":["a","b"]}"#);
//! ```

mod de;
mod double;
mod parse;
mod ser;
mod value;
mod write;

pub use de::from_value;
pub use parse::{MAX_DEPTH, parse};
pub use ser::to_value;
pub use value::{JsonValue, Number};
pub use write::{Style, WriteOptions, write};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Result;

/// A command body that Java encodes with `RemotingSerializable` (fastjson).
///
/// Implemented for every type in [`crate::protocol::body`]; a body type only needs serde's
/// derives and this marker-like impl (both methods have defaults).
pub trait JsonBody: Serialize + DeserializeOwned {
    /// Reads the body from fastjson output or standard JSON; unknown fields are ignored
    /// (as fastjson does), missing ones take their Java default.
    fn from_json(bytes: &[u8]) -> Result<Self> {
        from_value(parse(bytes)?)
    }

    /// Writes the body as Java's `RemotingSerializable.encode()` would.
    fn to_json(&self) -> Vec<u8> {
        self.to_json_with(WriteOptions::FASTJSON)
    }

    /// Writes the body with the given fastjson feature set.
    fn to_json_with(&self, options: WriteOptions) -> Vec<u8> {
        // The serializer only fails for a hand-written `Serialize` that reports an error of
        // its own; body types are derived plain data, so this writes `null` only in theory.
        match to_value(self) {
            Ok(value) => write(&value, options),
            Err(e) => {
                tracing::error!(error = %e, "JSON body could not be serialized");
                b"null".to_vec()
            }
        }
    }
}

/// Reads any deserializable type from fastjson output or standard JSON.
///
/// ```
/// # use std::collections::BTreeMap;
/// let m: BTreeMap<i64, String> = rocketmq::protocol::json::from_slice(br#"{0:"a","1":"b"}"#).unwrap();
/// assert_eq!(m[&1], "b");
/// ```
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    from_value(parse(bytes)?)
}

/// Writes any serializable value as fastjson's `JSON.toJSONString` would.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    Ok(write(&to_value(value)?, WriteOptions::FASTJSON))
}

#[cfg(test)]
mod tests;
