//! Bodies about sets of queues and their offsets: batch locks (LOCK_BATCH_MQ,
//! UNLOCK_BATCH_MQ), offset resets, consume and topic statistics, consume time spans.
//! Java: `body.LockBatchRequestBody`, `LockBatchResponseBody`, `UnlockBatchRequestBody`,
//! `ResetOffsetBody`, `admin.ConsumeStats`, `OffsetWrapper`, `TopicStatsTable`,
//! `TopicOffset`, `body.QueryConsumeTimeSpanBody`, `QueueTimeSpan`.

use serde::{Deserialize, Serialize};

use super::LinkedMap;
use crate::protocol::MessageQueue;

/// Asks a broker to lock queues for an orderly consumer (Java `LockBatchRequestBody`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LockBatchRequest {
    /// Consumer group.
    pub consumer_group: String,
    /// The locking client's id.
    pub client_id: String,
    /// Lock only on this broker, without forwarding (5.x; absent otherwise).
    pub only_this_broker: Option<bool>,
    /// Queues to lock (`mqSet`; Java `Set`).
    pub mq_set: Vec<MessageQueue>,
}

/// The queues a broker locked (Java `LockBatchResponseBody`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LockBatchResponse {
    /// Locked queues (`lockOKMQSet`; Java `Set`).
    #[serde(rename = "lockOKMQSet")]
    pub locked: Vec<MessageQueue>,
}

/// Asks a broker to release queue locks (Java `UnlockBatchRequestBody`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UnlockBatchRequest {
    /// Consumer group.
    pub consumer_group: String,
    /// The client's id.
    pub client_id: String,
    /// Unlock only on this broker, without forwarding (5.x; absent otherwise).
    pub only_this_broker: Option<bool>,
    /// Queues to unlock (`mqSet`; Java `Set`).
    pub mq_set: Vec<MessageQueue>,
}

/// New consume offsets per queue, pushed to clients by RESET_CONSUMER_CLIENT_OFFSET
/// (Java `ResetOffsetBody`; the map is written with object keys).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ResetOffset {
    /// Offset per queue.
    pub offset_table: LinkedMap<MessageQueue, i64>,
}

/// A group's progress on each queue (GET_CONSUME_STATS; Java `ConsumeStats`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ConsumeStats {
    /// Offsets per queue (written with object keys).
    pub offset_table: LinkedMap<MessageQueue, ConsumeOffset>,
    /// Messages consumed per second by the group.
    pub consume_tps: f64,
}

impl ConsumeStats {
    /// Messages not yet consumed, summed over queues (Java `computeTotalDiff`).
    pub fn total_diff(&self) -> i64 {
        self.offset_table
            .values()
            .map(|o| o.broker_offset.saturating_sub(o.consumer_offset))
            .fold(0i64, i64::saturating_add)
    }
}

/// One queue's offsets for a group (Java `OffsetWrapper`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ConsumeOffset {
    /// The queue's max offset on the broker.
    pub broker_offset: i64,
    /// The group's committed offset.
    pub consumer_offset: i64,
    /// The group's pull offset (5.x; absent otherwise).
    pub pull_offset: Option<i64>,
    /// Store time of the last consumed message, in milliseconds.
    pub last_timestamp: i64,
}

/// Min/max offsets of each queue of a topic (GET_TOPIC_STATS_INFO; Java `TopicStatsTable`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TopicStats {
    /// Offsets per queue (written with object keys).
    pub offset_table: LinkedMap<MessageQueue, TopicOffset>,
    /// Messages put per second (5.x; absent otherwise).
    pub topic_put_tps: Option<f64>,
}

/// One queue's offsets (Java `TopicOffset`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TopicOffset {
    /// Smallest offset still stored.
    pub min_offset: i64,
    /// Next offset to be written.
    pub max_offset: i64,
    /// Store time of the last message, in milliseconds.
    pub last_update_timestamp: i64,
}

/// How far behind a group is, per queue (QUERY_CONSUME_TIME_SPAN; Java
/// `QueryConsumeTimeSpanBody`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ConsumeTimeSpans {
    /// One entry per queue (`consumeTimeSpanSet`).
    pub consume_time_span_set: Vec<QueueTimeSpan>,
}

