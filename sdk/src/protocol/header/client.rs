//! Client management headers: consumer lists and rebalance notices, consumer status and
//! running info (broker -> client), direct consumption, unregister, heartbeat and queue locks.

command_header! {
    /// `GetConsumerListByGroupRequestHeader` (`GET_CONSUMER_LIST_BY_GROUP`); the answer is
    /// a JSON body (`consumerIdList`) and an empty response header.
    pub struct GetConsumerListByGroupRequestHeader {
        /// Consumer group (`consumerGroup`).
        pub consumer_group: String => "consumerGroup",
    }
    + rpc
}

command_header! {
    /// `NotifyConsumerIdsChangedRequestHeader` (`NOTIFY_CONSUMER_IDS_CHANGED`, broker ->
    /// client, oneway): the group's members changed, rebalance now.
    pub struct NotifyConsumerIdsChangedRequestHeader {
        /// Consumer group (`consumerGroup`).
        pub consumer_group: String => "consumerGroup",
    }
    + rpc
}

command_header! {
    /// `ResetOffsetRequestHeader` (`RESET_CONSUMER_CLIENT_OFFSET` broker -> client, and the
    /// admin's `INVOKE_BROKER_TO_RESET_OFFSET`). The offsets to apply travel in the body.
    ///
    /// 5.x adds `queueId` (a primitive defaulting to -1, so 5.x always sends it) and
    /// `offset`; 4.9.x ignores both.
    pub struct ResetOffsetRequestHeader {
        /// Topic (`topic`).
        pub topic: String => "topic",
        /// Consumer group (`group`).
        pub group: String => "group",
        /// Reset to this store time, milliseconds (`timestamp`).
        pub timestamp: i64 => "timestamp",
        /// Also move offsets forward, not only back (`isForce`).
        pub is_force: bool => "isForce",
        /// Only this queue; -1 for all (`queueId`; 5.x).
        pub queue_id: i32 => "queueId" = -1,
        /// Reset to this offset instead of a time (`offset`; 5.x).
        pub offset: Option<i64> => "offset",
    }
    + rpc
}

command_header! {
    /// `GetConsumerStatusRequestHeader` (`GET_CONSUMER_STATUS_FROM_CLIENT`, and the admin's
    /// `INVOKE_BROKER_TO_GET_CONSUMER_STATUS`).
    pub struct GetConsumerStatusRequestHeader {
        /// Topic (`topic`).
        pub topic: String => "topic",
        /// Consumer group (`group`).
        pub group: String => "group",
        /// Only this client address (`clientAddr`).
        pub client_addr: Option<String> => "clientAddr",
    }
    + rpc
}

command_header! {
    /// `GetConsumerRunningInfoRequestHeader` (`GET_CONSUMER_RUNNING_INFO`).
    pub struct GetConsumerRunningInfoRequestHeader {
        /// Consumer group (`consumerGroup`).
        pub consumer_group: String => "consumerGroup",
        /// Client id (`clientId`).
        pub client_id: String => "clientId",
        /// Include a thread dump (`jstackEnable`).
        pub jstack_enable: bool => "jstackEnable" = false,
    }
    + rpc
}

command_header! {
    /// `ConsumeMessageDirectlyResultRequestHeader` (`CONSUME_MESSAGE_DIRECTLY`): ask a client
    /// to consume the message in the body right away.
    pub struct ConsumeMessageDirectlyResultRequestHeader {
        /// Consumer group (`consumerGroup`).
        pub consumer_group: String => "consumerGroup",
        /// Client id (`clientId`).
        pub client_id: Option<String> => "clientId",
        /// Message id (`msgId`).
        pub msg_id: Option<String> => "msgId",
        /// Broker name (`brokerName`).
        pub broker_name: Option<String> => "brokerName",
        /// Topic (`topic`; 5.x).
        pub topic: Option<String> => "topic",
        /// Topic system flag (`topicSysFlag`; 5.x).
        pub topic_sys_flag: Option<i32> => "topicSysFlag",
        /// Group system flag (`groupSysFlag`; 5.x).
        pub group_sys_flag: Option<i32> => "groupSysFlag",
    }
    + rpc
}

command_header! {
    /// `UnregisterClientRequestHeader` (`UNREGISTER_CLIENT`).
    pub struct UnregisterClientRequestHeader {
        /// Client id (`clientID`, with Java's capital `ID`).
        pub client_id: String => "clientID",
        /// Producer group being left (`producerGroup`).
        pub producer_group: Option<String> => "producerGroup",
        /// Consumer group being left (`consumerGroup`).
        pub consumer_group: Option<String> => "consumerGroup",
    }
    + rpc
}

