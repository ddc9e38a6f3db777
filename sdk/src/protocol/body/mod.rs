//! JSON bodies (Java `RemotingSerializable` subclasses), compatible with fastjson.
//!
//! Each type is a plain serde struct with Java's field names on the wire and idiomatic
//! names in Rust; all implement [`JsonBody`]. Conventions:
//! * Java `Set`s are `Vec`s, kept in the order read, so a body re-encodes as received;
//! * Java `HashMap`s are [`LinkedMap`]s, kept in the order read for the same reason, and
//!   Java `TreeMap`s are `BTreeMap`s (same order); `Map<MessageQueue, _>` keys are written
//!   as JSON objects and `Map<Long, _>` keys as bare numbers, as fastjson does;
//! * fields that only 5.x has are `Option`s, absent when talking to 4.x;
//! * Java enums are Rust enums written by Java name, with an `Unknown` variant for names a
//!   newer Java may add;
//! * missing fields take Java's defaults and unknown fields are ignored, as in fastjson.

mod config;
mod connection;
mod enums;
mod heartbeat;
mod linked_map;
mod queue_ops;
mod register_broker;
mod route;
mod running;
mod tables;

pub use config::{
    CustomizedRetryPolicy, DataVersion, ExponentialRetryPolicy, GroupRetryPolicy,
    SimpleSubscriptionData, SubscriptionGroupConfig, SubscriptionGroupTable, TopicConfig,
    TopicConfigTable,
};
pub use connection::{Connection, ConsumerConnection, ConsumerList, ProducerConnection};
pub use enums::{
    ConsumeFromWhere, ConsumeType, ExpressionType, GroupRetryPolicyType, MessageModel,
    TopicFilterType,
};
pub use heartbeat::{ConsumerData, Heartbeat, ProducerData, SubscriptionData};
pub use linked_map::LinkedMap;
pub use queue_ops::{
    ConsumeOffset, ConsumeStats, ConsumeTimeSpans, LockBatchRequest, LockBatchResponse,
    QueueTimeSpan, ResetOffset, TopicOffset, TopicStats, UnlockBatchRequest,
};
pub use register_broker::{MAX_REGISTER_BODY, RegisterBrokerBody};
pub use route::{BrokerData, ClusterInfo, MASTER_ID, QueueData, TopicQueueMappingInfo, TopicRoute};
pub use running::{
    ConsumeStatus, ConsumerRunningInfo, PopProcessQueueInfo, ProcessQueueInfo, prop,
};
pub use tables::{KvTable, TopicList};

use crate::protocol::json::JsonBody;

impl JsonBody for TopicRoute {}
impl JsonBody for ClusterInfo {}
impl JsonBody for Heartbeat {}
impl JsonBody for LockBatchRequest {}
impl JsonBody for LockBatchResponse {}
impl JsonBody for UnlockBatchRequest {}
impl JsonBody for TopicList {}
impl JsonBody for KvTable {}
impl JsonBody for ConsumeStats {}
impl JsonBody for TopicStats {}
impl JsonBody for ConsumerConnection {}
impl JsonBody for ProducerConnection {}
impl JsonBody for ConsumerList {}
impl JsonBody for ConsumerRunningInfo {}
impl JsonBody for ResetOffset {}
impl JsonBody for TopicConfigTable {}
impl JsonBody for TopicConfig {}
impl JsonBody for SubscriptionGroupTable {}
impl JsonBody for ConsumeTimeSpans {}
impl JsonBody for DataVersion {}
impl JsonBody for TopicQueueMappingInfo {}
