//! The client heartbeat (HEART_BEAT) and the subscriptions it carries. Java:
//! `heartbeat.HeartbeatData`, `ProducerData`, `ConsumerData`, `SubscriptionData`.

use serde::{Deserialize, Serialize};

use super::enums::{ConsumeFromWhere, ConsumeType, ExpressionType, MessageModel};

/// What a client tells every broker periodically: its id, producer groups and consumer
/// groups with their subscriptions (Java `HeartbeatData`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Heartbeat {
    /// The client id (`clientID`), e.g. `127.0.0.1@12345`.
    #[serde(rename = "clientID")]
    pub client_id: String,
    /// Producer groups of this client (Java `Set`).
    pub producer_data_set: Vec<ProducerData>,
    /// Consumer groups of this client (Java `Set`).
    pub consumer_data_set: Vec<ConsumerData>,
    /// Fingerprint of the subscriptions, for heartbeats without them (5.x).
    pub heartbeat_fingerprint: Option<i32>,
    /// Whether subscriptions were left out because the fingerprint is unchanged (5.x; the
    /// Java field `isWithoutSub` is written as `withoutSub`).
    pub without_sub: Option<bool>,
}

/// A producer group (Java `ProducerData`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ProducerData {
    /// Producer group name.
    pub group_name: String,
}

/// A consumer group's settings and subscriptions (Java `ConsumerData`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ConsumerData {
    /// Consumer group name.
    pub group_name: String,
    /// Pull, push or pop.
    pub consume_type: Option<ConsumeType>,
    /// Clustering or broadcasting.
    pub message_model: Option<MessageModel>,
    /// Where a new group starts.
    pub consume_from_where: Option<ConsumeFromWhere>,
    /// Subscriptions (Java `Set`).
    pub subscription_data_set: Vec<SubscriptionData>,
    /// Unit mode (a legacy flag).
    pub unit_mode: bool,
}

/// One topic subscription (Java `SubscriptionData`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SubscriptionData {
    /// Class filter mode (a removed 4.x feature; always false here).
    pub class_filter_mode: bool,
    /// Topic.
    pub topic: String,
    /// The expression: `*`, `tagA || tagB`, or SQL-92.
    pub sub_string: String,
    /// Tags of a TAG expression (Java `Set`).
    pub tags_set: Vec<String>,
    /// Hash codes of the tags (Java `String.hashCode`), same order as `tags_set`.
    pub code_set: Vec<i32>,
    /// Version: the subscription's creation time in milliseconds.
    pub sub_version: i64,
    /// Expression language.
    pub expression_type: ExpressionType,
}

impl Default for SubscriptionData {
    fn default() -> Self {
        SubscriptionData {
            class_filter_mode: false,
            topic: String::new(),
            sub_string: String::new(),
            tags_set: Vec::new(),
            code_set: Vec::new(),
            sub_version: 0,
            expression_type: ExpressionType::Tag,
        }
    }
}

impl SubscriptionData {
    /// The subscription Java builds for a TAG expression (`FilterAPI.buildSubscriptionData`):
    /// `*` or empty subscribes to everything, otherwise the expression is kept as given and
    /// its tags are split on `||` and trimmed, each with its Java hash code (no duplicates).
    ///
    /// ```
    /// # use rocketmq::protocol::body::SubscriptionData;
    /// let sub = SubscriptionData::tags("t", "a || b", 1);
    /// assert_eq!(sub.tags_set, ["a", "b"]);
    /// assert_eq!(sub.code_set, [97, 98]);
    /// ```
    pub fn tags(topic: &str, expression: &str, sub_version: i64) -> Self {
        let mut sub = SubscriptionData {
            topic: topic.to_owned(),
            sub_version,
            ..SubscriptionData::default()
        };
        if expression.is_empty() || expression == "*" {
            sub.sub_string = "*".to_owned();
            return sub;
        }
        sub.sub_string = expression.to_owned();
        for tag in expression
            .split("||")
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            // Java keeps both in hash sets: no duplicates.
            if !sub.tags_set.iter().any(|t| t == tag) {
                sub.tags_set.push(tag.to_owned());
            }
            let code = java_string_hash(tag);
            if !sub.code_set.contains(&code) {
                sub.code_set.push(code);
            }
        }
        sub
    }
}

/// Java's `String.hashCode` (over UTF-16 code units, wrapping).
pub(crate) fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::json::JsonBody;

    #[test]
    fn heartbeat_bytes_as_fastjson_writes_them() {
        let hb = Heartbeat {
            client_id: "127.0.0.1@1".into(),
            producer_data_set: vec![ProducerData {
                group_name: "CLIENT_INNER_PRODUCER".into(),
            }],
            consumer_data_set: vec![ConsumerData {
                group_name: "g".into(),
                consume_type: Some(ConsumeType::Push),
                message_model: Some(MessageModel::Clustering),
                consume_from_where: Some(ConsumeFromWhere::LastOffset),
                subscription_data_set: vec![SubscriptionData::tags("t", "a||b", 42)],
                unit_mode: false,
            }],
            heartbeat_fingerprint: None,
            without_sub: None,
        };
        let json = String::from_utf8(hb.to_json()).unwrap();
        assert_eq!(
            json,
            concat!(
                r#"{"clientID":"127.0.0.1@1","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","#,
                r#""consumeType":"CONSUME_PASSIVELY","groupName":"g","messageModel":"CLUSTERING","#,
                r#""subscriptionDataSet":[{"classFilterMode":false,"codeSet":[97,98],"expressionType":"TAG","#,
                r#""subString":"a||b","subVersion":42,"tagsSet":["a","b"],"topic":"t"}],"unitMode":false}],"#,
                r#""producerDataSet":[{"groupName":"CLIENT_INNER_PRODUCER"}]}"#
            )
        );
        assert_eq!(Heartbeat::from_json(json.as_bytes()).unwrap(), hb);
    }

    #[test]
    fn five_x_fields_and_defaults() {
        let hb = Heartbeat::from_json(
            br#"{"clientID":"c","heartbeatFingerprint":-7,"withoutSub":true,"consumerDataSet":[{"groupName":"g","subscriptionDataSet":[{"topic":"t","subString":"*"}]}]}"#,
        )
        .unwrap();
        assert_eq!(hb.heartbeat_fingerprint, Some(-7));
        assert_eq!(hb.without_sub, Some(true));
        let sub = &hb.consumer_data_set[0].subscription_data_set[0];
        assert_eq!(sub.expression_type, ExpressionType::Tag);
        assert!(hb.consumer_data_set[0].consume_type.is_none());
        assert!(hb.producer_data_set.is_empty());
    }

    #[test]
    fn tag_hashes_match_java() {
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("TagA"), 2_598_919);
        assert_eq!(java_string_hash("中"), 20013);
        // Wraps like Java int arithmetic.
        assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
        let all = SubscriptionData::tags("t", "", 1);
        assert_eq!(all.sub_string, "*");
        assert!(all.tags_set.is_empty());
        // Java does not trim the expression itself, only the tags.
        let spaced = SubscriptionData::tags("t", " a || a ||", 1);
        assert_eq!(spaced.sub_string, " a || a ||");
        assert_eq!(spaced.tags_set, ["a"]);
        assert_eq!(spaced.code_set, [97]);
    }
}
