//! Simple list and key-value bodies. Java: `body.TopicList`, `body.KVTable`.

use serde::{Deserialize, Serialize};

use super::LinkedMap;

/// Topic names, optionally with the broker they came from (GET_ALL_TOPIC_LIST_FROM_NAMESERVER,
/// GET_TOPICS_BY_CLUSTER, ...; Java `TopicList`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TopicList {
    /// Topic names (`topicList`; Java `Set`).
    #[serde(rename = "topicList")]
    pub topics: Vec<String>,
    /// The broker address the list is about, if any.
    pub broker_addr: Option<String>,
}

/// A string-to-string table (GET_KVLIST_BY_NAMESPACE, GET_BROKER_RUNTIME_INFO; Java `KVTable`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct KvTable {
    /// The entries.
    pub table: LinkedMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::json::JsonBody;

    #[test]
    fn topic_list_and_kv_table() {
        let list =
            TopicList::from_json(br#"{"brokerAddr":"127.0.0.1:10911","topicList":["b","a"]}"#)
                .unwrap();
        assert_eq!(list.topics, ["b", "a"]);
        assert_eq!(
            list.to_json(),
            br#"{"brokerAddr":"127.0.0.1:10911","topicList":["b","a"]}"#
        );
        let kv =
            KvTable::from_json(br#"{"table":{"msgPutTotalTodayNow":"12","bootTimestamp":"1"}}"#)
                .unwrap();
        assert_eq!(kv.table["msgPutTotalTodayNow"], "12");
        assert_eq!(
            kv.to_json(),
            br#"{"table":{"msgPutTotalTodayNow":"12","bootTimestamp":"1"}}"#
        );
        assert!(KvTable::from_json(br#"{"table":[]}"#).is_err());
    }
}
