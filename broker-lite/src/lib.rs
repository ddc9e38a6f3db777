//! broker-lite: a small name server + broker + store speaking RocketMQ's remoting
//! protocol, for tests and development.
//!
//! Library first: [`namesrv::run`] / [`namesrv::NameServer::start`] embed the name server
//! on any listener (tests use `127.0.0.1:0`); [`config`] holds the TOML/serde settings;
//! the `broker-lite` binary is a thin clap wrapper. The broker role is not built yet; the
//! store is [`store`]. Everything reuses `rocketmq::protocol` and the server side of
//! `rocketmq::remoting`.

pub mod broker;
pub mod config;
pub mod error;
pub mod namesrv;
pub mod store;

pub use error::{Error, Result};
