//! Routing bodies: topic routes (GET_ROUTEINFO_BY_TOPIC) and cluster info
//! (GET_BROKER_CLUSTER_INFO). Java: `route.TopicRouteData`, `route.QueueData`,
//! `route.BrokerData`, `body.ClusterInfo`, `statictopic.TopicQueueMappingInfo` (5.x).

use super::LinkedMap;
use serde::{Deserialize, Serialize};

/// The broker id of a master (Java `MixAll.MASTER_ID`).
pub const MASTER_ID: i64 = 0;

/// Where a topic lives: its queues per broker and the brokers' addresses (Java
/// `TopicRouteData`).
///
/// Name servers answer clients of version 4.9.4 and later with
/// [`crate::protocol::json::Style::Standard`] JSON (`"brokerAddrs":{"0":...}`), older ones with
/// fastjson's default (`{0:...}`); both read the same.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TopicRoute {
    /// Ordered-topic configuration from the name server's KV store, if any.
    pub order_topic_conf: Option<String>,
    /// Queue counts and permissions per broker (`queueDatas`).
    #[serde(rename = "queueDatas")]
    pub queues: Vec<QueueData>,
    /// The brokers serving the topic (`brokerDatas`).
    #[serde(rename = "brokerDatas")]
    pub brokers: Vec<BrokerData>,
    /// Filter servers per broker address (a 4.x feature; usually empty).
    pub filter_server_table: LinkedMap<String, Vec<String>>,
    /// Static-topic queue mappings per broker name (5.x; absent otherwise).
    pub topic_queue_mapping_by_broker: Option<LinkedMap<String, TopicQueueMappingInfo>>,
}

/// A topic's queues on one broker (Java `QueueData`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct QueueData {
    /// Broker name.
    pub broker_name: String,
    /// Number of queues consumers read.
    pub read_queue_nums: i32,
    /// Number of queues producers write.
    pub write_queue_nums: i32,
    /// Permission bits (`PermName`: 2 = read, 4 = write, 1 = inherit).
    pub perm: i32,
    /// Topic system flags (`TopicSysFlag`).
    pub topic_sys_flag: i32,
}

/// One broker group: its name, cluster and the address of each member by broker id
/// (Java `BrokerData`; id 0 is the master).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BrokerData {
    /// Cluster name.
    pub cluster: String,
    /// Broker name.
    pub broker_name: String,
    /// Address (`host:port`) per broker id (`brokerAddrs`; Java `HashMap<Long, String>`).
    pub broker_addrs: LinkedMap<i64, String>,
    /// Zone name (5.x; absent otherwise).
    pub zone_name: Option<String>,
    /// Whether a slave may act as master when the master is down (5.x; absent otherwise).
    pub enable_acting_master: Option<bool>,
}

impl BrokerData {
    /// The master's address, if the group has one online.
    pub fn master_addr(&self) -> Option<&str> {
        self.broker_addrs.get(&MASTER_ID).map(String::as_str)
    }
}

/// Static-topic mapping of logical to physical queue ids on one broker (Java
/// `TopicQueueMappingInfo`, 5.x).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TopicQueueMappingInfo {
    /// Topic name.
    pub topic: Option<String>,
    /// Metadata scope (`__global__` by default in Java).
    pub scope: Option<String>,
    /// Total logical queues.
    pub total_queues: i32,
    /// The hosting broker's name (`bname`).
    pub bname: Option<String>,
    /// Epoch fencing stale data.
    pub epoch: i64,
    /// Whether the data is dirty.
    pub dirty: bool,
    /// Logical queue id to physical queue id (`currIdMap`; keys written bare).
    pub curr_id_map: Option<LinkedMap<i32, i32>>,
}

/// Every broker known to a name server, and the brokers of each cluster (Java `ClusterInfo`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ClusterInfo {
    /// Broker group per broker name.
    pub broker_addr_table: LinkedMap<String, BrokerData>,
    /// Broker names per cluster name (Java `Set<String>`).
    pub cluster_addr_table: LinkedMap<String, Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::json::{JsonBody, WriteOptions};

    /// The GET_BROKER_CLUSTER_INFO body a 4.9.8 name server sent (java-runtime-notes.md),
    /// with a bare integer key, and the same with a quoted key.
    #[test]
    fn cluster_info_with_bare_and_quoted_keys() {
        let bare = br#"{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"127.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}},"clusterAddrTable":{"DefaultCluster":["broker-a"]}}"#;
        let quoted = br#"{"brokerAddrTable":{"broker-a":{"brokerAddrs":{"0":"127.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}},"clusterAddrTable":{"DefaultCluster":["broker-a"]}}"#;
        let a = ClusterInfo::from_json(bare).unwrap();
        let b = ClusterInfo::from_json(quoted).unwrap();
        assert_eq!(a, b);
        let broker = &a.broker_addr_table["broker-a"];
        assert_eq!(broker.master_addr(), Some("127.0.0.1:10911"));
        assert_eq!(broker.cluster, "DefaultCluster");
        assert_eq!(a.cluster_addr_table["DefaultCluster"], ["broker-a"]);
        assert_eq!(a.to_json(), bare);
        assert_eq!(a.to_json_with(WriteOptions::STANDARD), quoted);
    }

    #[test]
    fn topic_route_both_styles() {
        let route = TopicRoute {
            order_topic_conf: None,
            queues: vec![QueueData {
                broker_name: "broker-a".into(),
                read_queue_nums: 8,
                write_queue_nums: 8,
                perm: 6,
                topic_sys_flag: 0,
            }],
            brokers: vec![BrokerData {
                cluster: "c".into(),
                broker_name: "broker-a".into(),
                broker_addrs: [(0, "127.0.0.1:10911".into()), (1, "127.0.0.1:10921".into())].into(),
                zone_name: None,
                enable_acting_master: Some(false),
            }],
            filter_server_table: LinkedMap::new(),
            topic_queue_mapping_by_broker: None,
        };
        let fast = route.to_json();
        assert_eq!(
            String::from_utf8(fast.clone()).unwrap(),
            concat!(
                r#"{"brokerDatas":[{"brokerAddrs":{0:"127.0.0.1:10911",1:"127.0.0.1:10921"},"#,
                r#""brokerName":"broker-a","cluster":"c","enableActingMaster":false}],"#,
                r#""filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"#,
                r#""readQueueNums":8,"topicSysFlag":0,"writeQueueNums":8}]}"#
            )
        );
        let std = route.to_json_with(WriteOptions::STANDARD);
        assert!(std.windows(5).any(|w| w == br#"{"0":"#));
        assert_eq!(TopicRoute::from_json(&fast).unwrap(), route);
        assert_eq!(TopicRoute::from_json(&std).unwrap(), route);
    }

    #[test]
    fn topic_queue_mapping_reads() {
        let body = br#"{"brokerDatas":[],"queueDatas":[],"topicQueueMappingByBroker":{"b":{"bname":"b","currIdMap":{0:0,1:3},"dirty":false,"epoch":5,"scope":"__global__","topic":"t","totalQueues":2}}}"#;
        let route = TopicRoute::from_json(body).unwrap();
        let map = route.topic_queue_mapping_by_broker.as_ref().unwrap();
        assert_eq!(map["b"].curr_id_map.as_ref().unwrap()[&1], 3);
        assert_eq!(map["b"].epoch, 5);
        assert!(route.filter_server_table.is_empty());
    }
}
