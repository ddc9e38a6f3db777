//! Message lookup headers: `VIEW_MESSAGE_BY_ID` and `QUERY_MESSAGE`.

command_header! {
    /// `ViewMessageRequestHeader` (`VIEW_MESSAGE_BY_ID`): read one message by its commit
    /// log offset (decoded from an offset message id).
    pub struct ViewMessageRequestHeader {
        /// Commit log offset (`offset`).
        pub offset: i64 => "offset",
        /// Topic, for permission checks (`topic`; 5.x).
        pub topic: Option<String> => "topic",
    }
}

command_header! {
    /// `QueryMessageRequestHeader` (`QUERY_MESSAGE`): look messages up by key in the index.
    pub struct QueryMessageRequestHeader {
        /// Topic (`topic`).
        pub topic: String => "topic",
        /// Message key, or unique id with `unique_key_query` (`key`).
        pub key: String => "key",
        /// Maximum number of messages (`maxNum`).
        pub max_num: i32 => "maxNum",
        /// Earliest store time, milliseconds (`beginTimestamp`).
        pub begin_timestamp: i64 => "beginTimestamp",
        /// Latest store time, milliseconds (`endTimestamp`).
        pub end_timestamp: i64 => "endTimestamp",
        /// Whether `key` is a unique message id; Java adds this outside the header class as
        /// the extra field `_UNIQUE_KEY_QUERY` (`MixAll.UNIQUE_MSG_QUERY_FLAG`).
        pub unique_key_query: Option<bool> => "_UNIQUE_KEY_QUERY",
    }
    + rpc
}

command_header! {
    /// `QueryMessageResponseHeader`; the matching messages are the body.
    pub struct QueryMessageResponseHeader {
        /// Last index update time (`indexLastUpdateTimestamp`).
        pub index_last_update_timestamp: i64 => "indexLastUpdateTimestamp",
        /// Last indexed commit log offset (`indexLastUpdatePhyoffset`).
        pub index_last_update_phyoffset: i64 => "indexLastUpdatePhyoffset",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::header::test_util::{assert_required, keys, round_trip};

    #[test]
    fn query_headers_round_trip() {
        let v = ViewMessageRequestHeader {
            offset: 4096,
            topic: None,
        };
        assert_eq!(keys(&round_trip(&v)), ["offset"]);
        assert_required(&v, &["offset"]);
        let q = QueryMessageRequestHeader {
            topic: "t".into(),
            key: "k".into(),
            max_num: 32,
            begin_timestamp: 0,
            end_timestamp: i64::MAX,
            unique_key_query: Some(true),
            rpc: Default::default(),
        };
        let ext = round_trip(&q);
        assert_eq!(
            keys(&ext),
            [
                "_UNIQUE_KEY_QUERY",
                "beginTimestamp",
                "endTimestamp",
                "key",
                "maxNum",
                "topic"
            ]
        );
        assert_required(
            &q,
            &["topic", "key", "maxNum", "beginTimestamp", "endTimestamp"],
        );
        let r = QueryMessageResponseHeader {
            index_last_update_timestamp: 1,
            index_last_update_phyoffset: 2,
        };
        assert_required(
            &r,
            &["indexLastUpdateTimestamp", "indexLastUpdatePhyoffset"],
        );
    }
}
