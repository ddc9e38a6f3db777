//! The server side, which broker-lite (and test peers) build on (Java's
//! `NettyRemotingServer`): accept connections, dispatch requests to handlers by request
//! code, and reach each client back through its [`Connection`].

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::connection::Connection;
use super::driver;
use super::endpoint::{Endpoint, EndpointConfig};
use super::handler::{RequestHandler, RunHandler};
use super::hook::RpcHook;
use crate::Result;
use crate::protocol::RequestCode;

/// Default time in-flight requests get to finish on shutdown.
const DEFAULT_GRACE: Duration = Duration::from_secs(10);
/// Default number of request handlers running at once across all connections.
const DEFAULT_SERVER_HANDLERS: usize = 10_000;
/// Longest pause after a failed `accept` (e.g. out of file descriptors).
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// A running remoting server.
///
/// Each accepted connection runs in its own task; every request goes to the handler
/// registered for its code (or the fallback handler), in a task of its own; codes with
/// no handler are answered `REQUEST_CODE_NOT_SUPPORTED` (3). Handlers see the request's
/// [`Connection`] in their [`RequestContext`](super::RequestContext) and may keep it to
/// send requests to that client later.
///
/// [`shutdown`](Self::shutdown) stops accepting, lets in-flight requests finish within
/// the grace period, then closes every connection. Dropping the server without calling
/// it aborts everything at once.
///
/// ```no_run
/// # async fn demo() -> rocketmq::Result<()> {
/// use rocketmq::protocol::{RemotingCommand, RequestCode};
/// use rocketmq::remoting::{RemotingServer, RequestContext};
///
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let server = RemotingServer::builder()
///     .handler(RequestCode(105), |_ctx: RequestContext, request: RemotingCommand| async move {
///         Ok(Some(RemotingCommand { code: 0, ..request }))
///     })
///     .serve(listener)?;
/// println!("listening on {}", server.local_addr());
/// server.shutdown().await;
/// # Ok(()) }
/// ```
pub struct RemotingServer {
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    stop: CancellationToken,
    accept: Option<JoinHandle<()>>,
}

/// What the accept task and the connection tasks share with the server handle.
struct Shared {
    connections: Mutex<HashMap<u64, Connection>>,
}

impl Shared {
    fn connections(&self) -> MutexGuard<'_, HashMap<u64, Connection>> {
        // Sections under this lock cannot panic half-way; a poisoned map is consistent.
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl RemotingServer {
    /// A builder with the defaults documented on each setter.
    pub fn builder() -> RemotingServerBuilder {
        RemotingServerBuilder {
            config: EndpointConfig::new(DEFAULT_SERVER_HANDLERS),
            grace: DEFAULT_GRACE,
        }
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The connection with `id`, while it is open.
    pub fn connection(&self, id: u64) -> Option<Connection> {
        self.shared.connections().get(&id).cloned()
    }

    /// Every open connection.
    pub fn connections(&self) -> Vec<Connection> {
        self.shared.connections().values().cloned().collect()
    }

    /// Stops accepting connections, stops reading new requests, lets requests already
    /// being handled finish and their responses be written within the grace period, then
    /// closes every connection and waits for all the server's tasks.
    pub async fn shutdown(mut self) {
        self.stop.cancel();
        if let Some(accept) = self.accept.take()
            && let Err(err) = accept.await
        {
            warn!("remoting server accept task failed: {err}");
        }
    }
}

impl Drop for RemotingServer {
    fn drop(&mut self) {
        if let Some(accept) = self.accept.take() {
            // Aborting the accept task drops its task set, which aborts every connection.
            accept.abort();
        }
    }
}

impl fmt::Debug for RemotingServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemotingServer")
            .field("local_addr", &self.local_addr)
            .field("connections", &self.shared.connections().len())
            .finish_non_exhaustive()
    }
}

/// Builds and starts a [`RemotingServer`].
#[must_use]
pub struct RemotingServerBuilder {
    config: EndpointConfig,
    grace: Duration,
}

impl RemotingServerBuilder {
    /// Registers the handler of requests with `code`, replacing any earlier one.
    /// Default: none (answered `REQUEST_CODE_NOT_SUPPORTED`).
    pub fn handler(mut self, code: RequestCode, handler: impl RequestHandler) -> Self {
        self.config.handler(code, handler);
        self
    }

    /// Registers `handler` for every code in `codes`, replacing earlier handlers of them.
    /// Consecutive requests of these codes that one read of a connection yields are
    /// handled together, as a run (see [`RunHandler`]). Default: none.
    pub fn run_handler(mut self, codes: &[RequestCode], handler: impl RunHandler) -> Self {
        self.config.router.insert_run(codes, handler);
        self
    }

