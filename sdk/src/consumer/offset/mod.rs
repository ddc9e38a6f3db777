//! Consumer offsets: where a group is in each queue (Java `OffsetStore`).
//!
//! Clustering groups keep offsets on the broker ([`remote`], Java
//! `RemoteBrokerOffsetStore`); broadcasting consumers keep their own in a local file
//! ([`local`], Java `LocalFileOffsetStore`). Both hold the offsets in memory, where
//! consumption moves them forward, and write them out periodically (every 5 s, Java's
//! `persistConsumerOffsetInterval`) and on close.
//!
//! A queue's offset can be frozen (Java 5.x `ControllableOffset`): after the broker moved
//! a queue (`PULL_OFFSET_MOVED`), the new offset is set and later updates from messages
//! still being consumed are ignored until the queue is removed.

pub(crate) mod local;
pub(crate) mod remote;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::Result;
use crate::protocol::MessageQueue;

pub(crate) use local::LocalStore;
pub(crate) use remote::RemoteStore;

#[derive(Clone, Copy, Debug)]
struct Slot {
    offset: i64,
    frozen: bool,
}

/// The in-memory offsets both stores share.
#[derive(Debug, Default)]
pub(crate) struct OffsetTable {
    slots: Mutex<HashMap<MessageQueue, Slot>>,
}

impl OffsetTable {
    fn lock(&self) -> MutexGuard<'_, HashMap<MessageQueue, Slot>> {
        // Sections only read or write plain values; a poisoned lock is consistent.
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Java `updateOffset`: sets the offset (only forward with `increase_only`) unless the
    /// queue is frozen.
    pub(crate) fn update(&self, queue: &MessageQueue, offset: i64, increase_only: bool) {
        let mut slots = self.lock();
        match slots.get_mut(queue) {
            Some(slot) if slot.frozen => {}
            Some(slot) => {
                if !increase_only || offset > slot.offset {
                    slot.offset = offset;
                }
            }
            None => {
                slots.insert(
                    queue.clone(),
                    Slot {
                        offset,
                        frozen: false,
                    },
                );
            }
        }
    }

    /// Java 5.x `updateAndFreezeOffset`.
    pub(crate) fn update_and_freeze(&self, queue: &MessageQueue, offset: i64) {
        self.lock().insert(
            queue.clone(),
            Slot {
                offset,
                frozen: true,
            },
        );
    }

    pub(crate) fn get(&self, queue: &MessageQueue) -> Option<i64> {
        self.lock().get(queue).map(|s| s.offset)
    }

    pub(crate) fn remove(&self, queue: &MessageQueue) {
        self.lock().remove(queue);
    }

    /// Every offset, ordered.
    pub(crate) fn snapshot(&self) -> BTreeMap<MessageQueue, i64> {
        self.lock()
            .iter()
            .map(|(q, s)| (q.clone(), s.offset))
            .collect()
    }

    /// Drops the queues not in `keep` and returns the offsets of those in it.
    fn retain(&self, keep: &HashSet<MessageQueue>) -> BTreeMap<MessageQueue, i64> {
        let mut slots = self.lock();
        slots.retain(|q, _| keep.contains(q));
        slots.iter().map(|(q, s)| (q.clone(), s.offset)).collect()
    }
}

/// Where a consumer's offsets live.
#[derive(Debug)]
pub(crate) enum OffsetStore {
    /// On the broker (clustering).
    Remote(RemoteStore),
    /// In a local file (broadcasting).
    Local(LocalStore),
}

impl OffsetStore {
    fn table(&self) -> &OffsetTable {
        match self {
            OffsetStore::Remote(s) => &s.table,
            OffsetStore::Local(s) => &s.table,
        }
    }

    /// Loads what the store keeps locally (the local file).
    pub(crate) async fn load(&self) -> Result<()> {
        match self {
            OffsetStore::Remote(_) => Ok(()),
            OffsetStore::Local(s) => s.load().await,
        }
    }

    pub(crate) fn update(&self, queue: &MessageQueue, offset: i64, increase_only: bool) {
        self.table().update(queue, offset, increase_only);
    }

    pub(crate) fn update_and_freeze(&self, queue: &MessageQueue, offset: i64) {
        self.table().update_and_freeze(queue, offset);
    }

    /// The offset in memory.
    pub(crate) fn read_memory(&self, queue: &MessageQueue) -> Option<i64> {
        self.table().get(queue)
    }

