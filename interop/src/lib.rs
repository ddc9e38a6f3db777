//! Test-only harness for the real Java RocketMQ.
//!
//! `scripts/fetch-java.sh` puts Apache RocketMQ 4.9.8 and the newest 5.x release (jars from
//! Maven Central) plus our small Java programs into a cache outside the repository; this
//! crate starts those on loopback for tests:
//!
//! - [`JavaVersion`]: the cached releases and how to launch their classes.
//! - [`JavaCluster`]: a name server + single-master broker on free ports in a scratch
//!   directory, with the Java mqadmin ([`JavaCluster::admin`]) and the Java client
//!   ([`JavaCluster::java_produce`]) at hand. Processes are killed by PID and the directory
//!   removed on [`JavaCluster::stop`] or drop (also when a test panics).
//!   [`JavaCluster::start_with_acl`] starts the broker with ACL enforced ([`JavaAcl`]).
//! - [`JavaBroker`]: a Java broker alone, registering with a name server the test gives
//!   (such as broker-lite's).
//! - [`clients`]: the Go (rocketmq-client-go v2) and Node.js (ali-ons) client programs built
//!   by `scripts/fetch-clients.sh`, and the check that what they sent was received intact.
//! - [`JavaNameServer`]: a Java name server alone, for broker-lite's broker to register with.
//! - [`JavaClient`]: the real Java client of one release through our programs in
//!   `interop/java/tools` (producer in every send mode, push consumer, message queries),
//!   against any name server; their output as [`SentMessage`], [`Delivery`],
//!   [`ReceivedMessage`].
//! - [`TxSpec`] / [`JavaClient::transaction_produce`]: the Java `TransactionMQProducer`
//!   (commit, rollback, unknown then settled by the broker's check).
//! - [`sdk_ops`]: SDK-only steps (create a topic, wait for a route, pull one message)
//!   shared by the tests and the demo.

mod acl;
mod broker;
pub mod clients;
mod cluster;
mod java;
mod java_client;
mod java_records;
mod java_tx;
mod namesrv;
mod ports;
mod process;
pub mod sdk_ops;

pub use acl::{AclAccount, JavaAcl};
pub use broker::JavaBroker;
pub use cluster::{JavaCluster, JavaSendRecord};
pub use java::{JavaVersion, cache_root};
pub use java_client::{
    ConsumeSpec, ConsumerRun, JavaClient, Lookup, ProduceSpec, QueryOutcome, RunningConsumer,
    SendMode,
};
pub use java_records::{
    Allocation, ConsumerEvent, Delivery, ReceivedMessage, SentMessage, check_each_once,
    message_mismatches,
};
pub use java_tx::{TxCheck, TxMode, TxRun, TxSent, TxSpec};
pub use namesrv::JavaNameServer;
pub use ports::ScratchDir;
