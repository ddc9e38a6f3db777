//! Handlers for requests a peer sends us: broker-initiated requests on a client
//! connection, and every request on a server connection (Java's `NettyRequestProcessor`
//! and the processor table of `NettyRemotingAbstract`).

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::Connection;
use super::endpoint::Endpoint;
use super::wire;
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};
use crate::{Error, Result};

/// A boxed, sendable future, as returned by the object-safe side of the handler traits.
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Answers requests of one or more request codes.
///
/// Registered by request code on a [`RemotingClient`](super::RemotingClient) (for the
/// requests a broker sends to its clients, such as `CHECK_TRANSACTION_STATE` or
/// `NOTIFY_CONSUMER_IDS_CHANGED`) or on a [`RemotingServer`](super::RemotingServer) (every
/// request). A handler is first polled on the connection's task, right after its request
/// is read: one that completes without waiting has its response written with the others
/// of that read, at no task's cost. Once it waits (its future returns `Pending`) it goes
/// on in a task of its own, so a handler waiting for I/O, a timer or a lock never delays
/// other traffic on the connection. A handler must therefore not block the thread: put
/// blocking work in `tokio::task::spawn_blocking`.
///
/// The returned command, if any, is sent back as the response: the remoting layer sets
/// its opaque to the request's and marks it as a response (and gives it the request's
/// serialize type on a server built with
/// [`reply_in_request_serialize_type`](crate::remoting::RemotingServerBuilder::reply_in_request_serialize_type)),
/// so the handler only fills in code, remark, headers and body. Nothing is sent for a oneway request, nor when the
/// handler returns `Ok(None)`. An error is answered like Java answers an exception:
/// [`Error::Broker`] keeps its code and remark, any other error becomes `SYSTEM_ERROR` (1)
/// with the error text as remark.
///
/// Implement it with an `async fn`, or pass a closure
/// `Fn(RequestContext, RemotingCommand) -> impl Future<Output = Result<Option<RemotingCommand>>>`:
///
/// ```
/// use rocketmq::protocol::RemotingCommand;
/// use rocketmq::remoting::{RequestContext, RequestHandler};
///
/// struct Echo;
///
/// impl RequestHandler for Echo {
///     async fn handle(
///         &self,
///         _ctx: RequestContext,
///         request: RemotingCommand,
///     ) -> rocketmq::Result<Option<RemotingCommand>> {
///         Ok(Some(RemotingCommand { code: 0, ..request }))
///     }
/// }
/// ```
pub trait RequestHandler: Send + Sync + 'static {
    /// Handles one request; see the trait documentation for how the result is sent.
    fn handle(
        &self,
        ctx: RequestContext,
        request: RemotingCommand,
    ) -> impl Future<Output = Result<Option<RemotingCommand>>> + Send;
}

impl<F, Fut> RequestHandler for F
where
    F: Fn(RequestContext, RemotingCommand) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Option<RemotingCommand>>> + Send,
{
    fn handle(
        &self,
        ctx: RequestContext,
        request: RemotingCommand,
    ) -> impl Future<Output = Result<Option<RemotingCommand>>> + Send {
        self(ctx, request)
    }
}

/// The object-safe form of [`RequestHandler`], so handlers of different types share a table.
trait DynHandler: Send + Sync + 'static {
    fn call(
        self: Arc<Self>,
        ctx: RequestContext,
        request: RemotingCommand,
    ) -> BoxFuture<Result<Option<RemotingCommand>>>;
}

impl<H: RequestHandler> DynHandler for H {
    fn call(
        self: Arc<Self>,
        ctx: RequestContext,
        request: RemotingCommand,
    ) -> BoxFuture<Result<Option<RemotingCommand>>> {
        Box::pin(async move { self.handle(ctx, request).await })
    }
}

/// What a handler knows about the request's connection.
///
/// [`connection`](Self::connection) is a handle to the peer that sent the request: a
/// server-side processor can keep it and later send requests *to* that client, the way a
/// broker sends `NOTIFY_CONSUMER_IDS_CHANGED` or `CHECK_TRANSACTION_STATE`.
#[derive(Clone, Debug)]
pub struct RequestContext {
    connection: Connection,
}

impl RequestContext {
    pub(crate) fn new(connection: Connection) -> Self {
        Self { connection }
    }

    /// The connection the request arrived on.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// The peer's address, `host:port`.
    pub fn peer_addr(&self) -> &str {
        self.connection.peer_addr()
    }

