//! Broker configuration tables: topic configs (GET_ALL_TOPIC_CONFIG, broker registration)
//! and subscription groups (GET_ALL_SUBSCRIPTIONGROUP_CONFIG). Java:
//! `body.TopicConfigSerializeWrapper` (5.x: `TopicConfigAndMappingSerializeWrapper`),
//! `common.TopicConfig`, `DataVersion`, `body.SubscriptionGroupWrapper`,
//! `subscription.SubscriptionGroupConfig`, `GroupRetryPolicy` and its policies,
//! `SimpleSubscriptionData`.

use serde::{Deserialize, Serialize};

use super::LinkedMap;
use super::enums::{GroupRetryPolicyType, TopicFilterType};
use super::route::TopicQueueMappingInfo;
use crate::protocol::json::JsonValue;

/// A version stamp of a broker's tables (Java `DataVersion`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DataVersion {
    /// Controller state version (5.x; absent otherwise).
    pub state_version: Option<i64>,
    /// Time of the last change in milliseconds.
    pub timestamp: i64,
    /// Number of changes (Java `AtomicLong`, written as a number).
    pub counter: i64,
}

/// Every topic config of a broker, with the table's version (Java
/// `TopicConfigSerializeWrapper`; 5.x brokers send `TopicConfigAndMappingSerializeWrapper`,
/// which adds the static-topic fields).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TopicConfigTable {
    /// Config per topic name.
    pub topic_config_table: LinkedMap<String, TopicConfig>,
    /// The table's version.
    pub data_version: Option<DataVersion>,
    /// Static-topic mapping per topic (5.x; absent otherwise).
    pub topic_queue_mapping_info_map: Option<LinkedMap<String, TopicQueueMappingInfo>>,
    /// Static-topic mapping details per topic (5.x; kept as read).
    pub topic_queue_mapping_detail_map: Option<LinkedMap<String, JsonValue>>,
    /// Version of the mapping tables (5.x; absent otherwise).
    pub mapping_data_version: Option<DataVersion>,
}

/// One topic's configuration on a broker (Java `TopicConfig`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TopicConfig {
    /// Topic name.
    pub topic_name: String,
    /// Queues consumers read (Java default 16).
    pub read_queue_nums: i32,
    /// Queues producers write (Java default 16).
    pub write_queue_nums: i32,
    /// Permission bits (Java default 6: read and write).
    pub perm: i32,
    /// Tag filter type.
    pub topic_filter_type: TopicFilterType,
    /// Topic system flags.
    pub topic_sys_flag: i32,
    /// Whether the topic is ordered.
    pub order: bool,
    /// Topic attributes such as `+message.type` (5.x; absent otherwise).
    pub attributes: Option<LinkedMap<String, String>>,
}

impl Default for TopicConfig {
    /// Java's defaults: 16 read and 16 write queues, read-write permission.
    fn default() -> Self {
        TopicConfig {
            topic_name: String::new(),
            read_queue_nums: 16,
            write_queue_nums: 16,
            perm: 6,
            topic_filter_type: TopicFilterType::SingleTag,
            topic_sys_flag: 0,
            order: false,
            attributes: None,
        }
    }
}

/// Every subscription group of a broker, with the table's version (Java
/// `SubscriptionGroupWrapper`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SubscriptionGroupTable {
    /// Config per group name.
    pub subscription_group_table: LinkedMap<String, SubscriptionGroupConfig>,
    /// Topics a group may not consume, with a reason code, per group (5.5+; absent otherwise).
    pub forbidden_table: Option<LinkedMap<String, LinkedMap<String, i32>>>,
    /// The table's version.
    pub data_version: Option<DataVersion>,
}

/// One consumer group's configuration on a broker (Java `SubscriptionGroupConfig`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SubscriptionGroupConfig {
    /// Group name.
    pub group_name: String,
    /// Whether the group may consume (default true).
    pub consume_enable: bool,
    /// Whether a new group starts from the min offset (default true).
    pub consume_from_min_enable: bool,
    /// Whether broadcasting is allowed (default true).
    pub consume_broadcast_enable: bool,
    /// Whether the group consumes orderly (5.x; absent otherwise).
    pub consume_message_orderly: Option<bool>,
    /// Retry queues (default 1).
    pub retry_queue_nums: i32,
    /// Maximum redeliveries before the DLQ (default 16).
    pub retry_max_times: i32,
    /// Retry back-off policy (5.x; absent otherwise).
    pub group_retry_policy: Option<GroupRetryPolicy>,
    /// Preferred broker id (default 0, the master).
    pub broker_id: i64,
    /// Broker id to read from when consumption is slow (default 1).
    pub which_broker_when_consume_slowly: i64,
    /// Whether clients are told when the group's members change (default true).
    pub notify_consumer_ids_changed_enable: bool,
    /// Group system flags (5.x; absent otherwise).
    pub group_sys_flag: Option<i32>,
    /// Consume timeout in minutes (5.x; absent otherwise).
    pub consume_timeout_minute: Option<i32>,
    /// Subscriptions known to the broker (5.x; absent otherwise).
    pub subscription_data_set: Option<Vec<SimpleSubscriptionData>>,
    /// Group attributes (5.x; absent otherwise).
    pub attributes: Option<LinkedMap<String, String>>,
}

