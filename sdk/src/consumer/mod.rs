//! Consumers: [`PushConsumer`] (Java `DefaultMQPushConsumer`), [`PullConsumer`] (Java
//! `DefaultMQPullConsumer`), and the pieces every consumer shares: subscriptions ([`Expression`]), queue allocation among a group's
//! members ([`AllocateStrategy`] and Java's six strategies), offset stores, and
//! [`ReceivedMessage`].
//!
//! Behaviour follows Java's client, defaults included; each item says which Java class it
//! mirrors.

mod allocate;
mod broker;
mod client_choice;
mod fetch;
mod message;
mod offset;
mod process_queue;
mod pull;
mod push;
mod queries;
mod send_back;
mod stats;
mod subscription;
mod tasks;

pub use allocate::{
    AllocateStrategy, Averagely, AveragelyByCircle, ByConfig, ByMachineRoom, ConsistentHash,
    HashFunction, MachineRoomNearby, MachineRoomResolver,
};
pub use fetch::PullResult;
pub use message::ReceivedMessage;
pub use pull::{PullConsumer, PullConsumerBuilder};
pub use push::{
    ConsumeContext, ConsumeFrom, ConsumeHook, ConsumeHookContext, ConsumeReturn, ConsumeStatus,
    MessageListener, MessageModel, OrderlyContext, OrderlyListener, OrderlyStatus, PushConsumer,
    PushConsumerBuilder,
};
pub use subscription::Expression;