/// Time span of one queue (Java `QueueTimeSpan`).
///
/// Java also writes the three times formatted in the broker's local time zone
/// (`minTimeStampStr`, ...); they are kept as read and written back, never computed here.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct QueueTimeSpan {
    /// The queue.
    pub message_queue: Option<MessageQueue>,
    /// Store time of the oldest message, in milliseconds.
    pub min_time_stamp: i64,
    /// Store time of the newest message, in milliseconds.
    pub max_time_stamp: i64,
    /// Store time of the message at the consume offset, in milliseconds.
    pub consume_time_stamp: i64,
    /// `max_time_stamp - consume_time_stamp`.
    pub delay_time: i64,
    /// Java's formatted `min_time_stamp`, as received.
    pub min_time_stamp_str: Option<String>,
    /// Java's formatted `max_time_stamp`, as received.
    pub max_time_stamp_str: Option<String>,
    /// Java's formatted `consume_time_stamp`, as received.
    pub consume_time_stamp_str: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::json::JsonBody;

    fn mq(topic: &str, id: i32) -> MessageQueue {
        MessageQueue {
            topic: topic.into(),
            broker_name: "broker-a".into(),
            queue_id: id,
        }
    }

    #[test]
    fn consume_stats_object_keys_round_trip() {
        let body = concat!(
            r#"{"consumeTps":1.5,"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"t"}:"#,
            r#"{"brokerOffset":10,"consumerOffset":4,"lastTimestamp":1700000000000},"#,
            r#"{"brokerName":"broker-a","queueId":1,"topic":"t"}:"#,
            r#"{"brokerOffset":3,"consumerOffset":3,"lastTimestamp":0}}}"#
        );
        let stats = ConsumeStats::from_json(body.as_bytes()).unwrap();
        assert_eq!(stats.offset_table.len(), 2);
        assert_eq!(stats.offset_table[&mq("t", 0)].consumer_offset, 4);
        assert_eq!(stats.total_diff(), 6);
        assert_eq!(stats.consume_tps, 1.5);
        assert_eq!(stats.to_json(), body.as_bytes());
    }

    #[test]
    fn reset_offset_and_topic_stats() {
        let body = br#"{"offsetTable":{{"brokerName":"broker-a","queueId":2,"topic":"t"}:77}}"#;
        let reset = ResetOffset::from_json(body).unwrap();
        assert_eq!(reset.offset_table[&mq("t", 2)], 77);
        assert_eq!(reset.to_json(), body);

        let stats = TopicStats::from_json(
            br#"{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"t"}:{"lastUpdateTimestamp":5,"maxOffset":9,"minOffset":1}},"topicPutTps":0.0}"#,
        )
        .unwrap();
        assert_eq!(stats.offset_table[&mq("t", 0)].max_offset, 9);
        assert_eq!(stats.topic_put_tps, Some(0.0));
    }

    #[test]
    fn lock_bodies() {
        let req = LockBatchRequest {
            consumer_group: "g".into(),
            client_id: "c".into(),
            only_this_broker: None,
            mq_set: vec![mq("t", 0)],
        };
        let json = req.to_json();
        assert_eq!(
            json,
            br#"{"clientId":"c","consumerGroup":"g","mqSet":[{"brokerName":"broker-a","queueId":0,"topic":"t"}]}"#
        );
        assert_eq!(LockBatchRequest::from_json(&json).unwrap(), req);
        let resp = LockBatchResponse::from_json(
            br#"{"lockOKMQSet":[{"brokerName":"broker-a","queueId":3,"topic":"t"}]}"#,
        )
        .unwrap();
        assert_eq!(resp.locked, [mq("t", 3)]);
        let unlock = UnlockBatchRequest::from_json(br#"{"onlyThisBroker":true}"#).unwrap();
        assert_eq!(unlock.only_this_broker, Some(true));
    }

    #[test]
    fn mq_keyed_map_rejects_bad_keys() {
        assert!(ResetOffset::from_json(br#"{"offsetTable":{"not-a-queue":1}}"#).is_err());
        assert!(ResetOffset::from_json(br#"{"offsetTable":{{"queueId":"x"}:1}}"#).is_err());
        assert!(
            ResetOffset::from_json(
                br#"{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:"#
            )
            .is_err()
        );
    }

    #[test]
    fn time_spans() {
        let body = br#"{"consumeTimeSpanSet":[{"consumeTimeStamp":2,"consumeTimeStampStr":"x","delayTime":1,"maxTimeStamp":3,"maxTimeStampStr":"y","messageQueue":{"brokerName":"broker-a","queueId":0,"topic":"t"},"minTimeStamp":1,"minTimeStampStr":"z"}]}"#;
        let spans = ConsumeTimeSpans::from_json(body).unwrap();
        assert_eq!(
            spans.consume_time_span_set[0].message_queue,
            Some(mq("t", 0))
        );
        assert_eq!(spans.to_json(), body);
    }
}
