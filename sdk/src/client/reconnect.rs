//! The heartbeat on a new broker connection (Java 5.x's
//! `enableHeartbeatChannelEventListener`, on by default there).
//!
//! When the client opens a connection to an address it knows as a broker's (any broker
//! id), it sends that broker the heartbeat at once, on that connection, and once the
//! broker has taken it asks every consumer of the client to rebalance. A broker that
//! restarted thus learns the client's groups on the first reconnect, not at the next
//! periodic heartbeat (30 s by default). The heartbeat never opens a connection itself,
//! so a broker that keeps dropping connections cannot make this loop. Connections to
//! name servers and to VIP ports (whose addresses are not in the broker table, as in
//! Java) get nothing.

use std::sync::{Arc, Weak};

use super::instance::Inner;
use crate::protocol::request::HeartBeat;
use crate::protocol::{FromResponse, Rpc};
use crate::remoting::Connection;

/// The `on_connect` hook of a client's remoting layer. Holds the client weakly: it lives
/// inside the client.
pub(super) fn hook(client: Weak<Inner>) -> impl Fn(&Connection) + Send + Sync + 'static {
    move |connection| {
        let Some(inner) = client.upgrade() else {
            return;
        };
        if !inner.config.heartbeat_on_connect || !inner.is_broker_addr(connection.peer_addr()) {
            return;
        }
        let Some(request) = inner.heartbeat_request() else {
            return;
        };
        let command = request
            .to_command()
            .with_serialize_type(inner.config.serialize_type);
        let connection = connection.clone();
        let groups = Arc::clone(&inner.groups);
        let shutdown = inner.shutdown.clone();
        let timeout = inner.config.request_timeout;
        tokio::spawn(async move {
            let reply = tokio::select! {
                reply = connection.invoke(command, timeout) => reply,
                () = shutdown.cancelled() => return,
            };
            match reply.and_then(<HeartBeat as Rpc>::Response::from_response) {
                Ok(()) => groups.rebalance_consumers(),
                Err(err) => {
                    tracing::debug!(broker = %connection.peer_addr(), %err, "heartbeat on connect failed");
                }
            }
        });
    }
}
