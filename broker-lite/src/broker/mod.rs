//! The broker role (Java `BrokerController` and its request processors): it stores what
//! producers send, serves pulls, keeps consumer groups, offsets and queue locks, and
//! registers its topics with the name servers.
//!
//! Built on the SDK's [`RemotingServer`]. `State` holds one manager per concern, each in
//! its own file; each request family's processors live in one file and add themselves to
//! the server with a `register` function. Background work (name-server registration,
//! persistence, expiry scans, the delay schedule, transaction checks) is spawned by the
//! owning file's `spawn` function into the broker's task set.
//!
//! ```no_run
//! # async fn demo() -> broker_lite::Result<()> {
//! use broker_lite::broker::Broker;
//! use broker_lite::config::BrokerConfig;
//!
//! let mut config = BrokerConfig::default();
//! config.store.dir = std::env::temp_dir().join("broker-lite-demo");
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let broker = Broker::start(listener, config).await?;
//! println!("broker on {}", broker.addr());
//! broker.shutdown().await;
//! # Ok(()) }
//! ```

mod admin;
mod config_file;
mod consumers;
mod filter;
mod groups;
mod locks;
mod long_poll;
mod offsets;
mod pull;
mod put;
mod query;
mod register;
mod retry;
mod schedule;
mod send;
mod stats;
mod topics;
mod transaction;

use std::fmt;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use rocketmq::protocol::{RemotingCommand, RequestCode};
use rocketmq::remoting::{RemotingServer, RemotingServerBuilder, RequestContext, RequestHandler};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tracing::{info, warn};

use crate::Result;
use crate::config::BrokerConfig;
use crate::store::Store;

/// Runs a broker on `listener` until `shutdown` completes, then stops it gracefully.
pub async fn run(
    listener: TcpListener,
    config: BrokerConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let broker = Broker::start(listener, config).await?;
    shutdown.await;
    broker.shutdown().await;
    Ok(())
}

/// A running broker. [`shutdown`](Self::shutdown) unregisters, flushes and closes the
/// store; dropping it aborts the tasks at once (the store then recovers on next open as
/// after a crash).
pub struct Broker {
    server: Option<RemotingServer>,
    state: Arc<State>,
    tasks: JoinSet<()>,
}

impl Broker {
    /// Validates `config`, opens (and if needed recovers) the store under
    /// `config.store.dir`, loads the persisted topics, groups and offsets, starts serving
    /// `listener` and registers with the name servers. `config.listen` is not used: the
    /// caller has bound the listener.
    pub async fn start(listener: TcpListener, config: BrokerConfig) -> Result<Broker> {
        config.validate()?;
        let local = listener.local_addr()?;
        let addr = advertised(&config, local);
        let mut store_config = config.store.store_config(addr);
        store_config.delay_levels = config.delay_levels()?;
        let store = tokio::task::spawn_blocking(move || Store::open(store_config))
            .await
            .map_err(|e| std::io::Error::other(format!("store open task failed: {e}")))??;
        if store.recovered_after_crash() {
            warn!(dir = %config.store.dir.display(), "store recovered after a crash");
        }
        let state = Arc::new(State::new(config, addr, store)?);
        // Answers come in the request's serialize type, as from a Java 4.9.x broker (a 5.x
        // broker always answers JSON): a client that sends ROCKETMQ headers, like the Java
        // benchmark tools and our SDK, then decodes binary headers, cheaper than JSON.
        let mut builder = RemotingServer::builder().reply_in_request_serialize_type(true);
        for register in [
            send::register,
            pull::register,
            consumers::register,
            offsets::register,
            locks::register,
            retry::register,
            query::register,
            admin::register,
            transaction::register,
        ] {
            builder = register(builder, &state);
        }
        let server = builder.serve(listener)?;
        let mut tasks = JoinSet::new();
        for spawn in [
            register::spawn,
            long_poll::spawn,
            consumers::spawn,
            offsets::spawn,
            schedule::spawn,
            stats::spawn,
            transaction::spawn,
            persist_spawn,
            clean_spawn,
        ] {
            spawn(&state, &mut tasks);
        }
        info!(addr = %state.addr, name = %state.config().broker_name, "broker started");
        Ok(Broker {
            server: Some(server),
            state,
            tasks,
        })
    }

