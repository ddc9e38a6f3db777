//! One broker on 127.0.0.1:0 over a temp dir and a client to talk to it: the harness the
//! in-process broker tests (messaging, admin, transactions) share.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // each test binary uses a subset; test code fails loudly

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use broker_lite::broker::Broker;
use broker_lite::config::BrokerConfig;
use bytes::Bytes;
use rocketmq::protocol::RemotingCommand;
use rocketmq::protocol::message::{DecodeOptions, Records, StoredMessage};
use rocketmq::remoting::RemotingClient;

#[path = "../temp_dir/mod.rs"]
mod temp_dir;
pub(crate) use temp_dir::TempDir;

/// How long one request may take.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(10);

/// `prefix` made unique within this test process (topic and group names).
pub(crate) fn unique(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The default broker config over `dir`, with no name server.
pub(crate) fn config_in(dir: &std::path::Path) -> BrokerConfig {
    let mut config = BrokerConfig::default();
    config.store.dir = dir.to_path_buf();
    config.namesrv_addrs = Vec::new();
    config
}

/// A running broker, the client that talks to it, and its store directory.
pub(crate) struct Env {
    pub(crate) broker: Option<Broker>,
    pub(crate) client: RemotingClient,
    pub(crate) addr: String,
    pub(crate) dir: TempDir,
}

impl Env {
    /// A broker with the default config.
    pub(crate) async fn start() -> Env {
        Env::start_with(|_| {}).await
    }

    /// A broker whose config `adjust` changes first.
    pub(crate) async fn start_with(adjust: impl FnOnce(&mut BrokerConfig)) -> Env {
        Env::start_with_client(adjust, RemotingClient::builder().build()).await
    }

    /// As `start_with`, talking through `client` (one that serves broker-initiated requests).
    pub(crate) async fn start_with_client(
        adjust: impl FnOnce(&mut BrokerConfig),
        client: RemotingClient,
    ) -> Env {
        let dir = TempDir::new("broker");
        let mut config = config_in(&dir.0);
        adjust(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let broker = Broker::start(listener, config).await.unwrap();
        let addr = broker.addr().to_string();
        Env {
            broker: Some(broker),
            client,
            addr,
            dir,
        }
    }

    /// Sends `request` and returns the response, whatever its code.
    pub(crate) async fn call(&self, request: RemotingCommand) -> RemotingCommand {
        self.client
            .invoke(&self.addr, request, TIMEOUT)
            .await
            .unwrap()
    }

    /// Stops the broker (files flushed and closed); the directory stays until drop.
    pub(crate) async fn stop(&mut self) {
        if let Some(b) = self.broker.take() {
            b.shutdown().await;
        }
    }
}

/// The message records of a pull or query response body.
pub(crate) fn decode(body: &Bytes) -> Vec<StoredMessage> {
    Records::new(body.clone(), DecodeOptions::default())
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}
