//! The name server (Java `namesrv`): brokers register their topics here, and clients,
//! brokers and admin tools ask it for routes, cluster membership and KV config.
//!
//! Built on the SDK's [`RemotingServer`]; each request family is one file
//! (`broker`, `query`, `kv_config`, `settings`) over the route state in `routes` and the
//! KV store in `kv`. Brokers not heard from within their timeout (120 s by default) are
//! removed by a periodic scan, and a broker is removed at once when the connection it
//! registered on closes (Java's `onChannelDestroy`).
//!
//! ```no_run
//! # async fn demo() -> broker_lite::Result<()> {
//! use broker_lite::config::NamesrvConfig;
//! use broker_lite::namesrv::NameServer;
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let namesrv = NameServer::start(listener, NamesrvConfig::default())?;
//! println!("name server on {}", namesrv.local_addr());
//! namesrv.shutdown().await;
//! # Ok(()) }
//! ```

mod broker;
mod kv;
mod kv_config;
mod query;
mod routes;
mod settings;

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Instant;

use rocketmq::protocol::{RemotingCommand, RequestCode};
use rocketmq::remoting::{RemotingServer, RequestContext, RequestHandler};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tracing::{info, warn};

use crate::Result;
use crate::config::NamesrvConfig;
use kv::KvStore;
use routes::RouteTable;

/// Runs a name server on `listener` until `shutdown` completes, then stops it gracefully.
pub async fn run(
    listener: TcpListener,
    config: NamesrvConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let server = NameServer::start(listener, config)?;
    shutdown.await;
    server.shutdown().await;
    Ok(())
}

/// A running name server. [`shutdown`](Self::shutdown) stops it gracefully; dropping it
/// aborts everything at once.
pub struct NameServer {
    server: Option<RemotingServer>,
    shared: Arc<Shared>,
    scanner: JoinHandle<()>,
}

impl NameServer {
    /// Validates `config` and starts serving `listener` (`config.listen` is not used: the
    /// caller has bound the listener). Must be called within a tokio runtime.
    pub fn start(listener: TcpListener, config: NamesrvConfig) -> Result<NameServer> {
        config.validate()?;
        let kv = KvStore::open(config.kv_config_path.as_deref())?;
        let shared = Arc::new_cyclic(|me| Shared {
            me: me.clone(),
            routes: Mutex::new(RouteTable::new(
                config.broker_expiry,
                config.delete_topic_with_broker_registration,
            )),
            kv: Mutex::new(kv),
            config: Mutex::new(config),
            watched: Mutex::new(HashSet::new()),
            watchers: Mutex::new(JoinSet::new()),
        });
        let table: [(RequestCode, Process); 18] = [
            (RequestCode::REGISTER_BROKER, broker::register),
            (RequestCode::UNREGISTER_BROKER, broker::unregister),
            (RequestCode::BROKER_HEARTBEAT, broker::heartbeat),
            (RequestCode::QUERY_DATA_VERSION, broker::query_data_version),
            (RequestCode::GET_ROUTEINFO_BY_TOPIC, query::route),
            (RequestCode::GET_BROKER_CLUSTER_INFO, query::cluster_info),
            (
                RequestCode::GET_ALL_TOPIC_LIST_FROM_NAMESERVER,
                query::all_topics,
            ),
            (RequestCode::GET_TOPICS_BY_CLUSTER, query::topics_by_cluster),
            (
                RequestCode::GET_SYSTEM_TOPIC_LIST_FROM_NS,
                query::system_topics,
            ),
            (
                RequestCode::WIPE_WRITE_PERM_OF_BROKER,
                query::wipe_write_perm,
            ),
            (RequestCode::ADD_WRITE_PERM_OF_BROKER, query::add_write_perm),
            (RequestCode::DELETE_TOPIC_IN_NAMESRV, query::delete_topic),
            (RequestCode::PUT_KV_CONFIG, kv_config::put),
            (RequestCode::GET_KV_CONFIG, kv_config::get),
            (RequestCode::DELETE_KV_CONFIG, kv_config::delete),
            (RequestCode::GET_KVLIST_BY_NAMESPACE, kv_config::list),
            (RequestCode::GET_NAMESRV_CONFIG, settings::get),
            (RequestCode::UPDATE_NAMESRV_CONFIG, settings::update),
        ];
        // As the broker: answers in the request's serialize type, like Java 4.9.x.
        let mut builder = RemotingServer::builder().reply_in_request_serialize_type(true);
        for (code, process) in table {
            builder = builder.handler(
                code,
                Processor {
                    shared: Arc::clone(&shared),
                    process,
                },
            );
        }
        let server = builder.serve(listener)?;
        info!(addr = %server.local_addr(), "name server started");
        let scanner = tokio::spawn(scan(Arc::clone(&shared)));
        Ok(NameServer {
            server: Some(server),
            shared,
            scanner,
        })
    }

