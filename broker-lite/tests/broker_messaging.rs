//! The broker's messaging core in-process on 127.0.0.1:0, driven by the SDK's
//! RemotingClient with requests shaped as Java 4.9.8 and 5.x producers and consumers send
//! them: SEND_MESSAGE(_V2), SEND_BATCH_MESSAGE, PULL_MESSAGE with long polling.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::time::{Duration, Instant};

use broker_lite::BrokerLite;
use broker_lite::broker::Broker;
use broker_lite::config::NamesrvConfig;
use broker_lite::namesrv::NameServer;
use bytes::Bytes;
use rocketmq::protocol::body::{ClusterInfo, TopicRoute};
use rocketmq::protocol::header::{
    CreateTopicRequestHeader, GetRouteInfoRequestHeader, PullMessageRequestHeader,
    PullMessageResponseHeader, SendMessageRequestHeader, SendMessageRequestHeaderV2,
    SendMessageResponseHeader,
};
use rocketmq::protocol::json::JsonBody;
use rocketmq::protocol::message::{Message, OffsetMsgId, StoredMessage, SysFlag, encode_batch};
use rocketmq::protocol::{RemotingCommand, RequestCode, ResponseCode, Version};
use rocketmq::remoting::RemotingClient;

mod broker_env;
use broker_env::{Env, TIMEOUT, TempDir, config_in, decode, unique};

/// Pull sysFlag bits.
const PULL_COMMIT: i32 = 1;
const PULL_SUSPEND: i32 = 2;
const PULL_SUBSCRIPTION: i32 = 4;

fn v2_header(topic: &str, queue_id: i32, properties: &str) -> SendMessageRequestHeaderV2 {
    SendMessageRequestHeaderV2 {
        producer_group: "PG".into(),
        topic: topic.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_123,
        flag: 7,
        properties: Some(properties.into()),
        reconsume_times: Some(0),
        unit_mode: false,
        max_reconsume_times: None,
        batch: false,
        broker_name: Some("broker-a".into()),
    }
}

fn pull_header(group: &str, topic: &str, queue_id: i32, offset: i64) -> PullMessageRequestHeader {
    PullMessageRequestHeader {
        consumer_group: group.into(),
        topic: topic.into(),
        queue_id,
        queue_offset: offset,
        max_msg_nums: 32,
        sys_flag: PULL_SUBSCRIPTION,
        commit_offset: 0,
        suspend_timeout_millis: 0,
        subscription: Some("*".into()),
        sub_version: 0,
        expression_type: Some("TAG".into()),
        ..Default::default()
    }
}

impl Env {
    async fn send_v2(
        &self,
        header: &SendMessageRequestHeaderV2,
        body: &'static [u8],
        version: Version,
    ) -> RemotingCommand {
        self.call(
            RemotingCommand::request(RequestCode::SEND_MESSAGE_V2)
                .with_version(version)
                .with_header(header)
                .with_body(Bytes::from_static(body)),
        )
        .await
    }

    async fn send_ok(&self, topic: &str, queue_id: i32, props: &str) -> SendMessageResponseHeader {
        let r = self
            .send_v2(&v2_header(topic, queue_id, props), b"body", Version::V5_3_3)
            .await;
        assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
        r.read_header().unwrap()
    }

    async fn pull(&self, header: &PullMessageRequestHeader, version: Version) -> RemotingCommand {
        self.call(
            RemotingCommand::request(RequestCode::PULL_MESSAGE)
                .with_version(version)
                .with_header(header),
        )
        .await
    }

    async fn pull_messages(&self, topic: &str, queue_id: i32, offset: i64) -> Vec<StoredMessage> {
        let r = self
            .pull(&pull_header("CG", topic, queue_id, offset), Version::V5_3_3)
            .await;
        assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
        decode(&r.body)
    }
}

