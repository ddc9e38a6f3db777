//! [`Client`]: the shared client instance (Java `MQClientInstance`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::config::{ClientConfig, ConfigDraft, vip_addr};
use super::groups::{CheckTransaction, ConsumerGroup, GroupKind, Groups};
use super::namespace;
use super::route::{TopicRouteInfo, broker_table};
use crate::protocol::body::{MASTER_ID, TopicRoute};
use crate::protocol::header::UnregisterClientRequestHeader;
use crate::protocol::message::UniqIdGenerator;
use crate::protocol::request::{GetRouteInfo, HeartBeat, UnregisterClient};
use crate::protocol::{FromResponse, RequestCode, ResponseCode, Rpc, SerializeType};
use crate::remoting::{RemotingClient, RequestHandler, RpcHook};
use crate::{Error, Result};

/// The client instance producers and consumers share (Java's `MQClientInstance`).
///
/// It holds the name server addresses, the connections (one [`RemotingClient`]), the topic
/// route cache and the broker address table, and runs two background duties:
///
/// * every [`route_refresh_interval`](ClientBuilder::route_refresh_interval) (30 s) it
///   fetches the route of every cached topic again; a failed send asks for an early
///   refresh of its topic;
/// * every [`heartbeat_interval`](ClientBuilder::heartbeat_interval) (30 s), and as soon
///   as a group registers or a new broker appears in a route, it sends a heartbeat
///   listing its producer and consumer groups to the brokers (masters only while it has
///   no consumer, every broker once it has one).
///
/// Producers and consumers register their groups on it
/// ([`register_producer`](Self::register_producer),
/// [`register_consumer`](Self::register_consumer)); requests brokers send to the client
/// go to the producer of the half message's group (`CHECK_TRANSACTION_STATE`) or to the
/// handler set with [`set_request_handler`](Self::set_request_handler).
///
/// Its id is `ip@instance[@unit]`, as Java builds it. Cloning is cheap; every clone is the
/// same instance. A producer built without [`ProducerBuilder::client`](crate::producer::ProducerBuilder::client)
/// builds its own, so sharing one instance is explicit: build it once and hand it to each
/// producer and consumer. [`close`](Self::close) stops the background task and closes the
/// connections; dropping the last clone does the same without waiting.
///
/// ```no_run
/// # async fn demo() -> rocketmq::Result<()> {
/// use rocketmq::client::Client;
///
/// let client = Client::builder().namesrv_addr("127.0.0.1:9876").build()?;
/// let route = client.topic_route("orders").await?;
/// println!("{} writable queues", route.write_queues().len());
/// client.close().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) config: ClientConfig,
    client_id: String,
    remoting: RemotingClient,
    pub(super) groups: Arc<Groups>,
    routes: Mutex<HashMap<String, Arc<TopicRouteInfo>>>,
    brokers: Mutex<BTreeMap<String, BTreeMap<i64, String>>>,
    /// One lock per topic being fetched, so concurrent first sends share one lookup.
    fetching: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Topics a failed request asked to refresh early.
    stale: Mutex<HashSet<String>>,
    /// Wakes the background task (a stale route, a new group or broker).
    wake: Arc<Notify>,
    /// The name server currently used; moves on when one fails (Java keeps one too).
    namesrv_index: AtomicUsize,
    uniq_ids: UniqIdGenerator,
    pub(super) shutdown: CancellationToken,
    /// Set with `shutdown`: read on every send, where the token's own check would take
    /// its lock.
    closed: AtomicBool,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Inner {
    /// The heartbeat request for this client's groups, or `None` when it has no group to
    /// report (Java sends none then).
    pub(super) fn heartbeat_request(&self) -> Option<HeartBeat> {
        let body = self.groups.heartbeat(&self.client_id)?;
        Some(HeartBeat {
            header: Default::default(),
            body,
        })
    }

    /// Whether `addr` is the address of a broker in a route this client has seen.
    pub(super) fn is_broker_addr(&self, addr: &str) -> bool {
        lock(&self.brokers)
            .values()
            .any(|ids| ids.values().any(|a| a == addr))
    }

    fn shut_down(&self) {
        self.closed.store(true, Ordering::Release);
        self.shutdown.cancel();
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.shut_down();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Sections under these locks never panic half-way; a poisoned lock is consistent.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whether an error says the peer could not be reached (so another peer may do better).
pub(crate) fn is_transport_error(err: &Error) -> bool {
    matches!(
        err,
        Error::Connect { .. }
            | Error::Timeout { .. }
            | Error::ConnectionClosed { .. }
            | Error::Io(_)
            | Error::TooManyRequests { .. }
    )
}

impl Client {
    /// A builder with the defaults documented on each setter.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The client id, `ip@instance[@unit]`.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// The resolved settings.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The transport, for requests the client core has no method for.
    pub fn remoting(&self) -> &RemotingClient {
        &self.inner.remoting
    }

    /// `resource` wrapped in the client's namespace (unchanged without one).
    pub fn with_namespace(&self, resource: &str) -> String {
        match self.inner.config.namespace() {
            Some(ns) => namespace::wrap(ns, resource),
            None => resource.to_owned(),
        }
    }

    /// `resource` without the client's namespace.
    pub fn without_namespace(&self, resource: &str) -> String {
        match self.inner.config.namespace() {
            Some(ns) => namespace::unwrap(ns, resource),
            None => resource.to_owned(),
        }
    }

    /// A new unique message id (`UNIQ_KEY`) for a message from this client.
    pub(crate) fn next_unique_id(&self) -> String {
        self.inner.uniq_ids.next_id()
    }

    /// [`next_unique_id`](Self::next_unique_id) as if the clock read `now` (a caller
    /// that needs the time too reads it once).
    pub(crate) fn next_unique_id_at(&self, now: std::time::SystemTime) -> String {
        self.inner.uniq_ids.next_id_at(now)
    }

    /// Sends a typed request to `addr` with the client's header serialization and
    /// `timeout`, and interprets the reply.
    pub async fn call<R: Rpc>(
        &self,
        addr: &str,
        rpc: &R,
        timeout: Duration,
    ) -> Result<R::Response> {
        let command = rpc
            .to_command()
            .with_serialize_type(self.inner.config.serialize_type);
        let reply = self.inner.remoting.invoke(addr, command, timeout).await?;
        R::Response::from_response(reply)
    }

    /// Sends a typed request to a name server, moving on to the next one when a name
    /// server cannot be reached.
    pub async fn call_namesrv<R: Rpc>(&self, rpc: &R) -> Result<R::Response> {
        let addrs = &self.inner.config.namesrv_addrs;
        let start = self.inner.namesrv_index.load(Ordering::Relaxed);
        let mut last = None;
        for step in 0..addrs.len() {
            let index = (start + step) % addrs.len();
            match self
                .call(&addrs[index], rpc, self.inner.config.request_timeout)
                .await
            {
                Err(err) if is_transport_error(&err) => {
                    tracing::debug!(namesrv = %addrs[index], %err, "name server unreachable");
                    last = Some(err);
                }
                other => {
                    self.inner.namesrv_index.store(index, Ordering::Relaxed);
                    return other;
                }
            }
        }
        Err(last.unwrap_or_else(|| Error::Config("no name server address".to_owned())))
    }

    /// The cached route of `topic`, fetching it from a name server when it is not cached.
    /// A topic the name server does not know fails with [`Error::Broker`] and
    /// `TOPIC_NOT_EXIST`; a closed client with [`Error::Shutdown`].
    pub async fn topic_route(&self, topic: &str) -> Result<Arc<TopicRouteInfo>> {
        self.check_open()?;
        if let Some(info) = self.cached_route(topic) {
            return Ok(info);
        }
        let gate = self.fetch_gate(topic);
        let _guard = gate.lock().await;
        if let Some(info) = self.cached_route(topic) {
            return Ok(info);
        }
        self.update_route(topic).await
    }

    /// The route a producer sends with: the cached or fetched route of `topic`; for a
    /// topic the name server does not know, the route of the auto-creation template topic
    /// `default_topic` with at most `queue_nums` queues per broker (the broker then creates
    /// the topic), as Java's producer does.
    pub(crate) async fn publish_route(
        &self,
        topic: &str,
        default_topic: &str,
        queue_nums: i32,
    ) -> Result<Arc<TopicRouteInfo>> {
        self.check_open()?;
        if let Some(info) = self.cached_route(topic) {
            return Ok(info);
        }
        let gate = self.fetch_gate(topic);
        let _guard = gate.lock().await;
        if let Some(info) = self.cached_route(topic) {
            return Ok(info);
        }
        match self.update_route(topic).await {
            Err(Error::Broker { code, remark }) if code == ResponseCode::TOPIC_NOT_EXIST => {
                let template = match self.call_namesrv(&GetRouteInfo::new(default_topic)).await {
                    Ok(template) => template,
                    // The template is missing too (auto-creation is off): report the topic.
                    Err(_) => return Err(Error::Broker { code, remark }),
                };
                let info = Arc::new(TopicRouteInfo::from_default(topic, template, queue_nums));
                Ok(self.store(info))
            }
            other => other,
        }
    }

    /// Fetches the route of `topic` now and caches it.
    pub async fn update_route(&self, topic: &str) -> Result<Arc<TopicRouteInfo>> {
        self.check_open()?;
        let route: TopicRoute = self.call_namesrv(&GetRouteInfo::new(topic)).await?;
        if let Some(old) = self.cached_route(topic)
            && !old.is_from_default_topic()
            && old.same_route(&route)
        {
            // Unchanged: keep the old one and its round-robin position.
            return Ok(old);
        }
        Ok(self.store(Arc::new(TopicRouteInfo::new(topic, route))))
    }

    /// The cached route of `topic`, without asking a name server.
    pub fn cached_route(&self, topic: &str) -> Option<Arc<TopicRouteInfo>> {
        lock(&self.inner.routes).get(topic).cloned()
    }

    /// Asks the background task to fetch `topic`'s route again soon (after a failure).
    pub fn refresh_route_soon(&self, topic: &str) {
        lock(&self.inner.stale).insert(topic.to_owned());
        self.inner.wake.notify_one();
    }

    /// The master address of `broker_name` from the broker table (what producers send
    /// to), with the VIP port when the VIP channel is on.
    pub fn master_addr(&self, broker_name: &str) -> Option<String> {
        self.broker_addr(broker_name, MASTER_ID)
    }

    /// The address of broker `id` of group `broker_name` (0 is the master), with the VIP
    /// port when the VIP channel is on.
    pub fn broker_addr(&self, broker_name: &str, id: i64) -> Option<String> {
        let brokers = lock(&self.inner.brokers);
        let addr = brokers.get(broker_name)?.get(&id)?;
        Some(if self.inner.config.vip_channel {
            vip_addr(addr)
        } else {
            addr.clone()
        })
    }

    /// Every broker the cached routes name: broker name -> broker id -> address.
    pub fn brokers(&self) -> BTreeMap<String, BTreeMap<i64, String>> {
        lock(&self.inner.brokers).clone()
    }

    /// Registers a producer group: it is listed in heartbeats until the returned
    /// registration is dropped or [unregistered](GroupRegistration::unregister). A group
    /// can be registered once per client ([`Error::Config`] otherwise).
    pub fn register_producer(&self, group: &str) -> Result<GroupRegistration> {
        self.register_producer_with(group, None)
    }

    pub(crate) fn register_producer_with(
        &self,
        group: &str,
        checker: Option<Arc<dyn CheckTransaction>>,
    ) -> Result<GroupRegistration> {
        self.check_open()?;
        self.inner.groups.add_producer(group, checker)?;
        self.inner.wake.notify_one();
        Ok(GroupRegistration {
            client: self.clone(),
            kind: GroupKind::Producer,
            group: group.to_owned(),
        })
    }

    /// Registers a consumer group: its [`ConsumerGroup::consumer_data`] goes into every
    /// heartbeat (to all brokers) until the registration is dropped or unregistered.
    pub fn register_consumer(
        &self,
        group: &str,
        member: Arc<dyn ConsumerGroup>,
    ) -> Result<GroupRegistration> {
        self.check_open()?;
        self.inner.groups.add_consumer(group, member)?;
        self.inner.wake.notify_one();
        Ok(GroupRegistration {
            client: self.clone(),
            kind: GroupKind::Consumer,
            group: group.to_owned(),
        })
    }

    /// Sets the handler of broker-initiated requests with `code` (for consumers:
    /// `NOTIFY_CONSUMER_IDS_CHANGED`, `GET_CONSUMER_RUNNING_INFO`, ...), replacing any
    /// earlier one. Codes without a handler are answered `REQUEST_CODE_NOT_SUPPORTED`;
    /// `CHECK_TRANSACTION_STATE` always goes to the transaction producer of its group.
    pub fn set_request_handler(&self, code: RequestCode, handler: impl RequestHandler) {
        self.inner.groups.set_handler(code, handler);
    }

    /// Sends a heartbeat to the brokers now; errors of single brokers are logged.
    pub async fn send_heartbeat(&self) {
        heartbeat(&self.inner).await;
    }

    /// Stops the background task and closes every connection. Requests still waiting fail
    /// with [`Error::ConnectionClosed`]; later ones with [`Error::Shutdown`].
    pub async fn close(&self) {
        self.inner.shut_down();
        let task = lock(&self.inner.task).take();
        if let Some(task) = task {
            // The task only ends by cancellation; a join error means it panicked.
            if let Err(err) = task.await {
                tracing::warn!(%err, "client background task failed");
            }
        }
        self.inner.remoting.close().await;
    }

    fn check_open(&self) -> Result<()> {
        if self.is_closed() {
            Err(Error::Shutdown)
        } else {
            Ok(())
        }
    }

    /// Whether [`close`](Self::close) has been called.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }

    fn fetch_gate(&self, topic: &str) -> Arc<tokio::sync::Mutex<()>> {
        Arc::clone(
            lock(&self.inner.fetching)
                .entry(topic.to_owned())
                .or_default(),
        )
    }

    fn store(&self, info: Arc<TopicRouteInfo>) -> Arc<TopicRouteInfo> {
        let new_broker = {
            let mut routes = lock(&self.inner.routes);
            routes.insert(info.topic().to_owned(), Arc::clone(&info));
            let table = broker_table(routes.values().map(Arc::as_ref));
            let mut brokers = lock(&self.inner.brokers);
            let new_broker = table.iter().any(|(name, addrs)| {
                addrs
                    .iter()
                    .any(|(id, addr)| brokers.get(name).and_then(|b| b.get(id)) != Some(addr))
            });
            *brokers = table;
            new_broker
        };
        if new_broker {
            // A broker the client has not told about its groups yet.
            self.inner.wake.notify_one();
        }
        info
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("client_id", &self.inner.client_id)
            .field("config", &self.inner.config)
            .field("groups", &self.inner.groups)
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

/// A producer or consumer group registered on a [`Client`]; dropping it removes the group
/// from the client's heartbeats (without telling the brokers; use
/// [`unregister`](Self::unregister) for that).
#[must_use = "dropping the registration removes the group at once"]
pub struct GroupRegistration {
    client: Client,
    kind: GroupKind,
    group: String,
}

impl GroupRegistration {
    /// The group's name.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// The client the group is registered on.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Removes the group and tells every broker the client knows (`UNREGISTER_CLIENT`,
    /// as Java's shutdown does); brokers that cannot be reached are skipped.
    pub async fn unregister(self) {
        let inner = &self.client.inner;
        if !inner.groups.remove(self.kind, &self.group) {
            return;
        }
        let (producer_group, consumer_group) = match self.kind {
            GroupKind::Producer => (Some(self.group.clone()), None),
            GroupKind::Consumer => (None, Some(self.group.clone())),
        };
        let request = UnregisterClient(UnregisterClientRequestHeader {
            client_id: inner.client_id.clone(),
            producer_group,
            consumer_group,
            ..Default::default()
        });
        let addrs: Vec<String> = lock(&inner.brokers)
            .values()
            .flat_map(|b| b.values().cloned())
            .collect();
        let timeout = inner.config.request_timeout;
        let calls = addrs.iter().map(|addr| {
            let client = &self.client;
            let request = &request;
            async move {
                if let Err(err) = client.call(addr, request, timeout).await {
                    tracing::debug!(broker = %addr, %err, "unregister failed");
                }
            }
        });
        futures_util::future::join_all(calls).await;
    }
}

impl Drop for GroupRegistration {
    fn drop(&mut self) {
        self.client.inner.groups.remove(self.kind, &self.group);
    }
}

impl fmt::Debug for GroupRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupRegistration")
            .field("kind", &self.kind)
            .field("group", &self.group)
            .finish()
    }
}

/// Sends the heartbeat to every broker (masters only without consumers).
async fn heartbeat(inner: &Arc<Inner>) {
    let Some(request) = inner.heartbeat_request() else {
        return;
    };
    let all = inner.groups.has_consumers();
    let addrs: Vec<String> = lock(&inner.brokers)
        .values()
        .flat_map(|b| {
            b.iter()
                .filter(|(id, _)| all || **id == MASTER_ID)
                .map(|(_, addr)| addr.clone())
                .collect::<Vec<_>>()
        })
        .collect();
    let client = Client {
        inner: Arc::clone(inner),
    };
    let timeout = inner.config.request_timeout;
    let calls = addrs.iter().map(|addr| {
        let client = &client;
        let request = &request;
        async move {
            if let Err(err) = client.call(addr, request, timeout).await {
                tracing::debug!(broker = %addr, %err, "heartbeat failed");
            }
        }
    });
    futures_util::future::join_all(calls).await;
}

/// Fetches every cached topic's route (or only the stale ones); failures keep the old
/// route, as Java does.
async fn refresh_routes(inner: &Arc<Inner>, only_stale: bool) {
    let stale: HashSet<String> = std::mem::take(&mut *lock(&inner.stale));
    let topics: Vec<String> = if only_stale {
        stale.into_iter().collect()
    } else {
        lock(&inner.routes).keys().cloned().collect()
    };
    let client = Client {
        inner: Arc::clone(inner),
    };
    for topic in topics {
        if let Err(err) = client.update_route(&topic).await {
            tracing::debug!(topic, %err, "route refresh failed");
        }
    }
}

/// The background duties: route refresh and heartbeats, until the client closes or its
/// last handle is dropped.
async fn run(
    weak: Weak<Inner>,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
    routes: Duration,
    beats: Duration,
) {
    let start = tokio::time::Instant::now();
    let mut route_tick = tokio::time::interval_at(start + routes, routes);
    let mut beat_tick = tokio::time::interval_at(start + beats, beats);
    route_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    beat_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        enum Duty {
            Routes,
            Beat,
            Woken,
        }
        let duty = tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = route_tick.tick() => Duty::Routes,
            _ = beat_tick.tick() => Duty::Beat,
            () = wake.notified() => Duty::Woken,
        };
        let Some(inner) = weak.upgrade() else { return };
        let work = async {
            match duty {
                Duty::Routes => refresh_routes(&inner, false).await,
                Duty::Beat => heartbeat(&inner).await,
                Duty::Woken => {
                    refresh_routes(&inner, true).await;
                    heartbeat(&inner).await;
                }
            }
        };
        tokio::select! {
            _ = shutdown.cancelled() => return,
            () = work => {}
        }
    }
}

