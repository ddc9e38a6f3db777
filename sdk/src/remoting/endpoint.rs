//! What the connections of one client or one server share: handlers, hooks, the opaque
//! counter, the in-flight permits and the frame settings.

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::handler::{RequestHandler, Router};
use super::hook::{Hooks, RpcHook};
use crate::protocol::RequestCode;
use crate::{Error, Result};

/// Java's `semaphoreAsync` / `semaphoreOneway` default (65535 each).
pub(crate) const DEFAULT_PERMITS: usize = 65_535;
/// Outgoing frames queued per connection before senders wait.
pub(crate) const DEFAULT_QUEUE: usize = 1024;

/// Settings shared by the client and server builders.
#[derive(Debug, Clone)]
pub(crate) struct EndpointConfig {
    pub(crate) router: Router,
    pub(crate) hooks: Hooks,
    pub(crate) max_async: usize,
    pub(crate) max_oneway: usize,
    pub(crate) max_handlers: usize,
    pub(crate) queue: usize,
    pub(crate) max_frame: usize,
    /// Answer a handled request in the serialize type it came in (Java 4.9.x) instead of
    /// JSON (Java 5.x).
    pub(crate) reply_in_request_type: bool,
}

impl EndpointConfig {
    pub(crate) fn new(max_handlers: usize) -> Self {
        Self {
            router: Router::default(),
            hooks: Hooks::default(),
            max_async: DEFAULT_PERMITS,
            max_oneway: DEFAULT_PERMITS,
            max_handlers,
            queue: DEFAULT_QUEUE,
            max_frame: crate::codec::DEFAULT_MAX_FRAME_LEN,
            reply_in_request_type: false,
        }
    }

    pub(crate) fn handler(&mut self, code: RequestCode, handler: impl RequestHandler) {
        self.router.insert(code, handler);
    }

    pub(crate) fn fallback(&mut self, handler: impl RequestHandler) {
        self.router.set_fallback(handler);
    }

    pub(crate) fn hook(&mut self, hook: impl RpcHook) {
        self.hooks.push(Arc::new(hook));
    }

    pub(crate) fn build(self) -> Arc<Endpoint> {
        Arc::new(Endpoint {
            async_permits: Arc::new(Semaphore::new(self.max_async.min(Semaphore::MAX_PERMITS))),
            oneway_permits: Arc::new(Semaphore::new(self.max_oneway.min(Semaphore::MAX_PERMITS))),
            handler_permits: Arc::new(Semaphore::new(
                self.max_handlers.min(Semaphore::MAX_PERMITS),
            )),
            opaque: AtomicI32::new(0),
            next_id: AtomicU64::new(1),
            config: self,
        })
    }
}

/// The shared state built from an [`EndpointConfig`].
#[derive(Debug)]
pub(crate) struct Endpoint {
    pub(crate) config: EndpointConfig,
    async_permits: Arc<Semaphore>,
    oneway_permits: Arc<Semaphore>,
    pub(crate) handler_permits: Arc<Semaphore>,
    opaque: AtomicI32,
    next_id: AtomicU64,
}

/// Which in-flight limit a request counts against.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Permit {
    Async,
    Oneway,
}

impl Endpoint {
    /// The next request opaque (wraps around like Java's `AtomicInteger`).
    pub(crate) fn next_opaque(&self) -> i32 {
        self.opaque.fetch_add(1, Ordering::Relaxed)
    }

    /// The next connection id.
    pub(crate) fn next_connection_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Waits until `deadline` for an in-flight permit, then gives up with
    /// [`Error::TooManyRequests`].
    pub(crate) async fn acquire(
        &self,
        kind: Permit,
        deadline: Instant,
    ) -> Result<OwnedSemaphorePermit> {
        let (semaphore, limit) = match kind {
            Permit::Async => (&self.async_permits, self.config.max_async),
            Permit::Oneway => (&self.oneway_permits, self.config.max_oneway),
        };
        match tokio::time::timeout_at(deadline, Arc::clone(semaphore).acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            // The semaphores are never closed; treat it as shut down if one ever is.
            Ok(Err(_closed)) => Err(Error::Shutdown),
            Err(_elapsed) => Err(Error::TooManyRequests { limit }),
        }
    }

    /// Converts a caller's timeout into a deadline, saturating absurdly long timeouts.
    pub(crate) fn deadline(timeout: Duration) -> Instant {
        let now = Instant::now();
        now.checked_add(timeout)
            .unwrap_or_else(|| now + Duration::from_secs(86_400 * 365))
    }
}