#[tokio::test]
async fn send_v2_and_pull_back_every_field() {
    let env = Env::start().await;
    let topic = unique("SendV2");
    let props = "UNIQ_KEY\u{1}7F0000010001000000000000AAAA\u{2}WAIT\u{1}true\u{2}TAGS\u{1}tagA\u{2}KEYS\u{1}k1 k2\u{2}color\u{1}red\u{2}";
    let r = env
        .send_v2(
            &v2_header(&topic, 2, props),
            b"hello world",
            Version::V5_3_3,
        )
        .await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    assert_eq!(r.ext_field("MSG_REGION"), Some("DefaultRegion"));
    assert_eq!(r.ext_field("TRACE_ON"), Some("true"));
    let sent: SendMessageResponseHeader = r.read_header().unwrap();
    assert_eq!(sent.queue_id, 2);
    assert_eq!(sent.queue_offset, 0);
    assert_eq!(
        sent.transaction_id.as_deref(),
        Some("7F0000010001000000000000AAAA"),
        "5.x answers the unique key as transaction id"
    );
    assert_eq!(sent.batch_uniq_id, None);

    let pulled = env
        .pull(&pull_header("CG", &topic, 2, 0), Version::V5_3_3)
        .await;
    assert_eq!(pulled.code, ResponseCode::SUCCESS.0, "{:?}", pulled.remark);
    assert_eq!(pulled.remark.as_deref(), Some("FOUND"));
    let ph: PullMessageResponseHeader = pulled.read_header().unwrap();
    assert_eq!(
        (ph.next_begin_offset, ph.min_offset, ph.max_offset),
        (1, 0, 1)
    );
    assert_eq!(ph.suggest_which_broker_id, 0);
    assert_eq!(ph.topic_sys_flag, Some(0));
    let msgs = decode(&pulled.body);
    assert_eq!(msgs.len(), 1);
    let m = &msgs[0];
    assert_eq!(m.message.topic(), topic);
    assert_eq!(m.message.body().as_ref(), b"hello world");
    assert_eq!(m.message.flag(), 7);
    assert_eq!(m.queue_id, 2);
    assert_eq!(m.queue_offset, 0);
    assert_eq!(m.born_timestamp, 1_700_000_000_123);
    assert!(m.born_host.ip().is_loopback());
    assert_ne!(m.born_host.port(), 0);
    assert_eq!(m.store_host.to_string(), env.addr);
    assert_eq!(m.reconsume_times, 0);
    assert_eq!(m.sys_flag, SysFlag::EMPTY);
    assert_eq!(m.offset_msg_id().to_string(), sent.msg_id);
    assert_eq!(m.msg_id(), "7F0000010001000000000000AAAA");
    let p = m.message.properties();
    assert_eq!(p.get("TAGS"), Some("tagA"));
    assert_eq!(p.get("KEYS"), Some("k1 k2"));
    assert_eq!(p.get("color"), Some("red"));
    assert_eq!(p.get("WAIT"), Some("true"), "5.x keeps WAIT");
    assert_eq!(p.get("CLUSTER"), Some("DefaultCluster"));
    // The store keeps a whole-record CRC property (on by default); the answer is the
    // record without it, its lengths fixed.
    assert!(
        p.get("__CRC32#").is_none(),
        "the store's CRC stays internal"
    );
    assert_eq!(usize::try_from(m.store_size).unwrap(), pulled.body.len());
    let id: OffsetMsgId = sent.msg_id.parse().unwrap();
    assert_eq!(id.store_host().to_string(), env.addr);
}

#[tokio::test]
async fn send_v1_from_a_4x_client() {
    let env = Env::start().await;
    let topic = unique("SendV1");
    let header =
        SendMessageRequestHeader::from(v2_header(&topic, 0, "WAIT\u{1}true\u{2}TAGS\u{1}x"));
    let r = env
        .call(
            RemotingCommand::request(RequestCode::SEND_MESSAGE)
                .with_version(Version::V4_9_8)
                .with_header(&header)
                .with_body(Bytes::from_static(b"v1")),
        )
        .await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let sent: SendMessageResponseHeader = r.read_header().unwrap();
    assert_eq!(
        sent.transaction_id, None,
        "4.9.8 does not answer a transaction id"
    );
    let msgs = env.pull_messages(&topic, 0, 0).await;
    let p = msgs[0].message.properties();
    assert_eq!(p.get("WAIT"), None, "4.9.8 drops WAIT");
    assert_eq!(p.get("UNIQ_KEY"), None, "4.9.8 adds no unique key");
    assert_eq!(p.get("TAGS"), Some("x"));
    assert_eq!(msgs[0].message.body().as_ref(), b"v1");
}

#[tokio::test]
async fn v5_send_without_unique_key_gets_one() {
    let env = Env::start().await;
    let topic = unique("Uniq");
    env.send_ok(&topic, 0, "TAGS\u{1}x\u{2}").await;
    let msgs = env.pull_messages(&topic, 0, 0).await;
    let uniq = msgs[0].message.unique_key().unwrap();
    assert_eq!(uniq.len(), 32);
}

