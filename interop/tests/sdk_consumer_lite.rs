//! The SDK consumers against broker-lite in-process: push (concurrent and orderly,
//! clustering and broadcasting, retry to DLQ), offsets across restarts, offset reset,
//! running info through the broker, a broker task aborted mid-stream while the name
//! server stays up. Delay levels are all one second so retries come quickly. The
//! scenarios live in `sdk_consumer_support` (most also run against Java brokers in
//! `sdk_consumer_java.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod sdk_consumer_support;

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{Context, ensure};
use broker_lite::config::BrokerLiteConfig;
use sdk_consumer_support::features::{
    concurrent_exactly_once, flow_control_and_hooks, pause_and_resume, raw_pull, shared_client,
    two_members_split,
};
use sdk_consumer_support::{
    Env, Got, Record, Recorder, Target, common_scenarios, push, retry, unique,
};

const LIMIT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_against_broker_lite() -> anyhow::Result<()> {
    let target = Target::start_lite(Target::quick_retries()).await?;
    let env = &target.env;
    let result = async {
        common_scenarios(&target).await?;
        concurrent_exactly_once(env)
            .await
            .context("concurrent, exactly once")?;
        two_members_split(env)
            .await
            .context("two members split the queues")?;
        retry::retry_then_success(env)
            .await
            .context("retries, then success")?;
        raw_pull(env).await.context("raw pull consumer")?;
        shared_client(env)
            .await
            .context("two groups on one client")?;
        pause_and_resume(env).await.context("pause and resume")?;
        retry::consume_timeout(env)
            .await
            .context("consume timeout")?;
        flow_control_and_hooks(env)
            .await
            .context("flow control and hooks")
    }
    .await;
    target.finish(result).await
}

/// A broker-lite broker run as a task that can be killed: its task aborted (no
/// unregistration, no clean store close; what it wrote stays, as after SIGKILL).
async fn start_broker(
    addr: std::net::SocketAddr,
    namesrv: &str,
    dir: &std::path::Path,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let mut config = BrokerLiteConfig::default();
    config.broker.namesrv_addrs = vec![namesrv.to_owned()];
    config.broker.store.dir = dir.to_path_buf();
    config.broker.persist_interval = Duration::from_millis(200);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let listener = loop {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => break l,
            Err(e) if std::time::Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e.into()),
        }
    };
    let listeners = broker_lite::Listeners {
        namesrv: None,
        broker: Some(listener),
    };
    Ok(tokio::spawn(async move {
        if let Err(err) = broker_lite::run(listeners, config, std::future::pending()).await {
            eprintln!("broker-lite stopped: {err}");
        }
    }))
}

/// A broker-lite name server task and a broker task (see [`start_broker`]) on a store of
/// its own, the broker at an address that stays the same across restarts.
struct Split {
    ns_task: tokio::task::JoinHandle<broker_lite::Result<()>>,
    namesrv: String,
    broker_addr: std::net::SocketAddr,
    dir: std::path::PathBuf,
    broker: tokio::task::JoinHandle<()>,
    env: Env,
}

impl Split {
    async fn start(label: &str) -> anyhow::Result<Split> {
        let ns_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let namesrv = ns_listener.local_addr()?.to_string();
        let ns_task = tokio::spawn(broker_lite::run(
            broker_lite::Listeners {
                namesrv: Some(ns_listener),
                broker: None,
            },
            BrokerLiteConfig::default(),
            std::future::pending(),
        ));
        let dir = std::env::temp_dir().join(unique(label));
        std::fs::create_dir_all(&dir)?;
        let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
        let broker_addr = probe.local_addr()?;
        drop(probe);
        let broker = start_broker(broker_addr, &namesrv, &dir).await?;
        let env = Env::new(
            "broker-lite",
            namesrv.clone(),
            broker_addr.to_string(),
            "broker-a",
        );
        Ok(Split {
            ns_task,
            namesrv,
            broker_addr,
            dir,
            broker,
            env,
        })
    }

    /// Aborts the broker task (as a crash) and starts a new one on the same store and
    /// address.
    async fn restart_broker(&mut self) -> anyhow::Result<()> {
        self.broker.abort();
        let _ = (&mut self.broker).await;
        self.broker = start_broker(self.broker_addr, &self.namesrv, &self.dir).await?;
        Ok(())
    }

