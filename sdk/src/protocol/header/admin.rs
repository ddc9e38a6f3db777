//! Broker administration headers: topics, subscription groups, stats and connections.

command_header! {
    /// `CreateTopicRequestHeader` (`UPDATE_AND_CREATE_TOPIC`).
    ///
    /// `order` is a `@CFNotNull Boolean` initialised to false in both versions, so Java
    /// always sends it; 5.x adds `attributes` and `force` (initialised to false, so 5.x
    /// always sends it too; 4.9.x ignores both).
    pub struct CreateTopicRequestHeader {
        /// Topic (`topic`).
        pub topic: String => "topic",
        /// Template topic (`defaultTopic`).
        pub default_topic: String => "defaultTopic",
        /// Read queue count (`readQueueNums`).
        pub read_queue_nums: i32 => "readQueueNums",
        /// Write queue count (`writeQueueNums`).
        pub write_queue_nums: i32 => "writeQueueNums",
        /// Permission bits: 2 write, 4 read, 1 inherit (`perm`).
        pub perm: i32 => "perm",
        /// `SINGLE_TAG` or `MULTI_TAG` (`topicFilterType`).
        pub topic_filter_type: String => "topicFilterType",
        /// Topic system flag (`topicSysFlag`).
        pub topic_sys_flag: Option<i32> => "topicSysFlag",
        /// Ordered topic (`order`).
        pub order: bool => "order" = false,
        /// Topic attributes, `+key=value,...` (`attributes`; 5.x).
        pub attributes: Option<String> => "attributes",
        /// Allow changing immutable attributes (`force`; 5.x).
        pub force: bool => "force" = false,
    }
    + rpc
}

impl CreateTopicRequestHeader {
    /// The default `topicFilterType`.
    pub const SINGLE_TAG: &'static str = "SINGLE_TAG";
}

command_header! {
    /// `DeleteTopicRequestHeader` (`DELETE_TOPIC_IN_BROKER`).
    pub struct DeleteTopicRequestHeader {
        /// Topic (`topic`).
        pub topic: String => "topic",
    }
    + rpc
}

command_header! {
    /// `GetTopicConfigRequestHeader` (`GET_TOPIC_CONFIG`; 5.x): one topic's config,
    /// answered with a `TopicConfig` body (plus `mappingDetail` for static topics).
    pub struct GetTopicConfigRequestHeader {
        /// Topic (`topic`).
        pub topic: String => "topic",
        /// Logical (static-topic) view (`lo`).
        pub lo: Option<bool> => "lo",
    }
    + rpc
}

command_header! {
    /// `GetConsumeStatsRequestHeader` (`GET_CONSUME_STATS`).
    pub struct GetConsumeStatsRequestHeader {
        /// Consumer group (`consumerGroup`).
        pub consumer_group: String => "consumerGroup",
        /// Only this topic (`topic`).
        pub topic: Option<String> => "topic",
        /// Only these topics, `;`-separated (`topicList`; 5.x).
        pub topic_list: Option<String> => "topicList",
    }
    + rpc
}

command_header! {
    /// `GetTopicStatsInfoRequestHeader` (`GET_TOPIC_STATS_INFO`).
    pub struct GetTopicStatsInfoRequestHeader {
        /// Topic (`topic`).
        pub topic: String => "topic",
    }
    + rpc
}

command_header! {
    /// `GetConsumerConnectionListRequestHeader` (`GET_CONSUMER_CONNECTION_LIST`).
    pub struct GetConsumerConnectionListRequestHeader {
        /// Consumer group (`consumerGroup`).
        pub consumer_group: String => "consumerGroup",
    }
    + rpc
}

command_header! {
    /// `GetProducerConnectionListRequestHeader` (`GET_PRODUCER_CONNECTION_LIST`).
    pub struct GetProducerConnectionListRequestHeader {
        /// Producer group (`producerGroup`).
        pub producer_group: String => "producerGroup",
    }
    + rpc
}

command_header! {
    /// `DeleteSubscriptionGroupRequestHeader` (`DELETE_SUBSCRIPTIONGROUP`).
    ///
    /// The "also delete the group's offsets" flag is `removeOffset` in 4.9.x and
    /// `cleanOffset` in 5.x; [`DeleteSubscriptionGroupRequestHeader::new`] sets both.
    pub struct DeleteSubscriptionGroupRequestHeader {
        /// Group (`groupName`).
        pub group_name: String => "groupName",
        /// Delete offsets too, 4.9.x key (`removeOffset`).
        pub remove_offset: bool => "removeOffset" = false,
        /// Delete offsets too, 5.x key (`cleanOffset`).
        pub clean_offset: bool => "cleanOffset" = false,
    }
    + rpc
}

