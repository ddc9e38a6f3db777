//! Handlers for requests a peer sends us: broker-initiated requests on a client
//! connection, and every request on a server connection (Java's `NettyRequestProcessor`
//! and the processor table of `NettyRemotingAbstract`).

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::OwnedSemaphorePermit;
use tracing::warn;

use super::Connection;
use super::endpoint::Endpoint;
use super::wire;
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};
use crate::{Error, Result};

/// A boxed, sendable future, as returned by the object-safe side of the handler traits.
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What a [`RunHandler`] returns for a run: one result per request.
pub(crate) type RunResults = Vec<Result<Option<RemotingCommand>>>;

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

/// What [`RunHandler::prepare`] makes of one request.
#[derive(Debug)]
pub enum Prepared<P> {
    /// The request is answered already (a refusal, say): it takes no part in the run.
    /// `None` sends nothing.
    Answered(Option<RemotingCommand>),
    /// The request joins the run and is answered by [`RunHandler::handle_run`].
    Joined(P),
}

/// Answers the requests of one or more request codes in runs, for handlers whose work
/// is cheaper done for many requests at once (broker-lite's sends: one store append for
/// all the messages that arrived together).
///
/// Registered with [`RemotingServerBuilder::run_handler`](super::RemotingServerBuilder::run_handler).
/// A *run* is a sequence of requests for this handler that one read of a connection yields
/// back to back: the connection reads what has arrived (up to 32 frames), and consecutive
/// requests whose codes are registered to the same `RunHandler` form one run; any other
/// request ends it. Each request of the run is first passed to
/// [`prepare`](Self::prepare), on the connection's task, as soon as it is read; then,
/// once the run has ended, [`handle_run`](Self::handle_run) gets every request that
/// joined it, in arrival order, and returns one result per request. A run is often a
/// single request.
///
/// Everything [`RequestHandler`] promises holds per request: RPC hooks run before
/// `prepare` and after the response, each request takes a handler permit (beyond the
/// server's limit it is answered `SYSTEM_BUSY` alone), results are turned into responses
/// (marked, errors answered like Java answers an exception) one by one, oneway requests
/// get no response, and the responses go out in the order the requests came in. A
/// panic in `prepare` fails only its request (no response, as for a panicking
/// [`RequestHandler`]); a panic in `handle_run` fails every request that joined the run.
///
/// `handle_run` is first polled on the connection's task; a run that has to wait goes on
/// in a task of its own, like a waiting [`RequestHandler`]. Neither method may block the
/// thread.
///
/// ```
/// use rocketmq::protocol::{RemotingCommand, ResponseCode};
/// use rocketmq::remoting::{Prepared, RequestContext, RunHandler};
///
/// /// Answers each request with the number of requests of its run.
/// struct Counter;
///
/// impl RunHandler for Counter {
///     type Prepared = i32;
///
///     fn prepare(
///         &self,
///         _ctx: &RequestContext,
///         request: RemotingCommand,
///     ) -> rocketmq::Result<Prepared<i32>> {
///         Ok(Prepared::Joined(request.opaque))
///     }
///
///     async fn handle_run(
///         &self,
///         _ctx: RequestContext,
///         run: Vec<i32>,
///     ) -> Vec<rocketmq::Result<Option<RemotingCommand>>> {
///         let n = run.len();
///         run.iter()
///             .map(|_| Ok(Some(RemotingCommand::response(ResponseCode::SUCCESS).with_remark(n.to_string()))))
///             .collect()
///     }
/// }
/// ```
pub trait RunHandler: Send + Sync + 'static {
    /// What [`prepare`](Self::prepare) keeps of a request for [`handle_run`](Self::handle_run).
    type Prepared: Send + 'static;

    /// Checks and prepares one request as soon as it is read. An error is answered as a
    /// [`RequestHandler`]'s error is.
    fn prepare(
        &self,
        ctx: &RequestContext,
        request: RemotingCommand,
    ) -> Result<Prepared<Self::Prepared>>;

    /// Handles the requests of one run, in arrival order, and returns one result per
    /// request, in the same order (a missing result is answered `SYSTEM_ERROR`; extra
    /// ones are ignored).
    fn handle_run(
        &self,
        ctx: RequestContext,
        run: Vec<Self::Prepared>,
    ) -> impl Future<Output = Vec<Result<Option<RemotingCommand>>>> + Send;
}

/// The object-safe form of [`RunHandler`]: a collector per run hides `Prepared`.
trait DynRunHandler: Send + Sync + 'static {
    fn collector(self: Arc<Self>) -> Box<dyn Collect>;
}

impl<H: RunHandler> DynRunHandler for H {
    fn collector(self: Arc<Self>) -> Box<dyn Collect> {
        Box::new(Collector {
            handler: self,
            run: Vec::new(),
        })
    }
}

/// The requests of one run a handler has prepared.
trait Collect: Send {
    /// [`RunHandler::prepare`]; a joined request is kept in the collector.
    fn prepare(&mut self, ctx: &RequestContext, request: RemotingCommand) -> Result<Prepared<()>>;

