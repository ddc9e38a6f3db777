//! The client side: connections by address, opened lazily and replaced after a failure
//! (Java's `NettyRemotingClient`).

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::connection::{Connection, ResponseFuture};
use super::connector::{Connect, SharedConnector, TcpConnector};
use super::driver;
use super::endpoint::{Endpoint, EndpointConfig};
use super::handler::RequestHandler;
use super::hook::RpcHook;
use crate::protocol::{FromResponse, RemotingCommand, RequestCode, Rpc};
use crate::{Error, Result};

/// Default time allowed to open a connection.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Default time a request waits for its response.
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
/// Default number of handlers for peer-initiated requests running at once.
const DEFAULT_CLIENT_HANDLERS: usize = 1024;

/// A remoting client: one connection per peer address, shared by every request to it.
///
/// Connections open on first use (under the connect timeout) and are reused; once one
/// closes, the next request to that address opens a new one. Requests the peer sends on
/// these connections (a broker's `CHECK_TRANSACTION_STATE`, `NOTIFY_CONSUMER_IDS_CHANGED`,
/// ...) go to the handlers registered by request code; other codes are answered with
/// `REQUEST_CODE_NOT_SUPPORTED` (3) like Java.
///
/// Cloning is cheap and every clone uses the same connections. [`close`](Self::close)
/// shuts every connection down and waits for their tasks; dropping the last clone closes
/// the connections too, without waiting.
///
/// ```no_run
/// # async fn demo() -> rocketmq::Result<()> {
/// use std::time::Duration;
/// use rocketmq::protocol::{RemotingCommand, RequestCode};
/// use rocketmq::remoting::RemotingClient;
///
/// let client = RemotingClient::builder()
///     .connect_timeout(Duration::from_secs(1))
///     .build();
/// # let request: RemotingCommand = todo!();
/// let response = client
///     .invoke("127.0.0.1:9876", request, Duration::from_secs(3))
///     .await?;
/// client.close().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RemotingClient {
    inner: Arc<Inner>,
}

struct Inner {
    endpoint: Arc<Endpoint>,
    connector: SharedConnector,
    connect_timeout: Duration,
    request_timeout: Duration,
    /// One slot per address; the async lock makes concurrent first requests share one
    /// connect.
    table: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Connection>>>>>,
    /// The connection tasks. Dropping the set (with the last handle) aborts them.
    tasks: Mutex<JoinSet<()>>,
    shutdown: CancellationToken,
    /// Set with `shutdown`: read on every request, where the token's own check would
    /// take its lock.
    closed: AtomicBool,
    on_connect: Option<OnConnect>,
}

/// Called with each newly opened connection (see [`RemotingClientBuilder::on_connect`]).
type OnConnect = Arc<dyn Fn(&Connection) + Send + Sync>;

impl Inner {
    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
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
    // Sections under these locks cannot panic half-way; a poisoned lock is consistent.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl RemotingClient {
    /// A builder with the defaults documented on each setter.
    pub fn builder() -> RemotingClientBuilder {
        RemotingClientBuilder::new()
    }

    /// The default request timeout this client was built with.
    pub fn request_timeout(&self) -> Duration {
        self.inner.request_timeout
    }

