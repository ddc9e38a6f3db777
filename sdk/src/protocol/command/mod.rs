//! `RemotingCommand`: the unit of the wire protocol (Java's `RemotingCommand`).
//!
//! A frame on the wire is:
//!
//! ```text
//! +----------------+---------------------------------+--------+------+
//! | length: u32 BE | serialize type (1) | header len (3) | header | body |
//! +----------------+---------------------------------+--------+------+
//! ```
//!
//! `length` counts everything after itself. The header is JSON ([`SerializeType::Json`],
//! Java's default) or the compact binary ROCKETMQ form; both are byte-for-byte what Java
//! 4.9.8 and 5.3.3 write, including the order of `extFields` keys (Java iterates a
//! `HashMap`; see [`RemotingCommand::encode`]).

mod binary;
mod frame;
mod java_order;
mod json;
mod json_fast;

use bytes::Bytes;

use super::code::Version;
use super::{CommandHeader, ExtFields, LanguageCode, RequestCode, ResponseCode};
use crate::Result;

pub use frame::DEFAULT_MAX_FRAME_LEN;

/// How a command's header is serialized (`SerializeType.java`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SerializeType {
    /// JSON header (Java's default), code 0.
    #[default]
    Json,
    /// The compact ROCKETMQ binary header, code 1.
    RocketMq,
}

impl SerializeType {
    /// The environment variable Java reads (after the `rocketmq.serialize.type` system
    /// property) to choose how it serializes the headers it originates.
    pub const ENV_VAR: &'static str = "ROCKETMQ_SERIALIZE_TYPE";

    /// The code in the high byte of the frame's header-length word.
    pub fn code(self) -> u8 {
        match self {
            SerializeType::Json => 0,
            SerializeType::RocketMq => 1,
        }
    }

    /// The type for a code, if known.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(SerializeType::Json),
            1 => Some(SerializeType::RocketMq),
            _ => None,
        }
    }

    /// The Java enum name: `JSON` or `ROCKETMQ`.
    pub fn name(self) -> &'static str {
        match self {
            SerializeType::Json => "JSON",
            SerializeType::RocketMq => "ROCKETMQ",
        }
    }

    /// The type for a Java enum name (exact, like Java's `valueOf`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "JSON" => Some(SerializeType::Json),
            "ROCKETMQ" => Some(SerializeType::RocketMq),
            _ => None,
        }
    }

    /// The serialize type chosen by the `ROCKETMQ_SERIALIZE_TYPE` environment variable,
    /// the way Java reads it: unset or blank means JSON; otherwise the value must be
    /// exactly `JSON` or `ROCKETMQ` (Java refuses to start on anything else; we return an
    /// [`crate::Error::InvalidField`]).
    pub fn from_env() -> Result<Self> {
        Self::parse_setting(std::env::var(Self::ENV_VAR).ok().as_deref())
    }

    /// [`SerializeType::from_env`] on a given value.
    pub fn parse_setting(value: Option<&str>) -> Result<Self> {
        match value {
            None => Ok(SerializeType::Json),
            Some(v) if v.trim().is_empty() => Ok(SerializeType::Json),
            Some(v) => Self::from_name(v).ok_or_else(|| crate::Error::InvalidField {
                field: Self::ENV_VAR,
                value: v.to_owned(),
            }),
        }
    }
}

/// The order in which an encoder writes `extFields` entries.
///
/// Java iterates a `java.util.HashMap` to write them, so the order on the wire is the
/// map's bucket order (see `java_order.rs` for the exact rule), which depends on the
/// table's initial capacity: 16 when the map was created by converting a typed header or
/// by parsing a received header (the common case, and the default here), 256 in Java 5.x
/// when the first entry was added with `addExtField`.
///
/// One Java path writes another order: in ROCKETMQ binary headers, Java's Netty encoder
/// (`fastEncodeHeader`, 4.9.x and 5.x) writes the fields of the four "fast-coded" headers
/// (`SendMessageRequestHeaderV2`, `SendMessageResponseHeader`, `PullMessageRequestHeader`,
/// `PullMessageResponseHeader`) in the header's own field order, followed by any other
/// `extFields` in `HashMap` order. Decoding keeps the wire order, so
/// [`ExtFieldsOrder::Insertion`] re-encodes any
/// received command exactly as it arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExtFieldsOrder {
    /// The iteration order of a Java `HashMap` created with this initial capacity.
    JavaHashMap {
        /// The capacity passed to the map's constructor (16 for `new HashMap<>()`).
        initial_capacity: usize,
    },
    /// The order of [`ExtFields::iter`]: insertion order, or wire order for a decoded command.
    Insertion,
}

impl Default for ExtFieldsOrder {
    fn default() -> Self {
        ExtFieldsOrder::JavaHashMap {
            initial_capacity: java_order::DEFAULT_CAPACITY,
        }
    }
}

