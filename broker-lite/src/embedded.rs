//! Both roles in one process: [`run`] serves a name server and/or a broker on given
//! listeners until a shutdown future completes (what the binary does), and [`BrokerLite`]
//! starts both on `127.0.0.1:0` over a temporary (or given) store directory for tests,
//! benchmarks and examples.
//!
//! When both roles run together the broker registers with the in-process name server's
//! real address (the configured `namesrv_addrs` are not used).
//!
//! ```no_run
//! # async fn demo() -> broker_lite::Result<()> {
//! let lite = broker_lite::BrokerLite::start().await?;
//! println!("name server {} broker {}", lite.namesrv_addr(), lite.broker_addr());
//! lite.shutdown().await;
//! # Ok(()) }
//! ```

use std::fmt;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use rocketmq::protocol::body::ClusterInfo;
use rocketmq::protocol::json::JsonBody;
use rocketmq::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketmq::remoting::RemotingClient;
use tokio::net::TcpListener;
use tracing::info;

use crate::broker::Broker;
use crate::config::BrokerLiteConfig;
use crate::namesrv::NameServer;
use crate::{Error, Result};

/// How long [`BrokerLiteBuilder::build`] waits for the broker's first registration.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// The listeners of the roles to run; a role without a listener does not run.
#[derive(Debug, Default)]
pub struct Listeners {
    /// The name server's listener.
    pub namesrv: Option<TcpListener>,
    /// The broker's listener.
    pub broker: Option<TcpListener>,
}

/// The address to reach a listener bound to `local` from this host (loopback for an
/// unspecified IP).
fn reachable(local: SocketAddr) -> SocketAddr {
    if local.ip().is_unspecified() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), local.port())
    } else {
        local
    }
}

/// Runs the roles that have a listener until `shutdown` completes, then stops them
/// gracefully (the broker first, so it can unregister).
pub async fn run(
    listeners: Listeners,
    config: BrokerLiteConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    config.validate()?;
    let BrokerLiteConfig {
        namesrv: namesrv_config,
        broker: mut broker_config,
    } = config;
    let namesrv = match listeners.namesrv {
        Some(l) => Some(NameServer::start(l, namesrv_config)?),
        None => None,
    };
    if let Some(ns) = &namesrv {
        broker_config.namesrv_addrs = vec![reachable(ns.local_addr()).to_string()];
    }
    let broker = match listeners.broker {
        Some(l) => Some(Broker::start(l, broker_config).await?),
        None => None,
    };
    shutdown.await;
    info!("shutting down");
    if let Some(b) = broker {
        b.shutdown().await;
    }
    if let Some(ns) = namesrv {
        ns.shutdown().await;
    }
    Ok(())
}

/// A name server and a broker running in this process, registered with each other.
///
/// [`shutdown`](Self::shutdown) stops both cleanly and removes a temporary store
/// directory; dropping it aborts both (and still removes a temporary directory).
pub struct BrokerLite {
    namesrv: Option<NameServer>,
    broker: Option<Broker>,
    dir: PathBuf,
    temporary: bool,
}

impl BrokerLite {
    /// Starts both roles with the default config over a fresh temporary directory.
    pub async fn start() -> Result<BrokerLite> {
        BrokerLite::builder().build().await
    }

    /// A builder: default config, temporary directory.
    pub fn builder() -> BrokerLiteBuilder {
        BrokerLiteBuilder {
            config: BrokerLiteConfig::default(),
            dir: None,
        }
    }

    /// The name server's address.
    pub fn namesrv_addr(&self) -> SocketAddr {
        self.namesrv
            .as_ref()
            .map_or(SocketAddr::from(([0, 0, 0, 0], 0)), |ns| {
                reachable(ns.local_addr())
            })
    }

    /// The broker's (advertised) address.
    pub fn broker_addr(&self) -> SocketAddr {
        self.broker
            .as_ref()
            .map_or(SocketAddr::from(([0, 0, 0, 0], 0)), Broker::addr)
    }

    /// The store directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stops the broker (it unregisters, flushes and closes its store), then the name
    /// server; removes the directory if it was temporary.
    pub async fn shutdown(mut self) {
        if let Some(b) = self.broker.take() {
            b.shutdown().await;
        }
        if let Some(ns) = self.namesrv.take() {
            ns.shutdown().await;
        }
    }
}

impl Drop for BrokerLite {
    fn drop(&mut self) {
        // Abort whatever still runs before removing its files.
        drop(self.broker.take());
        drop(self.namesrv.take());
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

impl fmt::Debug for BrokerLite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BrokerLite")
            .field("namesrv", &self.namesrv_addr())
            .field("broker", &self.broker_addr())
            .field("dir", &self.dir)
            .finish()
    }
}

/// Builds a [`BrokerLite`].
#[derive(Debug)]
#[must_use]
pub struct BrokerLiteBuilder {
    config: BrokerLiteConfig,
    dir: Option<PathBuf>,
}

impl BrokerLiteBuilder {
    /// The config (default: [`BrokerLiteConfig::default`]). Listen addresses, the store
    /// directory and the broker's name-server list are replaced: both roles listen on
    /// `127.0.0.1:0`, the store lives in [`dir`](Self::dir) and the broker registers with
    /// the embedded name server.
    pub fn config(mut self, config: BrokerLiteConfig) -> Self {
        self.config = config;
        self
    }

    /// The store directory, kept after shutdown (default: a fresh temporary directory,
    /// removed on shutdown or drop).
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Starts the name server, then the broker, and waits until the broker's first
    /// registration is visible in the name server.
    pub async fn build(self) -> Result<BrokerLite> {
        let (dir, temporary) = match self.dir {
            Some(d) => (d, false),
            None => (temp_dir()?, true),
        };
        let mut config = self.config;
        config.broker.store.dir = dir.clone();
        let ns_listener = TcpListener::bind("127.0.0.1:0").await?;
        let namesrv = NameServer::start(ns_listener, config.namesrv.clone())?;
        let ns_addr = reachable(namesrv.local_addr());
        config.broker.namesrv_addrs = vec![ns_addr.to_string()];
        let broker_name = config.broker.broker_name.clone();
        let mut lite = BrokerLite {
            namesrv: Some(namesrv),
            broker: None,
            dir,
            temporary,
        };
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        lite.broker = Some(Broker::start(listener, config.broker).await?);
        wait_registered(&ns_addr.to_string(), &broker_name).await?;
        Ok(lite)
    }
}

/// A fresh directory under the system temp dir.
fn temp_dir() -> Result<PathBuf> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!(
        "broker-lite-{}-{}-{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Polls the name server's cluster info until `broker_name` is in it: the readiness a
/// client sees (routes resolve) rather than an internal flag.
async fn wait_registered(namesrv: &str, broker_name: &str) -> Result<()> {
    let client = RemotingClient::builder().build();
    let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
    loop {
        let request = RemotingCommand::request(RequestCode::GET_BROKER_CLUSTER_INFO);
        if let Ok(r) = client.invoke(namesrv, request, READY_TIMEOUT).await
            && r.code == ResponseCode::SUCCESS.0
            && ClusterInfo::from_json(&r.body)
                .is_ok_and(|c| c.broker_addr_table.contains_key(broker_name))
        {
            client.close().await;
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            client.close().await;
            return Err(Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("the broker did not register with {namesrv} in time"),
            )));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