#[tokio::test]
async fn batch_send_stores_consecutive_messages() {
    let env = Env::start().await;
    let topic = unique("Batch");
    env.send_ok(&topic, 1, "").await;
    let mut msgs = Vec::new();
    for i in 0..3 {
        let mut m = Message::new(&topic, Bytes::from(format!("b{i}")));
        m.set_unique_key(format!("UNIQ{i}"));
        m.set_tags(format!("t{i}"));
        m.set_flag(i);
        msgs.push(m);
    }
    let mut body = Vec::new();
    encode_batch(&msgs, &mut body).unwrap();
    let mut header = v2_header(&topic, 1, "WAIT\u{1}true\u{2}");
    header.batch = true;
    let r = env
        .call(
            RemotingCommand::request(RequestCode::SEND_BATCH_MESSAGE)
                .with_header(&header)
                .with_body(body.clone()),
        )
        .await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let sent: SendMessageResponseHeader = r.read_header().unwrap();
    assert_eq!(sent.queue_offset, 1);
    assert_eq!(sent.batch_uniq_id, None);
    let ids: Vec<&str> = sent.msg_id.split(',').collect();
    assert_eq!(ids.len(), 3);

    let pulled = env.pull_messages(&topic, 1, 1).await;
    assert_eq!(pulled.len(), 3);
    for (i, m) in pulled.iter().enumerate() {
        assert_eq!(m.queue_offset, 1 + i as i64);
        assert_eq!(m.message.body().as_ref(), format!("b{i}").as_bytes());
        assert_eq!(m.message.flag(), i as i32);
        assert_eq!(m.message.unique_key(), Some(format!("UNIQ{i}").as_str()));
        assert_eq!(m.message.tags(), Some(format!("t{i}").as_str()));
        // 5.x stores each message's own properties only.
        assert_eq!(m.message.property("CLUSTER"), None);
        assert_eq!(m.message.property("WAIT"), None);
        assert_eq!(m.offset_msg_id().to_string(), ids[i]);
    }

    // 4.9.8 appends the batch's properties (here a batch UNIQ_KEY too) and CLUSTER.
    let mut v4_header = header.clone();
    v4_header.properties = Some("WAIT\u{1}true".into());
    let r = env
        .call(
            RemotingCommand::request(RequestCode::SEND_BATCH_MESSAGE)
                .with_version(Version::V4_9_8)
                .with_header(&v4_header)
                .with_body(body.clone()),
        )
        .await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let pulled = env.pull_messages(&topic, 1, 4).await;
    assert_eq!(pulled.len(), 3);
    for (i, m) in pulled.iter().enumerate() {
        assert_eq!(m.message.unique_key(), Some(format!("UNIQ{i}").as_str()));
        assert_eq!(m.message.property("CLUSTER"), Some("DefaultCluster"));
        assert_eq!(m.message.property("WAIT"), Some("true"));
    }

    // A malformed batch body is refused.
    let r = env
        .call(
            RemotingCommand::request(RequestCode::SEND_BATCH_MESSAGE)
                .with_header(&header)
                .with_body(Bytes::from_static(&[0, 0, 0, 99, 1])),
        )
        .await;
    assert_eq!(r.code, ResponseCode::MESSAGE_ILLEGAL.0);
}

/// Sends issued all at once on one connection arrive together and are stored as runs
/// (one append for each read's sends): each still gets its own answer, with the offsets
/// it was stored at, refusals and failures stay with their requests, and every message
/// pulled back sits where its answer said.
#[tokio::test]
async fn sends_arriving_together_are_each_answered() {
    for sync in [false, true] {
        let env = Env::start_with(|c| {
            if sync {
                c.store.flush_disk_type = broker_lite::config::FlushDiskType::SyncFlush;
            }
        })
        .await;
        let topic = unique("Together");
        env.send_ok(&topic, 0, "").await; // the topic exists: no auto-creation race
        let mut batch = Vec::new();
        let msgs: Vec<Message> = (0..3)
            .map(|i| Message::new(&topic, Bytes::from(format!("batch {i}"))))
            .collect();
        encode_batch(&msgs, &mut batch).unwrap();
        let batch = Bytes::from(batch);
        let requests: Vec<(usize, RemotingCommand)> = (0..96)
            .map(|i| {
                let queue_id = (i % 4) as i32;
                let request = match i % 16 {
                    5 => {
                        // A system topic: refused alone.
                        let h = v2_header("SCHEDULE_TOPIC_XXXX", queue_id, "");
                        RemotingCommand::request(RequestCode::SEND_MESSAGE_V2).with_header(&h)
                    }
                    9 => {
                        let mut h = v2_header(&topic, queue_id, "");
                        h.batch = true;
                        RemotingCommand::request(RequestCode::SEND_BATCH_MESSAGE)
                            .with_header(&h)
                            .with_body(batch.clone())
                    }
                    13 => {
                        // A queue id past the topic's queues: refused alone.
                        let h = v2_header(&topic, 64, "");
                        RemotingCommand::request(RequestCode::SEND_MESSAGE_V2).with_header(&h)
                    }
                    _ => {
                        let props = format!("KEYS\u{1}k{i}\u{2}TAGS\u{1}t\u{2}");
                        let h = v2_header(&topic, queue_id, &props);
                        RemotingCommand::request(RequestCode::SEND_MESSAGE_V2)
                            .with_version(Version::V5_3_3)
                            .with_header(&h)
                            .with_body(Bytes::from(format!("single {i}")))
                    }
                };
                (i, request)
            })
            .collect();
        // All issued before any is awaited: the client writes them back to back.
        let mut calls = tokio::task::JoinSet::new();
        for (i, r) in requests {
            let (client, addr) = (env.client.clone(), env.addr.clone());
            calls.spawn(async move { (i, client.invoke(&addr, r, TIMEOUT).await.unwrap()) });
        }
        let answers = calls.join_all().await;
        let mut expected: std::collections::HashMap<(i32, i64), String> = Default::default();
        for (i, r) in &answers {
            match i % 16 {
                5 => assert_eq!(r.code, ResponseCode::NO_PERMISSION.0, "{i}: {:?}", r.remark),
                13 => assert_ne!(r.code, ResponseCode::SUCCESS.0, "{i}"),
                9 => {
                    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{i}: {:?}", r.remark);
                    let h: SendMessageResponseHeader = r.read_header().unwrap();
                    assert_eq!(h.msg_id.split(',').count(), 3);
                    for b in 0..3 {
                        let at = (h.queue_id, h.queue_offset + b);
                        assert!(expected.insert(at, format!("batch {b}")).is_none());
                    }
                }
                _ => {
                    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{i}: {:?}", r.remark);
                    let h: SendMessageResponseHeader = r.read_header().unwrap();
                    assert_eq!(h.queue_id, (i % 4) as i32);
                    let at = (h.queue_id, h.queue_offset);
                    assert!(
                        expected.insert(at, format!("single {i}")).is_none(),
                        "{at:?}"
                    );
                }
            }
        }
        let mut stored = 0;
        for q in 0..4 {
            let mut offset = if q == 0 { 1 } else { 0 };
            let end = expected
                .keys()
                .filter(|(eq, _)| *eq == q)
                .map(|(_, o)| o + 1)
                .max();
            while end.is_some_and(|end| offset < end) {
                let pulled = env.pull_messages(&topic, q, offset).await;
                assert!(!pulled.is_empty());
                for m in pulled {
                    let body = String::from_utf8(m.message.body().to_vec()).unwrap();
                    assert_eq!(
                        expected.get(&(q, m.queue_offset)),
                        Some(&body),
                        "sync {sync}"
                    );
                    offset = m.queue_offset + 1;
                    stored += 1;
                }
            }
        }
        assert_eq!(
            stored,
            expected.len(),
            "no message stored without an answer"
        );
    }
}