impl ExtFieldsOrder {
    /// Calls `write` with every entry of `ext` in the order to write them; stops at the
    /// first error.
    fn for_each<E>(
        self,
        ext: &ExtFields,
        mut write: impl FnMut(&str, &str) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        /// Headers up to this many entries are ordered without allocating.
        const ON_STACK: usize = 32;
        let initial_capacity = match self {
            ExtFieldsOrder::Insertion => {
                return ext.iter().try_for_each(|(k, v)| write(k, v));
            }
            ExtFieldsOrder::JavaHashMap { initial_capacity } => initial_capacity,
        };
        let n = ext.len();
        if n > ON_STACK {
            let entries: Vec<(&str, &str)> = ext.iter().collect();
            let order =
                java_order::iteration_order(entries.iter().map(|(k, _)| *k), initial_capacity);
            return order.into_iter().try_for_each(|i| {
                let (k, v) = entries[i];
                write(k, v)
            });
        }
        let capacity = java_order::table_capacity(initial_capacity, n);
        let mut slots = [(0u32, 0usize, "", ""); ON_STACK];
        for (slot, (i, (k, v))) in slots.iter_mut().zip(ext.iter().enumerate()) {
            *slot = (java_order::bucket(k, capacity), i, k, v);
        }
        let slots = &mut slots[..n];
        // By bucket, then insertion index: the pairs are distinct, so unstable is stable.
        slots.sort_unstable_by_key(|&(bucket, i, _, _)| (bucket, i));
        slots.iter().try_for_each(|&(_, _, k, v)| write(k, v))
    }
}

/// Flag bit 0: the command is a response.
const RESPONSE_BIT: i32 = 1;
/// Flag bit 1: the request expects no response.
const ONEWAY_BIT: i32 = 1 << 1;

/// One request or response on the wire.
///
/// ```
/// use rocketmq::protocol::{RemotingCommand, RequestCode, ResponseCode};
///
/// let request = RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC)
///     .with_ext_field("topic", "TopicTest")
///     .with_opaque(7);
/// let reply = RemotingCommand::response(ResponseCode::SUCCESS).reply_to(&request);
/// assert!(reply.is_response());
/// assert_eq!(reply.opaque, 7);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RemotingCommand {
    /// Request code for requests, response code for responses.
    pub code: i32,
    /// Language of the sender.
    pub language: LanguageCode,
    /// Version of the sender (ordinal of Java's `MQVersion.Version`).
    pub version: Version,
    /// Matches a response to its request.
    pub opaque: i32,
    /// Bit 0: response; bit 1: oneway.
    pub flag: i32,
    /// Free text, usually an error description on responses.
    pub remark: Option<String>,
    /// Header fields. `None` and an empty map differ only in the JSON bytes: Java writes
    /// `"extFields":{}` for a command built from a typed header with no fields set and
    /// leaves the key out for one built without a header.
    pub ext_fields: Option<ExtFields>,
    /// Serialization of the header. A Java 4.9.x server answers in its request's (see
    /// [`RemotingCommand::reply_to`]), a Java 5.x server always in JSON.
    pub serialize_type: SerializeType,
    /// Body; empty when the command has none. Decoding slices it out of the frame
    /// without copying.
    pub body: Bytes,
}

impl RemotingCommand {
    fn new(code: i32, flag: i32) -> Self {
        RemotingCommand {
            code,
            language: LanguageCode::RUST,
            version: Version::CURRENT,
            opaque: 0,
            flag,
            remark: None,
            ext_fields: None,
            serialize_type: SerializeType::Json,
            body: Bytes::new(),
        }
    }

    /// A request with `code`: language RUST, version [`Version::CURRENT`], opaque 0 (the
    /// connection assigns one when it sends), JSON header, no fields, no body.
    #[must_use]
    pub fn request(code: RequestCode) -> Self {
        Self::new(code.0, 0)
    }

    /// A response with `code` and otherwise the same defaults as [`RemotingCommand::request`].
    #[must_use]
    pub fn response(code: ResponseCode) -> Self {
        Self::new(code.0, RESPONSE_BIT)
    }

    /// A response with `code` and `remark`, the usual shape of an error reply.
    #[must_use]
    pub fn error_response(code: ResponseCode, remark: impl Into<String>) -> Self {
        Self::response(code).with_remark(remark)
    }

    /// Makes this the reply to `request`: marks it as a response, copies the request's
    /// opaque and header serialization (as a Java 4.9.x server does with a processor's
    /// response; a 5.x server keeps JSON: set `serialize_type` back for that).
    #[must_use]
    pub fn reply_to(mut self, request: &RemotingCommand) -> Self {
        self.mark_response();
        self.opaque = request.opaque;
        self.serialize_type = request.serialize_type;
        self
    }

    /// Sets the opaque.
    #[must_use]
    pub fn with_opaque(mut self, opaque: i32) -> Self {
        self.opaque = opaque;
        self
    }

    /// Sets the remark.
    #[must_use]
    pub fn with_remark(mut self, remark: impl Into<String>) -> Self {
        self.remark = Some(remark.into());
        self
    }

    /// Sets the body.
    #[must_use]
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets the header serialization (default JSON).
    #[must_use]
    pub fn with_serialize_type(mut self, serialize_type: SerializeType) -> Self {
        self.serialize_type = serialize_type;
        self
    }

