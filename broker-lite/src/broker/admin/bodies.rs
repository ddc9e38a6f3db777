//! Admin JSON bodies the SDK does not define yet, in Java's field names (fastjson writes
//! them sorted): `GroupList`, `BrokerStatsData` with its `BrokerStatsItem`s, and
//! `GetConsumerStatusBody`. They belong in `rocketmq::protocol::body` once a client needs
//! them too.

use rocketmq::protocol::MessageQueue;
use rocketmq::protocol::body::LinkedMap;
use rocketmq::protocol::json::JsonBody;
use serde::{Deserialize, Serialize};

/// Consumer groups (QUERY_TOPIC_CONSUME_BY_WHO; Java `GroupList`, a `HashSet`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct GroupList {
    /// The group names.
    pub(crate) group_list: Vec<String>,
}

impl JsonBody for GroupList {}

/// One window of a stats item (Java `BrokerStatsItem`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct BrokerStatsItem {
    /// Sum over the window.
    pub(crate) sum: i64,
    /// Per second over the window.
    pub(crate) tps: f64,
    /// Average per call over the window.
    pub(crate) avgpt: f64,
}

/// The minute, hour and day windows of a stats item (VIEW_BROKER_STATS_DATA; Java
/// `BrokerStatsData`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct BrokerStatsData {
    /// The last minute.
    pub(crate) stats_minute: BrokerStatsItem,
    /// The last hour.
    pub(crate) stats_hour: BrokerStatsItem,
    /// The last day.
    pub(crate) stats_day: BrokerStatsItem,
}

impl JsonBody for BrokerStatsData {}

/// Consume offsets reported by clients (GET_CONSUMER_STATUS_FROM_CLIENT's answer and
/// INVOKE_BROKER_TO_GET_CONSUMER_STATUS's body; Java `GetConsumerStatusBody`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ConsumerStatus {
    /// One client's offsets (what a client answers).
    pub(crate) message_queue_table: LinkedMap<MessageQueue, i64>,
    /// Offsets per client id (what the broker answers).
    pub(crate) consumer_table: LinkedMap<String, LinkedMap<MessageQueue, i64>>,
}

impl JsonBody for ConsumerStatus {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_shapes() {
        let g = GroupList {
            group_list: vec!["b".into(), "a".into()],
        };
        assert_eq!(g.to_json(), br#"{"groupList":["b","a"]}"#);
        let d = BrokerStatsData {
            stats_minute: BrokerStatsItem {
                sum: 12,
                tps: 0.2,
                avgpt: 1.0,
            },
            ..BrokerStatsData::default()
        };
        let text = String::from_utf8(d.to_json()).unwrap_or_default();
        assert!(
            text.starts_with(r#"{"statsDay":{"avgpt":0.0,"sum":0,"tps":0.0},"statsHour""#),
            "{text}"
        );
        assert!(
            text.contains(r#""statsMinute":{"avgpt":1.0,"sum":12,"tps":0.2}"#),
            "{text}"
        );
        let java = br#"{"consumerTable":{"c1":{{"brokerName":"b","queueId":0,"topic":"t"}:5}},"messageQueueTable":{}}"#;
        let s = ConsumerStatus::from_json(java).unwrap_or_default();
        assert_eq!(s.consumer_table.len(), 1);
        assert_eq!(s.to_json(), java);
    }
}