#[tokio::test]
async fn topics_are_auto_created_from_the_default_topic() {
    let env = Env::start().await;
    let topic = unique("Auto");
    let mut header = v2_header(&topic, -1, "");
    header.default_topic_queue_nums = 3;
    let r = env.send_v2(&header, b"x", Version::V5_3_3).await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let sent: SendMessageResponseHeader = r.read_header().unwrap();
    assert!((0..3).contains(&sent.queue_id));
    // Queue 3 does not exist in a 3-queue topic.
    let r = env
        .send_v2(&v2_header(&topic, 3, ""), b"x", Version::V5_3_3)
        .await;
    assert_eq!(r.code, ResponseCode::INVALID_PARAMETER.0);
    assert!(
        r.remark
            .unwrap()
            .starts_with("request queueId[3] is illegal, TopicConfig [topicName=")
    );
    let r = env
        .send_v2(&v2_header(&topic, 3, ""), b"x", Version::V4_9_8)
        .await;
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.0);

    let off = Env::start_with(|c| c.auto_create_topic_enable = false).await;
    let r = off
        .send_v2(&v2_header(&unique("NoAuto"), 0, ""), b"x", Version::V5_3_3)
        .await;
    assert_eq!(r.code, ResponseCode::TOPIC_NOT_EXIST.0);
    assert!(r.remark.unwrap().contains("not exist, apply first please!"));
}

#[tokio::test]
async fn permissions_and_system_topics_as_java_checks_them() {
    let env = Env::start().await;
    for topic in ["SCHEDULE_TOPIC_XXXX", "RMQ_SYS_TRANS_HALF_TOPIC"] {
        let r = env
            .send_v2(&v2_header(topic, 0, ""), b"x", Version::V5_3_3)
            .await;
        assert_eq!(r.code, ResponseCode::NO_PERMISSION.0);
        assert_eq!(
            r.remark.unwrap(),
            format!("Sending message to topic[{topic}] is forbidden.")
        );
    }
    let r = env
        .send_v2(&v2_header("bad topic", 0, ""), b"x", Version::V4_9_8)
        .await;
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.0);

    // As Java: a topic's own permission is not checked on a send.
    let topic = unique("ReadOnlyTopic");
    let create = |topic: &str, perm: i32, order: bool| {
        RemotingCommand::request(RequestCode::UPDATE_AND_CREATE_TOPIC).with_header(
            &CreateTopicRequestHeader {
                topic: topic.into(),
                default_topic: "TBW102".into(),
                read_queue_nums: 1,
                write_queue_nums: 1,
                perm,
                topic_filter_type: CreateTopicRequestHeader::SINGLE_TAG.into(),
                order,
                ..Default::default()
            },
        )
    };
    let r = env.call(create(&topic, 4, false)).await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    env.send_ok(&topic, 0, "").await;

    // A read-only broker refuses sends to ordered topics only.
    let read_only = Env::start_with(|c| c.broker_permission = 4).await;
    let ordered = unique("Ordered");
    let r = read_only.call(create(&ordered, 6, true)).await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let r = read_only
        .send_v2(&v2_header(&ordered, 0, ""), b"x", Version::V5_3_3)
        .await;
    assert_eq!(r.code, ResponseCode::NO_PERMISSION.0);
    assert_eq!(
        r.remark.unwrap(),
        "the broker[127.0.0.1] sending message is forbidden"
    );
    read_only.send_ok(&topic, 0, "").await;

    let write_only = Env::start_with(|c| c.broker_permission = 2).await;
    write_only.send_ok(&topic, 0, "").await;
    let r = write_only
        .pull(&pull_header("CG", &topic, 0, 0), Version::V5_3_3)
        .await;
    assert_eq!(r.code, ResponseCode::NO_PERMISSION.0);
    assert_eq!(
        r.remark.unwrap(),
        "the broker[127.0.0.1] pulling message is forbidden"
    );
}

