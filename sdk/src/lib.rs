//! An async Rust client for Apache RocketMQ's remoting protocol.
//!
//! The crate is layered bottom-up; each layer only uses the ones below it:
//!
//! * [`protocol`]: pure data. Remoting commands, request and response codes, typed
//!   headers, JSON bodies and the message formats, byte-compatible with Java RocketMQ
//!   4.9.x and 5.x. No I/O, no tokio.
//! * [`codec`]: the frame codec (tokio-util `Decoder`/`Encoder`) with frame limits.
//! * [`remoting`]: connections (one task per socket), request/reply matching,
//!   RPC hooks, and the server side that broker-lite reuses.
//! * [`client`]: the client core producers and consumers share: name servers, topic
//!   routes, broker table, heartbeats, client id, namespaces.
//! * [`producer`]: [`Producer`](producer::Producer) and
//!   [`TransactionProducer`](producer::TransactionProducer).
//! * [`consumer`]: [`PullConsumer`](consumer::PullConsumer), queue allocation, offsets.
//! * [`acl`]: ACL credentials and the RPC hook that signs requests with them.
#![warn(missing_docs)]

pub mod acl;
pub mod client;
pub mod codec;
pub mod consumer;
mod error;
pub mod producer;
pub mod protocol;
pub mod remoting;

pub use error::{Error, Result};
