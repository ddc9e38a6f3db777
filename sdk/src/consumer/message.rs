//! [`ReceivedMessage`]: a message as a consumer hands it to the application (Java
//! `MessageExt` with its broker name).

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;

use crate::client::namespace::RETRY_PREFIX;
use crate::protocol::MessageQueue;
use crate::protocol::message::{Message, Properties, StoredMessage, property};

/// A consumed message: the stored record and the queue it came from. Cloning is cheap
/// (the record is shared).
///
/// As Java's consumers do, the topic is the application's: without the client's namespace,
/// and for a message redelivered through the group's retry topic, the topic it was first
/// sent to (`RETRY_TOPIC`). [`reconsume_times`](Self::reconsume_times) says how many times
/// it was delivered before.
#[derive(Clone)]
pub struct ReceivedMessage {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    stored: StoredMessage,
    origin: Origin,
}

/// Where pulled messages come from: shared by every message of a pull, so wrapping a
/// record copies no text.
#[derive(Clone, Debug)]
pub(crate) struct Origin {
    broker_name: Arc<str>,
    /// The topic of the queue the message was pulled from (with namespace), which differs
    /// from the message's topic for retried messages.
    queue_topic: Arc<str>,
}

impl Origin {
    pub(crate) fn of(queue: &MessageQueue) -> Self {
        Self {
            broker_name: queue.broker_name.as_str().into(),
            queue_topic: queue.topic.as_str().into(),
        }
    }
}

impl ReceivedMessage {
    /// Wraps a pulled record from `queue` (namespaced), as Java's consumers prepare it:
    /// the retry topic is replaced by `RETRY_TOPIC` for the group's own retries, then the
    /// namespace is removed with `strip_namespace`.
    pub(crate) fn new(
        stored: StoredMessage,
        queue: &MessageQueue,
        group: &str,
        strip_namespace: impl Fn(&str) -> String,
    ) -> Self {
        Self::with_origin(stored, &Origin::of(queue), group, |t| {
            let stripped = strip_namespace(t);
            (stripped != t).then_some(stripped)
        })
    }

    /// [`new`](Self::new) for a message of a pull: `origin` is shared by the pull's
    /// messages, and `strip_namespace` answers `None` when the topic stays as it is (no
    /// allocation for a client without a namespace).
    pub(crate) fn with_origin(
        mut stored: StoredMessage,
        origin: &Origin,
        group: &str,
        strip_namespace: impl Fn(&str) -> Option<String>,
    ) -> Self {
        // Compared in place: this runs for every message pulled.
        let own_retry = stored.message.topic().strip_prefix(RETRY_PREFIX) == Some(group);
        if own_retry && let Some(original) = stored.message.property(property::RETRY_TOPIC) {
            let original = original.to_owned();
            stored.message.set_topic(original);
        }
        if let Some(topic) = strip_namespace(stored.message.topic()) {
            stored.message.set_topic(topic);
        }
        ReceivedMessage {
            inner: Arc::new(Inner {
                stored,
                origin: origin.clone(),
            }),
        }
    }

    /// The record as stored by the broker (topic already as described on the type).
    pub fn stored(&self) -> &StoredMessage {
        &self.inner.stored
    }

    /// Topic, flag, properties and body.
    pub fn message(&self) -> &Message {
        &self.inner.stored.message
    }

    /// The topic (see the type docs).
    pub fn topic(&self) -> &str {
        self.inner.stored.message.topic()
    }

    /// The body (decompressed).
    pub fn body(&self) -> &Bytes {
        self.inner.stored.message.body()
    }

    /// The tags, if any.
    pub fn tags(&self) -> Option<&str> {
        self.inner.stored.message.tags()
    }