command_header! {
    /// `HeartbeatRequestHeader` (`HEART_BEAT`): 5.x sends one with only the RPC fields; 4.9.x
    /// sends no header. The heartbeat itself is the JSON body.
    pub struct HeartbeatRequestHeader {}
    + rpc
}

command_header! {
    /// `LockBatchMqRequestHeader` (`LOCK_BATCH_MQ`): 5.x sends one with only the RPC fields;
    /// 4.9.x sends no header. The queues are the JSON body.
    pub struct LockBatchMqRequestHeader {}
    + rpc
}

command_header! {
    /// `UnlockBatchMqRequestHeader` (`UNLOCK_BATCH_MQ`), as [`LockBatchMqRequestHeader`].
    pub struct UnlockBatchMqRequestHeader {}
    + rpc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::header::RpcFields;
    use crate::protocol::header::test_util::{assert_required, keys, round_trip};
    use crate::protocol::{CommandHeader, ExtFields};

    #[test]
    fn group_headers() {
        let g = GetConsumerListByGroupRequestHeader {
            consumer_group: "g".into(),
            rpc: Default::default(),
        };
        assert_eq!(keys(&round_trip(&g)), ["consumerGroup"]);
        assert_required(&g, &["consumerGroup"]);
        let n = NotifyConsumerIdsChangedRequestHeader {
            consumer_group: "g".into(),
            rpc: Default::default(),
        };
        assert_eq!(keys(&round_trip(&n)), ["consumerGroup"]);
    }

    #[test]
    fn reset_offset_from_4_9_and_5_x() {
        let h = ResetOffsetRequestHeader {
            topic: "t".into(),
            group: "g".into(),
            timestamp: 1,
            is_force: true,
            ..Default::default()
        };
        assert_eq!(h.queue_id, -1);
        let ext = round_trip(&h);
        assert_eq!(
            keys(&ext),
            ["group", "isForce", "queueId", "timestamp", "topic"]
        );
        assert_required(&h, &["topic", "group", "timestamp", "isForce"]);
        // What a 4.9.x broker sends.
        let old: ExtFields = [
            ("topic", "t"),
            ("group", "g"),
            ("timestamp", "1"),
            ("isForce", "true"),
        ]
        .into_iter()
        .collect();
        assert_eq!(ResetOffsetRequestHeader::read_from(&old).ok(), Some(h));
    }

    #[test]
    fn status_running_info_direct() {
        let s = GetConsumerStatusRequestHeader {
            topic: "t".into(),
            group: "g".into(),
            client_addr: Some("1.2.3.4".into()),
            rpc: Default::default(),
        };
        assert_eq!(keys(&round_trip(&s)), ["clientAddr", "group", "topic"]);
        assert_required(&s, &["topic", "group"]);
        let r = GetConsumerRunningInfoRequestHeader {
            consumer_group: "g".into(),
            client_id: "c".into(),
            jstack_enable: false,
            rpc: Default::default(),
        };
        assert_eq!(
            keys(&round_trip(&r)),
            ["clientId", "consumerGroup", "jstackEnable"]
        );
        assert_required(&r, &["consumerGroup", "clientId"]);
        let d = ConsumeMessageDirectlyResultRequestHeader {
            consumer_group: "g".into(),
            client_id: Some("c".into()),
            msg_id: Some("m".into()),
            broker_name: Some("b".into()),
            ..Default::default()
        };
        assert_eq!(
            keys(&round_trip(&d)),
            ["brokerName", "clientId", "consumerGroup", "msgId"]
        );
    }

    #[test]
    fn unregister_uses_capital_id() {
        let u = UnregisterClientRequestHeader {
            client_id: "127.0.0.1@1".into(),
            producer_group: Some("pg".into()),
            consumer_group: None,
            rpc: Default::default(),
        };
        let ext = round_trip(&u);
        assert_eq!(ext.get("clientID"), Some("127.0.0.1@1"));
        assert_required(&u, &["clientID"]);
    }

    #[test]
    fn empty_headers_carry_only_rpc_fields() {
        let h = HeartbeatRequestHeader::default();
        assert!(round_trip(&h).is_empty());
        let l = LockBatchMqRequestHeader {
            rpc: RpcFields {
                broker_name: Some("b".into()),
                ..Default::default()
            },
        };
        assert_eq!(keys(&round_trip(&l)), ["bname"]);
        round_trip(&UnlockBatchMqRequestHeader::default());
    }
}