    /// The address clients use, `ip:port` (the advertised address).
    pub fn addr(&self) -> SocketAddr {
        self.state.addr
    }

    /// The address the broker listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.server
            .as_ref()
            .map_or(self.state.addr, RemotingServer::local_addr)
    }

    /// Stops the background tasks, unregisters from the name servers, stops serving
    /// (requests in flight finish), persists topics, groups and offsets, and closes the
    /// store cleanly.
    pub async fn shutdown(mut self) {
        self.tasks.shutdown().await;
        self.state.holds.close();
        register::unregister_all(&self.state).await;
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
        let state = Arc::clone(&self.state);
        let closed = tokio::task::spawn_blocking(move || {
            state.persist_all();
            state.store.close()
        })
        .await;
        match closed {
            Ok(Ok(())) => info!("broker stopped"),
            Ok(Err(e)) => warn!("broker stopped; closing the store failed: {e}"),
            Err(e) => warn!("broker stopped; closing the store panicked: {e}"),
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

impl fmt::Debug for Broker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Broker")
            .field("addr", &self.state.addr)
            .finish_non_exhaustive()
    }
}

/// The published address: the configured one, or the listener's with loopback for an
/// unspecified IP.
fn advertised(config: &BrokerConfig, local: SocketAddr) -> SocketAddr {
    if let Some(addr) = config.advertised_addr {
        return addr;
    }
    if local.ip().is_unspecified() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), local.port())
    } else {
        local
    }
}

/// Writes topics, groups and offsets every `persist_interval`.
fn persist_spawn(state: &Arc<State>, tasks: &mut JoinSet<()>) {
    let state = Arc::clone(state);
    tasks.spawn(async move {
        loop {
            let every = state.config().persist_interval;
            tokio::time::sleep(every).await;
            let s = Arc::clone(&state);
            if let Err(e) = tokio::task::spawn_blocking(move || s.persist_all()).await {
                warn!("persisting broker state panicked: {e}");
            }
        }
    });
}

/// How often the store deletes old segments and re-checks the disk (Java
/// `cleanResourceInterval`).
const CLEAN_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);

/// Deletes expired segments, and the oldest ones while the disk is too full, every
/// [`CLEAN_INTERVAL`]; this also sets and clears the store's disk-full refusal.
fn clean_spawn(state: &Arc<State>, tasks: &mut JoinSet<()>) {
    let store = state.store.clone();
    tasks.spawn(async move {
        loop {
            tokio::time::sleep(CLEAN_INTERVAL).await;
            let s = store.clone();
            match tokio::task::spawn_blocking(move || s.clean(SystemTime::now())).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => warn!("store clean failed: {e}"),
                Err(e) => warn!("store clean panicked: {e}"),
            }
        }
    });
}

/// The result of a processor: the response, or none (oneway requests, or a pull that is
/// answered later).
pub(crate) type Reply = rocketmq::Result<Option<RemotingCommand>>;

/// Adds an async processor for `code`: `f(state, ctx, request)`.
pub(crate) fn on<F, Fut>(
    builder: RemotingServerBuilder,
    code: RequestCode,
    state: &Arc<State>,
    f: F,
) -> RemotingServerBuilder
where
    F: Fn(Arc<State>, RequestContext, RemotingCommand) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Reply> + Send + 'static,
{
    builder.handler(
        code,
        Processor {
            state: Arc::clone(state),
            f,
        },
    )
}

struct Processor<F> {
    state: Arc<State>,
    f: F,
}

impl<F, Fut> RequestHandler for Processor<F>
where
    F: Fn(Arc<State>, RequestContext, RemotingCommand) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Reply> + Send + 'static,
{
    fn handle(
        &self,
        ctx: RequestContext,
        request: RemotingCommand,
    ) -> impl Future<Output = Reply> + Send {
        (self.f)(Arc::clone(&self.state), ctx, request)
    }
}

