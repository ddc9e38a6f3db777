//! Offset headers: consumer offsets (`QUERY_CONSUMER_OFFSET`, `UPDATE_CONSUMER_OFFSET`) and
//! queue offsets (`GET_MAX_OFFSET`, `GET_MIN_OFFSET`, `SEARCH_OFFSET_BY_TIMESTAMP`,
//! `GET_EARLIEST_MSG_STORETIME`).

use super::BoundaryType;

command_header! {
    /// `QueryConsumerOffsetRequestHeader` (`QUERY_CONSUMER_OFFSET`).
    pub struct QueryConsumerOffsetRequestHeader {
        /// Consumer group (`consumerGroup`).
        pub consumer_group: String => "consumerGroup",
        /// Topic (`topic`).
        pub topic: String => "topic",
        /// Queue id (`queueId`).
        pub queue_id: i32 => "queueId",
        /// Answer 0 instead of "not found" when no offset is stored (`setZeroIfNotFound`;
        /// 5.x, which otherwise behaves as `true`).
        pub set_zero_if_not_found: Option<bool> => "setZeroIfNotFound",
    }
    + rpc
}

command_header! {
    /// `QueryConsumerOffsetResponseHeader`.
    pub struct QueryConsumerOffsetResponseHeader {
        /// The stored consumer offset (`offset`).
        pub offset: i64 => "offset",
    }
}

command_header! {
    /// `UpdateConsumerOffsetRequestHeader` (`UPDATE_CONSUMER_OFFSET`, usually oneway).
    pub struct UpdateConsumerOffsetRequestHeader {
        /// Consumer group (`consumerGroup`).
        pub consumer_group: String => "consumerGroup",
        /// Topic (`topic`).
        pub topic: String => "topic",
        /// Queue id (`queueId`).
        pub queue_id: i32 => "queueId",
        /// Offset to store (`commitOffset`).
        pub commit_offset: i64 => "commitOffset",
    }
    + rpc
}

command_header! {
    /// `GetMaxOffsetRequestHeader` (`GET_MAX_OFFSET`).
    pub struct GetMaxOffsetRequestHeader {
        /// Topic (`topic`).
        pub topic: String => "topic",
        /// Queue id (`queueId`).
        pub queue_id: i32 => "queueId",
        /// Only count committed messages (`committed`; 5.x, default true; 4.9.x ignores it).
        pub committed: bool => "committed" = true,
    }
    + rpc
}

command_header! {
    /// `GetMaxOffsetResponseHeader`.
    pub struct GetMaxOffsetResponseHeader {
        /// The queue's maximum offset (one past the last message) (`offset`).
        pub offset: i64 => "offset",
    }
}

command_header! {
    /// `GetMinOffsetRequestHeader` (`GET_MIN_OFFSET`).
    pub struct GetMinOffsetRequestHeader {
        /// Topic (`topic`).
        pub topic: String => "topic",
        /// Queue id (`queueId`).
        pub queue_id: i32 => "queueId",
    }
    + rpc
}

command_header! {
    /// `GetMinOffsetResponseHeader`.
    pub struct GetMinOffsetResponseHeader {
        /// The queue's minimum offset (`offset`).
        pub offset: i64 => "offset",
    }
}

command_header! {
    /// `SearchOffsetRequestHeader` (`SEARCH_OFFSET_BY_TIMESTAMP`).
    pub struct SearchOffsetRequestHeader {
        /// Topic (`topic`).
        pub topic: String => "topic",
        /// Queue id (`queueId`).
        pub queue_id: i32 => "queueId",
        /// Store time to search for, milliseconds since the epoch (`timestamp`).
        pub timestamp: i64 => "timestamp",
        /// Which side of the timestamp (`boundaryType`; 5.x; absent means lower).
        pub boundary_type: Option<BoundaryType> => "boundaryType",
    }
    + rpc
}

command_header! {
    /// `SearchOffsetResponseHeader`.
    pub struct SearchOffsetResponseHeader {
        /// The offset found (`offset`).
        pub offset: i64 => "offset",
    }
}

