//! What a scenario runs against: a Java name server and broker of one release, or an
//! embedded broker-lite; with or without the real Java client next to the SDK.

use std::time::Duration;

use anyhow::Context;
use broker_lite::BrokerLite;
use broker_lite::config::BrokerLiteConfig;
use interop::{JavaClient, JavaCluster, JavaVersion, ProduceSpec, SendMode, SentMessage};
use rocketmq::producer::SendResult;

use super::{Env, Got, bodies, each_sent_once, exactly_once};

/// A running name server and broker, the [`Env`] pointing at them, and the Java client of
/// a release when the scenarios should use it (its producer sends, its consumers and
/// mqadmin join in).
pub(crate) struct Target {
    pub(crate) env: Env,
    java: Option<JavaClient>,
    running: Running,
}

enum Running {
    Java(Box<JavaCluster>),
    Lite(BrokerLite),
}

impl Target {
    /// A Java name server and broker of `version` with `conf` on top of the harness's
    /// broker settings. Fails (never skips) when Java cannot start.
    pub(crate) async fn start_java(
        version: JavaVersion,
        conf: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let cluster = JavaCluster::start_with(version, conf)
            .await
            .with_context(|| format!("starting Java RocketMQ {version:?}"))?;
        let mut env = Env::new(
            cluster.version_label(),
            cluster.namesrv_addr(),
            cluster.broker_addr(),
            cluster.broker_name(),
        );
        env.limit = Duration::from_secs(90);
        Ok(Target {
            env,
            java: None,
            running: Running::Java(Box::new(cluster)),
        })
    }

    /// broker-lite in-process (name server and broker) with `config`.
    pub(crate) async fn start_lite(config: BrokerLiteConfig) -> anyhow::Result<Self> {
        let broker_name = config.broker.broker_name.clone();
        let lite = BrokerLite::builder().config(config).build().await?;
        let env = Env::new(
            "broker-lite",
            lite.namesrv_addr().to_string(),
            lite.broker_addr().to_string(),
            &broker_name,
        );
        Ok(Target {
            env,
            java: None,
            running: Running::Lite(lite),
        })
    }

    /// broker-lite with every delay level at one second, so retries come quickly.
    pub(crate) fn quick_retries() -> BrokerLiteConfig {
        let mut config = BrokerLiteConfig::default();
        config.broker.message_delay_level = ["1s"; 18].join(" ");
        config
    }

    /// The Java client of `version` next to the SDK (the Java targets' own release, or
    /// any against broker-lite); the Java processes are slow, so waits grow to 90 s.
    pub(crate) fn with_java_client(mut self, version: JavaVersion) -> anyhow::Result<Self> {
        self.java = Some(JavaClient::new(version, &self.env.namesrv)?);
        self.env.limit = Duration::from_secs(90);
        Ok(self)
    }

    /// The Java client, if the scenarios use one.
    pub(crate) fn java(&self) -> Option<&JavaClient> {
        self.java.as_ref()
    }

    /// The Java client, for scenarios that need it.
    pub(crate) fn java_client(&self) -> anyhow::Result<&JavaClient> {
        self.java
            .as_ref()
            .context("this scenario needs the Java client next to the SDK")
    }

    /// The Java cluster, when the target is one.
    pub(crate) fn cluster(&self) -> Option<&JavaCluster> {
        match &self.running {
            Running::Java(cluster) => Some(cluster),
            Running::Lite(_) => None,
        }
    }

    /// Stops what runs (Java processes killed, broker-lite shut down).
    pub(crate) async fn stop(self) -> anyhow::Result<()> {
        self.env.remoting.close().await;
        match self.running {
            Running::Java(cluster) => cluster.stop().await,
            Running::Lite(lite) => {
                lite.shutdown().await;
                Ok(())
            }
        }
    }

    /// Stops, then returns the scenarios' `result` named after the target (a failed
    /// stop fails a run that passed).
    pub(crate) async fn finish(self, result: anyhow::Result<()>) -> anyhow::Result<()> {
        let result = result.with_context(|| format!("against {}", self.describe()));
        let stopped = self.stop().await;
        result.and(stopped)
    }

    fn describe(&self) -> String {
        match &self.running {
            Running::Java(_) => format!("Java RocketMQ {}", self.env.label),
            Running::Lite(_) => self.env.label.clone(),
        }
    }

    /// `count` messages to `topic` from the Java producer (sync sends, tag `TagA`) when
    /// the target has the Java client, else from the SDK producer (`body-<i>`, tag `T`).
    pub(crate) async fn send(&self, topic: &str, count: usize) -> anyhow::Result<Sent> {
        Ok(match &self.java {
            Some(java) => Sent::Java(
                java.produce(&ProduceSpec::new(topic, SendMode::Sync, count))
                    .await?,
            ),
            None => Sent::Sdk(self.env.produce(topic, count, "T").await?),
        })
    }
}

/// What a scenario sent, by the Java producer or the SDK's.
pub(crate) enum Sent {
    Java(Vec<SentMessage>),
    Sdk(Vec<SendResult>),
}

impl Sent {
    pub(crate) fn len(&self) -> usize {
        match self {
            Sent::Java(s) => s.len(),
            Sent::Sdk(s) => s.len(),
        }
    }

    /// The unique ids (as consumers see them).
    pub(crate) fn ids(&self) -> Vec<String> {
        match self {
            Sent::Java(s) => s.iter().map(|m| m.msg_id.clone()).collect(),
            Sent::Sdk(s) => s.iter().map(|r| r.msg_id.clone()).collect(),
        }
    }

    /// Each message delivered exactly once: by unique id with identical content for the
    /// Java producer's (whose content the Java side reports), by body for the SDK's.
    pub(crate) fn each_once(&self, got: &[Got]) -> anyhow::Result<()> {
        match self {
            Sent::Java(s) => each_sent_once(s, got),
            Sent::Sdk(s) => exactly_once(got, &bodies(0..s.len())),
        }
    }
}