/// Locks a mutex, recovering a poisoned one (no section under these locks leaves the data
/// half-updated).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Milliseconds since the epoch.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A config as [`State`] holds it: shared, with its cluster name as shared text.
fn live(config: BrokerConfig) -> (Arc<BrokerConfig>, Arc<str>) {
    let cluster = Arc::from(config.cluster_name.as_str());
    (Arc::new(config), cluster)
}

/// Everything the processors and background tasks share. Locks inside the managers are
/// held only for in-memory updates, never across an `.await` or a store call.
pub(crate) struct State {
    /// Replaced whole on UPDATE_BROKER_CONFIG; readers share the current one. With it,
    /// its cluster name as shared text (every stored message carries it).
    config: Mutex<(Arc<BrokerConfig>, Arc<str>)>,
    /// The advertised address (also the store host of every record).
    pub(crate) addr: SocketAddr,
    /// Boot time in epoch ms (Java `bootTimestamp`).
    pub(crate) boot_timestamp: i64,
    /// The message store.
    pub(crate) store: Store,
    /// Topic configs (persisted in `config/topics.json`).
    pub(crate) topics: topics::TopicTable,
    /// Subscription group configs (persisted in `config/subscriptionGroup.json`).
    pub(crate) groups: groups::GroupTable,
    /// Connected consumers and producers by group.
    pub(crate) clients: consumers::ClientTable,
    /// Consumer offsets (persisted in `config/consumerOffset.json`).
    pub(crate) offsets: offsets::OffsetTable,
    /// Orderly consumers' queue locks.
    pub(crate) locks: locks::QueueLocks,
    /// Pulls waiting for messages.
    pub(crate) holds: long_poll::PullHolds,
    /// Put/get counters for admin output.
    pub(crate) stats: stats::Stats,
    /// Delay-level progress (persisted in `config/delayOffset.json`).
    pub(crate) schedule: schedule::Schedule,
}

impl State {
    fn new(config: BrokerConfig, addr: SocketAddr, store: Store) -> Result<State> {
        let root = config.store.dir.clone();
        Ok(State {
            topics: topics::TopicTable::open(&root, &config)?,
            groups: groups::GroupTable::open(&root, &config)?,
            clients: consumers::ClientTable::new(&config),
            offsets: offsets::OffsetTable::open(&root)?,
            locks: locks::QueueLocks::new(&config),
            holds: long_poll::PullHolds::new(),
            stats: stats::Stats::with_cluster(&config.cluster_name),
            schedule: schedule::Schedule::open(&root, &config)?,
            config: Mutex::new(live(config)),
            addr,
            boot_timestamp: now_ms(),
            store,
        })
    }

    /// A snapshot of the current config (it can change at run time through
    /// UPDATE_BROKER_CONFIG): shared, not copied.
    pub(crate) fn config(&self) -> Arc<BrokerConfig> {
        Arc::clone(&lock(&self.config).0)
    }

    /// [`config`](Self::config) and its cluster name as shared text, from one snapshot.
    pub(crate) fn config_and_cluster(&self) -> (Arc<BrokerConfig>, Arc<str>) {
        let live = lock(&self.config);
        (Arc::clone(&live.0), Arc::clone(&live.1))
    }

    /// Replaces the config (the caller validated it).
    pub(crate) fn set_config(&self, config: BrokerConfig) {
        *lock(&self.config) = live(config);
    }

    /// The broker's address as `ip:port` text.
    pub(crate) fn addr_text(&self) -> String {
        self.addr.to_string()
    }

    /// Writes topics, groups, offsets and the delay progress to disk; failures are
    /// logged (the next round retries).
    pub(crate) fn persist_all(&self) {
        for (what, result) in [
            ("topics", self.topics.persist()),
            ("subscription groups", self.groups.persist()),
            ("consumer offsets", self.offsets.persist()),
            ("delay offsets", self.schedule.persist()),
        ] {
            if let Err(e) = result {
                warn!("cannot persist {what}: {e}");
            }
        }
    }
}