/// Builds a [`Client`].
///
/// Name servers come from [`namesrv_addr`](Self::namesrv_addr), else the `NAMESRV_ADDR`
/// environment variable, else an environment variable named like Java's system property,
/// `rocketmq.namesrv.addr`. The instance name comes from
/// [`instance_name`](Self::instance_name), else the `rocketmq.client.name` environment
/// variable, else `DEFAULT`, which Java (and this client) replace with `<pid>#<nanos>`.
#[derive(Default)]
#[must_use]
pub struct ClientBuilder {
    draft: ConfigDraft,
    hooks: Vec<
        Box<
            dyn FnOnce(
                    crate::remoting::RemotingClientBuilder,
                ) -> crate::remoting::RemotingClientBuilder
                + Send,
        >,
    >,
    credentials: Option<crate::acl::Credentials>,
}

impl ClientBuilder {
    /// Name server addresses, `host:port`, several separated by `;` (Java's format).
    /// Default: from the environment (see the type docs).
    pub fn namesrv_addr(mut self, addrs: impl Into<String>) -> Self {
        self.draft.namesrv_addr = Some(addrs.into());
        self
    }

    /// The IP reported in the client id. Default: the address this host routes from.
    pub fn client_ip(mut self, ip: impl Into<String>) -> Self {
        self.draft.client_ip = Some(ip.into());
        self
    }