    /// The address the name server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.as_ref().map_or_else(
            || SocketAddr::from(([0, 0, 0, 0], 0)),
            RemotingServer::local_addr,
        )
    }

    /// Stops accepting requests, lets requests in flight finish, closes every connection
    /// and stops the expiry scan.
    pub async fn shutdown(mut self) {
        self.scanner.abort();
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
        let mut watchers = std::mem::take(&mut *self.shared.watchers());
        watchers.shutdown().await;
        info!("name server stopped");
    }
}

impl Drop for NameServer {
    fn drop(&mut self) {
        self.scanner.abort();
        self.shared.watchers().abort_all();
    }
}

impl fmt::Debug for NameServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NameServer")
            .field("local_addr", &self.local_addr())
            .finish_non_exhaustive()
    }
}

/// Removes silent brokers every `scan_interval` (read again after each scan, so a config
/// update applies).
async fn scan(shared: Arc<Shared>) {
    loop {
        let interval = shared.config().scan_interval;
        tokio::time::sleep(interval).await;
        for key in shared.routes().expire(Instant::now()) {
            warn!(cluster = %key.cluster, addr = %key.addr, "broker expired: not heard from in time");
        }
    }
}

/// One request processor: a plain function over the shared state.
type Process = fn(&Shared, &RequestContext, &RemotingCommand) -> rocketmq::Result<RemotingCommand>;

struct Processor {
    shared: Arc<Shared>,
    process: Process,
}

impl RequestHandler for Processor {
    async fn handle(
        &self,
        ctx: RequestContext,
        request: RemotingCommand,
    ) -> rocketmq::Result<Option<RemotingCommand>> {
        (self.process)(&self.shared, &ctx, &request).map(Some)
    }
}

/// State shared by the processors, the expiry scan and the connection watchers. Every
/// lock is held only for the in-memory update, never across an `.await`.
pub(crate) struct Shared {
    me: Weak<Shared>,
    routes: Mutex<RouteTable>,
    kv: Mutex<KvStore>,
    config: Mutex<NamesrvConfig>,
    /// Connections with a watcher task, so each gets only one.
    watched: Mutex<HashSet<u64>>,
    watchers: Mutex<JoinSet<()>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // No section under these locks can leave the data half-updated on panic.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn routes(&self) -> MutexGuard<'_, RouteTable> {
        lock(&self.routes)
    }

    fn kv(&self) -> MutexGuard<'_, KvStore> {
        lock(&self.kv)
    }

    fn config(&self) -> MutexGuard<'_, NamesrvConfig> {
        lock(&self.config)
    }

    fn watchers(&self) -> MutexGuard<'_, JoinSet<()>> {
        lock(&self.watchers)
    }

    fn set_config(&self, config: NamesrvConfig) {
        {
            let mut routes = self.routes();
            routes.set_default_timeout(config.broker_expiry);
            routes.set_delete_unreported_topics(config.delete_topic_with_broker_registration);
        }
        *self.config() = config;
    }

    /// Removes the brokers registered on the request's connection once it closes.
    fn watch_connection(&self, ctx: &RequestContext) {
        let id = ctx.connection_id();
        if !lock(&self.watched).insert(id) {
            return;
        }
        let connection = ctx.connection().clone();
        let me = self.me.clone();
        let mut watchers = self.watchers();
        while watchers.try_join_next().is_some() {}
        watchers.spawn(async move {
            connection.closed().await;
            if let Some(shared) = me.upgrade() {
                lock(&shared.watched).remove(&id);
                for key in shared.routes().connection_closed(id) {
                    info!(cluster = %key.cluster, addr = %key.addr,
                        "broker removed: its connection closed");
                }
            }
        });
    }
}
