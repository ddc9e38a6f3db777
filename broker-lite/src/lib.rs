//! broker-lite: a small name server + broker + store speaking RocketMQ's remoting
//! protocol, for tests and development.
//!
//! Library first: [`run`] serves both roles (or one) on given listeners until a shutdown
//! future completes; [`BrokerLite`] embeds both on `127.0.0.1:0` over a temporary
//! directory (tests, benchmarks, examples); [`namesrv::NameServer`] and
//! [`broker::Broker`] run one role each. [`config`] holds the TOML/serde settings, the
//! store is [`store`], and the `broker-lite` binary is a thin clap wrapper. Everything
//! reuses `rocketmq::protocol` and the server side of `rocketmq::remoting`.
//!
//! ```no_run
//! # async fn demo() -> broker_lite::Result<()> {
//! let lite = broker_lite::BrokerLite::start().await?;
//! // Point a producer or consumer at lite.namesrv_addr() ...
//! lite.shutdown().await;
//! # Ok(()) }
//! ```

pub mod broker;
pub mod config;
mod embedded;
pub mod error;
pub mod namesrv;
pub mod store;

pub use embedded::{BrokerLite, BrokerLiteBuilder, Listeners, run};
pub use error::{Error, Result};