    /// The instance name in the client id. Default: `DEFAULT`, i.e. `<pid>#<nanos>`.
    pub fn instance_name(mut self, name: impl Into<String>) -> Self {
        self.draft.instance_name = Some(name.into());
        self
    }

    /// A unit name appended to the client id. Default: none.
    pub fn unit_name(mut self, name: impl Into<String>) -> Self {
        self.draft.unit_name = Some(name.into());
        self
    }

    /// The namespace topics and groups are wrapped in (`ns%topic`). Default: none.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.draft.namespace = Some(namespace.into());
        self
    }

    /// Sends broker requests to the VIP port (listen port - 2). Default: off (Java's
    /// `com.rocketmq.sendMessageWithVIPChannel` default).
    pub fn vip_channel(mut self, on: bool) -> Self {
        self.draft.vip_channel = on;
        self
    }

    /// Timeout of the client's own requests (routes, heartbeats). Default: 3 s.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.draft.request_timeout = Some(timeout);
        self
    }

    /// Time allowed to open a connection. Default: 3 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.draft.connect_timeout = Some(timeout);
        self
    }

    /// How often cached routes are fetched again. Default: 30 s.
    pub fn route_refresh_interval(mut self, every: Duration) -> Self {
        self.draft.route_refresh_interval = Some(every);
        self
    }

    /// How often brokers get a heartbeat. Default: 30 s.
    pub fn heartbeat_interval(mut self, every: Duration) -> Self {
        self.draft.heartbeat_interval = Some(every);
        self
    }

    /// Whether each new connection to a known broker gets a heartbeat at once, followed
    /// by a rebalance of this client's consumers when the broker took it (Java 5.x's
    /// `enableHeartbeatChannelEventListener`). After a broker restarts, it then knows this
    /// client's groups on the first reconnect instead of at the next periodic heartbeat.
    /// Default: `true`.
    pub fn heartbeat_on_connect(mut self, on: bool) -> Self {
        self.draft.heartbeat_on_connect = Some(on);
        self
    }

    /// How request headers are serialized. Default: the `ROCKETMQ_SERIALIZE_TYPE`
    /// environment variable as Java reads it, else JSON.
    pub fn serialize_type(mut self, kind: SerializeType) -> Self {
        self.draft.serialize_type = Some(kind);
        self
    }

    /// Adds an RPC hook (e.g. ACL signing) to every request of the client. Default: none.
    pub fn rpc_hook(mut self, hook: impl RpcHook) -> Self {
        self.hooks.push(Box::new(move |builder| builder.hook(hook)));
        self
    }

    /// Signs every request with `credentials` for brokers with ACL enabled (see
    /// [`acl`](crate::acl)); the signing hook runs after every [`rpc_hook`](Self::rpc_hook),
    /// so it covers what they add. Default: none (requests are not signed; credentials are
    /// never read from files or the environment).
    pub fn credentials(mut self, credentials: crate::acl::Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Builds the client and starts its background task. Must run inside a tokio runtime.
    /// Fails with [`Error::Config`] when no name server address is found or the
    /// credentials have an empty access or secret key.
    pub fn build(self) -> Result<Client> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| Error::Config("a client must be built inside a tokio runtime".into()))?;
        let config = self.draft.resolve()?;
        let client_id = config.client_id();
        let groups = Arc::new(Groups::default());
        let dispatch =
            |groups: Arc<Groups>| move |ctx, request| Arc::clone(&groups).dispatch(ctx, request);
        let mut remoting = RemotingClient::builder()
            .connect_timeout(config.connect_timeout)
            .request_timeout(config.request_timeout)
            .handler(
                RequestCode::CHECK_TRANSACTION_STATE,
                dispatch(Arc::clone(&groups)),
            )
            .fallback_handler(dispatch(Arc::clone(&groups)));
        for hook in self.hooks {
            remoting = hook(remoting);
        }
        if let Some(credentials) = self.credentials {
            credentials.validate()?;
            // Last, so the signature covers every field the other hooks add.
            remoting = remoting.hook(crate::acl::SigningHook::new(credentials));
        }
        let ip = config
            .client_ip
            .parse()
            .unwrap_or_else(|_| super::config::local_ip());
        let inner = Arc::new_cyclic(|client| Inner {
            remoting: remoting
                .on_connect(super::reconnect::hook(client.clone()))
                .build(),
            client_id,
            groups,
            routes: Mutex::default(),
            brokers: Mutex::default(),
            fetching: Mutex::default(),
            stale: Mutex::default(),
            wake: Arc::new(Notify::new()),
            namesrv_index: AtomicUsize::new(0),
            uniq_ids: UniqIdGenerator::for_this_process(ip),
            shutdown: CancellationToken::new(),
            closed: AtomicBool::new(false),
            task: Mutex::new(None),
            config,
        });
        let task = runtime.spawn(run(
            Arc::downgrade(&inner),
            Arc::clone(&inner.wake),
            inner.shutdown.clone(),
            inner.config.route_refresh_interval,
            inner.config.heartbeat_interval,
        ));
        *lock(&inner.task) = Some(task);
        Ok(Client { inner })
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("draft", &self.draft)
            .field("rpc_hooks", &self.hooks.len())
            .field("credentials", &self.credentials)
            .finish()
    }
}
