//! The client settings every consumer builder offers, and building (or taking) the
//! [`Client`].

use crate::client::{Client, ClientBuilder};
use crate::{Error, Result};

/// Either a client given to the builder, or settings to build one.
#[derive(Debug)]
pub(crate) struct ClientChoice {
    given: Option<Client>,
    builder: ClientBuilder,
    settings: bool,
}

impl Default for ClientChoice {
    fn default() -> Self {
        Self {
            given: None,
            builder: Client::builder(),
            settings: false,
        }
    }
}

impl ClientChoice {
    pub(crate) fn give(&mut self, client: Client) {
        self.given = Some(client);
    }

    pub(crate) fn set(&mut self, f: impl FnOnce(ClientBuilder) -> ClientBuilder) {
        let builder = std::mem::take(&mut self.builder);
        self.builder = f(builder);
        self.settings = true;
    }

    /// The client and whether the consumer owns it (built it).
    pub(crate) fn build(self, what: &str) -> Result<(Client, bool)> {
        match self.given {
            Some(_) if self.settings => Err(Error::Config(format!(
                "a {what} given a client takes its settings from it; set name server, namespace \
                 and the other client settings on the client"
            ))),
            Some(client) => Ok((client, false)),
            None => Ok((self.builder.build()?, true)),
        }
    }
}

/// The client setters of a consumer builder whose `client` field is a [`ClientChoice`].
macro_rules! client_setters {
    () => {
        /// Uses `client` (shared with producers and other consumers) instead of building
        /// one. Default: the consumer builds its own from the client settings here.
        pub fn client(mut self, client: $crate::client::Client) -> Self {
            self.client.give(client);
            self
        }

        /// Name server addresses, `;`-separated. Default: `NAMESRV_ADDR`, then
        /// `rocketmq.namesrv.addr` from the environment.
        pub fn namesrv_addr(mut self, addrs: impl Into<String>) -> Self {
            self.client.set(|b| b.namesrv_addr(addrs));
            self
        }

        /// The namespace topics and the group are wrapped in. Default: none.
        pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
            self.client.set(|b| b.namespace(namespace));
            self
        }

        /// The client's instance name. Default: `DEFAULT` (`<pid>#<nanos>`).
        pub fn instance_name(mut self, name: impl Into<String>) -> Self {
            self.client.set(|b| b.instance_name(name));
            self
        }

        /// The client IP reported to brokers. Default: the host's routing address.
        pub fn client_ip(mut self, ip: impl Into<String>) -> Self {
            self.client.set(|b| b.client_ip(ip));
            self
        }

        /// Talks to the brokers' VIP port (port - 2). Default: off.
        pub fn vip_channel(mut self, on: bool) -> Self {
            self.client.set(|b| b.vip_channel(on));
            self
        }

        /// Adds an RPC hook (e.g. ACL signing) to the consumer's client. Default: none.
        pub fn rpc_hook(mut self, hook: impl $crate::remoting::RpcHook) -> Self {
            self.client.set(|b| b.rpc_hook(hook));
            self
        }

        /// Signs every request of the consumer's client with `credentials`, for brokers
        /// with ACL enabled (see [`crate::acl`]). Default: none; never read from files or
        /// the environment.
        pub fn credentials(mut self, credentials: $crate::acl::Credentials) -> Self {
            self.client.set(|b| b.credentials(credentials));
            self
        }

        /// How request headers are serialized. Default: `ROCKETMQ_SERIALIZE_TYPE`, else
        /// JSON.
        pub fn serialize_type(mut self, kind: $crate::protocol::SerializeType) -> Self {
            self.client.set(|b| b.serialize_type(kind));
            self
        }

        /// How often the brokers get a heartbeat. Default: 30 s.
        pub fn heartbeat_interval(mut self, every: std::time::Duration) -> Self {
            self.client.set(|b| b.heartbeat_interval(every));
            self
        }

        /// Whether each new connection to a broker gets a heartbeat at once, then a
        /// rebalance (Java 5.x's `enableHeartbeatChannelEventListener`). Default: `true`.
        pub fn heartbeat_on_connect(mut self, on: bool) -> Self {
            self.client.set(|b| b.heartbeat_on_connect(on));
            self
        }

        /// How often routes are fetched again. Default: 30 s.
        pub fn route_refresh_interval(mut self, every: std::time::Duration) -> Self {
            self.client.set(|b| b.route_refresh_interval(every));
            self
        }
    };
}

pub(crate) use client_setters;
