//! broker-lite: a small name server + broker + store speaking RocketMQ's remoting
//! protocol, for tests and development.
//!
//! Not built yet: this crate only reserves its place in the workspace. The broker,
//! name server and store arrive with their own issue and reuse `rocketmq::protocol`
//! and the server side of `rocketmq::remoting`.

pub mod error;
pub mod store;

pub use error::{Error, Result};