command_header! {
    /// `GetEarliestMsgStoretimeRequestHeader` (`GET_EARLIEST_MSG_STORETIME`).
    pub struct GetEarliestMsgStoretimeRequestHeader {
        /// Topic (`topic`).
        pub topic: String => "topic",
        /// Queue id (`queueId`).
        pub queue_id: i32 => "queueId",
    }
    + rpc
}

command_header! {
    /// `GetEarliestMsgStoretimeResponseHeader`.
    pub struct GetEarliestMsgStoretimeResponseHeader {
        /// Store time of the queue's first message, milliseconds (`timestamp`).
        pub timestamp: i64 => "timestamp",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::header::test_util::{assert_required, keys, round_trip};
    use crate::protocol::{CommandHeader, ExtFields};

    #[test]
    fn consumer_offset_headers() {
        let q = QueryConsumerOffsetRequestHeader {
            consumer_group: "g".into(),
            topic: "t".into(),
            queue_id: 0,
            set_zero_if_not_found: Some(false),
            rpc: Default::default(),
        };
        let ext = round_trip(&q);
        assert_eq!(
            keys(&ext),
            ["consumerGroup", "queueId", "setZeroIfNotFound", "topic"]
        );
        assert_required(&q, &["consumerGroup", "topic", "queueId"]);
        round_trip(&QueryConsumerOffsetResponseHeader { offset: -1 });
        let u = UpdateConsumerOffsetRequestHeader {
            consumer_group: "g".into(),
            topic: "t".into(),
            queue_id: 1,
            commit_offset: 77,
            rpc: Default::default(),
        };
        assert_eq!(
            keys(&round_trip(&u)),
            ["commitOffset", "consumerGroup", "queueId", "topic"]
        );
        assert_required(&u, &["consumerGroup", "topic", "queueId", "commitOffset"]);
    }

    #[test]
    fn max_offset_committed_defaults_to_true() {
        let h = GetMaxOffsetRequestHeader {
            topic: "t".into(),
            queue_id: 3,
            ..Default::default()
        };
        assert!(h.committed);
        let mut ext = round_trip(&h);
        assert_eq!(ext.get("committed"), Some("true"));
        // A 4.9.x client does not send it.
        ext.remove("committed");
        assert_eq!(
            GetMaxOffsetRequestHeader::read_from(&ext)
                .map(|h| h.committed)
                .ok(),
            Some(true)
        );
        assert_required(&h, &["topic", "queueId"]);
        round_trip(&GetMaxOffsetResponseHeader { offset: 10 });
    }

    #[test]
    fn search_and_min_and_earliest() {
        let s = SearchOffsetRequestHeader {
            topic: "t".into(),
            queue_id: 0,
            timestamp: 1_700_000_000_000,
            boundary_type: Some(BoundaryType::Upper),
            rpc: Default::default(),
        };
        let ext = round_trip(&s);
        assert_eq!(ext.get("boundaryType"), Some("UPPER"));
        assert_required(&s, &["topic", "queueId", "timestamp"]);
        round_trip(&SearchOffsetResponseHeader { offset: 4 });
        let m = GetMinOffsetRequestHeader {
            topic: "t".into(),
            queue_id: 2,
            rpc: Default::default(),
        };
        assert_eq!(keys(&round_trip(&m)), ["queueId", "topic"]);
        round_trip(&GetMinOffsetResponseHeader { offset: 0 });
        let e = GetEarliestMsgStoretimeRequestHeader {
            topic: "t".into(),
            queue_id: 2,
            rpc: Default::default(),
        };
        round_trip(&e);
        let r = GetEarliestMsgStoretimeResponseHeader { timestamp: 5 };
        round_trip(&r);
        let ext: ExtFields = [("timestamp", "soon")].into_iter().collect();
        assert!(matches!(
            GetEarliestMsgStoretimeResponseHeader::read_from(&ext),
            Err(crate::Error::InvalidField {
                field: "timestamp",
                ..
            })
        ));
    }
}