    /// Sets the language (default RUST).
    #[must_use]
    pub fn with_language(mut self, language: LanguageCode) -> Self {
        self.language = language;
        self
    }

    /// Sets the version (default [`Version::CURRENT`]).
    #[must_use]
    pub fn with_version(mut self, version: Version) -> Self {
        self.version = version;
        self
    }

    /// Adds one `extFields` entry.
    #[must_use]
    pub fn with_ext_field(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.ext_fields_mut().insert(key.into(), value.into());
        self
    }

    /// Writes a typed header into `extFields` (Java's `makeCustomHeaderToNet`). The map is
    /// created even if the header sets no field, as Java does.
    #[must_use]
    pub fn with_header<H: CommandHeader>(mut self, header: &H) -> Self {
        header.write_to(self.ext_fields_mut());
        self
    }

    /// Reads a typed header from `extFields` (Java's `decodeCommandCustomHeader`); a
    /// command without `extFields` reads as an empty map.
    pub fn read_header<H: CommandHeader>(&self) -> Result<H> {
        match &self.ext_fields {
            Some(ext) => H::read_from(ext),
            None => H::read_from(&ExtFields::new()),
        }
    }

    /// One `extFields` value.
    pub fn ext_field(&self, key: &str) -> Option<&str> {
        self.ext_fields.as_ref().and_then(|ext| ext.get(key))
    }

    /// The `extFields` map, created empty if absent.
    pub fn ext_fields_mut(&mut self) -> &mut ExtFields {
        self.ext_fields.get_or_insert_with(ExtFields::new)
    }

    /// The code read as a request code.
    pub fn request_code(&self) -> RequestCode {
        RequestCode(self.code)
    }

    /// The code read as a response code.
    pub fn response_code(&self) -> ResponseCode {
        ResponseCode(self.code)
    }

    /// Whether flag bit 0 (response) is set.
    pub fn is_response(&self) -> bool {
        self.flag & RESPONSE_BIT != 0
    }

    /// Whether flag bit 1 (oneway: no response expected) is set.
    pub fn is_oneway(&self) -> bool {
        self.flag & ONEWAY_BIT != 0
    }

    /// Sets flag bit 0 (response).
    pub fn mark_response(&mut self) {
        self.flag |= RESPONSE_BIT;
    }

    /// Sets flag bit 1 (oneway).
    pub fn mark_oneway(&mut self) {
        self.flag |= ONEWAY_BIT;
    }

    /// Sets flag bit 1 (oneway), builder style.
    #[must_use]
    pub fn oneway(mut self) -> Self {
        self.mark_oneway();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags() {
        let mut cmd = RemotingCommand::request(RequestCode::SEND_MESSAGE);
        assert!(!cmd.is_response() && !cmd.is_oneway());
        cmd.mark_oneway();
        assert!(cmd.is_oneway() && !cmd.is_response());
        assert_eq!(cmd.flag, 2);
        let mut resp = RemotingCommand::response(ResponseCode::SUCCESS);
        assert!(resp.is_response());
        resp.mark_response();
        assert_eq!(resp.flag, 1);
    }

    #[test]
    fn reply_copies_opaque_and_serialize_type() {
        let req = RemotingCommand::request(RequestCode::SEND_MESSAGE)
            .with_opaque(99)
            .with_serialize_type(SerializeType::RocketMq);
        let resp =
            RemotingCommand::error_response(ResponseCode::SYSTEM_ERROR, "boom").reply_to(&req);
        assert_eq!(resp.opaque, 99);
        assert_eq!(resp.serialize_type, SerializeType::RocketMq);
        assert_eq!(resp.remark.as_deref(), Some("boom"));
        assert_eq!(resp.response_code(), ResponseCode::SYSTEM_ERROR);
        assert!(resp.is_response());
    }

    #[test]
    fn defaults() {
        let req = RemotingCommand::request(RequestCode::PULL_MESSAGE);
        assert_eq!(req.language, LanguageCode::RUST);
        assert_eq!(req.version, Version::V5_3_3);
        assert_eq!(req.serialize_type, SerializeType::Json);
        assert_eq!(req.ext_fields, None);
        assert_eq!(req.request_code(), RequestCode::PULL_MESSAGE);
        let req = req.with_ext_field("a", "1");
        assert_eq!(req.ext_field("a"), Some("1"));
        assert_eq!(req.ext_field("b"), None);
    }

    #[test]
    fn serialize_type_setting() {
        assert_eq!(
            SerializeType::parse_setting(None).unwrap(),
            SerializeType::Json
        );
        assert_eq!(
            SerializeType::parse_setting(Some("  ")).unwrap(),
            SerializeType::Json
        );
        assert_eq!(
            SerializeType::parse_setting(Some("ROCKETMQ")).unwrap(),
            SerializeType::RocketMq
        );
        assert_eq!(
            SerializeType::parse_setting(Some("JSON")).unwrap(),
            SerializeType::Json
        );
        assert!(SerializeType::parse_setting(Some("rocketmq")).is_err());
        assert_eq!(SerializeType::from_code(1), Some(SerializeType::RocketMq));
        assert_eq!(SerializeType::from_code(2), None);
    }
}
