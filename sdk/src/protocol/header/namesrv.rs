//! Name server headers: routes, broker registration, KV config, write permissions, topics.

command_header! {
    /// `GetRouteInfoRequestHeader` (`GET_ROUTEINFO_BY_TOPIC`).
    pub struct GetRouteInfoRequestHeader {
        /// Topic (`topic`).
        pub topic: String => "topic",
        /// Ask for standard JSON instead of fastjson's map-key quirks
        /// (`acceptStandardJsonOnly`).
        pub accept_standard_json_only: Option<bool> => "acceptStandardJsonOnly",
    }
    + rpc
}

command_header! {
    /// `RegisterBrokerRequestHeader` (`REGISTER_BROKER`); the topic configs are the body.
    pub struct RegisterBrokerRequestHeader {
        /// Broker name (`brokerName`).
        pub broker_name: String => "brokerName",
        /// Broker address, `ip:port` (`brokerAddr`).
        pub broker_addr: String => "brokerAddr",
        /// Cluster name (`clusterName`).
        pub cluster_name: String => "clusterName",
        /// HA server address (`haServerAddr`).
        pub ha_server_addr: String => "haServerAddr",
        /// Broker id: 0 master, else slave (`brokerId`).
        pub broker_id: i64 => "brokerId",
        /// Whether the body is compressed (`compressed`).
        pub compressed: bool => "compressed" = false,
        /// CRC32 of the body (`bodyCrc32`).
        pub body_crc32: i32 => "bodyCrc32" = 0,
        /// Heartbeat timeout in milliseconds (`heartbeatTimeoutMillis`; 5.x).
        pub heartbeat_timeout_millis: Option<i64> => "heartbeatTimeoutMillis",
        /// Acting-master support (`enableActingMaster`; 5.x).
        pub enable_acting_master: Option<bool> => "enableActingMaster",
    }
}

command_header! {
    /// `RegisterBrokerResponseHeader`.
    pub struct RegisterBrokerResponseHeader {
        /// Master's HA server address (`haServerAddr`).
        pub ha_server_addr: Option<String> => "haServerAddr",
        /// Master's address (`masterAddr`).
        pub master_addr: Option<String> => "masterAddr",
    }
}

command_header! {
    /// `UnRegisterBrokerRequestHeader` (`UNREGISTER_BROKER`).
    pub struct UnRegisterBrokerRequestHeader {
        /// Broker name (`brokerName`).
        pub broker_name: String => "brokerName",
        /// Broker address (`brokerAddr`).
        pub broker_addr: String => "brokerAddr",
        /// Cluster name (`clusterName`).
        pub cluster_name: String => "clusterName",
        /// Broker id (`brokerId`).
        pub broker_id: i64 => "brokerId",
    }
}

command_header! {
    /// `QueryDataVersionRequestHeader` (`QUERY_DATA_VERSION`); the data version is the body.
    pub struct QueryDataVersionRequestHeader {
        /// Broker name (`brokerName`).
        pub broker_name: String => "brokerName",
        /// Broker address (`brokerAddr`).
        pub broker_addr: String => "brokerAddr",
        /// Cluster name (`clusterName`).
        pub cluster_name: String => "clusterName",
        /// Broker id (`brokerId`).
        pub broker_id: i64 => "brokerId",
    }
}

command_header! {
    /// `QueryDataVersionResponseHeader`.
    pub struct QueryDataVersionResponseHeader {
        /// Whether the name server's copy differs (`changed`).
        pub changed: bool => "changed",
    }
}

command_header! {
    /// `GetKVConfigRequestHeader` (`GET_KV_CONFIG`).
    pub struct GetKVConfigRequestHeader {
        /// Namespace (`namespace`).
        pub namespace: String => "namespace",
        /// Key (`key`).
        pub key: String => "key",
    }
}

command_header! {
    /// `GetKVConfigResponseHeader`.
    pub struct GetKVConfigResponseHeader {
        /// The value (`value`).
        pub value: Option<String> => "value",
    }
}

command_header! {
    /// `PutKVConfigRequestHeader` (`PUT_KV_CONFIG`).
    pub struct PutKVConfigRequestHeader {
        /// Namespace (`namespace`).
        pub namespace: String => "namespace",
        /// Key (`key`).
        pub key: String => "key",
        /// Value (`value`).
        pub value: String => "value",
    }
}

command_header! {
    /// `DeleteKVConfigRequestHeader` (`DELETE_KV_CONFIG`).
    pub struct DeleteKVConfigRequestHeader {
        /// Namespace (`namespace`).
        pub namespace: String => "namespace",
        /// Key (`key`).
        pub key: String => "key",
    }
}

command_header! {
    /// `GetKVListByNamespaceRequestHeader` (`GET_KVLIST_BY_NAMESPACE`); the answer is a
    /// JSON `KVTable` body.
    pub struct GetKVListByNamespaceRequestHeader {
        /// Namespace (`namespace`).
        pub namespace: String => "namespace",
    }
}

command_header! {
    /// `WipeWritePermOfBrokerRequestHeader` (`WIPE_WRITE_PERM_OF_BROKER`).
    pub struct WipeWritePermOfBrokerRequestHeader {
        /// Broker name (`brokerName`).
        pub broker_name: String => "brokerName",
    }
}

command_header! {
    /// `WipeWritePermOfBrokerResponseHeader`.
    pub struct WipeWritePermOfBrokerResponseHeader {
        /// Number of topics changed (`wipeTopicCount`).
        pub wipe_topic_count: i32 => "wipeTopicCount",
    }
}

command_header! {
    /// `AddWritePermOfBrokerRequestHeader` (`ADD_WRITE_PERM_OF_BROKER`).
    pub struct AddWritePermOfBrokerRequestHeader {
        /// Broker name (`brokerName`).
        pub broker_name: String => "brokerName",
    }
}

