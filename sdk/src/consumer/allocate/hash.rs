//! [`ConsistentHash`]: Java `AllocateMessageQueueConsistentHash` with its
//! `ConsistentHashRouter`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use super::{AllocateStrategy, md5, position};
use crate::protocol::MessageQueue;

/// Places keys on the hash ring (Java `HashFunction`).
pub trait HashFunction: Send + Sync + 'static {
    /// The ring position of `key`.
    fn hash(&self, key: &str) -> i64;
}

/// Java's default ring hash: the first four bytes of the key's MD5 digest, big-endian, as
/// a non-negative number.
#[derive(Clone, Copy, Debug, Default)]
struct Md5Hash;

impl HashFunction for Md5Hash {
    fn hash(&self, key: &str) -> i64 {
        let d = md5::digest(key.as_bytes());
        i64::from(u32::from_be_bytes([d[0], d[1], d[2], d[3]]))
    }
}

/// A consistent-hash ring: every consumer id is placed on the ring `virtual_nodes` times
/// (as `<id>-<n>`), and each queue goes to the first consumer at or after the position of
/// the queue's Java text (`MessageQueue [topic=t, brokerName=b, queueId=0]`), wrapping
/// around (Java `AllocateMessageQueueConsistentHash`, name `CONSISTENT_HASH`, default 10
/// virtual nodes and the MD5 hash). Adding or removing a member moves few queues.
#[derive(Clone)]
pub struct ConsistentHash {
    virtual_nodes: usize,
    hash: Arc<dyn HashFunction>,
}

impl Default for ConsistentHash {
    fn default() -> Self {
        Self::new(10)
    }
}

impl ConsistentHash {
    /// A ring with `virtual_nodes` places per consumer and Java's MD5 hash.
    pub fn new(virtual_nodes: usize) -> Self {
        Self {
            virtual_nodes,
            hash: Arc::new(Md5Hash),
        }
    }

    /// A ring with `virtual_nodes` places per consumer and a hash of your own.
    pub fn with_hash(virtual_nodes: usize, hash: impl HashFunction) -> Self {
        Self {
            virtual_nodes,
            hash: Arc::new(hash),
        }
    }

    /// Java's `MessageQueue.toString()`, the key a queue is placed by.
    fn queue_key(queue: &MessageQueue) -> String {
        format!(
            "MessageQueue [topic={}, brokerName={}, queueId={}]",
            queue.topic, queue.broker_name, queue.queue_id
        )
    }
}

impl AllocateStrategy for ConsistentHash {
    fn allocate(
        &self,
        _group: &str,
        current_id: &str,
        queues: &[MessageQueue],
        ids: &[String],
    ) -> Vec<MessageQueue> {
        if position(current_id, ids).is_none() {
            return Vec::new();
        }
        // Java's TreeMap: a later node at an occupied position replaces the earlier one.
        let mut ring: BTreeMap<i64, &str> = BTreeMap::new();
        // A repeated id continues its replica numbering (Java `getExistingReplicas`).
        let mut replicas: HashMap<&str, usize> = HashMap::new();
        for id in ids {
            let existing = replicas.entry(id.as_str()).or_default();
            for i in 0..self.virtual_nodes {
                let key = format!("{id}-{}", i + *existing);
                ring.insert(self.hash.hash(&key), id.as_str());
            }
            *existing += self.virtual_nodes;
        }
        queues
            .iter()
            .filter(|queue| {
                let at = self.hash.hash(&Self::queue_key(queue));
                let owner = ring
                    .range(at..)
                    .next()
                    .or_else(|| ring.iter().next())
                    .map(|(_, id)| *id);
                owner == Some(current_id)
            })
            .cloned()
            .collect()
    }

    fn name(&self) -> String {
        "CONSISTENT_HASH".to_owned()
    }
}

impl fmt::Debug for ConsistentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsistentHash")
            .field("virtual_nodes", &self.virtual_nodes)
            .finish_non_exhaustive()
    }
}
