//! Small SDK-side operations shared by the interop tests and the demo: they use only the
//! SDK's protocol and transport (no Java), so they work against any broker.

use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use bytes::Bytes;
use rocketmq::protocol::body::{ClusterInfo, TopicRoute};
use rocketmq::protocol::header::{CreateTopicRequestHeader, PullMessageRequestHeader};
use rocketmq::protocol::message::{DecodeOptions, StoredMessage};
use rocketmq::protocol::request::{
    CreateTopic, GetClusterInfo, GetRouteInfo, PullMessage, PullResponse, PullStatus,
};
use rocketmq::protocol::{FromResponse, ResponseCode, Rpc, SerializeType};
use rocketmq::remoting::RemotingClient;

/// Pull flag telling the broker the subscription travels in the request header (Java's
/// `PullSysFlag.FLAG_SUBSCRIPTION`), so no heartbeat from the group is needed.
const FLAG_SUBSCRIPTION: i32 = 0x4;

/// Polls the name server's cluster info (bounded) until `broker_name` is listed: a broker
/// may report "boot success" before its first registration reaches the name server.
pub async fn wait_for_broker(
    client: &RemotingClient,
    namesrv: &str,
    broker_name: &str,
) -> anyhow::Result<ClusterInfo> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let info = client.call(namesrv, &GetClusterInfo).await?;
        if info.broker_addr_table.get(broker_name).is_some() {
            return Ok(info);
        }
        ensure!(
            Instant::now() < deadline,
            "broker {broker_name} never appeared in the cluster info: {info:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Creates (or updates) `topic` on the broker at `broker_addr` with `queues` read and write
/// queues and read-write permission (UPDATE_AND_CREATE_TOPIC).
pub async fn create_topic(
    client: &RemotingClient,
    broker_addr: &str,
    topic: &str,
    queues: i32,
) -> anyhow::Result<()> {
    let create = CreateTopic(CreateTopicRequestHeader {
        topic: topic.to_owned(),
        default_topic: "TBW102".to_owned(),
        read_queue_nums: queues,
        write_queue_nums: queues,
        perm: 6,
        topic_filter_type: "SINGLE_TAG".to_owned(),
        ..Default::default()
    });
    client.call(broker_addr, &create).await?;
    Ok(())
}

/// Polls the name server (bounded) until it has a route for `topic`: the broker registers a
/// new topic with the name server right after creating it.
pub async fn wait_for_route(
    client: &RemotingClient,
    namesrv: &str,
    topic: &str,
) -> anyhow::Result<TopicRoute> {
    let deadline = Instant::now() + Duration::from_secs(45);
    loop {
        match client.call(namesrv, &GetRouteInfo::new(topic)).await {
            Ok(route) => return Ok(route),
            Err(rocketmq::Error::Broker { code, .. })
                if code == ResponseCode::TOPIC_NOT_EXIST && Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// A PULL_MESSAGE request for one message at `offset`, subscription `*` in the header.
pub fn pull_request(topic: &str, queue_id: i32, offset: i64) -> PullMessage {
    PullMessage(PullMessageRequestHeader {
        consumer_group: "sdk_interop_consumer".to_owned(),
        topic: topic.to_owned(),
        queue_id,
        queue_offset: offset,
        max_msg_nums: 1,
        sys_flag: FLAG_SUBSCRIPTION,
        commit_offset: 0,
        suspend_timeout_millis: 0,
        subscription: Some("*".to_owned()),
        sub_version: 0,
        expression_type: Some("TAG".to_owned()),
        ..Default::default()
    })
}

/// Pulls the raw record bytes at `offset` with headers in `serialize`. A freshly stored
/// message may take a moment to reach the consume queue (the broker dispatches
/// asynchronously), so "no new message" is retried for a bounded time.
pub async fn pull_raw(
    client: &RemotingClient,
    broker_addr: &str,
    topic: &str,
    queue_id: i32,
    offset: i64,
    serialize: SerializeType,
) -> anyhow::Result<Bytes> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let cmd = pull_request(topic, queue_id, offset)
            .to_command()
            .with_serialize_type(serialize);
        let reply = client
            .invoke(broker_addr, cmd, Duration::from_secs(5))
            .await?;
        let pulled = PullResponse::from_response(reply)?;
        match pulled.status {
            PullStatus::Found => return Ok(pulled.body),
            PullStatus::NoNewMsg | PullStatus::NoMatchedMsg if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => bail!(
                "pull {topic}/{queue_id}@{offset}: {other:?} {:?}",
                pulled.header
            ),
        }
    }
}

/// Pulls and decodes the one message at `offset` (body CRC verified).
pub async fn pull_one(
    client: &RemotingClient,
    broker_addr: &str,
    topic: &str,
    queue_id: i32,
    offset: i64,
    serialize: SerializeType,
) -> anyhow::Result<StoredMessage> {
    let body = pull_raw(client, broker_addr, topic, queue_id, offset, serialize).await?;
    let opts = DecodeOptions {
        verify_body_crc: true,
        ..DecodeOptions::default()
    };
    let mut records = StoredMessage::decode_all(body, &opts)?;
    ensure!(
        records.len() == 1,
        "expected one record, got {}",
        records.len()
    );
    records.pop().context("no record")
}