impl Default for SubscriptionGroupConfig {
    /// Java's defaults (the 4.x field set).
    fn default() -> Self {
        SubscriptionGroupConfig {
            group_name: String::new(),
            consume_enable: true,
            consume_from_min_enable: true,
            consume_broadcast_enable: true,
            consume_message_orderly: None,
            retry_queue_nums: 1,
            retry_max_times: 16,
            group_retry_policy: None,
            broker_id: 0,
            which_broker_when_consume_slowly: 1,
            notify_consumer_ids_changed_enable: true,
            group_sys_flag: None,
            consume_timeout_minute: None,
            subscription_data_set: None,
            attributes: None,
        }
    }
}

/// How a group's failed messages are retried (Java `GroupRetryPolicy`, 5.x).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GroupRetryPolicy {
    /// Which policy applies.
    #[serde(rename = "type")]
    pub kind: GroupRetryPolicyType,
    /// Exponential back-off settings, if set.
    pub exponential_retry_policy: Option<ExponentialRetryPolicy>,
    /// Fixed back-off steps, if set.
    pub customized_retry_policy: Option<CustomizedRetryPolicy>,
}

/// Exponential back-off (Java `ExponentialRetryPolicy`; times in milliseconds).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExponentialRetryPolicy {
    /// First delay.
    pub initial: i64,
    /// Largest delay.
    pub max: i64,
    /// Growth factor.
    pub multiplier: i64,
}

/// Fixed back-off steps (Java `CustomizedRetryPolicy`; milliseconds).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomizedRetryPolicy {
    /// Delay before each retry.
    pub next: Vec<i64>,
}

/// A subscription as a broker stores it for a group (Java `SimpleSubscriptionData`, 5.x).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SimpleSubscriptionData {
    /// Topic.
    pub topic: String,
    /// `TAG` or `SQL92`.
    pub expression_type: String,
    /// The expression.
    pub expression: String,
    /// Version.
    pub version: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::json::JsonBody;

    #[test]
    fn topic_config_table_round_trip() {
        let body = concat!(
            r#"{"dataVersion":{"counter":3,"timestamp":1700000000000},"topicConfigTable":{"#,
            r#""t":{"order":false,"perm":6,"readQueueNums":8,"topicFilterType":"SINGLE_TAG","#,
            r#""topicName":"t","topicSysFlag":0,"writeQueueNums":8}}}"#
        );
        let table = TopicConfigTable::from_json(body.as_bytes()).unwrap();
        assert_eq!(table.topic_config_table["t"].read_queue_nums, 8);
        assert_eq!(table.data_version.as_ref().unwrap().counter, 3);
        assert_eq!(table.to_json(), body.as_bytes());
        // Missing fields take Java's defaults.
        let t: TopicConfig = crate::protocol::json::from_slice(br#"{"topicName":"x"}"#).unwrap();
        assert_eq!((t.read_queue_nums, t.perm), (16, 6));
    }

    #[test]
    fn subscription_group_defaults_and_5x_fields() {
        let body = br#"{"subscriptionGroupTable":{"g":{"groupName":"g","groupRetryPolicy":{"type":"CUSTOMIZED"},"consumeTimeoutMinute":15,"attributes":{}}},"dataVersion":{"stateVersion":0,"timestamp":1,"counter":0}}"#;
        let table = SubscriptionGroupTable::from_json(body).unwrap();
        let g = &table.subscription_group_table["g"];
        assert!(g.consume_enable && g.notify_consumer_ids_changed_enable);
        assert_eq!(g.retry_max_times, 16);
        assert_eq!(
            g.group_retry_policy.as_ref().unwrap().kind,
            GroupRetryPolicyType::Customized
        );
        assert_eq!(g.consume_timeout_minute, Some(15));
        assert_eq!(table.data_version.as_ref().unwrap().state_version, Some(0));
        let again = SubscriptionGroupTable::from_json(&table.to_json()).unwrap();
        assert_eq!(again, table);
    }
}