#[tokio::test]
async fn pull_codes_for_offsets_queues_and_topics() {
    let env = Env::start().await;
    let topic = unique("Codes");
    env.send_ok(&topic, 0, "").await;
    env.send_ok(&topic, 0, "").await;
    // At the end: nothing new.
    let r = env
        .pull(&pull_header("CG", &topic, 0, 2), Version::V5_3_3)
        .await;
    assert_eq!(r.code, ResponseCode::PULL_NOT_FOUND.0);
    assert_eq!(r.remark.as_deref(), Some("OFFSET_OVERFLOW_ONE"));
    let h: PullMessageResponseHeader = r.read_header().unwrap();
    assert_eq!(h.next_begin_offset, 2);
    // Past the end: moved.
    let r = env
        .pull(&pull_header("CG", &topic, 0, 9), Version::V5_3_3)
        .await;
    assert_eq!(r.code, ResponseCode::PULL_OFFSET_MOVED.0);
    assert_eq!(r.remark.as_deref(), Some("OFFSET_OVERFLOW_BADLY"));
    // An empty queue at offset 0 is not found; at another offset it moved.
    let r = env
        .pull(&pull_header("CG", &topic, 1, 0), Version::V5_3_3)
        .await;
    assert_eq!(r.code, ResponseCode::PULL_NOT_FOUND.0);
    let r = env
        .pull(&pull_header("CG", &topic, 1, 5), Version::V5_3_3)
        .await;
    assert_eq!(r.code, ResponseCode::PULL_OFFSET_MOVED.0);
    let h: PullMessageResponseHeader = r.read_header().unwrap();
    assert_eq!(h.next_begin_offset, 0);
    // Illegal queue ids: SYSTEM_ERROR from 4.9.8, INVALID_PARAMETER from 5.x.
    let r = env
        .pull(&pull_header("CG", &topic, 4, 0), Version::V4_9_8)
        .await;
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.0);
    assert!(
        r.remark
            .unwrap()
            .starts_with("queueId[4] is illegal, topic:[")
    );
    let r = env
        .pull(&pull_header("CG", &topic, -1, 0), Version::V5_3_3)
        .await;
    assert_eq!(r.code, ResponseCode::INVALID_PARAMETER.0);
    // Unknown topic.
    let r = env
        .pull(&pull_header("CG", &unique("Nope"), 0, 0), Version::V5_3_3)
        .await;
    assert_eq!(r.code, ResponseCode::TOPIC_NOT_EXIST.0);
    // No subscription in the header and none registered.
    let mut h = pull_header("CG", &topic, 0, 0);
    h.sys_flag = 0;
    let r = env.pull(&h, Version::V5_3_3).await;
    assert_eq!(r.code, ResponseCode::SUBSCRIPTION_NOT_EXIST.0);
    // maxMsgNums limits the batch.
    let mut h = pull_header("CG", &topic, 0, 0);
    h.max_msg_nums = 1;
    let r = env.pull(&h, Version::V5_3_3).await;
    assert_eq!(decode(&r.body).len(), 1);
    let h: PullMessageResponseHeader = r.read_header().unwrap();
    assert_eq!(h.next_begin_offset, 1);
}

#[tokio::test]
async fn tag_subscriptions_filter_on_the_broker() {
    let env = Env::start().await;
    let topic = unique("Tags");
    env.send_ok(&topic, 0, "TAGS\u{1}a\u{2}").await;
    env.send_ok(&topic, 0, "TAGS\u{1}b\u{2}").await;
    env.send_ok(&topic, 0, "").await;
    env.send_ok(&topic, 0, "TAGS\u{1}c\u{2}").await;
    let mut h = pull_header("CG", &topic, 0, 0);
    h.subscription = Some("c || a".into());
    let r = env.pull(&h, Version::V5_3_3).await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0);
    let tags: Vec<String> = decode(&r.body)
        .iter()
        .map(|m| m.message.tags().unwrap().to_owned())
        .collect();
    assert_eq!(tags, ["a", "c"]);
    let ph: PullMessageResponseHeader = r.read_header().unwrap();
    assert_eq!(ph.next_begin_offset, 4);
    // Nothing matching from offset 1 to 3: retry immediately from 3.
    let mut h = pull_header("CG", &topic, 0, 1);
    h.subscription = Some("zzz".into());
    let r = env.pull(&h, Version::V5_3_3).await;
    assert_eq!(r.code, ResponseCode::PULL_RETRY_IMMEDIATELY.0);
    assert_eq!(r.remark.as_deref(), Some("NO_MATCHED_MESSAGE"));
}

