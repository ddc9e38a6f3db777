//! Two independent non-Java clients against broker-lite: the Apache RocketMQ Go client
//! (rocketmq-client-go v2) and ali-ons (Node.js). Each produces messages with tags, keys
//! and user properties and consumes them with its push consumer; every message produced
//! (of the subscribed tags) must be consumed with identical body, tags, keys and
//! properties, and none outside the subscription. Then each client consumes what the other
//! produced, so each decodes what the other encoded.
//!
//! The same steps run against the real Java cluster (4.9.8 and 5.x), so a failure against
//! broker-lite can be told apart from a problem of the client programs themselves.
//! Fails (never skips) when the clients (scripts/fetch-clients.sh) or Java
//! (scripts/fetch-java.sh) are missing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::time::Duration;

use anyhow::{Context, ensure};
use interop::clients::{ClientArgs, Mode, OtherClient, check_round_trip};
use interop::{JavaCluster, JavaVersion, sdk_ops};
use rocketmq::remoting::RemotingClient;

const MESSAGES: usize = 15;
const CONSUME_TIMEOUT: Duration = Duration::from_secs(60);

fn run_id(label: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{label}{}x{nanos:x}", std::process::id())
}

/// Creates a 4-queue topic on `broker` and waits for its route at `namesrv`.
async fn new_topic(namesrv: &str, broker: &str, label: &str) -> anyhow::Result<String> {
    let client = RemotingClient::builder().build();
    let topic = format!("Interop_{}", run_id(label));
    sdk_ops::create_topic(&client, broker, &topic, 4).await?;
    sdk_ops::wait_for_route(&client, namesrv, &topic).await?;
    Ok(topic)
}

/// One client produces and consumes its own messages.
async fn round_trip(
    client: OtherClient,
    namesrv: &str,
    broker: &str,
    target: &str,
) -> anyhow::Result<()> {
    let topic = new_topic(namesrv, broker, client.name()).await?;
    let run = run_id(client.name());
    let args = ClientArgs {
        namesrv: namesrv.to_owned(),
        topic: topic.clone(),
        group: format!("G_{run}"),
        count: MESSAGES,
        mode: Mode::Both,
        run: run.clone(),
        expect: None,
        timeout: CONSUME_TIMEOUT,
    };
    let out = client.run(&args).await?;
    let what = format!("{} client against {target}", client.name());
    ensure!(
        out.sent().len() == MESSAGES,
        "{what}: sent {} of {MESSAGES}\n{}",
        out.sent().len(),
        out.log_tail
    );
    let expected = check_round_trip(&out.sent(), &out.received(), &run)
        .with_context(|| format!("{what}; client log:\n{}", out.log_tail))?;
    ensure!(out.success, "{what}: the client reported a timeout");
    eprintln!("{what}: {expected} messages round-tripped");
    Ok(())
}

/// One client produces, the other consumes (each decodes what the other encoded).
async fn cross(
    producer: OtherClient,
    consumer: OtherClient,
    namesrv: &str,
    broker: &str,
    target: &str,
) -> anyhow::Result<()> {
    let what = format!(
        "{} -> {} against {target}",
        producer.name(),
        consumer.name()
    );
    let topic = new_topic(namesrv, broker, "cross").await?;
    let run = run_id("cross");
    let mut args = ClientArgs {
        namesrv: namesrv.to_owned(),
        topic,
        group: format!("G_{run}"),
        count: MESSAGES,
        mode: Mode::Produce,
        run: run.clone(),
        expect: None,
        timeout: CONSUME_TIMEOUT,
    };
    let produced = producer.run(&args).await?;
    ensure!(
        produced.sent().len() == MESSAGES,
        "{what}: produced {:?}",
        produced.records
    );
    args.mode = Mode::Consume;
    let consumed = consumer.run(&args).await?;
    let expected = check_round_trip(&produced.sent(), &consumed.received(), &run)
        .with_context(|| format!("{what}; consumer log:\n{}", consumed.log_tail))?;
    ensure!(consumed.success, "{what}: timeout");
    eprintln!("{what}: {expected} messages");
    Ok(())
}

async fn all_steps(namesrv: &str, broker: &str, target: &str) -> anyhow::Result<()> {
    for client in OtherClient::ALL {
        round_trip(client, namesrv, broker, target).await?;
    }
    cross(OtherClient::Go, OtherClient::Node, namesrv, broker, target).await?;
    cross(OtherClient::Node, OtherClient::Go, namesrv, broker, target).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_and_node_clients_against_java_cluster() -> anyhow::Result<()> {
    for version in JavaVersion::ALL {
        let cluster = JavaCluster::start(version).await?;
        let target = format!("Java {}", cluster.version_label());
        all_steps(&cluster.namesrv_addr(), &cluster.broker_addr(), &target).await?;
        cluster.stop().await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_and_node_clients_against_broker_lite() -> anyhow::Result<()> {
    let lite = broker_lite::BrokerLite::start().await?;
    let (namesrv, broker) = (
        lite.namesrv_addr().to_string(),
        lite.broker_addr().to_string(),
    );
    let result = all_steps(&namesrv, &broker, "broker-lite").await;
    lite.shutdown().await;
    result
}
