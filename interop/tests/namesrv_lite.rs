//! Acceptance of broker-lite's name server by the real Java: a Java broker (4.9.8 and 5.x)
//! registers with our in-process name server, Java mqadmin creates a topic on it, and the
//! real Java producer resolves the route from our name server and sends.
//! Fails (never skips) when Java or the cache from scripts/fetch-java.sh is missing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::time::{Duration, Instant};

use broker_lite::config::NamesrvConfig;
use broker_lite::namesrv::NameServer;
use interop::{JavaBroker, JavaVersion};
use rocketmq::protocol::body::{ClusterInfo, TopicRoute};
use rocketmq::protocol::request::{GetClusterInfo, GetRouteInfo};
use rocketmq::remoting::RemotingClient;

async fn poll<T>(what: &str, mut f: impl AsyncFnMut() -> Option<T>) -> anyhow::Result<T> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(v) = f().await {
            return Ok(v);
        }
        if Instant::now() > deadline {
            anyhow::bail!("{what} did not happen in time");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn accept(version: JavaVersion) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let namesrv = NameServer::start(listener, NamesrvConfig::default())?;
    let ns = namesrv.local_addr().to_string();
    let client = RemotingClient::builder().build();
    let cluster = format!("LiteCluster{}", std::process::id());
    let broker = JavaBroker::start(version, &ns, &cluster, "broker-lite-a").await?;

    // The Java broker registers on start-up: our cluster info shows it.
    let info: ClusterInfo = poll("broker registration", async || {
        let info = client.call(&ns, &GetClusterInfo).await.ok()?;
        info.broker_addr_table
            .get(broker.broker_name())
            .is_some()
            .then_some(info)
    })
    .await?;
    let data = &info.broker_addr_table[broker.broker_name()];
    assert_eq!(data.master_addr(), Some(broker.addr().as_str()));
    assert_eq!(info.cluster_addr_table[&cluster], [broker.broker_name()]);

    // Java mqadmin reads our cluster list.
    let list = broker.admin(&["clusterList"]).await?;
    assert!(
        list.contains(&cluster) && list.contains(broker.broker_name()),
        "{list}"
    );

    // A topic created on the broker reaches our routes (the broker re-registers at once).
    let topic = format!("LiteTopic{}", std::process::id());
    broker.create_topic(&topic, 4).await?;
    let route: TopicRoute = poll("topic route", async || {
        client
            .call(&ns, &GetRouteInfo::new(topic.clone()))
            .await
            .ok()
    })
    .await?;
    assert_eq!(route.queues.len(), 1);
    assert_eq!(route.queues[0].write_queue_nums, 4);
    assert_eq!(route.brokers[0].master_addr(), Some(broker.addr().as_str()));
    let shown = broker.admin(&["topicRoute", "-t", &topic]).await?;
    assert!(shown.contains(broker.broker_name()), "{shown}");

    // The real Java producer resolves the route from our name server and sends.
    let sent = broker.java_produce(&topic, 3, "TagA", "k1").await?;
    assert_eq!(sent.len(), 3);
    for r in &sent {
        assert_eq!(r.status, "SEND_OK", "{r:?}");
        assert_eq!(r.broker_name, broker.broker_name());
        assert!((0..4).contains(&r.queue_id), "{r:?}");
    }

    // Stopping the broker closes its connection: our name server drops it.
    broker.stop().await?;
    poll("broker removal", async || {
        let info = client.call(&ns, &GetClusterInfo).await.ok()?;
        info.broker_addr_table.is_empty().then_some(())
    })
    .await?;
    namesrv.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_4_9_8_broker_and_client_accept_our_name_server() {
    accept(JavaVersion::V4_9_8).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_5_broker_and_client_accept_our_name_server() {
    accept(JavaVersion::V5).await.unwrap();
}