#[tokio::test]
async fn long_poll_wakes_on_arrival_and_times_out() {
    let env = Env::start().await;
    let topic = unique("LongPoll");
    env.send_ok(&topic, 0, "").await;

    // Held: answered as soon as a message arrives.
    let mut h = pull_header("CG", &topic, 0, 1);
    h.sys_flag |= PULL_SUSPEND;
    h.suspend_timeout_millis = 20_000;
    let request = RemotingCommand::request(RequestCode::PULL_MESSAGE).with_header(&h);
    let held = env
        .client
        .invoke_async(&env.addr, request, Duration::from_secs(30))
        .await
        .unwrap();
    // Other requests go through while the pull is held.
    let other = unique("Other");
    env.send_ok(&other, 0, "").await;
    assert_eq!(env.pull_messages(&other, 0, 0).await.len(), 1);
    let started = Instant::now();
    env.send_ok(&topic, 0, "TAGS\u{1}late\u{2}").await;
    let r = held.await.unwrap();
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    assert!(started.elapsed() < Duration::from_secs(15));
    let msgs = decode(&r.body);
    assert_eq!(msgs[0].message.tags(), Some("late"));

    // Nothing arrives: PULL_NOT_FOUND after the suspend time.
    let mut h = pull_header("CG", &topic, 0, 2);
    h.sys_flag |= PULL_SUSPEND;
    h.suspend_timeout_millis = 300;
    let started = Instant::now();
    let r = env.pull(&h, Version::V5_3_3).await;
    assert_eq!(r.code, ResponseCode::PULL_NOT_FOUND.0);
    assert!(started.elapsed() >= Duration::from_millis(300));

    // A message that does not match keeps the pull held until its time is up.
    let mut h = pull_header("CG", &topic, 0, 2);
    h.sys_flag |= PULL_SUSPEND;
    h.suspend_timeout_millis = 20_000;
    h.subscription = Some("wanted".into());
    let request = RemotingCommand::request(RequestCode::PULL_MESSAGE).with_header(&h);
    let held = env
        .client
        .invoke_async(&env.addr, request, Duration::from_secs(30))
        .await
        .unwrap();
    env.send_ok(&topic, 0, "TAGS\u{1}other\u{2}").await;
    env.send_ok(&topic, 0, "TAGS\u{1}wanted\u{2}").await;
    let r = held.await.unwrap();
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let tags: Vec<_> = decode(&r.body)
        .iter()
        .map(|m| m.message.tags().unwrap().to_owned())
        .collect();
    assert_eq!(tags, ["wanted"]);
}

#[tokio::test]
async fn a_woken_pull_takes_the_messages_right_behind_the_first() {
    // A long delay, so that the test does not depend on the machine's speed.
    let env = Env::start_with(|c| c.pull_wake_delay = Duration::from_secs(20)).await;
    let topic = unique("Behind");
    env.send_ok(&topic, 0, "").await;
    let held_pull = |suspend_millis: i64| {
        let mut h = pull_header("CG", &topic, 0, 1);
        h.sys_flag |= PULL_SUSPEND;
        h.suspend_timeout_millis = suspend_millis;
        RemotingCommand::request(RequestCode::PULL_MESSAGE).with_header(&h)
    };

    // The wait after the arrival is cut at the pull's suspend time.
    let held = env
        .client
        .invoke_async(&env.addr, held_pull(1_500), Duration::from_secs(60))
        .await
        .unwrap();
    let started = Instant::now();
    for tag in ["a", "b", "c"] {
        env.send_ok(&topic, 0, &format!("TAGS\u{1}{tag}\u{2}"))
            .await;
    }
    let r = held.await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let tags: Vec<_> = decode(&r.body)
        .iter()
        .map(|m| m.message.tags().unwrap().to_owned())
        .collect();
    assert_eq!(tags, ["a", "b", "c"], "one answer for the three arrivals");
}

#[tokio::test]
async fn short_polling_when_long_polling_is_off() {
    let env = Env::start_with(|c| {
        c.long_polling_enable = false;
        c.short_polling_time = Duration::from_millis(200);
    })
    .await;
    let topic = unique("Short");
    env.send_ok(&topic, 0, "").await;
    let mut h = pull_header("CG", &topic, 0, 1);
    h.sys_flag |= PULL_SUSPEND;
    h.suspend_timeout_millis = 60_000;
    let started = Instant::now();
    let r = env.pull(&h, Version::V5_3_3).await;
    assert_eq!(r.code, ResponseCode::PULL_NOT_FOUND.0);
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(200) && took < Duration::from_secs(30));
}

#[tokio::test]
async fn retry_topic_past_max_goes_to_dlq() {
    let env = Env::start().await;
    let group = unique("CG");
    let retry = format!("%RETRY%{group}");
    let mut header = v2_header(&retry, 0, "TAGS\u{1}r\u{2}");
    header.reconsume_times = Some(3);
    header.max_reconsume_times = Some(3);
    // 5.x: only past the maximum.
    let r = env.send_v2(&header, b"x", Version::V5_3_3).await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    assert_eq!(env.pull_messages(&retry, 0, 0).await.len(), 1);
    // 4.9.8: at the maximum.
    let r = env.send_v2(&header, b"x", Version::V4_9_8).await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let dlq = format!("%DLQ%{group}");
    let msgs = env.pull_messages(&dlq, 0, 0).await;
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].reconsume_times, 3);
}