    /// The offset in the store (broker or file), also put in memory; `None` when the store
    /// has none for the queue.
    pub(crate) async fn read_store(&self, queue: &MessageQueue) -> Result<Option<i64>> {
        let found = match self {
            OffsetStore::Remote(s) => s.fetch(queue).await?,
            OffsetStore::Local(s) => s.read_file(queue).await?,
        };
        if let Some(offset) = found {
            self.table().update(queue, offset, false);
        }
        Ok(found)
    }

    /// Memory first, then the store (Java `MEMORY_FIRST_THEN_STORE`).
    pub(crate) async fn read_memory_then_store(&self, queue: &MessageQueue) -> Result<Option<i64>> {
        match self.read_memory(queue) {
            Some(offset) => Ok(Some(offset)),
            None => self.read_store(queue).await,
        }
    }

    /// Writes the offsets of `queues` out (oneway to the broker, or the whole file) and
    /// forgets the others (Java `persistAll`). `wait` makes broker updates two-way.
    pub(crate) async fn persist_all(&self, queues: &HashSet<MessageQueue>, wait: bool) {
        if queues.is_empty() {
            return;
        }
        match self {
            OffsetStore::Remote(s) => {
                let offsets = s.table.retain(queues);
                s.send_all(&offsets, wait).await;
            }
            OffsetStore::Local(s) => {
                let offsets: BTreeMap<MessageQueue, i64> = s
                    .table
                    .snapshot()
                    .into_iter()
                    .filter(|(q, _)| queues.contains(q))
                    .collect();
                if let Err(err) = s.write(&offsets).await {
                    tracing::warn!(path = %s.path().display(), %err, "cannot write local offsets");
                }
            }
        }
    }

    /// Writes one queue's offset out (Java `persist`).
    pub(crate) async fn persist(&self, queue: &MessageQueue, wait: bool) {
        let Some(offset) = self.read_memory(queue) else {
            return;
        };
        match self {
            OffsetStore::Remote(s) => {
                let one = BTreeMap::from([(queue.clone(), offset)]);
                s.send_all(&one, wait).await;
            }
            OffsetStore::Local(s) => {
                let all = s.table.snapshot();
                if let Err(err) = s.write(&all).await {
                    tracing::warn!(path = %s.path().display(), %err, "cannot write local offsets");
                }
            }
        }
    }

    /// Writes `offset` for `queue` to the store now and waits (the offset in memory is
    /// set too).
    pub(crate) async fn commit_now(&self, queue: &MessageQueue, offset: i64) -> Result<()> {
        self.table().update(queue, offset, false);
        match self {
            OffsetStore::Remote(s) => s.send(queue, offset).await,
            OffsetStore::Local(s) => s.write(&s.table.snapshot()).await,
        }
    }

    /// Forgets a queue (Java `removeOffset`).
    pub(crate) fn remove(&self, queue: &MessageQueue) {
        self.table().remove(queue);
    }

    /// The offsets of `topic`'s queues (Java `cloneOffsetTable`).
    pub(crate) fn offsets_of(&self, topic: &str) -> BTreeMap<MessageQueue, i64> {
        self.table()
            .snapshot()
            .into_iter()
            .filter(|(q, _)| topic.is_empty() || q.topic == topic)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(id: i32) -> MessageQueue {
        MessageQueue {
            topic: "t".into(),
            broker_name: "b".into(),
            queue_id: id,
        }
    }

    #[test]
    fn increase_only_and_freeze() {
        let t = OffsetTable::default();
        t.update(&q(0), 10, true);
        t.update(&q(0), 5, true);
        assert_eq!(t.get(&q(0)), Some(10));
        t.update(&q(0), 5, false);
        assert_eq!(t.get(&q(0)), Some(5));
        t.update_and_freeze(&q(0), 2);
        t.update(&q(0), 50, true);
        t.update(&q(0), 60, false);
        assert_eq!(t.get(&q(0)), Some(2));
        t.remove(&q(0));
        t.update(&q(0), 7, true);
        assert_eq!(t.get(&q(0)), Some(7));
        t.update(&q(1), 1, false);
        let kept = t.retain(&HashSet::from([q(1)]));
        assert_eq!(kept, BTreeMap::from([(q(1), 1)]));
        assert_eq!(t.get(&q(0)), None);
    }
}
