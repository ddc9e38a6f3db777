//! Who is connected: client connections of a consumer or producer group
//! (GET_CONSUMER_CONNECTION_LIST, GET_PRODUCER_CONNECTION_LIST) and a group's client ids
//! (GET_CONSUMER_LIST_BY_GROUP). Java: `body.ConsumerConnection`, `ProducerConnection`,
//! `Connection`, `header.GetConsumerListByGroupResponseBody`.

use serde::{Deserialize, Serialize};

use super::LinkedMap;
use super::enums::{ConsumeFromWhere, ConsumeType, MessageModel};
use super::heartbeat::SubscriptionData;
use crate::protocol::LanguageCode;

/// One client connection (Java `Connection`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Connection {
    /// Client id.
    pub client_id: String,
    /// Remote address, `host:port`.
    pub client_addr: String,
    /// Client language (by Java name; a name this crate does not know reads as `None`).
    #[serde(with = "super::enums::language")]
    pub language: Option<LanguageCode>,
    /// Client version ordinal (`MQVersion.Version`).
    pub version: i32,
}

/// A consumer group's connections and settings (Java `ConsumerConnection`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ConsumerConnection {
    /// Connected clients (Java `HashSet`).
    pub connection_set: Vec<Connection>,
    /// Subscription per topic.
    pub subscription_table: LinkedMap<String, SubscriptionData>,
    /// Pull, push or pop.
    pub consume_type: Option<ConsumeType>,
    /// Clustering or broadcasting.
    pub message_model: Option<MessageModel>,
    /// Where a new group starts.
    pub consume_from_where: Option<ConsumeFromWhere>,
}

/// A producer group's connections (Java `ProducerConnection`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ProducerConnection {
    /// Connected clients (Java `HashSet`).
    pub connection_set: Vec<Connection>,
}

/// Client ids of a consumer group (Java `GetConsumerListByGroupResponseBody`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ConsumerList {
    /// Client ids (`consumerIdList`).
    pub consumer_id_list: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::json::JsonBody;

    #[test]
    fn consumer_connection_round_trip() {
        let body = concat!(
            r#"{"connectionSet":[{"clientAddr":"127.0.0.1:5000","clientId":"c1","language":"JAVA","version":409},"#,
            r#"{"clientAddr":"127.0.0.1:5001","clientId":"c2","language":"NEW_LANG","version":1}],"#,
            r#""consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","consumeType":"CONSUME_PASSIVELY","#,
            r#""messageModel":"CLUSTERING","subscriptionTable":{"t":{"classFilterMode":false,"codeSet":[],"#,
            r#""expressionType":"TAG","subString":"*","subVersion":1,"tagsSet":[],"topic":"t"}}}"#
        );
        let conn = ConsumerConnection::from_json(body.as_bytes()).unwrap();
        assert_eq!(conn.connection_set[0].language, Some(LanguageCode::JAVA));
        assert_eq!(conn.connection_set[1].language, None);
        assert_eq!(conn.subscription_table["t"].sub_string, "*");
        assert_eq!(conn.consume_from_where, Some(ConsumeFromWhere::FirstOffset));
        // The unknown language is dropped on the way back; everything else is unchanged.
        let expected = body.replace(r#","language":"NEW_LANG""#, "");
        assert_eq!(String::from_utf8(conn.to_json()).unwrap(), expected);
    }

    #[test]
    fn lists() {
        let list = ConsumerList::from_json(br#"{"consumerIdList":["a","b"]}"#).unwrap();
        assert_eq!(list.consumer_id_list, ["a", "b"]);
        assert_eq!(list.to_json(), br#"{"consumerIdList":["a","b"]}"#);
        let prod = ProducerConnection::from_json(br#"{"connectionSet":[]}"#).unwrap();
        assert!(prod.connection_set.is_empty());
    }
}