#[tokio::test]
async fn half_messages_go_to_the_half_topic() {
    let env = Env::start().await;
    let topic = unique("Tx");
    let props = "TRAN_MSG\u{1}true\u{2}PGROUP\u{1}PG\u{2}UNIQ_KEY\u{1}TXID1\u{2}";
    let mut header = v2_header(&topic, 1, props);
    header.sys_flag = SysFlag::TRANSACTION_PREPARED.bits();
    let r = env.send_v2(&header, b"tx", Version::V5_3_3).await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let sent: SendMessageResponseHeader = r.read_header().unwrap();
    assert_eq!(sent.queue_id, 1);
    assert_eq!(sent.transaction_id.as_deref(), Some("TXID1"));
    // Nothing visible in the real topic.
    let r = env
        .pull(&pull_header("CG", &topic, 1, 0), Version::V5_3_3)
        .await;
    assert_eq!(r.code, ResponseCode::PULL_NOT_FOUND.0);
    let halves = env
        .pull_messages("RMQ_SYS_TRANS_HALF_TOPIC", 0, sent.queue_offset)
        .await;
    let half = &halves[0];
    assert_eq!(half.offset_msg_id().to_string(), sent.msg_id);
    assert_eq!(half.message.real_topic(), Some(topic.as_str()));
    assert_eq!(half.message.real_queue_id().unwrap(), Some(1));
    assert_eq!(half.message.transaction_id(), Some("TXID1"));
    assert_eq!(half.sys_flag, SysFlag::EMPTY);
}

#[tokio::test]
async fn commit_offset_in_pull_is_stored() {
    let env = Env::start().await;
    let topic = unique("Commit");
    env.send_ok(&topic, 0, "").await;
    let mut h = pull_header("CGC", &topic, 0, 0);
    h.sys_flag |= PULL_COMMIT;
    h.commit_offset = 1;
    let r = env.pull(&h, Version::V5_3_3).await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0);
    let q = rocketmq::protocol::header::QueryConsumerOffsetRequestHeader {
        consumer_group: "CGC".into(),
        topic: topic.clone(),
        queue_id: 0,
        ..Default::default()
    };
    let r = env
        .call(RemotingCommand::request(RequestCode::QUERY_CONSUMER_OFFSET).with_header(&q))
        .await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    assert_eq!(r.ext_field("offset"), Some("1"));
}

#[tokio::test]
async fn oneway_send_is_stored_without_reply() {
    let env = Env::start().await;
    let topic = unique("Oneway");
    let request = RemotingCommand::request(RequestCode::SEND_MESSAGE_V2)
        .with_header(&v2_header(&topic, 0, ""))
        .with_body(Bytes::from_static(b"1way"));
    env.client
        .invoke_oneway(&env.addr, request, TIMEOUT)
        .await
        .unwrap();
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let r = env
            .pull(&pull_header("CG", &topic, 0, 0), Version::V5_3_3)
            .await;
        if r.code == ResponseCode::SUCCESS.0 {
            assert_eq!(decode(&r.body)[0].message.body().as_ref(), b"1way");
            break;
        }
        assert!(Instant::now() < deadline, "oneway message never stored");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn restart_keeps_messages_and_topics() {
    let mut env = Env::start().await;
    let topic = unique("Restart");
    let mut header = v2_header(&topic, 0, "TAGS\u{1}keep\u{2}");
    header.default_topic_queue_nums = 2;
    let r = env.send_v2(&header, b"persisted", Version::V5_3_3).await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0);
    env.stop().await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let broker = Broker::start(listener, config_in(&env.dir.0))
        .await
        .unwrap();
    env.addr = broker.addr().to_string();
    env.broker = Some(broker);
    let msgs = env.pull_messages(&topic, 0, 0).await;
    assert_eq!(msgs[0].message.body().as_ref(), b"persisted");
    // The topic kept its two queues: queue 2 is refused.
    let r = env
        .send_v2(&v2_header(&topic, 2, ""), b"x", Version::V5_3_3)
        .await;
    assert_eq!(r.code, ResponseCode::INVALID_PARAMETER.0);
    let sent = env.send_ok(&topic, 0, "").await;
    assert_eq!(sent.queue_offset, 1);
    env.stop().await;
}

/// Polls `cond` every 20 ms until it holds or 10 s pass.
async fn eventually<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + TIMEOUT;
    while !cond().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn route_code(client: &RemotingClient, namesrv: &str, topic: &str) -> i32 {
    let header = GetRouteInfoRequestHeader {
        topic: topic.into(),
        ..Default::default()
    };
    client
        .invoke(
            namesrv,
            RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_header(&header),
            TIMEOUT,
        )
        .await
        .unwrap()
        .code
}

