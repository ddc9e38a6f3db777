//! Send hooks: code that sees every send before it leaves and its outcome after (Java
//! `SendMessageHook` with its `SendMessageContext`).

use std::collections::HashMap;

use super::result::SendResult;
use crate::Error;
use crate::protocol::MessageQueue;
use crate::protocol::message::{Message, property};

/// How a message is sent (Java `CommunicationMode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CommunicationMode {
    /// The caller waits for the broker's answer.
    Sync,
    /// The answer arrives later, through a future.
    Async,
    /// No answer.
    Oneway,
}

/// The kind of message being sent, as Java's send context classifies it (Java
/// `MessageType`; the trace hooks record it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// An ordinary message.
    Normal,
    /// The half message of a transaction.
    TransactionHalf,
    /// A delayed message (delay level or 5.x timer).
    Delay,
}

impl MessageType {
    /// How Java's producer classifies `message` in its send context.
    pub fn of(message: &Message) -> Self {
        if message.property(property::DELAY).is_some()
            || message.property("__STARTDELIVERTIME").is_some()
        {
            MessageType::Delay
        } else if message.property(property::TRAN_MSG) == Some("true") {
            MessageType::TransactionHalf
        } else {
            MessageType::Normal
        }
    }
}

/// What a send hook knows about one send attempt (Java `SendMessageContext`).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SendContext {
    /// The producer group.
    pub producer_group: String,
    /// The message as it is sent: namespaced topic, unique id set, body compressed when it
    /// was compressed. Changes a hook makes here are not sent.
    pub message: Message,
    /// The queue chosen.
    pub queue: MessageQueue,
    /// The broker address the request goes to.
    pub broker_addr: String,
    /// The client's IP (Java's `bornHost` of the context).
    pub born_host: String,
    /// How it is sent.
    pub mode: CommunicationMode,
    /// The kind of message.
    pub message_type: MessageType,
    /// The producer's namespace.
    pub namespace: Option<String>,
    /// Free-form values hooks may pass from `before_send` to `after_send`.
    pub props: HashMap<String, String>,
}

/// The outcome of one send attempt, as a hook sees it.
#[derive(Clone, Copy, Debug)]
pub enum SendOutcome<'a> {
    /// The broker stored the message.
    Sent(&'a SendResult),
    /// A oneway request was written; there is no answer.
    Oneway,
    /// The attempt failed.
    Failed(&'a Error),
}

/// Observes sends (Java `SendMessageHook`): message tracing, metrics, auditing.
///
/// Hooks run inline on the send path, in the order they were added, once per attempt
/// (a retried send calls them again for the next attempt): keep them quick.
///
/// ```
/// use rocketmq::producer::{SendContext, SendHook, SendOutcome};
///
/// struct Log;
///
/// impl SendHook for Log {
///     fn after_send(&self, ctx: &SendContext, outcome: SendOutcome<'_>) {
///         if let SendOutcome::Failed(err) = outcome {
///             eprintln!("send to {} failed: {err}", ctx.queue.broker_name);
///         }
///     }
/// }
/// ```
pub trait SendHook: Send + Sync + 'static {
    /// Called before the request is sent.
    fn before_send(&self, ctx: &mut SendContext) {
        let _ = ctx;
    }

    /// Called with the attempt's outcome.
    fn after_send(&self, ctx: &SendContext, outcome: SendOutcome<'_>) {
        let _ = (ctx, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_types_as_java_classifies_them() {
        let mut m = Message::new("t", &b"x"[..]);
        assert_eq!(MessageType::of(&m), MessageType::Normal);
        m.set_transaction_prepared(true);
        assert_eq!(MessageType::of(&m), MessageType::TransactionHalf);
        m.set_delay_level(2);
        assert_eq!(MessageType::of(&m), MessageType::Delay);
    }
}
