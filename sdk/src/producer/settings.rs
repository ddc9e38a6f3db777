//! Producer settings and their Java defaults (`DefaultMQProducer`).

use std::time::Duration;

use super::accumulate::BatchLimits;
use crate::protocol::ResponseCode;
use crate::protocol::message::CompressionType;

/// Java's `producerGroup` default.
pub(crate) const DEFAULT_GROUP: &str = "DEFAULT_PRODUCER";
/// Java's `createTopicKey` (`TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC`).
pub(crate) const DEFAULT_CREATE_TOPIC_KEY: &str = "TBW102";

/// Broker answers a synchronous send retries on another broker (Java 5.x
/// `retryResponseCodes`).
pub(crate) const RETRY_CODES: [ResponseCode; 8] = [
    ResponseCode::TOPIC_NOT_EXIST,
    ResponseCode::SERVICE_NOT_AVAILABLE,
    ResponseCode::SYSTEM_ERROR,
    ResponseCode::SYSTEM_BUSY,
    ResponseCode::NO_PERMISSION,
    ResponseCode::NO_BUYER_ID,
    ResponseCode::NOT_IN_CURRENT_UNIT,
    ResponseCode::GO_AWAY,
];

/// What a producer was built with; documented on the builder's setters.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    /// The group, namespaced.
    pub(crate) group: String,
    pub(crate) send_timeout: Duration,
    pub(crate) retries: u32,
    pub(crate) async_retries: u32,
    pub(crate) retry_another_broker_when_not_store_ok: bool,
    pub(crate) max_message_size: usize,
    pub(crate) compress_threshold: usize,
    pub(crate) compression: CompressionType,
    pub(crate) compress_level: i32,
    pub(crate) create_topic_key: String,
    pub(crate) default_topic_queue_nums: i32,
    pub(crate) max_async_in_flight: usize,
    /// Automatic batching's limits; `None` when it is off.
    pub(crate) auto_batch: Option<BatchLimits>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            group: DEFAULT_GROUP.to_owned(),
            send_timeout: Duration::from_secs(3),
            retries: 2,
            async_retries: 2,
            retry_another_broker_when_not_store_ok: false,
            max_message_size: 4 * 1024 * 1024,
            compress_threshold: 4096,
            compression: CompressionType::Zlib,
            compress_level: CompressionType::DEFAULT_LEVEL,
            create_topic_key: DEFAULT_CREATE_TOPIC_KEY.to_owned(),
            default_topic_queue_nums: 4,
            max_async_in_flight: 1024,
            auto_batch: None,
        }
    }
}
