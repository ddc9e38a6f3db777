//! RPC hooks: code that sees every request before it leaves and every response after it
//! arrives (Java's `RPCHook`), e.g. to sign requests for ACL.

use crate::Result;
use crate::protocol::RemotingCommand;

/// Observes (and may amend) requests and responses at the remoting layer.
///
/// Mirrors Java's `RPCHook`. Registered on a [`RemotingClient`](super::RemotingClient) or a
/// [`RemotingServer`](super::RemotingServer), a hook is called:
///
/// * on the side that **sends** a request: [`before_request`](Self::before_request) just
///   before the request is queued for writing, and [`after_response`](Self::after_response)
///   when its response arrives (not for oneway requests, which have none);
/// * on the side that **receives** a request: `before_request` before the handler runs and
///   `after_response` with the response about to be written.
///
/// `addr` is the peer's address (`host:port`). Hooks run inline on the request path, so
/// they must be quick and must not block.
///
/// ```
/// use rocketmq::protocol::RemotingCommand;
/// use rocketmq::remoting::RpcHook;
///
/// /// Adds an access key to every request (real ACL signing also adds a signature).
/// struct AccessKey(String);
///
/// impl RpcHook for AccessKey {
///     fn before_request(&self, _addr: &str, request: &mut RemotingCommand) -> rocketmq::Result<()> {
///         request.ext_fields_mut().insert("AccessKey", self.0.clone());
///         Ok(())
///     }
/// }
/// ```
pub trait RpcHook: Send + Sync + 'static {
    /// Called before a request is sent, or before a received request is handled.
    ///
    /// Returning an error refuses the request: an outgoing request fails with that error
    /// without being sent; an incoming one is answered with an error response
    /// ([`Error::Broker`](crate::Error::Broker) keeps its code and remark, any other error
    /// becomes `SYSTEM_ERROR` with the error text as remark) and its handler is not run.
    fn before_request(&self, addr: &str, request: &mut RemotingCommand) -> Result<()> {
        let _ = (addr, request);
        Ok(())
    }

    /// Called with a request and its response: when a response arrives for a request this
    /// side sent, or when this side is about to write the response to a received request.
    fn after_response(&self, addr: &str, request: &RemotingCommand, response: &RemotingCommand) {
        let _ = (addr, request, response);
    }
}

/// The hooks registered on one endpoint, called in registration order.
#[derive(Clone, Default)]
pub(crate) struct Hooks {
    hooks: Vec<std::sync::Arc<dyn RpcHook>>,
}

impl Hooks {
    pub(crate) fn push(&mut self, hook: std::sync::Arc<dyn RpcHook>) {
        self.hooks.push(hook);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.hooks.is_empty()
    }

    /// Runs every `before_request`, stopping at the first refusal.
    pub(crate) fn before(&self, addr: &str, request: &mut RemotingCommand) -> Result<()> {
        self.hooks
            .iter()
            .try_for_each(|hook| hook.before_request(addr, request))
    }

    pub(crate) fn after(&self, addr: &str, request: &RemotingCommand, response: &RemotingCommand) {
        for hook in &self.hooks {
            hook.after_response(addr, request, response);
        }
    }
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("count", &self.hooks.len())
            .finish()
    }
}
