//! Consumers: [`PushConsumer`] (Java `DefaultMQPushConsumer`), [`LitePullConsumer`] (Java
//! `DefaultLitePullConsumer`), [`PullConsumer`] (Java `DefaultMQPullConsumer`), and the
//! pieces every consumer shares: subscriptions ([`Expression`]), queue allocation among a
//! group's members ([`AllocateStrategy`] and Java's six strategies), offset stores, and
//! [`ReceivedMessage`].
//!
//! Behaviour follows Java's client, defaults included; each item says which Java class it
//! mirrors.

mod allocate;
mod balance;
mod broker;
mod client_choice;
mod fetch;
mod group_setters;
mod lite;
mod loops;
mod message;
mod model;
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
pub use lite::{LitePullConsumer, LitePullConsumerBuilder};
pub use message::ReceivedMessage;
pub use model::{ConsumeFrom, MessageModel};
pub use pull::{PullConsumer, PullConsumerBuilder};
pub use push::{
    ConsumeContext, ConsumeHook, ConsumeHookContext, ConsumeReturn, ConsumeStatus, MessageListener,
    OrderlyContext, OrderlyListener, OrderlyStatus, PushConsumer, PushConsumerBuilder,
};
pub use subscription::Expression;

/// A consumer's answer to a request a broker sent it.
pub(crate) type BrokerAnswer = std::pin::Pin<
    Box<
        dyn std::future::Future<Output = crate::Result<Option<crate::protocol::RemotingCommand>>>
            + Send
            + 'static,
    >,
>;
