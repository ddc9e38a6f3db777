//! The broker's query and admin requests in-process on 127.0.0.1:0, driven by the SDK's
//! RemotingClient as Java's mqadmin and admin client send them: QUERY_MESSAGE,
//! VIEW_MESSAGE_BY_ID, topic and subscription-group management, runtime info, broker
//! config, consume and topic stats, connection lists, offset resets.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use broker_lite::broker::Broker;
use broker_lite::config::BrokerConfig;
use bytes::Bytes;
use rocketmq::protocol::header::{
    QueryMessageRequestHeader, QueryMessageResponseHeader, SendMessageRequestHeaderV2,
    SendMessageResponseHeader, ViewMessageRequestHeader,
};
use rocketmq::protocol::message::{DecodeOptions, OffsetMsgId, Records, StoredMessage};
use rocketmq::protocol::{RemotingCommand, RequestCode, ResponseCode, Version};
use rocketmq::remoting::RemotingClient;

const TIMEOUT: Duration = Duration::from_secs(10);

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A temp directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("broker-admin-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

struct Env {
    broker: Option<Broker>,
    client: RemotingClient,
    addr: String,
    _dir: TempDir,
}

async fn start_with(adjust: impl FnOnce(&mut BrokerConfig)) -> Env {
    let dir = TempDir::new("broker");
    let mut config = BrokerConfig::default();
    config.store.dir = dir.0.clone();
    config.namesrv_addrs = Vec::new();
    config.store.index_hash_slots = 1024;
    config.store.index_entries = 4096;
    adjust(&mut config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let broker = Broker::start(listener, config).await.unwrap();
    let addr = broker.addr().to_string();
    Env {
        broker: Some(broker),
        client: RemotingClient::builder().build(),
        addr,
        _dir: dir,
    }
}

async fn start() -> Env {
    start_with(|_| {}).await
}

impl Env {
    async fn call(&self, request: RemotingCommand) -> RemotingCommand {
        self.client
            .invoke(&self.addr, request, TIMEOUT)
            .await
            .unwrap()
    }

    /// Sends one message (SEND_MESSAGE_V2 as a 5.x producer) with `properties`.
    async fn send(
        &self,
        topic: &str,
        queue_id: i32,
        properties: &str,
        body: &str,
    ) -> SendMessageResponseHeader {
        let header = SendMessageRequestHeaderV2 {
            producer_group: "PG".into(),
            topic: topic.into(),
            default_topic: "TBW102".into(),
            default_topic_queue_nums: 4,
            queue_id,
            sys_flag: 0,
            born_timestamp: 1_700_000_000_123,
            flag: 0,
            properties: Some(properties.into()),
            reconsume_times: Some(0),
            unit_mode: false,
            max_reconsume_times: None,
            batch: false,
            broker_name: Some("broker-a".into()),
        };
        let r = self
            .call(
                RemotingCommand::request(RequestCode::SEND_MESSAGE_V2)
                    .with_version(Version::V5_3_3)
                    .with_header(&header)
                    .with_body(Bytes::from(body.to_owned())),
            )
            .await;
        assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
        r.read_header().unwrap()
    }

    async fn stop(&mut self) {
        if let Some(b) = self.broker.take() {
            b.shutdown().await;
        }
    }
}

fn decode(body: &Bytes) -> Vec<StoredMessage> {
    Records::new(body.clone(), DecodeOptions::default())
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

fn props(keys: &str, uniq: &str) -> String {
    format!("KEYS\u{1}{keys}\u{2}UNIQ_KEY\u{1}{uniq}\u{2}WAIT\u{1}true\u{2}TAGS\u{1}t\u{2}")
}

fn query(topic: &str, key: &str, max: i32, uniq: Option<bool>) -> RemotingCommand {
    RemotingCommand::request(RequestCode::QUERY_MESSAGE).with_header(&QueryMessageRequestHeader {
        topic: topic.into(),
        key: key.into(),
        max_num: max,
        begin_timestamp: 0,
        end_timestamp: i64::MAX,
        unique_key_query: uniq,
        rpc: Default::default(),
    })
}

fn bodies(msgs: &[StoredMessage]) -> Vec<String> {
    msgs.iter()
        .map(|m| String::from_utf8(m.message.body().to_vec()).unwrap())
        .collect()
}

#[tokio::test]
async fn query_by_key_unique_key_and_offset_id() {
    let mut env = start().await;
    let topic = unique("Query");
    let mut sent = Vec::new();
    for i in 0..40 {
        let uniq = format!("7F00000100002A9F0000000000{i:04}");
        let keys = format!("order-{i} shared");
        sent.push(
            env.send(&topic, i % 4, &props(&keys, &uniq), &format!("body-{i}"))
                .await,
        );
    }

    // By key: the record of that key only, with exactly the properties sent (plus what
    // the broker adds), and the index's progress in the header.
    let r = env.call(query(&topic, "order-7", 32, None)).await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let h: QueryMessageResponseHeader = r.read_header().unwrap();
    assert!(h.index_last_update_timestamp > 0);
    assert!(h.index_last_update_phyoffset > 0);
    let msgs = decode(&r.body);
    assert_eq!(bodies(&msgs), ["body-7"]);
    let m = &msgs[0];
    assert_eq!(m.message.topic(), topic);
    assert_eq!(m.message.keys().collect::<Vec<_>>(), ["order-7", "shared"]);
    assert!(
        m.message.property("__CRC32#").is_none(),
        "the store's CRC stays internal"
    );

    // A key shared by every message: maxNum respected, commit-log order.
    let r = env.call(query(&topic, "shared", 5, None)).await;
    let msgs = decode(&r.body);
    assert_eq!(
        bodies(&msgs),
        ["body-35", "body-36", "body-37", "body-38", "body-39"]
    );

    // A unique-key query gets at most 32 whatever maxNum says.
    let uniq = "7F00000100002A9F00000000000012";
    let r = env.call(query(&topic, uniq, 1, Some(true))).await;
    assert_eq!(bodies(&decode(&r.body)), ["body-12"]);
    let r = env.call(query(&topic, "shared", 1, Some(true))).await;
    assert_eq!(decode(&r.body).len(), 32);

    // Nothing: QUERY_NOT_FOUND with Java's remark; other topics do not match.
    for (t, k) in [(topic.as_str(), "nope"), ("OtherTopic", "order-7")] {
        let r = env.call(query(t, k, 32, None)).await;
        assert_eq!(r.code, ResponseCode::QUERY_NOT_FOUND.0);
        assert_eq!(
            r.remark.as_deref(),
            Some("can not find message, maybe time range not correct")
        );
    }

    // By offset message id.
    let id: OffsetMsgId = sent[21].msg_id.parse().unwrap();
    let view = |offset: i64| {
        RemotingCommand::request(RequestCode::VIEW_MESSAGE_BY_ID).with_header(
            &ViewMessageRequestHeader {
                offset,
                topic: None,
            },
        )
    };
    let r = env.call(view(id.commit_log_offset())).await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let msgs = decode(&r.body);
    assert_eq!(bodies(&msgs), ["body-21"]);
    assert_eq!(msgs[0].commit_log_offset, id.commit_log_offset());
    assert_eq!(msgs[0].queue_offset, sent[21].queue_offset);
    for bad in [id.commit_log_offset() + 1, -5, 1 << 40] {
        let r = env.call(view(bad)).await;
        assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.0);
        assert_eq!(
            r.remark.as_deref(),
            Some(format!("can not find message by the offset, {bad}").as_str())
        );
    }

    env.stop().await;
}
