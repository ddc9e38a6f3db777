//! Producers: [`Producer`] (Java `DefaultMQProducer`) and [`TransactionProducer`] (Java
//! `TransactionMQProducer`).
//!
//! Behaviour follows Java's producer, defaults included: sync sends retry twice on
//! another broker within a 3 s timeout (for transport failures and the broker answers
//! Java retries: `TOPIC_NOT_EXIST`, `SERVICE_NOT_AVAILABLE`, `SYSTEM_ERROR`,
//! `SYSTEM_BUSY`, `NO_PERMISSION`, ...); async sends retry twice when the request did not
//! reach a broker; oneway and queue/selector sends make one attempt. Queues are chosen
//! round robin (optionally avoiding slow or failing brokers, [`LatencyTable`]). Bodies of
//! 4 KiB or more are compressed (ZLIB by default, LZ4 or ZSTD selectable) and flagged in
//! the `sysFlag` as Java does. Requests are `SEND_MESSAGE_V2` and `SEND_BATCH_MESSAGE`
//! with Java's single-letter header. A broker's refusal is [`Error::Broker`](crate::Error::Broker)
//! with its response code and remark.
//!
//! ```no_run
//! # async fn demo() -> rocketmq::Result<()> {
//! use rocketmq::producer::{Producer, QueueChoice};
//! use rocketmq::protocol::message::Message;
//!
//! let producer = Producer::builder().namesrv_addr("127.0.0.1:9876").build().await?;
//! // Per-key order: every message of order 42 goes to the same queue.
//! producer.send_ordered(Message::new("orders", "created"), "order-42").await?;
//! producer.send_ordered(Message::new("orders", "paid"), "order-42").await?;
//! // Many in flight at once.
//! let pending = producer.send_async(Message::new("events", "clicked")).await?;
//! let _result = pending.await?;
//! producer.send_oneway(Message::new("metrics", "cpu=3")).await?;
//! producer.close().await;
//! # Ok(()) }
//! ```

mod accumulate;
mod batch;
mod builder;
mod fault;
mod hook;
mod outgoing;
mod result;
mod selector;
mod send;
mod settings;
mod transaction;
mod validate;

pub use batch::{batch_entry_len, split_batch};
pub use builder::{Plain, ProducerBuilder, Transactional};
pub use fault::LatencyTable;
pub use hook::{CommunicationMode, MessageType, SendContext, SendHook, SendOutcome};
pub use result::{SendResult, SendStatus};
pub use selector::{QueueChoice, QueueSelector, SelectByHash, SelectRandom, hash_index};
pub use send::{Producer, SendFuture};
pub use transaction::{
    LocalTransactionState, TransactionChecker, TransactionProducer, TransactionSendResult,
};
pub use validate::{GROUP_MAX_LEN, TOPIC_MAX_LEN, check_group, check_message, check_topic};
