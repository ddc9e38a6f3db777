//! Queue selection: which of a topic's writable queues a message goes to (Java's
//! `MessageQueueSelector` and the selectors in `client.producer.selector`).

use std::fmt;
use std::sync::Arc;

use crate::protocol::MessageQueue;
use crate::protocol::message::Message;

/// Picks the queue a message is sent to.
///
/// `queues` are the topic's writable queues in route order (never empty when called);
/// the returned index is taken modulo `queues.len()`. A send through a selector makes one
/// attempt, with no retry on another queue, as Java's selector sends do.
///
/// Closures `Fn(&[MessageQueue], &Message) -> usize` are selectors:
///
/// ```
/// use rocketmq::producer::QueueSelector;
/// use rocketmq::protocol::MessageQueue;
/// use rocketmq::protocol::message::Message;
///
/// // Always the last queue.
/// let last = |queues: &[MessageQueue], _msg: &Message| queues.len() - 1;
/// # fn takes(_: impl QueueSelector) {}
/// takes(last);
/// ```
pub trait QueueSelector: Send + Sync + 'static {
    /// The index of the chosen queue in `queues`.
    fn select(&self, queues: &[MessageQueue], message: &Message) -> usize;
}

impl<F> QueueSelector for F
where
    F: Fn(&[MessageQueue], &Message) -> usize + Send + Sync + 'static,
{
    fn select(&self, queues: &[MessageQueue], message: &Message) -> usize {
        self(queues, message)
    }
}

/// Java's `String.hashCode` (UTF-16 code units, wrapping 32-bit arithmetic).
fn java_hash(key: &str) -> i32 {
    key.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// The queue index Java's `SelectMessageQueueByHash` picks for a string key among `len`
/// queues: `abs(key.hashCode() % len)`. A Rust and a Java producer therefore send the same
/// key to the same queue of the same route.
pub fn hash_index(key: &str, len: usize) -> usize {
    let len = i64::try_from(len.max(1)).unwrap_or(i64::MAX);
    (i64::from(java_hash(key)) % len).unsigned_abs() as usize
}

/// Selects by the hash of a key (Java `SelectMessageQueueByHash` with a string argument):
/// every message with the same key goes to the same queue while the route is unchanged,
/// which keeps per-key order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectByHash(String);

impl SelectByHash {
    /// Selects by the hash of `key`.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key.
    pub fn key(&self) -> &str {
        &self.0
    }
}

impl QueueSelector for SelectByHash {
    fn select(&self, queues: &[MessageQueue], _message: &Message) -> usize {
        hash_index(&self.0, queues.len())
    }
}

/// Selects a random queue (Java `SelectMessageQueueByRandom`).
#[derive(Clone, Copy, Debug, Default)]
pub struct SelectRandom;

impl QueueSelector for SelectRandom {
    fn select(&self, queues: &[MessageQueue], _message: &Message) -> usize {
        use std::hash::BuildHasher;
        let random =
            std::collections::hash_map::RandomState::new().hash_one(std::time::Instant::now());
        (random % queues.len().max(1) as u64) as usize
    }
}

/// Where a message goes: the producer's round robin, one given queue, or a selector.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum QueueChoice {
    /// Round robin over the writable queues, avoiding the broker of a failed attempt and,
    /// with latency fault tolerance on, slow or failing brokers. Failed attempts are
    /// retried (sync and async sends).
    #[default]
    RoundRobin,
    /// Exactly this queue, one attempt (Java `send(msg, mq)`).
    Queue(MessageQueue),
    /// The queue a selector picks, one attempt (Java `send(msg, selector, arg)`).
    Select(Arc<dyn QueueSelector>),
}

impl QueueChoice {
    /// A selector choice.
    pub fn select(selector: impl QueueSelector) -> Self {
        QueueChoice::Select(Arc::new(selector))
    }

    /// The queue of `key`'s hash: messages with the same key keep their order.
    pub fn by_key(key: impl Into<String>) -> Self {
        Self::select(SelectByHash::new(key))
    }
}

impl fmt::Debug for QueueChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueueChoice::RoundRobin => f.write_str("RoundRobin"),
            QueueChoice::Queue(queue) => f.debug_tuple("Queue").field(queue).finish(),
            QueueChoice::Select(_) => f.write_str("Select(..)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queues(n: i32) -> Vec<MessageQueue> {
        (0..n)
            .map(|i| MessageQueue {
                topic: "t".into(),
                broker_name: "b".into(),
                queue_id: i,
            })
            .collect()
    }

    #[test]
    fn hash_matches_java() {
        // "order-1".hashCode() == -1207111310 in Java: Math.abs(-1207111310 % 8) == 6.
        // "polygenelubricants" hashes to Integer.MIN_VALUE.
        assert_eq!(java_hash("order-1"), -1_207_111_310);
        assert_eq!(hash_index("order-1", 8), 6);
        assert_eq!(java_hash("polygenelubricants"), i32::MIN);
        assert_eq!(
            hash_index("polygenelubricants", 3),
            (i32::MIN % 3).unsigned_abs() as usize
        );
        assert_eq!(hash_index("", 5), 0);
        let m = Message::new("t", &b"x"[..]);
        let qs = queues(8);
        let s = SelectByHash::new("order-1");
        assert_eq!(s.select(&qs, &m), s.select(&qs, &m));
        assert!(SelectRandom.select(&qs, &m) < 8);
        let closure = |q: &[MessageQueue], _: &Message| q.len() - 1;
        assert_eq!(closure.select(&qs, &m), 7);
        assert!(matches!(QueueChoice::default(), QueueChoice::RoundRobin));
        assert_eq!(format!("{:?}", QueueChoice::by_key("k")), "Select(..)");
    }
}
