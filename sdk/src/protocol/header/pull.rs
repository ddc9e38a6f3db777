//! `PULL_MESSAGE` / `LITE_PULL_MESSAGE` headers.

command_header! {
    /// `PullMessageRequestHeader` (`PULL_MESSAGE`, and 5.x `LITE_PULL_MESSAGE`).
    ///
    /// 5.x adds `maxMsgBytes`, `requestSource` and `proxyFrowardClientId` (Java's spelling);
    /// 4.9.x brokers ignore them.
    pub struct PullMessageRequestHeader {
        /// Consumer group (`consumerGroup`).
        pub consumer_group: String => "consumerGroup",
        /// Topic (`topic`).
        pub topic: String => "topic",
        /// Queue id (`queueId`).
        pub queue_id: i32 => "queueId",
        /// First logical offset wanted (`queueOffset`).
        pub queue_offset: i64 => "queueOffset",
        /// Maximum number of messages (`maxMsgNums`).
        pub max_msg_nums: i32 => "maxMsgNums",
        /// Pull flags: commit offset, suspend, subscription, class filter, lite pull
        /// (`sysFlag`).
        pub sys_flag: i32 => "sysFlag",
        /// Consumer offset to commit along with the pull (`commitOffset`).
        pub commit_offset: i64 => "commitOffset",
        /// How long the broker may hold the request, in milliseconds
        /// (`suspendTimeoutMillis`).
        pub suspend_timeout_millis: i64 => "suspendTimeoutMillis",
        /// Subscription expression (`subscription`).
        pub subscription: Option<String> => "subscription",
        /// Subscription version (`subVersion`).
        pub sub_version: i64 => "subVersion",
        /// Expression type, `TAG` or `SQL92` (`expressionType`).
        pub expression_type: Option<String> => "expressionType",
        /// Maximum bytes to return (`maxMsgBytes`; 5.x).
        pub max_msg_bytes: Option<i32> => "maxMsgBytes",
        /// Who is asking: SDK, proxy (`requestSource`; 5.x).
        pub request_source: Option<i32> => "requestSource",
        /// Client id forwarded by a proxy (`proxyFrowardClientId`; 5.x).
        pub proxy_forward_client_id: Option<String> => "proxyFrowardClientId",
    }
    + rpc
}