    /// The open connection to `addr` (`host:port`), opening one if there is none or the
    /// previous one has closed.
    ///
    /// Fails with [`Error::Connect`] when the peer refuses, [`Error::Timeout`] when the
    /// connect timeout elapses and [`Error::Shutdown`] after [`close`](Self::close).
    pub async fn connection(&self, addr: &str) -> Result<Connection> {
        let inner = &self.inner;
        if inner.is_closed() {
            return Err(Error::Shutdown);
        }
        if let Some(connection) = self.open_connection(addr) {
            return Ok(connection);
        }
        let slot = Arc::clone(lock(&inner.table).entry(addr.to_owned()).or_default());
        let mut slot = slot.lock().await;
        if let Some(connection) = slot.as_ref().filter(|c| !c.is_closed()) {
            return Ok(connection.clone());
        }
        *slot = None;
        let connect = inner.connector.connect_boxed(addr);
        let stream = match tokio::time::timeout(inner.connect_timeout, connect).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(source)) => {
                return Err(Error::Connect {
                    addr: addr.to_owned(),
                    source,
                });
            }
            Err(_elapsed) => {
                return Err(Error::Timeout {
                    addr: addr.to_owned(),
                    timeout: inner.connect_timeout,
                });
            }
        };
        let (connection, rx) = Connection::new(
            addr.to_owned(),
            Arc::clone(&inner.endpoint),
            inner.shutdown.child_token(),
        );
        {
            let mut tasks = lock(&inner.tasks);
            // Checked under the lock `close` takes the task set with, so no task is
            // spawned into a set that is no longer awaited.
            if inner.is_closed() {
                return Err(Error::Shutdown);
            }
            while tasks.try_join_next().is_some() {}
            tasks.spawn(driver::run(connection.clone(), rx, stream, Duration::ZERO));
        }
        *slot = Some(connection.clone());
        if let Some(on_connect) = &inner.on_connect {
            on_connect(&connection);
        }
        Ok(connection)
    }

    /// The connection to `addr` if one is open and nobody is (re)connecting it: the
    /// common case, answered without allocating or waiting.
    fn open_connection(&self, addr: &str) -> Option<Connection> {
        let inner = &self.inner;
        if inner.is_closed() {
            return None;
        }
        let table = lock(&inner.table);
        let slot = table.get(addr)?.try_lock().ok()?;
        slot.as_ref().filter(|c| !c.is_closed()).cloned()
    }

    /// Sends `request` to `addr` and waits up to `timeout` for the response
    /// (see [`Connection::invoke`]).
    pub async fn invoke(
        &self,
        addr: &str,
        request: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand> {
        // An open connection is the common case: the whole timeout is left for the
        // request, with no clock reading spent on connecting.
        if let Some(connection) = self.open_connection(addr) {
            return connection.invoke(request, timeout).await;
        }
        self.invoke_until(addr, request, Endpoint::deadline(timeout), timeout)
            .await
    }

    /// [`invoke`](Self::invoke) with a deadline the caller has already computed (a
    /// producer's, from the start of its send) so the clock is not read again;
    /// `timeout` is what a timeout error reports.
    pub(crate) async fn invoke_until(
        &self,
        addr: &str,
        request: RemotingCommand,
        deadline: tokio::time::Instant,
        timeout: Duration,
    ) -> Result<RemotingCommand> {
        let connection = match self.open_connection(addr) {
            Some(connection) => connection,
            // The whole timeout is reported, not what was left of it after connecting.
            None => self.connection_by(addr, deadline, timeout).await?,
        };
        connection.invoke_until(request, deadline, timeout).await
    }

    /// Sends `request` to `addr` and returns a future of its response, under the limit
    /// on asynchronous requests in flight (see [`Connection::invoke_async`]).
    pub async fn invoke_async(
        &self,
        addr: &str,
        request: RemotingCommand,
        timeout: Duration,
    ) -> Result<ResponseFuture> {
        let connection = self.connection(addr).await?;
        connection.invoke_async(request, timeout).await
    }

    /// Sends `request` to `addr` as a oneway request, under the limit on oneway requests
    /// in flight (see [`Connection::invoke_oneway`]).
    pub async fn invoke_oneway(
        &self,
        addr: &str,
        request: RemotingCommand,
        timeout: Duration,
    ) -> Result<()> {
        let connection = self.connection(addr).await?;
        connection.invoke_oneway(request, timeout).await
    }

    /// Sends a typed request to `addr` with the default request timeout and interprets
    /// the response as `R::Response`.
    pub async fn call<R: Rpc>(&self, addr: &str, rpc: &R) -> Result<R::Response> {
        let response = self
            .invoke(addr, rpc.to_command(), self.inner.request_timeout)
            .await?;
        R::Response::from_response(response)
    }

    /// Closes the connection to `addr`, if one is open; requests waiting on it fail and
    /// the next request to `addr` opens a new connection.
    pub async fn close_connection(&self, addr: &str) {
        let slot = lock(&self.inner.table).get(addr).map(Arc::clone);
        if let Some(slot) = slot
            && let Some(connection) = slot.lock().await.take()
        {
            connection.close();
            connection.closed().await;
        }
    }

    /// Closes every connection and waits for their tasks to finish. Requests still
    /// waiting fail with [`Error::ConnectionClosed`]; later requests fail with
    /// [`Error::Shutdown`]. Affects every clone of this client.
    pub async fn close(&self) {
        self.inner.shut_down();
        let mut tasks = std::mem::take(&mut *lock(&self.inner.tasks));
        while tasks.join_next().await.is_some() {}
        lock(&self.inner.table).clear();
    }

    async fn connection_by(
        &self,
        addr: &str,
        deadline: tokio::time::Instant,
        timeout: Duration,
    ) -> Result<Connection> {
        match tokio::time::timeout_at(deadline, self.connection(addr)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(Error::Timeout {
                addr: addr.to_owned(),
                timeout,
            }),
        }
    }
}