#[tokio::test]
async fn embedded_broker_registers_new_topics_promptly() {
    let lite = BrokerLite::start().await.unwrap();
    let client = RemotingClient::builder().build();
    let ns = lite.namesrv_addr().to_string();
    let broker = lite.broker_addr().to_string();
    assert_eq!(
        route_code(&client, &ns, "TBW102").await,
        ResponseCode::SUCCESS.0
    );
    let topic = unique("Registered");
    assert_eq!(
        route_code(&client, &ns, &topic).await,
        ResponseCode::TOPIC_NOT_EXIST.0
    );
    let r = client
        .invoke(
            &broker,
            RemotingCommand::request(RequestCode::SEND_MESSAGE_V2)
                .with_header(&v2_header(&topic, 0, ""))
                .with_body(Bytes::from_static(b"x")),
            TIMEOUT,
        )
        .await
        .unwrap();
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    // Registered again well before the 30 s period.
    eventually("the new topic's route", || async {
        route_code(&client, &ns, &topic).await == ResponseCode::SUCCESS.0
    })
    .await;
    let header = GetRouteInfoRequestHeader {
        topic: topic.clone(),
        ..Default::default()
    };
    let r = client
        .invoke(
            &ns,
            RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_header(&header),
            TIMEOUT,
        )
        .await
        .unwrap();
    let route = TopicRoute::from_json(&r.body).unwrap();
    assert_eq!(route.queues[0].write_queue_nums, 4);
    assert_eq!(
        route.brokers[0].broker_addrs.get(&0).map(String::as_str),
        Some(broker.as_str())
    );
    let dir = lite.dir().to_path_buf();
    lite.shutdown().await;
    assert!(!dir.exists(), "the temporary directory is removed");
}

#[tokio::test]
async fn broker_unregisters_on_shutdown() {
    let ns_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ns = NameServer::start(ns_listener, NamesrvConfig::default()).unwrap();
    let ns_addr = ns.local_addr().to_string();
    let dir = TempDir::new("unregister");
    let mut config = config_in(&dir.0);
    config.namesrv_addrs = vec![ns_addr.clone()];
    config.broker_name = unique("broker");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let broker = Broker::start(listener, config.clone()).await.unwrap();
    let client = RemotingClient::builder().build();
    let present = |client: RemotingClient, ns_addr: String, name: String| async move {
        let r = client
            .invoke(
                &ns_addr,
                RemotingCommand::request(RequestCode::GET_BROKER_CLUSTER_INFO),
                TIMEOUT,
            )
            .await
            .unwrap();
        ClusterInfo::from_json(&r.body)
            .unwrap()
            .broker_addr_table
            .contains_key(&name)
    };
    eventually("the registration", || {
        present(client.clone(), ns_addr.clone(), config.broker_name.clone())
    })
    .await;
    broker.shutdown().await;
    assert!(!present(client.clone(), ns_addr.clone(), config.broker_name.clone()).await);
    ns.shutdown().await;
}

#[tokio::test]
async fn sql92_subscriptions_filter_on_properties() {
    let env = Env::start().await;
    let topic = unique("Sql");
    env.send_ok(&topic, 0, "a\u{1}1\u{2}").await;
    env.send_ok(&topic, 0, "a\u{1}5\u{2}TAGS\u{1}x\u{2}").await;
    env.send_ok(&topic, 0, "b\u{1}9\u{2}").await;
    let mut h = pull_header("CG", &topic, 0, 0);
    h.subscription = Some("a > 3".into());
    h.expression_type = Some("SQL92".into());
    let r = env.pull(&h, Version::V5_3_3).await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let msgs = decode(&r.body);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].message.property("a"), Some("5"));
    // An expression that does not compile.
    h.subscription = Some("a >".into());
    let r = env.pull(&h, Version::V5_3_3).await;
    assert_eq!(r.code, ResponseCode::SUBSCRIPTION_PARSE_FAILED.0);
    // SQL92 refused while the property filter is off.
    let off = Env::start_with(|c| c.enable_property_filter = false).await;
    off.send_ok(&topic, 0, "a\u{1}5\u{2}").await;
    h.subscription = Some("a > 3".into());
    let r = off.pull(&h, Version::V5_3_3).await;
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.0);
    assert_eq!(
        r.remark.as_deref(),
        Some("The broker does not support consumer to filter message by SQL92")
    );
}

#[tokio::test]
async fn a_full_disk_refuses_sends_as_java_does() {
    // Any use of the disk is over a warning ratio of 0.
    let env = Env::start_with(|c| c.store.disk_warning_ratio = 0.0).await;
    let r = env
        .send_v2(&v2_header(&unique("Full"), 0, ""), b"x", Version::V5_3_3)
        .await;
    assert_eq!(
        r.code,
        ResponseCode::SERVICE_NOT_AVAILABLE.0,
        "{:?}",
        r.remark
    );
    let remark = r.remark.unwrap();
    assert!(
        remark.starts_with("service not available now. It may be caused by one of the following reasons: the broker's disk is full [CL: "),
        "{remark}"
    );
}

#[tokio::test]
async fn a_message_over_the_size_limit_is_illegal() {
    let env = Env::start_with(|c| c.store.max_message_size = 1024).await;
    let topic = unique("Big");
    let r = env
        .call(
            RemotingCommand::request(RequestCode::SEND_MESSAGE_V2)
                .with_header(&v2_header(&topic, 0, ""))
                .with_body(vec![b'x'; 2000]),
        )
        .await;
    assert_eq!(r.code, ResponseCode::MESSAGE_ILLEGAL.0, "{:?}", r.remark);
    assert_eq!(
        r.remark.as_deref(),
        Some(
            "the message is illegal, maybe msg body or properties length not matched. msg body length limit 1024B, msg properties length limit 32KB."
        )
    );
    // A small one still goes through.
    env.send_ok(&topic, 0, "").await;
}
