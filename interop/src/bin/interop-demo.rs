//! The interop demo: starts the real Java RocketMQ (name server + broker) on loopback, then
//! uses only the Rust SDK's protocol and transport to read the cluster, create a topic,
//! look up its route, send messages with SEND_MESSAGE_V2 and pull them back.
//!
//! `cargo run -p interop --bin interop-demo [4.9.8|5]` (after `scripts/fetch-java.sh`).

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use interop::sdk_ops::{create_topic, pull_one, wait_for_broker, wait_for_route};
use interop::{JavaCluster, JavaVersion};
use rocketmq::protocol::SerializeType;
use rocketmq::protocol::header::SendMessageRequestHeaderV2;
use rocketmq::protocol::message::{Message, UniqIdGenerator};
use rocketmq::protocol::request::SendMessageV2;
use rocketmq::remoting::RemotingClient;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let version = match std::env::args().nth(1).as_deref() {
        None | Some("5") => JavaVersion::V5,
        Some("4.9.8") | Some("4") => JavaVersion::V4_9_8,
        Some(other) => bail!("unknown Java version {other:?}: use 4.9.8 or 5"),
    };
    println!(
        "starting Java RocketMQ {} on loopback ...",
        version.label()?
    );
    let cluster = JavaCluster::start(version).await?;
    let client = RemotingClient::builder().build();
    let result = demo(&cluster, &client).await;
    client.close().await;
    cluster.stop().await?;
    result
}

async fn demo(cluster: &JavaCluster, client: &RemotingClient) -> anyhow::Result<()> {
    let namesrv = cluster.namesrv_addr();
    let broker = cluster.broker_addr();
    println!("name server {namesrv}, broker {broker}");

    let info = wait_for_broker(client, &namesrv, cluster.broker_name()).await?;
    for (cluster_name, brokers) in info.cluster_addr_table.iter() {
        println!("cluster {cluster_name}: brokers {brokers:?}");
    }

    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let topic = format!("RustDemo_{stamp}");
    create_topic(client, &broker, &topic, 4).await?;
    let route = wait_for_route(client, &namesrv, &topic).await?;
    for queue in &route.queues {
        println!(
            "route {topic}: broker {} with {} write / {} read queues",
            queue.broker_name, queue.write_queue_nums, queue.read_queue_nums
        );
    }

    let ids = UniqIdGenerator::for_this_process(IpAddr::V4(Ipv4Addr::LOCALHOST));
    for i in 0..3 {
        let mut message = Message::new(&topic, format!("hello #{i} from the Rust SDK"));
        message.set_tags("demo");
        message.set_unique_key(ids.next_id());
        let born = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default();
        let send = SendMessageV2 {
            header: SendMessageRequestHeaderV2 {
                producer_group: "rust_demo_producer".to_owned(),
                topic: topic.clone(),
                default_topic: "TBW102".to_owned(),
                default_topic_queue_nums: 4,
                queue_id: i % 4,
                born_timestamp: born,
                properties: Some(message.properties().encode()),
                ..Default::default()
            },
            body: message.body().clone(),
        };
        let sent = client.call(&broker, &send).await?;
        println!(
            "sent   {:?} queue {} offset {} msgId {}",
            sent.status, sent.header.queue_id, sent.header.queue_offset, sent.header.msg_id
        );
        let pulled = pull_one(
            client,
            &broker,
            &topic,
            sent.header.queue_id,
            sent.header.queue_offset,
            SerializeType::Json,
        )
        .await?;
        let body = std::str::from_utf8(pulled.message.body()).context("body is not UTF-8")?;
        println!(
            "pulled queue {} offset {} tags {:?} stored by {} after {} ms: {body}",
            pulled.queue_id,
            pulled.queue_offset,
            pulled.message.tags(),
            pulled.store_host,
            Duration::from_millis((pulled.store_timestamp - pulled.born_timestamp).max(0) as u64)
                .as_millis()
        );
    }
    Ok(())
}
