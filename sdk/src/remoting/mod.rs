//! Connections, request/reply matching, RPC hooks and the server side.
//!
//! Mirrors Java RocketMQ's `remoting` module (`NettyRemotingClient`,
//! `NettyRemotingServer`, `NettyRemotingAbstract`, `RPCHook`) in tokio terms:
//!
//! * every connection is one task that owns the socket, writes whole frames from a
//!   bounded queue and matches responses to requests by opaque; [`Connection`] is a cheap
//!   handle to it. Requests time out with [`Error::Timeout`](crate::Error::Timeout), and
//!   when the connection dies every waiting request fails at once with
//!   [`Error::ConnectionClosed`](crate::Error::ConnectionClosed);
//! * [`RemotingClient`] keeps one connection per peer address, opens it lazily and
//!   replaces it after a failure; asynchronous and oneway requests are bounded like Java's
//!   `semaphoreAsync`/`semaphoreOneway`;
//! * requests a peer sends (a broker's `CHECK_TRANSACTION_STATE` to a producer, or any
//!   request to a [`RemotingServer`]) go to a [`RequestHandler`] registered by request
//!   code, each in its own task; unknown codes are answered `REQUEST_CODE_NOT_SUPPORTED`;
//! * an [`RpcHook`] sees requests before they are sent or handled and responses after.

mod client;
mod connection;
mod connector;
mod driver;
mod endpoint;
mod handler;
mod hook;
mod pending;
mod server;
mod wire;

pub use client::{RemotingClient, RemotingClientBuilder};
pub use connection::{Connection, ResponseFuture};
pub use connector::{Connect, TcpConnector};
pub use handler::{Prepared, RequestContext, RequestHandler, RunHandler};
pub use hook::RpcHook;
pub use server::{RemotingServer, RemotingServerBuilder};
