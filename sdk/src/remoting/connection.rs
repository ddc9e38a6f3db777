//! The handle to one connection: request/response matching with timeouts, oneway and
//! asynchronous requests with in-flight limits (Java's `invokeSync`, `invokeOneway` and
//! `invokeAsync` with `semaphoreOneway`/`semaphoreAsync`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::endpoint::{Endpoint, Permit};
use super::pending::{self, Pending, Reply, SlotGuard};
use super::wire;
use crate::protocol::RemotingCommand;
use crate::{Error, Result};

/// A frame queued for the connection's writer, with the in-flight permit it holds until
/// it has been written.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub(crate) command: RemotingCommand,
    pub(crate) permit: Option<OwnedSemaphorePermit>,
}

/// A cheap, cloneable handle to one open connection.
///
/// The connection itself is a task that owns the socket: it writes whole frames from a
/// bounded queue, reads frames, hands responses to the requests waiting for them and
/// runs the handlers of requests the peer sends. When the socket fails or the peer
/// closes it, every request still waiting fails at once with
/// [`Error::ConnectionClosed`] carrying the cause, and later requests on this handle fail
/// the same way.
///
/// Get one from [`RemotingClient::connection`](super::RemotingClient::connection) or,
/// on the server, from [`RequestContext::connection`](super::RequestContext::connection)
/// (to send requests to a client, as a broker does).
#[derive(Clone)]
pub struct Connection {
    inner: Arc<Inner>,
}

struct Inner {
    id: u64,
    peer: String,
    tx: mpsc::Sender<Outgoing>,
    pending: Arc<Pending>,
    /// Whether the task failing requests past their deadline has been started.
    sweeping: AtomicBool,
    endpoint: Arc<Endpoint>,
    /// Cancelled to ask the connection task to close.
    close: CancellationToken,
    /// Cancelled by the connection task once the connection is closed.
    closed: CancellationToken,
}

impl Connection {
    /// Creates the handle and the receiving end of its frame queue; the caller starts
    /// the connection task with them.
    pub(crate) fn new(
        peer: String,
        endpoint: Arc<Endpoint>,
        close: CancellationToken,
    ) -> (Self, mpsc::Receiver<Outgoing>) {
        let (tx, rx) = mpsc::channel(endpoint.config.queue.max(1));
        let inner = Inner {
            id: endpoint.next_connection_id(),
            peer,
            tx,
            pending: Arc::new(Pending::default()),
            sweeping: AtomicBool::new(false),
            endpoint,
            close,
            closed: CancellationToken::new(),
        };
        (
            Self {
                inner: Arc::new(inner),
            },
            rx,
        )
    }

    /// The connection's id, unique within the client or server that owns it.
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// The peer's address, `host:port`.
    pub fn peer_addr(&self) -> &str {
        &self.inner.peer
    }

    /// Whether the connection has closed (requests on it fail).
    pub fn is_closed(&self) -> bool {
        self.inner.pending.is_closed()
    }

    /// Why the connection closed, if it has.
    pub fn close_cause(&self) -> Option<String> {
        self.inner.pending.closed()
    }

    /// Completes once the connection task has finished with the connection.
    pub async fn closed(&self) {
        self.inner.closed.cancelled().await;
    }

    /// Asks the connection to close; requests still waiting fail with
    /// [`Error::ConnectionClosed`]. Returns at once; await [`closed`](Self::closed) to
    /// wait for the task to finish.
    pub fn close(&self) {
        self.inner.close.cancel();
    }

    /// Number of requests waiting for a response on this connection (a diagnostic:
    /// requests that timed out or whose callers went away are not counted).
    pub fn pending_requests(&self) -> usize {
        self.inner.pending.len()
    }