impl fmt::Debug for RemotingClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemotingClient")
            .field("connect_timeout", &self.inner.connect_timeout)
            .field("request_timeout", &self.inner.request_timeout)
            .field("handlers", &self.inner.endpoint.config.router)
            .field("closed", &self.inner.is_closed())
            .finish_non_exhaustive()
    }
}

/// Builds a [`RemotingClient`].
#[must_use]
pub struct RemotingClientBuilder {
    config: EndpointConfig,
    connector: SharedConnector,
    connect_timeout: Duration,
    request_timeout: Duration,
    on_connect: Option<OnConnect>,
}

impl RemotingClientBuilder {
    fn new() -> Self {
        Self {
            config: EndpointConfig::new(DEFAULT_CLIENT_HANDLERS),
            connector: Arc::new(TcpConnector),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            on_connect: None,
        }
    }

    /// Time allowed to open a connection. Default: 3 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Timeout of [`RemotingClient::call`], and the default the layers above use.
    /// Default: 3 s.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Most asynchronous requests waiting for responses at once. Default: 65535 (Java's
    /// `clientAsyncSemaphoreValue`).
    pub fn max_async_requests(mut self, limit: usize) -> Self {
        self.config.max_async = limit;
        self
    }

    /// Most oneway requests waiting to be written at once. Default: 65535 (Java's
    /// `clientOnewaySemaphoreValue`).
    pub fn max_oneway_requests(mut self, limit: usize) -> Self {
        self.config.max_oneway = limit;
        self
    }

    /// Most handlers of peer-initiated requests running at once; beyond it requests are
    /// answered `SYSTEM_BUSY` (2). Default: 1024.
    pub fn max_concurrent_handlers(mut self, limit: usize) -> Self {
        self.config.max_handlers = limit;
        self
    }

    /// Largest frame accepted from a peer, in bytes; a larger one closes the connection.
    /// Default: [`codec::DEFAULT_MAX_FRAME`](crate::codec::DEFAULT_MAX_FRAME_LEN).
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.config.max_frame = bytes;
        self
    }

    /// Frames queued per connection before senders wait for the writer. Default: 1024.
    pub fn write_queue(mut self, frames: usize) -> Self {
        self.config.queue = frames;
        self
    }

    /// Registers the handler of requests with `code` that peers send to this client,
    /// replacing any earlier one. Default: none (answered `REQUEST_CODE_NOT_SUPPORTED`).
    pub fn handler(mut self, code: RequestCode, handler: impl RequestHandler) -> Self {
        self.config.handler(code, handler);
        self
    }

    /// Registers the handler of peer-initiated requests whose code has no handler of its
    /// own. Default: none.
    pub fn fallback_handler(mut self, handler: impl RequestHandler) -> Self {
        self.config.fallback(handler);
        self
    }

    /// Adds an RPC hook; hooks run in the order they were added. Default: none.
    pub fn hook(mut self, hook: impl RpcHook) -> Self {
        self.config.hook(hook);
        self
    }

    /// Opens connections with `connector` (e.g. TLS). Default: [`TcpConnector`].
    pub fn connector(mut self, connector: impl Connect) -> Self {
        self.connector = Arc::new(connector);
        self
    }

    /// Calls `f` with every connection the client opens, the first to a peer and each
    /// one replacing a closed one, before the request that opened it is written (Java's
    /// channel-active event). `f` runs on the opening request's task, so it must not
    /// block; to send on the connection, spawn a task. Default: none.
    pub fn on_connect(mut self, f: impl Fn(&Connection) + Send + Sync + 'static) -> Self {
        self.on_connect = Some(Arc::new(f));
        self
    }

    /// Builds the client. No connection is opened until the first request.
    pub fn build(self) -> RemotingClient {
        RemotingClient {
            inner: Arc::new(Inner {
                endpoint: self.config.build(),
                connector: self.connector,
                connect_timeout: self.connect_timeout,
                request_timeout: self.request_timeout,
                table: Mutex::new(HashMap::new()),
                tasks: Mutex::new(JoinSet::new()),
                shutdown: CancellationToken::new(),
                closed: AtomicBool::new(false),
                on_connect: self.on_connect,
            }),
        }
    }
}

impl fmt::Debug for RemotingClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemotingClientBuilder")
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("max_async", &self.config.max_async)
            .field("max_oneway", &self.config.max_oneway)
            .field("max_handlers", &self.config.max_handlers)
            .field("max_frame", &self.config.max_frame)
            .field("handlers", &self.config.router)
            .field("hooks", &self.config.hooks)
            .field("on_connect", &self.on_connect.is_some())
            .finish_non_exhaustive()
    }
}