command_header! {
    /// `AddWritePermOfBrokerResponseHeader`.
    pub struct AddWritePermOfBrokerResponseHeader {
        /// Number of topics changed (`addTopicCount`).
        pub add_topic_count: i32 => "addTopicCount",
    }
}

command_header! {
    /// `DeleteTopicFromNamesrvRequestHeader` (`DELETE_TOPIC_IN_NAMESRV`).
    pub struct DeleteTopicFromNamesrvRequestHeader {
        /// Topic (`topic`).
        pub topic: String => "topic",
        /// Only from this cluster (`clusterName`).
        pub cluster_name: Option<String> => "clusterName",
    }
    + rpc
}

command_header! {
    /// `GetTopicsByClusterRequestHeader` (`GET_TOPICS_BY_CLUSTER`).
    pub struct GetTopicsByClusterRequestHeader {
        /// Cluster name (`cluster`).
        pub cluster: String => "cluster",
    }
}

command_header! {
    /// `RegisterTopicRequestHeader` (`REGISTER_TOPIC_IN_NAMESRV`, 5.x); the route is the body.
    pub struct RegisterTopicRequestHeader {
        /// Topic (`topic`).
        pub topic: String => "topic",
    }
    + rpc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::header::test_util::{assert_required, keys, round_trip};
    use crate::protocol::{CommandHeader, ExtFields};

    #[test]
    fn route_info() {
        let h = GetRouteInfoRequestHeader {
            topic: "t".into(),
            accept_standard_json_only: None,
            rpc: Default::default(),
        };
        assert_eq!(keys(&round_trip(&h)), ["topic"]);
        assert_required(&h, &["topic"]);
    }

    #[test]
    fn register_broker() {
        let h = RegisterBrokerRequestHeader {
            broker_name: "b".into(),
            broker_addr: "127.0.0.1:10911".into(),
            cluster_name: "c".into(),
            ha_server_addr: "127.0.0.1:10912".into(),
            broker_id: 0,
            compressed: false,
            body_crc32: -12345,
            heartbeat_timeout_millis: Some(120_000),
            enable_acting_master: None,
        };
        let ext = round_trip(&h);
        assert_eq!(ext.get("bodyCrc32"), Some("-12345"));
        assert_eq!(ext.get("compressed"), Some("false"));
        assert_required(
            &h,
            &[
                "brokerName",
                "brokerAddr",
                "clusterName",
                "haServerAddr",
                "brokerId",
            ],
        );
        let r = RegisterBrokerResponseHeader {
            ha_server_addr: None,
            master_addr: Some("m".into()),
        };
        assert_eq!(keys(&round_trip(&r)), ["masterAddr"]);
        let u = UnRegisterBrokerRequestHeader {
            broker_name: "b".into(),
            broker_addr: "a".into(),
            cluster_name: "c".into(),
            broker_id: 1,
        };
        assert_required(&u, &["brokerName", "brokerAddr", "clusterName", "brokerId"]);
        let q = QueryDataVersionRequestHeader {
            broker_name: "b".into(),
            broker_addr: "a".into(),
            cluster_name: "c".into(),
            broker_id: 1,
        };
        round_trip(&q);
        let v = QueryDataVersionResponseHeader { changed: true };
        assert_eq!(round_trip(&v).get("changed"), Some("true"));
    }

    #[test]
    fn kv_config() {
        let put = PutKVConfigRequestHeader {
            namespace: "ORDER_TOPIC_CONFIG".into(),
            key: "k".into(),
            value: "v".into(),
        };
        assert_eq!(keys(&round_trip(&put)), ["key", "namespace", "value"]);
        assert_required(&put, &["namespace", "key", "value"]);
        let get = GetKVConfigRequestHeader {
            namespace: "n".into(),
            key: "k".into(),
        };
        round_trip(&get);
        round_trip(&GetKVConfigResponseHeader { value: None });
        let del = DeleteKVConfigRequestHeader {
            namespace: "n".into(),
            key: "k".into(),
        };
        assert_required(&del, &["namespace", "key"]);
        let list = GetKVListByNamespaceRequestHeader {
            namespace: "n".into(),
        };
        assert_eq!(keys(&round_trip(&list)), ["namespace"]);
    }

    #[test]
    fn perms_and_topics() {
        let w = WipeWritePermOfBrokerRequestHeader {
            broker_name: "b".into(),
        };
        assert_eq!(keys(&round_trip(&w)), ["brokerName"]);
        let wr = WipeWritePermOfBrokerResponseHeader {
            wipe_topic_count: 3,
        };
        assert_eq!(round_trip(&wr).get("wipeTopicCount"), Some("3"));
        let a = AddWritePermOfBrokerRequestHeader {
            broker_name: "b".into(),
        };
        round_trip(&a);
        let ar = AddWritePermOfBrokerResponseHeader { add_topic_count: 2 };
        assert_eq!(round_trip(&ar).get("addTopicCount"), Some("2"));
        let bad: ExtFields = [("addTopicCount", "two")].into_iter().collect();
        assert!(AddWritePermOfBrokerResponseHeader::read_from(&bad).is_err());
        let d = DeleteTopicFromNamesrvRequestHeader {
            topic: "t".into(),
            cluster_name: Some("c".into()),
            rpc: Default::default(),
        };
        assert_eq!(keys(&round_trip(&d)), ["clusterName", "topic"]);
        let c = GetTopicsByClusterRequestHeader {
            cluster: "c".into(),
        };
        assert_eq!(keys(&round_trip(&c)), ["cluster"]);
        let r = RegisterTopicRequestHeader {
            topic: "t".into(),
            rpc: Default::default(),
        };
        assert_required(&r, &["topic"]);
    }
}
