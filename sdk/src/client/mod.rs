//! The client core shared by producers and consumers (Java's `ClientConfig` and
//! `MQClientInstance`): name servers, connections, the topic route cache and broker table,
//! heartbeats, the client id, namespaces and the VIP channel.
//!
//! A [`Client`] is built once per configuration and shared by handing clones to producers
//! and consumers. Consumers plug in through [`Client::register_consumer`] (their heartbeat
//! data) and [`Client::set_request_handler`] (requests brokers send to consumers).
//!
//! Behaviour mirrored from Java, with its defaults: routes of used topics refreshed every
//! 30 s and after failures, heartbeats every 30 s (masters only until the client has a
//! consumer), client id `ip@instance[@unit]` with the instance `DEFAULT` replaced by
//! `<pid>#<nanos>`, name servers from the builder, `NAMESRV_ADDR` or
//! `rocketmq.namesrv.addr`, namespace wrapping of `NamespaceUtil`, VIP port = port - 2.

mod config;
mod groups;
mod instance;
pub mod namespace;
mod reconnect;
mod route;

pub use config::{
    CLIENT_NAME_PROPERTY, ClientConfig, DEFAULT_INSTANCE_NAME, NAMESRV_ADDR_ENV,
    NAMESRV_ADDR_PROPERTY, vip_addr,
};
pub use groups::ConsumerGroup;
pub use instance::{Client, ClientBuilder, GroupRegistration};
pub use route::{TopicRouteInfo, perm};

pub(crate) use groups::{BoxFuture, CheckTransaction, TransactionCheck};
pub(crate) use instance::is_transport_error;
