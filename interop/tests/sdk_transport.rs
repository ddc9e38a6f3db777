//! The SDK's protocol and transport against the real Java name server and broker, for
//! each Java release in the cache (4.9.8 and the newest 5.x):
//! cluster info, topic creation, topic route, SEND_MESSAGE_V2 then PULL_MESSAGE with every
//! field of the pulled record compared, the same with ROCKETMQ binary headers, and messages
//! sent by the real Java client pulled and decoded by the SDK.
//!
//! Fails (never skips) when Java RocketMQ is not in the cache or does not start.

#[path = "sdk_consumer_support/names.rs"]
mod names;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::{Context, ensure};
use bytes::Bytes;
use interop::sdk_ops::{create_topic, pull_one, pull_raw, wait_for_broker, wait_for_route};
use interop::{JavaCluster, JavaVersion};
use names::{now_millis, unique};
use rocketmq::protocol::body::TopicRoute;
use rocketmq::protocol::header::SendMessageRequestHeaderV2;
use rocketmq::protocol::message::{Message, OffsetMsgId, SysFlag, UniqIdGenerator, property};
use rocketmq::protocol::request::{SendMessageV2, SendStatus};
use rocketmq::protocol::{FromResponse, Rpc, SerializeType};
use rocketmq::remoting::RemotingClient;