    fn stop(self) {
        self.broker.abort();
        self.ns_task.abort();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The broker (only the broker: the name server stays up and keeps its route) is
/// stopped in the middle of a stream by aborting its task, and restarted on the same
/// store and address: every message whose send was acknowledged reaches the push
/// consumer. Not a process kill; the SIGKILL of the real `broker-lite` process (name
/// server and broker together) is `broker-lite/tests/consumer_kill.rs`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_task_aborted_with_namesrv_up_loses_nothing_acknowledged() -> anyhow::Result<()> {
    let mut split = Split::start("h7-crash").await?;
    let result = async {
        let (env, namesrv) = (&split.env, split.namesrv.clone());
        let topic = env.topic("h7_crash", 4).await?;
        let record = Record::new();
        let consumer = push(env, &unique("h7_crash_cg"), &topic)
            .route_refresh_interval(Duration::from_secs(1))
            .listener(Recorder {
                name: "c".into(),
                record: record.clone(),
                fail_below: 0,
            })
            .build()
            .await?;
        let producer_client = rocketmq::client::Client::builder()
            .namesrv_addr(namesrv.as_str())
            .route_refresh_interval(Duration::from_secs(1))
            .build()?;
        let producer = rocketmq::producer::Producer::builder()
            .client(producer_client.clone())
            .group(unique("h7_crash_pg"))
            .build()
            .await?;
        let mut acked = Vec::new();
        for i in 0..300 {
            if i == 100 {
                split.restart_broker().await?;
            }
            let body = format!("body-{i}");
            let msg = rocketmq::protocol::message::Message::new(topic.as_str(), body.clone());
            if let Ok(sent) = producer.send(msg).await
                && sent.status == rocketmq::producer::SendStatus::SendOk
            {
                acked.push(body);
            }
        }
        ensure!(
            acked.len() >= 200,
            "only {} sends acknowledged",
            acked.len()
        );
        let want: BTreeSet<String> = acked.iter().cloned().collect();
        record
            .wait("every acknowledged message", LIMIT, |g| {
                let got: BTreeSet<String> = g.iter().map(Got::body_text).collect();
                want.is_subset(&got)
            })
            .await?;
        eprintln!(
            "crash: {} of 300 sends acknowledged, {} deliveries",
            acked.len(),
            record.len()
        );
        producer.close().await;
        producer_client.close().await;
        consumer.close().await;
        anyhow::Ok(())
    }
    .await;
    split.stop();
    result
}

/// The broker's producer connections for `group`, by client id (empty when it knows none).
async fn producer_ids(client: &rocketmq::client::Client, broker: &str, group: &str) -> Vec<String> {
    use rocketmq::protocol::header::GetProducerConnectionListRequestHeader;
    use rocketmq::protocol::request::GetProducerConnectionList;
    let request = GetProducerConnectionList(GetProducerConnectionListRequestHeader {
        producer_group: group.to_owned(),
        ..Default::default()
    });
    match client.call(broker, &request, Duration::from_secs(3)).await {
        Ok(list) => list
            .connection_set
            .into_iter()
            .map(|c| c.client_id)
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// After a broker restart (its client table starts empty), a client that reconnects
/// sends it the heartbeat at once (Java 5.x's heartbeat on a new channel), long before its
/// periodic heartbeat (an hour here). A client with the option off stays unknown: nothing
/// else registers it in that time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_broker_knows_a_client_again_on_its_reconnect() -> anyhow::Result<()> {
    let mut split = Split::start("reconnect-hb").await?;
    let result = async {
        let (env, namesrv) = (&split.env, split.namesrv.clone());
        let topic = env.topic("reconnect_hb", 2).await?;
        let admin = rocketmq::client::Client::builder()
            .namesrv_addr(namesrv.as_str())
            .build()?;
        let mut producers = Vec::new();
        for on in [true, false] {
            let client = rocketmq::client::Client::builder()
                .namesrv_addr(namesrv.as_str())
                .heartbeat_interval(Duration::from_secs(3600))
                .heartbeat_on_connect(on)
                .build()?;
            let group = unique(if on { "hb_on_pg" } else { "hb_off_pg" });
            let producer = rocketmq::producer::Producer::builder()
                .client(client.clone())
                .group(group.as_str())
                .build()
                .await?;
            producers.push((client, group, producer));
        }
        let send_until_ok = |producer: &rocketmq::producer::Producer| {
            let producer = producer.clone();
            let topic = topic.clone();
            async move {
                let deadline = std::time::Instant::now() + LIMIT;
                loop {
                    let msg = rocketmq::protocol::message::Message::new(topic.as_str(), "x");
                    match producer.send(msg).await {
                        Ok(_) => return anyhow::Ok(()),
                        Err(err) if std::time::Instant::now() < deadline => {
                            eprintln!("send failed, again: {err}");
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                        Err(err) => return Err(err.into()),
                    }
                }
            }
        };
        for (_, _, producer) in &producers {
            send_until_ok(producer).await?;
        }

        split.restart_broker().await?;
        let env = &split.env;
        for (_, _, producer) in &producers {
            send_until_ok(producer).await?;
        }

        let (on_client, on_group, _) = &producers[0];
        let want = on_client.config().client_id();
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            let ids = producer_ids(&admin, &env.broker, on_group).await;
            if ids.contains(&want) {
                break;
            }
            ensure!(
                std::time::Instant::now() < deadline,
                "the restarted broker never heard of {want} (knows {ids:?})"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let (_, off_group, _) = &producers[1];
        tokio::time::sleep(Duration::from_secs(1)).await;
        let ids = producer_ids(&admin, &env.broker, off_group).await;
        ensure!(
            ids.is_empty(),
            "with the option off nothing should register the client, yet {ids:?}"
        );
        for (client, _, producer) in producers {
            producer.close().await;
            client.close().await;
        }
        admin.close().await;
        anyhow::Ok(())
    }
    .await;
    split.stop();
    result
}
