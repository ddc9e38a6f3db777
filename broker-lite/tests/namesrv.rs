//! The name server in-process on 127.0.0.1:0, driven by the SDK's RemotingClient with
//! requests built as Java's broker, client and mqadmin send them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::time::{Duration, Instant};

use broker_lite::config::NamesrvConfig;
use broker_lite::namesrv::NameServer;
use bytes::Bytes;
use rocketmq::protocol::body::{
    ClusterInfo, DataVersion, KvTable, LinkedMap, RegisterBrokerBody, TopicConfig,
    TopicConfigTable, TopicList, TopicRoute,
};
use rocketmq::protocol::header::{
    AddWritePermOfBrokerRequestHeader, DeleteKVConfigRequestHeader,
    DeleteTopicFromNamesrvRequestHeader, GetKVConfigRequestHeader,
    GetKVListByNamespaceRequestHeader, GetRouteInfoRequestHeader, GetTopicsByClusterRequestHeader,
    PutKVConfigRequestHeader, QueryDataVersionRequestHeader, RegisterBrokerRequestHeader,
    UnRegisterBrokerRequestHeader, WipeWritePermOfBrokerRequestHeader,
};
use rocketmq::protocol::json::JsonBody;
use rocketmq::protocol::request::RegisterBroker;
use rocketmq::protocol::{RemotingCommand, RequestCode, ResponseCode, Rpc, Version};
use rocketmq::remoting::RemotingClient;

const TIMEOUT: Duration = Duration::from_secs(5);

struct Env {
    server: NameServer,
    client: RemotingClient,
    addr: String,
}

async fn start(config: NamesrvConfig) -> Env {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = NameServer::start(listener, config).unwrap();
    let addr = server.local_addr().to_string();
    Env {
        server,
        client: RemotingClient::builder().build(),
        addr,
    }
}

impl Env {
    async fn call(&self, request: RemotingCommand) -> RemotingCommand {
        self.client
            .invoke(&self.addr, request, TIMEOUT)
            .await
            .unwrap()
    }

    async fn ok(&self, request: RemotingCommand) -> RemotingCommand {
        let r = self.call(request).await;
        assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
        r
    }

    async fn route(&self, topic: &str) -> RemotingCommand {
        let header = GetRouteInfoRequestHeader {
            topic: topic.into(),
            ..Default::default()
        };
        self.call(
            RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_header(&header),
        )
        .await
    }