    /// The connection's id, unique within the client or server that owns it.
    pub fn connection_id(&self) -> u64 {
        self.connection.id()
    }
}

/// The handlers of one endpoint by request code, plus an optional fallback for codes with
/// no handler of their own (Java's default request processor).
#[derive(Clone, Default)]
pub(crate) struct Router {
    by_code: HashMap<i32, Arc<dyn DynHandler>>,
    fallback: Option<Arc<dyn DynHandler>>,
}

impl Router {
    pub(crate) fn insert(&mut self, code: RequestCode, handler: impl RequestHandler) {
        self.by_code.insert(code.0, Arc::new(handler));
    }

    pub(crate) fn set_fallback(&mut self, handler: impl RequestHandler) {
        self.fallback = Some(Arc::new(handler));
    }

    fn lookup(&self, code: i32) -> Option<Arc<dyn DynHandler>> {
        self.by_code
            .get(&code)
            .or(self.fallback.as_ref())
            .map(Arc::clone)
    }
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut codes: Vec<i32> = self.by_code.keys().copied().collect();
        codes.sort_unstable();
        f.debug_struct("Router")
            .field("codes", &codes)
            .field("fallback", &self.fallback.is_some())
            .finish()
    }
}

/// What a request with no handler is answered with (Java's wording).
pub(crate) fn not_supported(request: &RemotingCommand) -> RemotingCommand {
    wire::response_to(
        request,
        ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
        Some(format!(" request type {} not supported", request.code)),
    )
}

/// What a request is answered with when too many handlers are already running.
pub(crate) fn busy(request: &RemotingCommand) -> RemotingCommand {
    wire::response_to(
        request,
        ResponseCode::SYSTEM_BUSY,
        Some("[OVERLOAD]system busy, start flow control for a while".to_owned()),
    )
}

/// A handler chosen for one received request.
pub(crate) struct Route(Arc<dyn DynHandler>);

impl Router {
    pub(crate) fn route(&self, code: i32) -> Option<Route> {
        self.lookup(code).map(Route)
    }
}

impl Route {
    /// Runs the hooks and the handler for one received request and returns the response
    /// to write, already carrying the request's opaque and the response flag (`None` for a
    /// oneway request or a handler that answered nothing).
    pub(crate) async fn run(
        self,
        endpoint: Arc<Endpoint>,
        ctx: RequestContext,
        mut request: RemotingCommand,
    ) -> Option<RemotingCommand> {
        let hooks = &endpoint.config.hooks;
        let oneway = request.is_oneway();
        let reply_to = wire::ReplyTo::of(&request);
        let in_request_type = endpoint.config.reply_in_request_type;
        if hooks.is_empty() {
            let response = self.call(reply_to, in_request_type, ctx, request).await;
            return if oneway { None } else { response };
        }
        let addr = ctx.peer_addr().to_owned();
        let (response, request) = match hooks.before(&addr, &mut request) {
            Err(err) => (Some(error_response(reply_to, &err)), request),
            Ok(()) => {
                // The handler takes the request by value; keep a copy for the hooks.
                let kept = request.clone();
                (
                    self.call(reply_to, in_request_type, ctx, request).await,
                    kept,
                )
            }
        };
        if oneway {
            return None;
        }
        let response = response?;
        hooks.after(&addr, &request, &response);
        Some(response)
    }

    /// Runs the handler and makes what it returns the response to the request.
    async fn call(
        self,
        reply_to: wire::ReplyTo,
        in_request_type: bool,
        ctx: RequestContext,
        request: RemotingCommand,
    ) -> Option<RemotingCommand> {
        match self.0.call(ctx, request).await {
            Ok(Some(mut response)) => {
                reply_to.mark(&mut response, in_request_type);
                Some(response)
            }
            Ok(None) => None,
            Err(err) => {
                let mut response = error_response(reply_to, &err);
                if let Error::Broker { .. } = err {
                    // A response the handler chose, like a Java processor's returned one.
                    reply_to.mark(&mut response, in_request_type);
                }
                Some(response)
            }
        }
    }
}

/// The response Java writes when a processor throws.
fn error_response(reply_to: wire::ReplyTo, err: &Error) -> RemotingCommand {
    match err {
        Error::Broker { code, remark } => reply_to.response(*code, remark.clone()),
        other => reply_to.response(ResponseCode::SYSTEM_ERROR, Some(other.to_string())),
    }
}
