//! The remoting protocol as pure data: no I/O, no async runtime.
//!
//! Mirrors Java RocketMQ's `RemotingCommand`, `RequestCode`/`ResponseCode`, the
//! `CommandCustomHeader` classes, the JSON bodies (`RemotingSerializable`) and the message
//! formats of `MessageDecoder`, byte for byte, for both 4.9.x and 5.x peers.

pub mod body;
mod code;
mod command;
mod ext_fields;
pub mod header;
pub mod json;
pub mod message;
mod queue;
pub mod request;
mod rpc;

pub use code::{LanguageCode, ProtocolFlavour, RequestCode, ResponseCode, Version};
pub use command::{DEFAULT_MAX_FRAME_LEN, ExtFieldsOrder, RemotingCommand, SerializeType};
pub use ext_fields::ExtFields;
pub use queue::MessageQueue;
pub use rpc::{CommandHeader, FromResponse, Rpc};