    /// Registers the handler of requests whose code has no handler of its own (Java's
    /// default processor). Default: none.
    pub fn fallback_handler(mut self, handler: impl RequestHandler) -> Self {
        self.config.fallback(handler);
        self
    }

    /// Adds an RPC hook; hooks run in the order they were added. Default: none.
    pub fn hook(mut self, hook: impl RpcHook) -> Self {
        self.config.hook(hook);
        self
    }

    /// Most request handlers running at once across all connections; beyond it requests
    /// are answered `SYSTEM_BUSY` (2) like Java's rejected executions. Default: 10000.
    pub fn max_concurrent_handlers(mut self, limit: usize) -> Self {
        self.config.max_handlers = limit;
        self
    }

    /// Most asynchronous requests to clients waiting for responses at once. Default: 65535.
    pub fn max_async_requests(mut self, limit: usize) -> Self {
        self.config.max_async = limit;
        self
    }

    /// Most oneway requests to clients waiting to be written at once. Default: 65535.
    pub fn max_oneway_requests(mut self, limit: usize) -> Self {
        self.config.max_oneway = limit;
        self
    }

    /// Largest frame accepted from a client, in bytes; a larger one closes its connection.
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

    /// Whether a handler's response goes out in the serialize type its request came in,
    /// as Java 4.9.x servers do, rather than JSON, as Java 5.x servers do. Either way,
    /// refusals made by the remoting layer itself (no handler, busy, a failed handler)
    /// are JSON, as in both Java versions. Clients decode both types. Default: `false`.
    pub fn reply_in_request_serialize_type(mut self, yes: bool) -> Self {
        self.config.reply_in_request_type = yes;
        self
    }

    /// Time in-flight requests get to finish on [`RemotingServer::shutdown`] (and after a
    /// client disconnects). Default: 10 s.
    pub fn grace_period(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Starts serving connections accepted on `listener`. Must be called within a tokio
    /// runtime.
    pub fn serve(self, listener: TcpListener) -> Result<RemotingServer> {
        let local_addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            connections: Mutex::new(HashMap::new()),
        });
        let stop = CancellationToken::new();
        let accept = tokio::spawn(accept_loop(
            listener,
            self.config.build(),
            Arc::clone(&shared),
            stop.clone(),
            self.grace,
        ));
        Ok(RemotingServer {
            local_addr,
            shared,
            stop,
            accept: Some(accept),
        })
    }

    /// Serves `listener` until `shutdown` completes, then shuts down gracefully.
    pub async fn serve_until(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> Result<()> {
        let server = self.serve(listener)?;
        shutdown.await;
        server.shutdown().await;
        Ok(())
    }
}

impl fmt::Debug for RemotingServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemotingServerBuilder")
            .field("grace", &self.grace)
            .field("max_handlers", &self.config.max_handlers)
            .field("max_frame", &self.config.max_frame)
            .field("handlers", &self.config.router)
            .field("hooks", &self.config.hooks)
            .finish_non_exhaustive()
    }
}

/// Accepts connections until `stop`, then closes them all (each with its grace period)
/// and waits for their tasks.
async fn accept_loop(
    listener: TcpListener,
    endpoint: Arc<Endpoint>,
    shared: Arc<Shared>,
    stop: CancellationToken,
    grace: Duration,
) {
    let close_all = CancellationToken::new();
    let mut tasks = JoinSet::new();
    let mut backoff = Duration::from_millis(10);
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    backoff = Duration::from_millis(10);
                    if let Err(err) = stream.set_nodelay(true) {
                        debug!(%peer, "cannot set TCP_NODELAY: {err}");
                    }
                    let (connection, rx) = Connection::new(
                        peer.to_string(),
                        Arc::clone(&endpoint),
                        close_all.child_token(),
                    );
                    shared.connections().insert(connection.id(), connection.clone());
                    let shared = Arc::clone(&shared);
                    tasks.spawn(async move {
                        let id = connection.id();
                        driver::run(connection, rx, stream, grace).await;
                        shared.connections().remove(&id);
                    });
                }
                Err(err) => {
                    // Usually out of file descriptors: pause rather than spin.
                    warn!("accept failed: {err}; retrying in {backoff:?}");
                    tokio::select! {
                        () = stop.cancelled() => break,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(MAX_ACCEPT_BACKOFF);
                }
            },
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    drop(listener);
    close_all.cancel();
    while tasks.join_next().await.is_some() {}
}