command_header! {
    /// `PullMessageResponseHeader`.
    pub struct PullMessageResponseHeader {
        /// Broker id to pull from next: 0 master, else a slave (`suggestWhichBrokerId`).
        pub suggest_which_broker_id: i64 => "suggestWhichBrokerId",
        /// Offset to pull from next (`nextBeginOffset`).
        pub next_begin_offset: i64 => "nextBeginOffset",
        /// Queue's minimum offset (`minOffset`).
        pub min_offset: i64 => "minOffset",
        /// Queue's maximum offset (`maxOffset`).
        pub max_offset: i64 => "maxOffset",
        /// Offset delta for static topics (`offsetDelta`; 5.x).
        pub offset_delta: Option<i64> => "offsetDelta",
        /// Topic system flag (`topicSysFlag`; 5.x).
        pub topic_sys_flag: Option<i32> => "topicSysFlag",
        /// Group system flag (`groupSysFlag`; 5.x).
        pub group_sys_flag: Option<i32> => "groupSysFlag",
        /// Why the pull was forbidden (`forbiddenType`; 5.x).
        pub forbidden_type: Option<i32> => "forbiddenType",
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::protocol::header::RpcFields;
    use crate::protocol::header::test_util::{assert_required, keys, round_trip};
    use crate::protocol::{CommandHeader, ExtFields};

    fn sample() -> PullMessageRequestHeader {
        PullMessageRequestHeader {
            consumer_group: "cg".into(),
            topic: "t".into(),
            queue_id: 2,
            queue_offset: 100,
            max_msg_nums: 32,
            sys_flag: 3,
            commit_offset: 90,
            suspend_timeout_millis: 15_000,
            subscription: Some("*".into()),
            sub_version: 1,
            expression_type: Some("TAG".into()),
            max_msg_bytes: None,
            request_source: None,
            proxy_forward_client_id: None,
            rpc: RpcFields {
                broker_name: Some("broker-a".into()),
                ..Default::default()
            },
        }
    }

    #[test]
    fn request_keys_are_javas() {
        let ext = round_trip(&sample());
        assert_eq!(
            keys(&ext),
            [
                "bname",
                "commitOffset",
                "consumerGroup",
                "expressionType",
                "maxMsgNums",
                "queueId",
                "queueOffset",
                "subVersion",
                "subscription",
                "suspendTimeoutMillis",
                "sysFlag",
                "topic"
            ]
        );
        assert_eq!(ext.get("suspendTimeoutMillis"), Some("15000"));
        assert_required(
            &sample(),
            &[
                "consumerGroup",
                "topic",
                "queueId",
                "queueOffset",
                "maxMsgNums",
                "sysFlag",
                "commitOffset",
                "suspendTimeoutMillis",
                "subVersion",
            ],
        );
    }

    #[test]
    fn five_x_fields_round_trip() {
        let mut h = sample();
        h.max_msg_bytes = Some(1 << 20);
        h.request_source = Some(1);
        h.proxy_forward_client_id = Some("c".into());
        h.rpc = RpcFields {
            namespace: Some("ns1".into()),
            namespaced: Some(true),
            broker_name: Some("b".into()),
            oneway: Some(false),
            logical: Some(true),
        };
        let ext = round_trip(&h);
        assert_eq!(ext.get("proxyFrowardClientId"), Some("c"));
        assert_eq!(ext.get("ns"), Some("ns1"));
        assert_eq!(ext.get("nsd"), Some("true"));
        assert_eq!(ext.get("oway"), Some("false"));
        assert_eq!(ext.get("lo"), Some("true"));
    }

    #[test]
    fn bad_offset_is_refused() {
        let mut ext = ExtFields::new();
        sample().write_to(&mut ext);
        ext.insert("queueOffset", "12x");
        assert!(matches!(
            PullMessageRequestHeader::read_from(&ext),
            Err(crate::Error::InvalidField { field: "queueOffset", ref value }) if value == "12x"
        ));
    }

    #[test]
    fn response_round_trip() {
        let h = PullMessageResponseHeader {
            suggest_which_broker_id: 0,
            next_begin_offset: 132,
            min_offset: 0,
            max_offset: 200,
            offset_delta: None,
            topic_sys_flag: Some(0),
            group_sys_flag: None,
            forbidden_type: None,
        };
        let ext = round_trip(&h);
        assert_eq!(
            keys(&ext),
            [
                "maxOffset",
                "minOffset",
                "nextBeginOffset",
                "suggestWhichBrokerId",
                "topicSysFlag"
            ]
        );
        assert_required(
            &h,
            &[
                "suggestWhichBrokerId",
                "nextBeginOffset",
                "minOffset",
                "maxOffset",
            ],
        );
    }

    proptest! {
        #[test]
        fn request_round_trips(
            group in ".*", topic in ".*", queue_id in any::<i32>(), offset in any::<i64>(),
            max in any::<i32>(), flag in any::<i32>(), commit in any::<i64>(),
            suspend in any::<i64>(), sub in proptest::option::of(".*"), ver in any::<i64>(),
            bytes in proptest::option::of(any::<i32>()), bname in proptest::option::of(".*"),
            nsd in proptest::option::of(any::<bool>()),
        ) {
            let h = PullMessageRequestHeader {
                consumer_group: group, topic, queue_id, queue_offset: offset, max_msg_nums: max,
                sys_flag: flag, commit_offset: commit, suspend_timeout_millis: suspend,
                subscription: sub, sub_version: ver, expression_type: None,
                max_msg_bytes: bytes, request_source: None, proxy_forward_client_id: None,
                rpc: RpcFields { broker_name: bname, namespaced: nsd, ..Default::default() },
            };
            let mut ext = ExtFields::new();
            h.write_to(&mut ext);
            prop_assert_eq!(PullMessageRequestHeader::read_from(&ext).ok(), Some(h));
        }
    }
}