    /// How many requests joined.
    fn joined(&self) -> usize;

    /// [`RunHandler::handle_run`] over the joined requests.
    fn handle(self: Box<Self>, ctx: RequestContext) -> BoxFuture<RunResults>;
}

struct Collector<H: RunHandler> {
    handler: Arc<H>,
    run: Vec<H::Prepared>,
}

impl<H: RunHandler> Collect for Collector<H> {
    fn prepare(&mut self, ctx: &RequestContext, request: RemotingCommand) -> Result<Prepared<()>> {
        Ok(match self.handler.prepare(ctx, request)? {
            Prepared::Answered(answer) => Prepared::Answered(answer),
            Prepared::Joined(prepared) => {
                self.run.push(prepared);
                Prepared::Joined(())
            }
        })
    }

    fn joined(&self) -> usize {
        self.run.len()
    }

    fn handle(self: Box<Self>, ctx: RequestContext) -> BoxFuture<RunResults> {
        let Collector { handler, run } = *self;
        Box::pin(async move { handler.handle_run(ctx, run).await })
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
    by_code: HashMap<i32, Entry>,
    fallback: Option<Arc<dyn DynHandler>>,
}

/// A handler of single requests or of runs.
#[derive(Clone)]
enum Entry {
    One(Arc<dyn DynHandler>),
    Run(Arc<dyn DynRunHandler>),
}

impl Router {
    pub(crate) fn insert(&mut self, code: RequestCode, handler: impl RequestHandler) {
        self.by_code.insert(code.0, Entry::One(Arc::new(handler)));
    }

    /// Registers one run handler for several codes: their requests share runs.
    pub(crate) fn insert_run(&mut self, codes: &[RequestCode], handler: impl RunHandler) {
        let handler: Arc<dyn DynRunHandler> = Arc::new(handler);
        for code in codes {
            self.by_code
                .insert(code.0, Entry::Run(Arc::clone(&handler)));
        }
    }

    pub(crate) fn set_fallback(&mut self, handler: impl RequestHandler) {
        self.fallback = Some(Arc::new(handler));
    }
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut codes: Vec<i32> = self.by_code.keys().copied().collect();
        codes.sort_unstable();
        let mut run_codes: Vec<i32> = self
            .by_code
            .iter()
            .filter(|(_, e)| matches!(e, Entry::Run(_)))
            .map(|(code, _)| *code)
            .collect();
        run_codes.sort_unstable();
        f.debug_struct("Router")
            .field("codes", &codes)
            .field("run_codes", &run_codes)
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

/// The handler chosen for one received request.
pub(crate) enum Dispatch {
    /// A [`RequestHandler`].
    One(Route),
    /// A [`RunHandler`].
    Run(RunRoute),
}

/// A [`RequestHandler`] chosen for one received request.
pub(crate) struct Route(Arc<dyn DynHandler>);

/// A [`RunHandler`] chosen for one received request.
pub(crate) struct RunRoute(Arc<dyn DynRunHandler>);

impl RunRoute {
    /// Whether both are the same handler (requests for it may share a run).
    pub(crate) fn same_handler(&self, other: &RunRoute) -> bool {
        std::ptr::addr_eq(Arc::as_ptr(&self.0), Arc::as_ptr(&other.0))
    }
}

impl Router {
    pub(crate) fn route(&self, code: i32) -> Option<Dispatch> {
        match self.by_code.get(&code) {
            Some(Entry::One(h)) => Some(Dispatch::One(Route(Arc::clone(h)))),
            Some(Entry::Run(h)) => Some(Dispatch::Run(RunRoute(Arc::clone(h)))),
            None => self
                .fallback
                .as_ref()
                .map(|h| Dispatch::One(Route(Arc::clone(h)))),
        }
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
        answer(reply_to, in_request_type, self.0.call(ctx, request).await)
    }
}

/// Makes what a handler returned the response to its request.
fn answer(
    reply_to: wire::ReplyTo,
    in_request_type: bool,
    result: Result<Option<RemotingCommand>>,
) -> Option<RemotingCommand> {
    match result {
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

/// The requests of one run on one connection, collected as they are read (see
/// [`RunHandler`]).
pub(crate) struct Run {
    route: RunRoute,
    collect: Box<dyn Collect>,
    endpoint: Arc<Endpoint>,
    ctx: RequestContext,
    answers: Answers,
}

/// The requests of a run, in arrival order, until their responses are made.
pub(crate) struct Answers {
    slots: Vec<Slot>,
    endpoint: Arc<Endpoint>,
    peer: Connection,
}

/// One request of a run.
struct Slot {
    reply_to: wire::ReplyTo,
    oneway: bool,
    /// Held until the response is queued.
    _permit: Option<OwnedSemaphorePermit>,
    /// The request as the after-hooks see it (kept only when there are hooks).
    kept: Option<Box<RemotingCommand>>,
    /// `Joined` while the run's handler owes the answer; else the response (final).
    state: SlotState,
}

/// Where a request of a run stands. Boxed answers keep slots small: most requests of a
/// run are answered by the run handler.
enum SlotState {
    /// The run's handler owes the answer.
    Joined,
    /// Answered already: the final response (`None`: nothing to send).
    Answered(Option<Box<RemotingCommand>>),
}

impl SlotState {
    fn answered(response: Option<RemotingCommand>) -> Self {
        SlotState::Answered(response.map(Box::new))
    }
}

impl Run {
    /// An empty run for `route` on `connection`.
    pub(crate) fn new(route: RunRoute, connection: &Connection) -> Self {
        let endpoint = Arc::clone(connection.endpoint());
        Run {
            collect: Arc::clone(&route.0).collector(),
            route,
            ctx: RequestContext::new(connection.clone()),
            answers: Answers {
                slots: Vec::new(),
                endpoint: Arc::clone(&endpoint),
                peer: connection.clone(),
            },
            endpoint,
        }
    }

    /// Whether a request routed to `route` may join this run.
    pub(crate) fn takes(&self, route: &RunRoute) -> bool {
        self.route.same_handler(route)
    }

    /// Adds a request: takes a handler permit (or answers `SYSTEM_BUSY`), runs the
    /// before-hooks and the handler's `prepare`.
    pub(crate) fn add(&mut self, request: RemotingCommand) {
        let oneway = request.is_oneway();
        let reply_to = wire::ReplyTo::of(&request);
        let mut slot = Slot {
            reply_to,
            oneway,
            _permit: None,
            kept: None,
            state: SlotState::Joined,
        };
        let Ok(permit) = Arc::clone(&self.endpoint.handler_permits).try_acquire_owned() else {
            slot.state = SlotState::answered(Some(busy(&request)));
            self.answers.slots.push(slot);
            return;
        };
        slot._permit = Some(permit);
        let mut request = request;
        let hooks = &self.endpoint.config.hooks;
        if !hooks.is_empty() {
            let before = hooks.before(self.ctx.peer_addr(), &mut request);
            slot.kept = Some(Box::new(request.clone()));
            if let Err(err) = before {
                slot.state = SlotState::answered(Some(error_response(reply_to, &err)));
                self.answers.slots.push(slot);
                return;
            }
        }
        let in_request_type = self.endpoint.config.reply_in_request_type;
        // A panicking `prepare` fails only its request, as a panicking handler would.
        let prepared = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.collect.prepare(&self.ctx, request)
        }));
        slot.state = match prepared {
            Err(_panic) => {
                warn!(peer = self.ctx.peer_addr(), "request handler panicked");
                return;
            }
            Ok(Ok(Prepared::Joined(()))) => SlotState::Joined,
            Ok(Ok(Prepared::Answered(answered))) => {
                SlotState::answered(answer(reply_to, in_request_type, Ok(answered)))
            }
            Ok(Err(err)) => SlotState::answered(answer(reply_to, in_request_type, Err(err))),
        };
        self.answers.slots.push(slot);
    }