    async fn cluster(&self) -> ClusterInfo {
        let r = self
            .ok(RemotingCommand::request(
                RequestCode::GET_BROKER_CLUSTER_INFO,
            ))
            .await;
        ClusterInfo::from_json(&r.body).unwrap()
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", std::process::id())
}

/// REGISTER_BROKER as a Java master sends it: JSON body, CRC in the header.
fn register(
    cluster: &str,
    name: &str,
    addr: &str,
    topics: &[&str],
    counter: i64,
) -> RemotingCommand {
    let mut table = LinkedMap::new();
    for t in topics {
        table.insert(
            (*t).to_owned(),
            TopicConfig {
                topic_name: (*t).to_owned(),
                read_queue_nums: 8,
                write_queue_nums: 8,
                ..TopicConfig::default()
            },
        );
    }
    let body = RegisterBrokerBody {
        topic_config: TopicConfigTable {
            topic_config_table: table,
            data_version: Some(DataVersion {
                state_version: None,
                timestamp: 1_700_000_000_000,
                counter,
            }),
            ..Default::default()
        },
        filter_servers: vec![],
    }
    .to_json();
    let crc = (crc32fast::hash(&body) & 0x7FFF_FFFF) as i32;
    RegisterBroker {
        header: RegisterBrokerRequestHeader {
            broker_name: name.into(),
            broker_addr: addr.into(),
            cluster_name: cluster.into(),
            ha_server_addr: "127.0.0.1:10912".into(),
            broker_id: 0,
            compressed: false,
            body_crc32: crc,
            ..Default::default()
        },
        body: Bytes::from(body),
    }
    .to_command()
}

#[tokio::test]
async fn register_route_cluster_topics_perms_unregister() {
    let env = start(NamesrvConfig::default()).await;
    let cluster = unique("ClusterA");
    let topic = unique("TopicA");
    let other = unique("TopicB");
    let reply = env
        .ok(register(
            &cluster,
            "broker-a",
            "127.0.0.1:10911",
            &[&topic, &other],
            1,
        ))
        .await;
    assert!(reply.body.is_empty(), "no order-topic KV yet");

    // Route: standard JSON for a 4.9.4+ client, fastjson's bare keys for an old one.
    let r = env.route(&topic).await;
    assert_eq!(r.code, 0);
    assert!(r.body.windows(5).any(|w| w == br#"{"0":"#), "{:?}", r.body);
    let route = TopicRoute::from_json(&r.body).unwrap();
    assert_eq!(route.queues.len(), 1);
    assert_eq!(route.queues[0].write_queue_nums, 8);
    assert_eq!(route.queues[0].perm, 6);
    assert_eq!(route.brokers[0].master_addr(), Some("127.0.0.1:10911"));
    let mut old = RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_header(
        &GetRouteInfoRequestHeader {
            topic: topic.clone(),
            ..Default::default()
        },
    );
    old.version = Version(300);
    let r = env.ok(old).await;
    assert!(r.body.windows(3).any(|w| w == b"{0:"), "{:?}", r.body);

    // Unknown topic: TOPIC_NOT_EXIST with Java's remark.
    let r = env.route("NoSuchTopic").await;
    assert_eq!(r.code, ResponseCode::TOPIC_NOT_EXIST.0);
    assert!(
        r.remark
            .as_deref()
            .unwrap_or("")
            .starts_with("No topic route info in name server for the topic: NoSuchTopic"),
        "{:?}",
        r.remark
    );

    // Cluster info keeps fastjson's bare integer keys.
    let raw = env
        .ok(RemotingCommand::request(
            RequestCode::GET_BROKER_CLUSTER_INFO,
        ))
        .await;
    assert!(raw.body.windows(3).any(|w| w == b"{0:"));
    let info = env.cluster().await;
    assert_eq!(info.cluster_addr_table[&cluster], ["broker-a"]);

    // Topic lists.
    let all = env
        .ok(RemotingCommand::request(
            RequestCode::GET_ALL_TOPIC_LIST_FROM_NAMESERVER,
        ))
        .await;
    let all = TopicList::from_json(&all.body).unwrap();
    assert!(all.topics.contains(&topic) && all.topics.contains(&other));
    let by_cluster = env
        .ok(
            RemotingCommand::request(RequestCode::GET_TOPICS_BY_CLUSTER).with_header(
                &GetTopicsByClusterRequestHeader {
                    cluster: cluster.clone(),
                },
            ),
        )
        .await;
    let mut by_cluster = TopicList::from_json(&by_cluster.body).unwrap().topics;
    by_cluster.sort();
    let mut expected = vec![topic.clone(), other.clone()];
    expected.sort();
    assert_eq!(by_cluster, expected);
    let system = env
        .ok(RemotingCommand::request(
            RequestCode::GET_SYSTEM_TOPIC_LIST_FROM_NS,
        ))
        .await;
    let system = TopicList::from_json(&system.body).unwrap();
    assert!(system.topics.contains(&cluster) && system.topics.contains(&"broker-a".to_owned()));
    assert_eq!(system.broker_addr.as_deref(), Some("127.0.0.1:10911"));

    // Wipe write perm, survive an unchanged re-registration, add it back.
    let r = env
        .ok(
            RemotingCommand::request(RequestCode::WIPE_WRITE_PERM_OF_BROKER).with_header(
                &WipeWritePermOfBrokerRequestHeader {
                    broker_name: "broker-a".into(),
                },
            ),
        )
        .await;
    assert_eq!(r.ext_field("wipeTopicCount"), Some("2"));
    env.ok(register(
        &cluster,
        "broker-a",
        "127.0.0.1:10911",
        &[&topic, &other],
        1,
    ))
    .await;
    let route = TopicRoute::from_json(&env.route(&topic).await.body).unwrap();
    assert_eq!(route.queues[0].perm, 4, "read only");
    let r = env
        .ok(
            RemotingCommand::request(RequestCode::ADD_WRITE_PERM_OF_BROKER).with_header(
                &AddWritePermOfBrokerRequestHeader {
                    broker_name: "broker-a".into(),
                },
            ),
        )
        .await;
    assert_eq!(r.ext_field("addTopicCount"), Some("2"));
    let route = TopicRoute::from_json(&env.route(&topic).await.body).unwrap();
    assert_eq!(route.queues[0].perm, 6);

    // Data version query: unchanged, then changed.
    let query = |counter| {
        RemotingCommand::request(RequestCode::QUERY_DATA_VERSION)
            .with_header(&QueryDataVersionRequestHeader {
                broker_name: "broker-a".into(),
                broker_addr: "127.0.0.1:10911".into(),
                cluster_name: cluster.clone(),
                broker_id: 0,
            })
            .with_body(
                DataVersion {
                    state_version: None,
                    timestamp: 1_700_000_000_000,
                    counter,
                }
                .to_json(),
            )
    };
    assert_eq!(env.ok(query(1)).await.ext_field("changed"), Some("false"));
    assert_eq!(env.ok(query(2)).await.ext_field("changed"), Some("true"));

    // Delete one topic.
    env.ok(
        RemotingCommand::request(RequestCode::DELETE_TOPIC_IN_NAMESRV).with_header(
            &DeleteTopicFromNamesrvRequestHeader {
                topic: other.clone(),
                cluster_name: None,
                rpc: Default::default(),
            },
        ),
    )
    .await;
    assert_eq!(
        env.route(&other).await.code,
        ResponseCode::TOPIC_NOT_EXIST.0
    );

    // A bad CRC is refused like Java.
    let mut bad = register(&cluster, "broker-a", "127.0.0.1:10911", &[&topic], 3);
    bad.ext_fields_mut().insert("bodyCrc32", "12345");
    let r = env.call(bad).await;
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.0);
    assert_eq!(r.remark.as_deref(), Some("crc32 not match"));

    // Unregister removes the broker and its topics.
    env.ok(
        RemotingCommand::request(RequestCode::UNREGISTER_BROKER).with_header(
            &UnRegisterBrokerRequestHeader {
                broker_name: "broker-a".into(),
                broker_addr: "127.0.0.1:10911".into(),
                cluster_name: cluster.clone(),
                broker_id: 0,
            },
        ),
    )
    .await;
    assert_eq!(
        env.route(&topic).await.code,
        ResponseCode::TOPIC_NOT_EXIST.0
    );
    assert!(env.cluster().await.broker_addr_table.is_empty());

    // Unknown codes are refused by the shared server.
    let r = env
        .call(RemotingCommand::request(RequestCode(99_999)))
        .await;
    assert_eq!(r.code, ResponseCode::REQUEST_CODE_NOT_SUPPORTED.0);
    env.server.shutdown().await;
}

#[tokio::test]
async fn kv_config_and_order_topic_conf() {
    let config = NamesrvConfig {
        order_message_enable: true,
        ..NamesrvConfig::default()
    };
    let env = start(config).await;
    let ns = unique("ns");
    let put = |ns: &str, k: &str, v: &str| {
        RemotingCommand::request(RequestCode::PUT_KV_CONFIG).with_header(
            &PutKVConfigRequestHeader {
                namespace: ns.into(),
                key: k.into(),
                value: v.into(),
            },
        )
    };
    let get = |ns: &str, k: &str| {
        RemotingCommand::request(RequestCode::GET_KV_CONFIG).with_header(
            &GetKVConfigRequestHeader {
                namespace: ns.into(),
                key: k.into(),
            },
        )
    };
    let list = |ns: &str| {
        RemotingCommand::request(RequestCode::GET_KVLIST_BY_NAMESPACE).with_header(
            &GetKVListByNamespaceRequestHeader {
                namespace: ns.into(),
            },
        )
    };
    let r = env.call(list(&ns)).await;
    assert_eq!(r.code, ResponseCode::QUERY_NOT_FOUND.0);
    assert_eq!(r.remark, Some(format!("No config item, Namespace: {ns}")));
    env.ok(put(&ns, "k1", "v1")).await;
    env.ok(put(&ns, "k2", "v2")).await;
    assert_eq!(env.ok(get(&ns, "k1")).await.ext_field("value"), Some("v1"));
    let table = KvTable::from_json(&env.ok(list(&ns)).await.body).unwrap();
    assert_eq!(table.table.len(), 2);
    env.ok(
        RemotingCommand::request(RequestCode::DELETE_KV_CONFIG).with_header(
            &DeleteKVConfigRequestHeader {
                namespace: ns.clone(),
                key: "k1".into(),
            },
        ),
    )
    .await;
    let r = env.call(get(&ns, "k1")).await;
    assert_eq!(r.code, ResponseCode::QUERY_NOT_FOUND.0);
    assert_eq!(
        r.remark,
        Some(format!("No config item, Namespace: {ns} Key: k1"))
    );

    // Order topic conf: returned to brokers on registration and set on routes.
    let topic = unique("OrderTopic");
    env.ok(put("ORDER_TOPIC_CONFIG", &topic, "broker-a:4"))
        .await;
    let reply = env
        .ok(register(
            "C",
            "broker-a",
            "127.0.0.1:10911",
            &[&topic, "Other"],
            1,
        ))
        .await;
    let table = KvTable::from_json(&reply.body).unwrap();
    assert_eq!(table.table[&topic], "broker-a:4");
    let route = TopicRoute::from_json(&env.route(&topic).await.body).unwrap();
    assert_eq!(route.order_topic_conf.as_deref(), Some("broker-a:4"));

    // Config get/update with our keys.
    let r = env
        .ok(RemotingCommand::request(RequestCode::GET_NAMESRV_CONFIG))
        .await;
    let text = String::from_utf8(r.body.to_vec()).unwrap();
    assert!(text.contains("order_message_enable=true"), "{text}");
    env.ok(RemotingCommand::request(RequestCode::UPDATE_NAMESRV_CONFIG)
        .with_body(&b"order_message_enable=false\n"[..]))
        .await;
    let route = TopicRoute::from_json(&env.route(&topic).await.body).unwrap();
    assert_eq!(route.order_topic_conf, None);
    let r = env
        .call(
            RemotingCommand::request(RequestCode::UPDATE_NAMESRV_CONFIG)
                .with_body(&b"listen=0.0.0.0:1\n"[..]),
        )
        .await;
    assert_eq!(r.code, ResponseCode::NO_PERMISSION.0);
    env.server.shutdown().await;
}

/// Polls until `check` holds or the deadline passes.
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(Instant::now() < deadline, "{what} did not happen in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn silent_broker_expires() {
    let config = NamesrvConfig {
        broker_expiry: Duration::from_millis(300),
        scan_interval: Duration::from_millis(50),
        ..NamesrvConfig::default()
    };
    let env = start(config).await;
    let topic = unique("Expiring");
    // Register over a connection we keep open, so only the timeout can remove it.
    env.ok(register(
        "C",
        "broker-x",
        "127.0.0.1:20911",
        &[&topic, "X2"],
        1,
    ))
    .await;
    assert_eq!(env.route(&topic).await.code, 0);
    eventually("expiry", async || {
        env.route(&topic).await.code == ResponseCode::TOPIC_NOT_EXIST.0
    })
    .await;
    assert!(env.cluster().await.broker_addr_table.is_empty());
    env.server.shutdown().await;
}

#[tokio::test]
async fn closed_connection_removes_broker() {
    let env = start(NamesrvConfig::default()).await;
    let topic = unique("Closing");
    let broker = RemotingClient::builder().build();
    let r = broker
        .invoke(
            &env.addr,
            register("C", "broker-y", "127.0.0.1:30911", &[&topic, "Y2"], 1),
            TIMEOUT,
        )
        .await
        .unwrap();
    assert_eq!(r.code, 0);
    assert_eq!(env.route(&topic).await.code, 0);
    broker.close().await;
    eventually("removal on close", async || {
        env.route(&topic).await.code == ResponseCode::TOPIC_NOT_EXIST.0
    })
    .await;
    env.server.shutdown().await;
}
