//! The broker under test for the broker-lite acceptance files: broker-lite's name server and
//! broker in this process (127.0.0.1:0, temp dir), or — with `INTEROP_BROKER=java`, to see
//! what the real Java broker does with the very same test — a Java cluster of the client's
//! release. Every test starts its own.

#![allow(dead_code)] // each test file uses a different part

use std::time::{Duration, Instant};

use broker_lite::BrokerLite;
use broker_lite::config::{BrokerConfig, BrokerLiteConfig};
use interop::{JavaClient, JavaCluster, JavaVersion, ScratchDir, sdk_ops};
use rocketmq::remoting::RemotingClient;

/// Delay levels for the tests (level 1 = 1 s, level 2 = 2 s, ...), on both brokers.
pub(crate) const DELAY_LEVELS: &str = "1s 2s 3s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m";

/// What the tests run against.
pub(crate) enum Target {
    /// broker-lite's name server and broker in this process.
    Lite(BrokerLite),
    /// The real Java name server and broker.
    Java(Box<JavaCluster>),
}

impl Target {
    /// broker-lite (or the Java cluster when `INTEROP_BROKER=java`), with the test delay
    /// levels.
    pub(crate) async fn start(version: JavaVersion) -> anyhow::Result<Target> {
        Self::start_with(version, |_| {}).await
    }

    /// Like [`Target::start`], with changes to broker-lite's broker config.
    pub(crate) async fn start_with(
        version: JavaVersion,
        tweak: impl FnOnce(&mut BrokerConfig),
    ) -> anyhow::Result<Target> {
        if std::env::var("INTEROP_BROKER").as_deref() == Ok("java") {
            let conf = [
                ("messageDelayLevel", DELAY_LEVELS),
                // SQL92 subscriptions (broker-lite evaluates them by default).
                ("enablePropertyFilter", "true"),
            ];
            let cluster = JavaCluster::start_with(version, &conf).await?;
            return Ok(Target::Java(Box::new(cluster)));
        }
        let mut broker = lite_config(None);
        tweak(&mut broker);
        let lite = BrokerLite::builder()
            .config(BrokerLiteConfig {
                broker,
                ..BrokerLiteConfig::default()
            })
            .build()
            .await?;
        Ok(Target::Lite(lite))
    }

    /// The name server address.
    pub(crate) fn namesrv_addr(&self) -> String {
        match self {
            Target::Lite(lite) => lite.namesrv_addr().to_string(),
            Target::Java(c) => c.namesrv_addr(),
        }
    }

    /// The broker address.
    pub(crate) fn broker_addr(&self) -> String {
        match self {
            Target::Lite(lite) => lite.broker_addr().to_string(),
            Target::Java(c) => c.broker_addr(),
        }
    }

    /// The broker name.
    pub(crate) fn broker_name(&self) -> &str {
        match self {
            Target::Lite(_) => "broker-lite-a",
            Target::Java(c) => c.broker_name(),
        }
    }

    /// The cluster name.
    pub(crate) fn cluster_name(&self) -> &str {
        match self {
            Target::Lite(_) => "LiteCluster",
            Target::Java(c) => c.cluster_name(),
        }
    }

    /// Which broker this is, for messages.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Target::Lite(_) => "broker-lite",
            Target::Java(_) => "Java broker",
        }
    }

    /// The Java client of `version` against this name server.
    pub(crate) fn client(&self, version: JavaVersion) -> anyhow::Result<JavaClient> {
        JavaClient::new(version, &self.namesrv_addr())
    }

    /// Creates `topic` with `queues` queues through the SDK (UPDATE_AND_CREATE_TOPIC) and
    /// waits until the name server routes it.
    pub(crate) async fn create_topic(&self, topic: &str, queues: i32) -> anyhow::Result<()> {
        let client = RemotingClient::builder().build();
        sdk_ops::create_topic(&client, &self.broker_addr(), topic, queues).await?;
        sdk_ops::wait_for_route(&client, &self.namesrv_addr(), topic).await?;
        Ok(())
    }

    /// Waits (bounded) until the name server routes `topic`.
    pub(crate) async fn wait_for_route(&self, topic: &str) -> anyhow::Result<()> {
        let client = RemotingClient::builder().build();
        sdk_ops::wait_for_route(&client, &self.namesrv_addr(), topic).await?;
        Ok(())
    }

    /// Shuts everything down cleanly.
    pub(crate) async fn stop(self) -> anyhow::Result<()> {
        match self {
            Target::Lite(lite) => {
                lite.shutdown().await;
                Ok(())
            }
            Target::Java(c) => c.stop().await,
        }
    }
}

/// broker-lite's broker settings for the tests: small store files, the test delay levels;
/// with `store` (a directory and the name server to register with) for a broker alone.
pub(crate) fn lite_config(store: Option<(&ScratchDir, &str)>) -> BrokerConfig {
    let mut config = BrokerConfig {
        cluster_name: "LiteCluster".into(),
        broker_name: "broker-lite-a".into(),
        message_delay_level: DELAY_LEVELS.into(),
        ..BrokerConfig::default()
    };
    if let Some((dir, namesrv)) = store {
        config.store.dir = dir.path().join("store");
        config.namesrv_addrs = vec![namesrv.to_owned()];
    }
    config.store.commit_log_segment_size = 64 * 1024 * 1024;
    config.store.index_hash_slots = 50_000;
    config.store.index_entries = 200_000;
    config
}

/// A name unique to this test run.
pub(crate) fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{prefix}_{}_{}", std::process::id(), nanos % 1_000_000_000)
}

/// Polls `f` (bounded) until it returns `Some`.
pub(crate) async fn poll<T>(
    what: &str,
    limit: Duration,
    mut f: impl AsyncFnMut() -> Option<T>,
) -> anyhow::Result<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f().await {
            return Ok(v);
        }
        if Instant::now() > deadline {
            anyhow::bail!("{what} did not happen within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
