//! `RemotingCommand`: the unit of the wire protocol.

use bytes::Bytes;

use super::{ExtFields, LanguageCode};

/// How a command's header is serialized (`SerializeType.java`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SerializeType {
    /// JSON header (Java's default).
    #[default]
    Json,
    /// The compact ROCKETMQ binary header.
    RocketMq,
}

/// One request or response on the wire.
#[derive(Clone, Debug, PartialEq)]
pub struct RemotingCommand {
    /// Request code for requests, response code for responses.
    pub code: i32,
    /// Language of the sender.
    pub language: LanguageCode,
    /// Version of the sender.
    pub version: i32,
    /// Matches a response to its request.
    pub opaque: i32,
    /// Bit 0: response; bit 1: oneway.
    pub flag: i32,
    /// Free text, usually an error description on responses.
    pub remark: Option<String>,
    /// Header fields.
    pub ext_fields: ExtFields,
    /// Serialization of the header.
    pub serialize_type: SerializeType,
    /// Body; empty when the command has none.
    pub body: Bytes,
}