const QUEUES: i32 = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_against_java_4_9_8() -> anyhow::Result<()> {
    run_all(JavaVersion::V4_9_8).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_against_java_5() -> anyhow::Result<()> {
    run_all(JavaVersion::V5).await
}

async fn run_all(version: JavaVersion) -> anyhow::Result<()> {
    let cluster = JavaCluster::start(version)
        .await
        .with_context(|| format!("starting Java RocketMQ {version:?}"))?;
    let label = cluster.version_label().to_owned();
    let client = RemotingClient::builder().build();
    let result = scenarios(&cluster, &client)
        .await
        .with_context(|| format!("against Java RocketMQ {label}"));
    client.close().await;
    cluster.stop().await?;
    result
}

async fn scenarios(cluster: &JavaCluster, client: &RemotingClient) -> anyhow::Result<()> {
    cluster_info(cluster, client)
        .await
        .context("cluster info")?;
    let topic = unique("SdkInterop");
    create_topic(client, &cluster.broker_addr(), &topic, QUEUES)
        .await
        .context("create topic")?;
    let route = wait_for_route(client, &cluster.namesrv_addr(), &topic)
        .await
        .context("topic route")?;
    check_route(cluster, &route, &topic)?;
    for serialize in [SerializeType::Json, SerializeType::RocketMq] {
        send_then_pull(cluster, client, &topic, serialize)
            .await
            .with_context(|| format!("send then pull with {serialize:?} headers"))?;
    }
    java_sent_messages(cluster, client, &topic)
        .await
        .context("messages sent by the Java client")?;
    Ok(())
}

async fn cluster_info(cluster: &JavaCluster, client: &RemotingClient) -> anyhow::Result<()> {
    let info = wait_for_broker(client, &cluster.namesrv_addr(), cluster.broker_name()).await?;
    let broker = info
        .broker_addr_table
        .get(cluster.broker_name())
        .context("broker missing from brokerAddrTable")?;
    ensure!(
        broker.cluster == cluster.cluster_name(),
        "cluster name {}",
        broker.cluster
    );
    ensure!(
        broker.broker_addrs.get(&0).map(String::as_str) == Some(cluster.broker_addr().as_str()),
        "master address {:?}, expected {}",
        broker.broker_addrs.get(&0),
        cluster.broker_addr()
    );
    let members = info
        .cluster_addr_table
        .get(cluster.cluster_name())
        .context("cluster missing from clusterAddrTable")?;
    ensure!(
        members.iter().any(|b| b == cluster.broker_name()),
        "members {members:?}"
    );
    Ok(())
}

fn check_route(cluster: &JavaCluster, route: &TopicRoute, topic: &str) -> anyhow::Result<()> {
    let queue = route
        .queues
        .iter()
        .find(|q| q.broker_name == cluster.broker_name())
        .with_context(|| format!("no queue data for {topic}: {route:?}"))?;
    ensure!(
        queue.read_queue_nums == QUEUES && queue.write_queue_nums == QUEUES,
        "{queue:?}"
    );
    ensure!(queue.perm == 6, "perm {}", queue.perm);
    let broker = route
        .brokers
        .iter()
        .find(|b| b.broker_name == cluster.broker_name())
        .context("no broker data")?;
    ensure!(
        broker.broker_addrs.get(&0).map(String::as_str) == Some(cluster.broker_addr().as_str()),
        "{broker:?}"
    );
    Ok(())
}

fn broker_socket(cluster: &JavaCluster) -> anyhow::Result<SocketAddr> {
    cluster
        .broker_addr()
        .parse()
        .context("broker address is not ip:port")
}

async fn send_then_pull(
    cluster: &JavaCluster,
    client: &RemotingClient,
    topic: &str,
    serialize: SerializeType,
) -> anyhow::Result<()> {
    let ids = UniqIdGenerator::for_this_process(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let uniq = ids.next_id();
    let body = Bytes::from(format!("hello from rust via {serialize:?}: ü€ \u{1}\u{2}"));
    let mut message = Message::new(topic, body.clone());
    message.set_tags("TagA");
    message.set_keys(["key-1", "key-2"]);
    message.set_unique_key(uniq.clone());
    message.put_user_property("color", "blue 🟦")?;
    message.set_flag(7);
    let born = now_millis();
    let queue_id = 2;
    let send = SendMessageV2 {
        header: SendMessageRequestHeaderV2 {
            producer_group: "sdk_interop_producer".to_owned(),
            topic: topic.to_owned(),
            default_topic: "TBW102".to_owned(),
            default_topic_queue_nums: 4,
            queue_id,
            sys_flag: 0,
            born_timestamp: born,
            flag: 7,
            properties: Some(message.properties().encode()),
            reconsume_times: Some(0),
            broker_name: Some(cluster.broker_name().to_owned()),
            ..Default::default()
        },
        body: body.clone(),
    };
    let reply = client
        .invoke(
            &cluster.broker_addr(),
            send.to_command().with_serialize_type(serialize),
            Duration::from_secs(5),
        )
        .await?;
    // A 4.9.x broker answers in the request's serialization; a 5.x broker always answers
    // with its own default (JSON): Java 5.x no longer copies serializeTypeCurrentRPC into
    // the response.
    let expected = if cluster.version() == JavaVersion::V4_9_8 {
        serialize
    } else {
        SerializeType::Json
    };
    ensure!(
        reply.serialize_type == expected,
        "broker answered with {:?} headers, expected {expected:?}",
        reply.serialize_type
    );
    let sent = <SendMessageV2 as Rpc>::Response::from_response(reply)?;
    ensure!(
        sent.status == SendStatus::SendOk,
        "send status {:?}",
        sent.status
    );
    ensure!(
        sent.header.queue_id == queue_id,
        "queue {}",
        sent.header.queue_id
    );
    let offset_id: OffsetMsgId = sent
        .header
        .msg_id
        .parse()
        .with_context(|| format!("offset msg id {:?}", sent.header.msg_id))?;
    ensure!(
        offset_id.store_host() == broker_socket(cluster)?,
        "{offset_id:?}"
    );

    let pulled = pull_one(
        client,
        &cluster.broker_addr(),
        topic,
        queue_id,
        sent.header.queue_offset,
        serialize,
    )
    .await?;
    let store = broker_socket(cluster)?;
    ensure!(
        pulled.message.topic() == topic,
        "topic {}",
        pulled.message.topic()
    );
    ensure!(pulled.message.body() == &body, "body differs");
    ensure!(pulled.message.flag() == 7, "flag {}", pulled.message.flag());
    ensure!(
        pulled.message.tags() == Some("TagA"),
        "tags {:?}",
        pulled.message.tags()
    );
    let keys: Vec<&str> = pulled.message.keys().collect();
    ensure!(keys == ["key-1", "key-2"], "keys {keys:?}");
    ensure!(
        pulled.message.unique_key() == Some(uniq.as_str()),
        "uniq key"
    );
    ensure!(pulled.msg_id() == uniq, "msg id {}", pulled.msg_id());
    ensure!(
        pulled.message.user_property("color") == Some("blue 🟦"),
        "user property {:?}",
        pulled.message.user_property("color")
    );
    ensure!(pulled.queue_id == queue_id, "queue id {}", pulled.queue_id);
    ensure!(
        pulled.queue_offset == sent.header.queue_offset,
        "queue offset"
    );
    ensure!(
        pulled.commit_log_offset == offset_id.commit_log_offset(),
        "commit log offset {} vs id {}",
        pulled.commit_log_offset,
        offset_id.commit_log_offset()
    );
    ensure!(pulled.offset_msg_id() == offset_id, "offset msg id");
    ensure!(pulled.born_timestamp == born, "born timestamp");
    ensure!(
        pulled.born_host.ip().is_loopback(),
        "born host {}",
        pulled.born_host
    );
    ensure!(
        pulled.store_host == store,
        "store host {}",
        pulled.store_host
    );
    ensure!(
        pulled.store_timestamp >= born && pulled.store_timestamp <= now_millis(),
        "store timestamp {} (born {born})",
        pulled.store_timestamp
    );
    ensure!(pulled.reconsume_times == 0, "reconsume times");
    ensure!(
        pulled.prepared_transaction_offset == 0,
        "prepared tx offset"
    );
    ensure!(
        pulled.sys_flag == SysFlag::EMPTY,
        "sys flag {:?}",
        pulled.sys_flag
    );
    ensure!(
        pulled.body_crc == rocketmq::protocol::message::body_crc(&body),
        "body crc"
    );
    // The record we decoded re-encodes to exactly the bytes the broker stored.
    let raw = pull_raw(
        client,
        &cluster.broker_addr(),
        topic,
        queue_id,
        sent.header.queue_offset,
        serialize,
    )
    .await?;
    let first_len = usize::try_from(pulled.store_size).context("store size")?;
    ensure!(raw.len() >= first_len, "short pull body");
    ensure!(
        pulled.to_bytes()?.as_slice() == &raw[..first_len],
        "re-encoded record differs from the broker's bytes"
    );
    Ok(())
}

async fn java_sent_messages(
    cluster: &JavaCluster,
    client: &RemotingClient,
    topic: &str,
) -> anyhow::Result<()> {
    let sent = cluster
        .java_produce(topic, 3, "JavaTag", "java-key", Some(("origin", "java")))
        .await?;
    for record in &sent {
        ensure!(record.status == "SEND_OK", "{record:?}");
        let pulled = pull_one(
            client,
            &cluster.broker_addr(),
            topic,
            record.queue_id,
            record.queue_offset,
            SerializeType::Json,
        )
        .await?;
        ensure!(pulled.message.topic() == topic, "topic");
        ensure!(
            pulled.message.body().as_ref() == record.body.as_bytes(),
            "body {:?} vs {:?}",
            pulled.message.body(),
            record.body
        );
        ensure!(
            pulled.msg_id() == record.msg_id,
            "msg id {} vs {}",
            pulled.msg_id(),
            record.msg_id
        );
        if let Some(offset_id) = &record.offset_msg_id {
            ensure!(
                pulled.offset_msg_id().to_string() == *offset_id,
                "offset msg id {} vs {offset_id}",
                pulled.offset_msg_id()
            );
        }
        ensure!(
            pulled.message.tags() == Some("JavaTag"),
            "tags {:?}",
            pulled.message.tags()
        );
        let keys: Vec<&str> = pulled.message.keys().collect();
        ensure!(keys == ["java-key"], "keys {keys:?}");
        ensure!(
            pulled.message.user_property("origin") == Some("java"),
            "property origin"
        );
        ensure!(pulled.queue_id == record.queue_id, "queue id");
        ensure!(pulled.queue_offset == record.queue_offset, "queue offset");
        // The broker adds CLUSTER; a 4.9.x broker drops the client's WAIT=true from what it
        // stores (to save bytes), a 5.x broker keeps it.
        ensure!(
            pulled.message.property(property::CLUSTER) == Some(cluster.cluster_name()),
            "CLUSTER property in {:?}",
            pulled.message.properties()
        );
        let wait = if cluster.version() == JavaVersion::V4_9_8 {
            None
        } else {
            Some("true")
        };
        ensure!(
            pulled.message.property(property::WAIT) == wait,
            "WAIT property in {:?}",
            pulled.message.properties()
        );
    }
    Ok(())
}
