//! A consumer's running state, answered to GET_CONSUMER_RUNNING_INFO. Java:
//! `body.ConsumerRunningInfo`, `ProcessQueueInfo`, `PopProcessQueueInfo` (5.x),
//! `ConsumeStatus`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::LinkedMap;
use super::heartbeat::SubscriptionData;
use crate::protocol::MessageQueue;

/// A consumer's configuration and per-queue state (Java `ConsumerRunningInfo`).
///
/// Java keeps the queue and status tables in `TreeMap`s; `BTreeMap` with
/// [`MessageQueue`]'s ordering (topic, broker name, queue id) writes them in the same order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ConsumerRunningInfo {
    /// Consumer settings as strings (Java `Properties`), e.g. `PROP_CONSUME_TYPE`.
    pub properties: LinkedMap<String, String>,
    /// Subscriptions (Java `TreeSet`).
    pub subscription_set: Vec<SubscriptionData>,
    /// Process-queue state per queue (written with object keys).
    pub mq_table: BTreeMap<MessageQueue, ProcessQueueInfo>,
    /// Pop process-queue state per queue (5.x; absent otherwise).
    pub mq_pop_table: Option<BTreeMap<MessageQueue, PopProcessQueueInfo>>,
    /// Consume statistics per topic.
    pub status_table: BTreeMap<String, ConsumeStatus>,
    /// Free-form user information (5.x; absent otherwise).
    pub user_consumer_info: Option<BTreeMap<String, String>>,
    /// A thread dump, when asked for.
    pub jstack: Option<String>,
}

/// Keys Java puts in [`ConsumerRunningInfo::properties`].
pub mod prop {
    /// Name server addresses.
    pub const NAMESERVER_ADDR: &str = "PROP_NAMESERVER_ADDR";
    /// Consume thread pool core size.
    pub const THREADPOOL_CORE_SIZE: &str = "PROP_THREADPOOL_CORE_SIZE";
    /// Whether consumption is orderly (Java spells the key `PROP_CONSUMEORDERLY`).
    pub const CONSUME_ORDERLY: &str = "PROP_CONSUMEORDERLY";
    /// Consume type name.
    pub const CONSUME_TYPE: &str = "PROP_CONSUME_TYPE";
    /// Client version.
    pub const CLIENT_VERSION: &str = "PROP_CLIENT_VERSION";
    /// Consumer start time in milliseconds.
    pub const CONSUMER_START_TIMESTAMP: &str = "PROP_CONSUMER_START_TIMESTAMP";
}

/// One queue's local consume state (Java `ProcessQueueInfo`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ProcessQueueInfo {
    /// Committed offset.
    pub commit_offset: i64,
    /// Smallest cached offset.
    pub cached_msg_min_offset: i64,
    /// Largest cached offset.
    pub cached_msg_max_offset: i64,
    /// Cached message count.
    pub cached_msg_count: i32,
    /// Cached size in MiB (`cachedMsgSizeInMiB`).
    #[serde(rename = "cachedMsgSizeInMiB")]
    pub cached_msg_size_in_mib: i32,
    /// Smallest offset of the in-transaction (orderly) messages.
    pub transaction_msg_min_offset: i64,
    /// Largest offset of the in-transaction messages.
    pub transaction_msg_max_offset: i64,
    /// In-transaction message count.
    pub transaction_msg_count: i32,
    /// Whether the queue is locked (orderly consumption).
    pub locked: bool,
    /// Failed unlock attempts.
    pub try_unlock_times: i64,
    /// Last lock time in milliseconds.
    pub last_lock_timestamp: i64,
    /// Whether the queue was dropped (Java's spelling `droped`).
    #[serde(rename = "droped")]
    pub dropped: bool,
    /// Last pull time in milliseconds.
    pub last_pull_timestamp: i64,
    /// Last consume time in milliseconds.
    pub last_consume_timestamp: i64,
}

/// One queue's pop state (Java `PopProcessQueueInfo`, 5.x).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PopProcessQueueInfo {
    /// Messages waiting for an ack.
    pub wait_ack_count: i32,
    /// Whether the queue was dropped (Java's spelling `droped`).
    #[serde(rename = "droped")]
    pub dropped: bool,
    /// Last pop time in milliseconds.
    pub last_pop_timestamp: i64,
}

/// Consume statistics of one topic (Java `ConsumeStatus`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumeStatus {
    /// Average pull round trip in milliseconds (`pullRT`).
    #[serde(rename = "pullRT")]
    pub pull_rt: f64,
    /// Pulls per second (`pullTPS`).
    #[serde(rename = "pullTPS")]
    pub pull_tps: f64,
    /// Average consume time in milliseconds (`consumeRT`).
    #[serde(rename = "consumeRT")]
    pub consume_rt: f64,
    /// Successful consumes per second (`consumeOKTPS`).
    #[serde(rename = "consumeOKTPS")]
    pub consume_ok_tps: f64,
    /// Failed consumes per second (`consumeFailedTPS`).
    #[serde(rename = "consumeFailedTPS")]
    pub consume_failed_tps: f64,
    /// Failed messages in the last hour (`consumeFailedMsgs`).
    #[serde(rename = "consumeFailedMsgs")]
    pub consume_failed_msgs: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::json::JsonBody;

    #[test]
    fn running_info_round_trip() {
        let mut info = ConsumerRunningInfo::default();
        info.properties
            .insert(prop::CONSUME_TYPE.into(), "CONSUME_PASSIVELY".into());
        info.subscription_set
            .push(SubscriptionData::tags("t", "*", 9));
        for id in [1, 0] {
            info.mq_table.insert(
                MessageQueue {
                    topic: "t".into(),
                    broker_name: "b".into(),
                    queue_id: id,
                },
                ProcessQueueInfo {
                    commit_offset: 5,
                    cached_msg_size_in_mib: 1,
                    dropped: id == 1,
                    ..ProcessQueueInfo::default()
                },
            );
        }
        info.status_table.insert(
            "t".into(),
            ConsumeStatus {
                pull_rt: 0.5,
                consume_ok_tps: 12.25,
                ..ConsumeStatus::default()
            },
        );
        let json = String::from_utf8(info.to_json()).unwrap();
        assert!(json.starts_with(concat!(
            r#"{"mqTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"cachedMsgCount":0,"#,
            r#""cachedMsgMaxOffset":0,"cachedMsgMinOffset":0,"cachedMsgSizeInMiB":1,"commitOffset":5,"#,
            r#""droped":false,"#
        )));
        assert!(json.contains(
            r#""statusTable":{"t":{"consumeFailedMsgs":0,"consumeFailedTPS":0.0,"consumeOKTPS":12.25,"consumeRT":0.0,"pullRT":0.5,"pullTPS":0.0}}"#
        ));
        assert_eq!(
            ConsumerRunningInfo::from_json(json.as_bytes()).unwrap(),
            info
        );
    }
}
