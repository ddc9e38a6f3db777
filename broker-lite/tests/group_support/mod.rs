//! Helpers shared by the consumer-group and schedule integration tests: a broker on
//! 127.0.0.1:0 over a temp dir, sends, queue offsets and pulls.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // each test binary uses a subset; test code fails loudly

use std::time::Duration;

use broker_lite::broker::Broker;
use broker_lite::config::BrokerConfig;
use rocketmq::protocol::header::{
    GetMaxOffsetRequestHeader, GetMaxOffsetResponseHeader, PullMessageRequestHeader,
    SendMessageRequestHeader, SendMessageResponseHeader,
};
use rocketmq::protocol::message::{DecodeOptions, OffsetMsgId, Properties, Records, StoredMessage};
use rocketmq::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketmq::remoting::RemotingClient;

#[path = "../temp_dir/mod.rs"]
mod temp_dir;
pub(crate) use temp_dir::TempDir;

pub(crate) const TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) fn config(dir: &TempDir) -> BrokerConfig {
    let mut c = BrokerConfig::default();
    c.store.dir = dir.0.clone();
    c.namesrv_addrs = Vec::new();
    c
}

pub(crate) async fn start(config: BrokerConfig) -> (Broker, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let broker = Broker::start(listener, config).await.unwrap();
    let addr = broker.local_addr().to_string();
    (broker, addr)
}

pub(crate) async fn ok(
    client: &RemotingClient,
    addr: &str,
    request: RemotingCommand,
) -> RemotingCommand {
    let r = client.invoke(addr, request, TIMEOUT).await.unwrap();
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    r
}

/// Sends one message (SEND_MESSAGE) and returns the commit-log offset it was stored at.
pub(crate) async fn send(
    client: &RemotingClient,
    addr: &str,
    topic: &str,
    props: &[(&str, &str)],
) -> i64 {
    let mut properties = Properties::new();
    for (k, v) in props {
        properties.insert(*k, *v);
    }
    let h = SendMessageRequestHeader {
        producer_group: "pg".into(),
        topic: topic.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 0,
        sys_flag: 0,
        born_timestamp: 1,
        flag: 0,
        properties: Some(properties.encode()),
        ..Default::default()
    };
    let r = ok(
        client,
        addr,
        RemotingCommand::request(RequestCode::SEND_MESSAGE)
            .with_header(&h)
            .with_body(&b"hello"[..]),
    )
    .await;
    let rh: SendMessageResponseHeader = r.read_header().unwrap();
    rh.msg_id
        .parse::<OffsetMsgId>()
        .unwrap()
        .commit_log_offset()
}

pub(crate) async fn max_offset(
    client: &RemotingClient,
    addr: &str,
    topic: &str,
    queue_id: i32,
) -> i64 {
    let r = ok(
        client,
        addr,
        RemotingCommand::request(RequestCode::GET_MAX_OFFSET).with_header(
            &GetMaxOffsetRequestHeader {
                topic: topic.into(),
                queue_id,
                ..Default::default()
            },
        ),
    )
    .await;
    r.read_header::<GetMaxOffsetResponseHeader>()
        .unwrap()
        .offset
}

/// Waits until `topic`/`queue_id` holds `count` messages; returns when it did.
pub(crate) async fn wait_for_messages(
    client: &RemotingClient,
    addr: &str,
    topic: &str,
    queue_id: i32,
    count: i64,
) -> tokio::time::Instant {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        if max_offset(client, addr, topic, queue_id).await >= count {
            return tokio::time::Instant::now();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{topic}/{queue_id} never got {count} messages"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Pull sysFlag bit: the subscription travels in the request (Java `PullSysFlag`).
pub(crate) const PULL_SUBSCRIPTION: i32 = 4;

pub(crate) async fn pull(
    client: &RemotingClient,
    addr: &str,
    group: &str,
    topic: &str,
    expression: &str,
    kind: &str,
) -> RemotingCommand {
    let h = PullMessageRequestHeader {
        consumer_group: group.into(),
        topic: topic.into(),
        queue_id: 0,
        queue_offset: 0,
        max_msg_nums: 32,
        sys_flag: PULL_SUBSCRIPTION,
        commit_offset: 0,
        suspend_timeout_millis: 0,
        subscription: Some(expression.into()),
        sub_version: 0,
        expression_type: Some(kind.into()),
        ..Default::default()
    };
    pull_header(client, addr, &h).await
}

/// Sends PULL_MESSAGE with the header `h`, returning the answer.
pub(crate) async fn pull_header(
    client: &RemotingClient,
    addr: &str,
    h: &PullMessageRequestHeader,
) -> RemotingCommand {
    client
        .invoke(
            addr,
            RemotingCommand::request(RequestCode::PULL_MESSAGE).with_header(h),
            TIMEOUT,
        )
        .await
        .unwrap()
}

pub(crate) fn records(r: &RemotingCommand) -> Vec<StoredMessage> {
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    Records::new(r.body.clone(), DecodeOptions::default())
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}