impl DeleteSubscriptionGroupRequestHeader {
    /// A request understood the same way by 4.9.x and 5.x brokers.
    pub fn new(group_name: impl Into<String>, delete_offsets: bool) -> Self {
        Self {
            group_name: group_name.into(),
            remove_offset: delete_offsets,
            clean_offset: delete_offsets,
            rpc: Default::default(),
        }
    }

    /// Whether offsets are to be deleted, by either version's key.
    pub fn deletes_offsets(&self) -> bool {
        self.remove_offset || self.clean_offset
    }
}

command_header! {
    /// `QueryTopicConsumeByWhoRequestHeader` (`QUERY_TOPIC_CONSUME_BY_WHO`).
    pub struct QueryTopicConsumeByWhoRequestHeader {
        /// Topic (`topic`).
        pub topic: String => "topic",
    }
    + rpc
}

command_header! {
    /// `GetConsumeStatsInBrokerHeader` (`GET_BROKER_CONSUME_STATS`).
    pub struct GetConsumeStatsInBrokerHeader {
        /// Only ordered groups (`isOrder`).
        pub is_order: bool => "isOrder",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::header::RpcFields;
    use crate::protocol::header::test_util::{assert_required, keys, round_trip};
    use crate::protocol::{CommandHeader, ExtFields};

    #[test]
    fn rpc_key_shared_with_a_field_is_written_once() {
        let h = GetTopicConfigRequestHeader {
            topic: "t".into(),
            lo: Some(true),
            rpc: RpcFields {
                logical: Some(false),
                broker_name: Some("b".into()),
                ..RpcFields::default()
            },
        };
        let mut ext = ExtFields::new();
        h.write_to(&mut ext);
        assert_eq!(keys(&ext), ["bname", "lo", "topic"]);
        // The RPC field is written last and wins, as before the fresh-map fast path.
        assert_eq!(ext.get("lo"), Some("false"));
    }

    #[test]
    fn create_topic() {
        let h = CreateTopicRequestHeader {
            topic: "t".into(),
            default_topic: "TBW102".into(),
            read_queue_nums: 8,
            write_queue_nums: 8,
            perm: 6,
            topic_filter_type: CreateTopicRequestHeader::SINGLE_TAG.into(),
            ..Default::default()
        };
        let ext = round_trip(&h);
        assert_eq!(
            keys(&ext),
            [
                "defaultTopic",
                "force",
                "order",
                "perm",
                "readQueueNums",
                "topic",
                "topicFilterType",
                "writeQueueNums"
            ]
        );
        assert_eq!(ext.get("order"), Some("false"));
        assert_required(
            &h,
            &[
                "topic",
                "defaultTopic",
                "readQueueNums",
                "writeQueueNums",
                "perm",
                "topicFilterType",
            ],
        );
    }

    #[test]
    fn delete_subscription_group_sets_both_keys() {
        let h = DeleteSubscriptionGroupRequestHeader::new("g", true);
        let ext = round_trip(&h);
        assert_eq!(ext.get("removeOffset"), Some("true"));
        assert_eq!(ext.get("cleanOffset"), Some("true"));
        assert!(h.deletes_offsets());
        assert_required(&h, &["groupName"]);
    }

    #[test]
    fn simple_admin_headers() {
        let s = GetConsumeStatsRequestHeader {
            consumer_group: "g".into(),
            topic: Some("t".into()),
            topic_list: None,
            rpc: Default::default(),
        };
        assert_eq!(keys(&round_trip(&s)), ["consumerGroup", "topic"]);
        assert_required(&s, &["consumerGroup"]);
        let t = GetTopicStatsInfoRequestHeader {
            topic: "t".into(),
            rpc: Default::default(),
        };
        assert_required(&t, &["topic"]);
        let d = DeleteTopicRequestHeader {
            topic: "t".into(),
            rpc: Default::default(),
        };
        assert_eq!(keys(&round_trip(&d)), ["topic"]);
        let c = GetConsumerConnectionListRequestHeader {
            consumer_group: "g".into(),
            rpc: Default::default(),
        };
        assert_eq!(keys(&round_trip(&c)), ["consumerGroup"]);
        let p = GetProducerConnectionListRequestHeader {
            producer_group: "p".into(),
            rpc: Default::default(),
        };
        assert_eq!(keys(&round_trip(&p)), ["producerGroup"]);
        let w = QueryTopicConsumeByWhoRequestHeader {
            topic: "t".into(),
            rpc: Default::default(),
        };
        assert_required(&w, &["topic"]);
        let b = GetConsumeStatsInBrokerHeader { is_order: true };
        assert_eq!(round_trip(&b).get("isOrder"), Some("true"));
        assert_required(&b, &["isOrder"]);
    }
}
