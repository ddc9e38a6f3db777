//! What a send returns (Java `SendResult`).

use crate::protocol::MessageQueue;
pub use crate::protocol::request::SendStatus;

/// Where a sent message was stored.
///
/// `msg_id` is the id applications see: the unique client id (`UNIQ_KEY`) the producer
/// set before sending, or the ids of a batch joined with commas. `offset_msg_id` is the
/// broker's id (store host + commit log offset).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SendResult {
    /// How the broker stored it.
    pub status: SendStatus,
    /// The unique client id(s).
    pub msg_id: String,
    /// The broker-assigned offset message id.
    pub offset_msg_id: String,
    /// The queue it went to (topic without the namespace).
    pub queue: MessageQueue,
    /// Its offset in that queue.
    pub queue_offset: i64,
    /// The transaction id the broker assigned, for half messages.
    pub transaction_id: Option<String>,
    /// The region the broker reported (`MSG_REGION`), `DefaultRegion` when none.
    pub region_id: String,
    /// Whether the broker has message tracing on (`TRACE_ON` is not `false`).
    pub trace_on: bool,
    /// The handle to recall a timer message (5.3+ brokers).
    pub recall_handle: Option<String>,
}