    /// Sends `request` and waits up to `timeout` for its response.
    ///
    /// The opaque is assigned here; the oneway flag is cleared. Fails with
    /// [`Error::Timeout`] when no response arrives in time and with
    /// [`Error::ConnectionClosed`] when the connection closes first. Dropping the future
    /// abandons the request cleanly: its reply slot is removed, and the frame is either
    /// queued whole or not at all.
    pub async fn invoke(
        &self,
        request: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand> {
        self.invoke_until(request, Endpoint::deadline(timeout), timeout)
            .await
    }

    /// [`invoke`](Self::invoke) until `deadline`; `timeout` is what a timeout error
    /// reports.
    pub(crate) async fn invoke_until(
        &self,
        request: RemotingCommand,
        deadline: Instant,
        timeout: Duration,
    ) -> Result<RemotingCommand> {
        let sent = self.begin_request(request, deadline, timeout).await?;
        // No timer of its own: the connection's sweeper answers `Expired` at the
        // deadline. Dropping this future drops `sent.slot`, which removes the reply slot.
        let answer = sent.rx.await;
        // Whatever ended the wait (the response, a failure, the sweeper, the close)
        // removed the slot already.
        sent.slot.disarm();
        match answer {
            Ok(Reply::Response(response)) => {
                if let Some(request) = &sent.request {
                    self.run_after_hooks(request, &response);
                }
                Ok(response)
            }
            Ok(Reply::Failed(err)) => Err(err),
            Ok(Reply::Expired) => Err(self.timeout_error(timeout)),
            Err(_dropped) => Err(self.current_close_error()),
        }
    }

    fn run_after_hooks(&self, request: &RemotingCommand, response: &RemotingCommand) {
        self.inner
            .endpoint
            .config
            .hooks
            .after(self.peer_addr(), request, response);
    }

    /// Sends `request` and returns a future of its response without waiting for it.
    ///
    /// At most the configured number of asynchronous requests (65535 by default) wait for
    /// responses at once; when none is free this waits for one until `timeout` and then
    /// fails with [`Error::TooManyRequests`]. The returned [`ResponseFuture`] holds its
    /// permit until it completes or is dropped; `timeout` covers the whole exchange.
    pub async fn invoke_async(
        &self,
        request: RemotingCommand,
        timeout: Duration,
    ) -> Result<ResponseFuture> {
        let deadline = Endpoint::deadline(timeout);
        self.check_open()?;
        let permit = self.inner.endpoint.acquire(Permit::Async, deadline).await?;
        self.send_request(request, Some(permit), deadline, timeout)
            .await
    }

    /// Sends `request` with the oneway flag set; the peer sends no response.
    ///
    /// Returns once the frame is queued for writing. At most the configured number of
    /// oneway frames (65535 by default) wait to be written at once; when none is free
    /// this waits until `timeout` and then fails with [`Error::TooManyRequests`].
    pub async fn invoke_oneway(
        &self,
        mut request: RemotingCommand,
        timeout: Duration,
    ) -> Result<()> {
        let deadline = Endpoint::deadline(timeout);
        self.check_open()?;
        let endpoint = &self.inner.endpoint;
        let permit = endpoint.acquire(Permit::Oneway, deadline).await?;
        request.opaque = endpoint.next_opaque();
        wire::set_oneway(&mut request, true);
        endpoint
            .config
            .hooks
            .before(&self.inner.peer, &mut request)?;
        self.enqueue(request, Some(permit), deadline, timeout).await
    }

    fn check_open(&self) -> Result<()> {
        match self.inner.pending.closed() {
            Some(cause) => Err(self.closed_error(cause)),
            None => Ok(()),
        }
    }

    fn closed_error(&self, cause: String) -> Error {
        Error::ConnectionClosed {
            addr: self.inner.peer.clone(),
            cause,
        }
    }

    /// The error for a request whose slot vanished or whose frame could not be queued.
    fn current_close_error(&self) -> Error {
        let cause = self
            .inner
            .pending
            .closed()
            .unwrap_or_else(|| "connection closed".to_owned());
        self.closed_error(cause)
    }

    async fn send_request(
        &self,
        request: RemotingCommand,
        permit: Option<OwnedSemaphorePermit>,
        deadline: Instant,
        timeout: Duration,
    ) -> Result<ResponseFuture> {
        let sent = self.begin_request(request, deadline, timeout).await?;
        Ok(ResponseFuture {
            rx: sent.rx,
            slot: Some(sent.slot),
            timeout,
            connection: self.clone(),
            request: sent.request,
            permit,
        })
    }

    /// Registers the reply slot of `request` (given its opaque) and queues it.
    async fn begin_request(
        &self,
        mut request: RemotingCommand,
        deadline: Instant,
        timeout: Duration,
    ) -> Result<Sent> {
        let endpoint = &self.inner.endpoint;
        request.opaque = endpoint.next_opaque();
        wire::set_oneway(&mut request, false);
        let hooks = &endpoint.config.hooks;
        hooks.before(&self.inner.peer, &mut request)?;
        let kept = (!hooks.is_empty()).then(|| request.clone());
        self.start_sweeper();
        let (rx, slot) = self
            .inner
            .pending
            .register(request.opaque, deadline)
            .map_err(|cause| self.closed_error(cause))?;
        self.enqueue(request, None, deadline, timeout).await?;
        Ok(Sent {
            rx,
            slot,
            request: kept,
        })
    }

    /// Starts the task that fails requests past their deadline, with the first request.
    /// It ends once the connection is closed.
    fn start_sweeper(&self) {
        let inner = &self.inner;
        if !inner.sweeping.load(Ordering::Relaxed) && !inner.sweeping.swap(true, Ordering::AcqRel) {
            tokio::spawn(pending::sweep(Arc::clone(&inner.pending)));
        }
    }

    /// Queues a whole frame for the writer, waiting for room until `deadline`.
    async fn enqueue(
        &self,
        command: RemotingCommand,
        permit: Option<OwnedSemaphorePermit>,
        deadline: Instant,
        timeout: Duration,
    ) -> Result<()> {
        let frame = Outgoing { command, permit };
        // Room in the queue is the common case: no timer needed for it.
        let frame = match self.inner.tx.try_send(frame) {
            Ok(()) => return Ok(()),
            Err(mpsc::error::TrySendError::Closed(_)) => return Err(self.current_close_error()),
            Err(mpsc::error::TrySendError::Full(frame)) => frame,
        };
        match tokio::time::timeout_at(deadline, self.inner.tx.send(frame)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(self.current_close_error()),
            Err(_elapsed) => Err(self.timeout_error(timeout)),
        }
    }

    fn timeout_error(&self, timeout: Duration) -> Error {
        Error::Timeout {
            addr: self.inner.peer.clone(),
            timeout,
        }
    }

    // --- used by the connection task ---

    pub(crate) fn endpoint(&self) -> &Arc<Endpoint> {
        &self.inner.endpoint
    }

    pub(crate) fn pending(&self) -> &Arc<Pending> {
        &self.inner.pending
    }

    pub(crate) fn close_requested(&self) -> &CancellationToken {
        &self.inner.close
    }

    pub(crate) fn mark_closed(&self) {
        self.inner.closed.cancel();
    }

    /// Queues a response, waiting for room (used by handler tasks).
    pub(crate) async fn send_response(&self, command: RemotingCommand) -> Result<()> {
        self.inner
            .tx
            .send(Outgoing {
                command,
                permit: None,
            })
            .await
            .map_err(|_| self.current_close_error())
    }

    /// Queues a response without waiting. Gives it back when the queue is full; drops it
    /// when the connection is closed (no one would read it).
    pub(crate) fn try_queue_response(
        &self,
        command: RemotingCommand,
    ) -> std::result::Result<(), RemotingCommand> {
        match self.inner.tx.try_send(Outgoing {
            command,
            permit: None,
        }) {
            Err(mpsc::error::TrySendError::Full(frame)) => Err(frame.command),
            Ok(()) | Err(mpsc::error::TrySendError::Closed(_)) => Ok(()),
        }
    }

    /// Queues a response without waiting; `false` when the queue is full or closed.
    pub(crate) fn try_send_response(&self, command: RemotingCommand) -> bool {
        self.inner
            .tx
            .try_send(Outgoing {
                command,
                permit: None,
            })
            .is_ok()
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("id", &self.inner.id)
            .field("peer", &self.inner.peer)
            .field("closed", &self.inner.pending.closed())
            .finish()
    }
}

/// A request registered and queued: where its response will arrive.
struct Sent {
    rx: oneshot::Receiver<Reply>,
    slot: SlotGuard,
    /// A copy of the request for the `after_response` hooks, when there are any.
    request: Option<RemotingCommand>,
}

/// The response to a request sent with
/// [`invoke_async`](Connection::invoke_async): resolves to the response, to
/// [`Error::Timeout`] once the request's timeout has elapsed, or to
/// [`Error::ConnectionClosed`]. Like every request it needs no timer of its own: the
/// connection fails it at its deadline.
///
/// Dropping it abandons the request: the reply slot and the in-flight permit are freed.
#[must_use = "a response future does nothing unless awaited; dropping it abandons the request"]
pub struct ResponseFuture {
    rx: oneshot::Receiver<Reply>,
    slot: Option<SlotGuard>,
    timeout: Duration,
    connection: Connection,
    /// A copy of the request for the `after_response` hooks, when there are any.
    request: Option<RemotingCommand>,
    permit: Option<OwnedSemaphorePermit>,
}

impl ResponseFuture {
    /// Ends the wait: whatever ended it removed the slot already; the permit is freed.
    fn finish(&mut self) {
        if let Some(slot) = self.slot.take() {
            slot.disarm();
        }
        self.permit = None;
    }
}

impl Future for ResponseFuture {
    type Output = Result<RemotingCommand>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let Poll::Ready(reply) = Pin::new(&mut this.rx).poll(cx) else {
            return Poll::Pending;
        };
        this.finish();
        Poll::Ready(match reply {
            Ok(Reply::Response(response)) => {
                if let Some(request) = &this.request {
                    this.connection.run_after_hooks(request, &response);
                }
                Ok(response)
            }
            Ok(Reply::Failed(err)) => Err(err),
            Ok(Reply::Expired) => Err(this.connection.timeout_error(this.timeout)),
            Err(_dropped) => Err(this.connection.current_close_error()),
        })
    }
}

impl fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("connection", &self.connection)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}