    /// The keys (Java splits `KEYS` on spaces).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.inner.stored.message.keys()
    }

    /// A property by name.
    pub fn property(&self, key: &str) -> Option<&str> {
        self.inner.stored.message.property(key)
    }

    /// Every property.
    pub fn properties(&self) -> &Properties {
        self.inner.stored.message.properties()
    }

    /// The id applications see: `UNIQ_KEY` when present, else the broker's offset id
    /// (Java `MessageClientExt.getMsgId`).
    pub fn msg_id(&self) -> String {
        self.inner.stored.msg_id()
    }

    /// The broker's id of the stored record (store host and commit-log offset).
    pub fn offset_msg_id(&self) -> String {
        self.inner.stored.offset_msg_id().to_string()
    }

    /// How many times the message was delivered before this delivery.
    pub fn reconsume_times(&self) -> i32 {
        self.inner.stored.reconsume_times
    }

    /// Offset in its queue.
    pub fn queue_offset(&self) -> i64 {
        self.inner.stored.queue_offset
    }

    /// Queue id.
    pub fn queue_id(&self) -> i32 {
        self.inner.stored.queue_id
    }

    /// The broker the message was pulled from.
    pub fn broker_name(&self) -> &str {
        &self.inner.origin.broker_name
    }

    /// The queue the message was pulled from (for a retried message: a queue of the
    /// group's retry topic), topic with the client's namespace.
    pub fn queue(&self) -> MessageQueue {
        MessageQueue {
            topic: self.inner.origin.queue_topic.to_string(),
            broker_name: self.inner.origin.broker_name.to_string(),
            queue_id: self.inner.stored.queue_id,
        }
    }

    /// Commit-log offset on the broker.
    pub fn commit_log_offset(&self) -> i64 {
        self.inner.stored.commit_log_offset
    }

    /// When the producer made the message, epoch milliseconds.
    pub fn born_timestamp(&self) -> i64 {
        self.inner.stored.born_timestamp
    }

    /// When the broker stored the message, epoch milliseconds.
    pub fn store_timestamp(&self) -> i64 {
        self.inner.stored.store_timestamp
    }

    /// The producer's address.
    pub fn born_host(&self) -> SocketAddr {
        self.inner.stored.born_host
    }

    /// The storing broker's address.
    pub fn store_host(&self) -> SocketAddr {
        self.inner.stored.store_host
    }

    /// The same message with a different reconsume count (a failed send-back counts as
    /// a delivery, as Java's consumers count it).
    pub(crate) fn with_reconsume_times(&self, times: i32) -> Self {
        let mut inner = Inner::clone(&self.inner);
        inner.stored.reconsume_times = times;
        ReceivedMessage {
            inner: Arc::new(inner),
        }
    }
}

impl fmt::Debug for ReceivedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceivedMessage")
            .field("topic", &self.topic())
            .field("msg_id", &self.msg_id())
            .field("broker_name", &self.broker_name())
            .field("queue_id", &self.queue_id())
            .field("queue_offset", &self.queue_offset())
            .field("reconsume_times", &self.reconsume_times())
            .field("body_len", &self.body().len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(topic: &str) -> StoredMessage {
        let mut m = Message::new(topic, "b");
        m.properties_mut()
            .insert(property::RETRY_TOPIC, "ns%orders");
        StoredMessage {
            message: m,
            queue_id: 2,
            queue_offset: 9,
            ..Default::default()
        }
    }

    fn strip(t: &str) -> String {
        t.strip_prefix("ns%").unwrap_or(t).to_owned()
    }

    #[test]
    fn retry_topic_and_namespace_are_reset() {
        let q = MessageQueue {
            topic: "%RETRY%ns%g".into(),
            broker_name: "b".into(),
            queue_id: 2,
        };
        let m = ReceivedMessage::new(stored("%RETRY%ns%g"), &q, "ns%g", strip);
        assert_eq!(m.topic(), "orders");
        assert_eq!(m.queue(), q);
        // Another group's retry topic is left alone.
        let other = ReceivedMessage::new(stored("%RETRY%other"), &q, "ns%g", strip);
        assert_eq!(other.topic(), "%RETRY%other");
        let again = m.with_reconsume_times(3);
        assert_eq!(again.reconsume_times(), 3);
        assert_eq!(m.reconsume_times(), 0);
        assert_eq!(again.queue_offset(), 9);
    }
}