    /// Ends the run: the handler's future for the joined requests (`None` when none
    /// joined) and what makes their responses.
    pub(crate) fn finish(self) -> (Option<BoxFuture<RunResults>>, Answers) {
        let handling = (self.collect.joined() > 0).then(|| self.collect.handle(self.ctx));
        (handling, self.answers)
    }
}

impl Answers {
    /// The responses to send, in arrival order, given the run handler's results (`None`
    /// when it panicked: the joined requests get no response). Runs the after-hooks.
    /// The handler permits stay held until `self` is dropped.
    pub(crate) fn responses(&mut self, results: Option<RunResults>) -> Vec<RemotingCommand> {
        let hooks = &self.endpoint.config.hooks;
        let in_request_type = self.endpoint.config.reply_in_request_type;
        let mut results = results.map(Vec::into_iter);
        let mut out = Vec::with_capacity(self.slots.len());
        for slot in &mut self.slots {
            let response = match std::mem::replace(&mut slot.state, SlotState::Answered(None)) {
                SlotState::Answered(answered) => answered.map(|response| *response),
                SlotState::Joined => match results.as_mut().map(Iterator::next) {
                    None => None,
                    Some(Some(result)) => answer(slot.reply_to, in_request_type, result),
                    Some(None) => {
                        warn!(
                            peer = self.peer.peer_addr(),
                            "run handler returned fewer results than requests"
                        );
                        Some(slot.reply_to.response(
                            ResponseCode::SYSTEM_ERROR,
                            Some("request handler returned no result".to_owned()),
                        ))
                    }
                },
            };
            let Some(response) = response.filter(|_| !slot.oneway) else {
                continue;
            };
            if let Some(kept) = &slot.kept {
                hooks.after(self.peer.peer_addr(), kept, &response);
            }
            out.push(response);
        }
        out
    }
}

/// The response Java writes when a processor throws.
fn error_response(reply_to: wire::ReplyTo, err: &Error) -> RemotingCommand {
    match err {
        Error::Broker { code, remark } => reply_to.response(*code, remark.clone()),
        other => reply_to.response(ResponseCode::SYSTEM_ERROR, Some(other.to_string())),
    }
}
