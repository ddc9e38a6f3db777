//! How a consumer group shares a topic's queues: Java's six
//! `AllocateMessageQueueStrategy` implementations, with exactly Java's assignment for the
//! same inputs, and the [`AllocateStrategy`] trait for strategies of your own.
//!
//! The rebalancer sorts both lists before calling a strategy, as Java's `RebalanceImpl`
//! does: queues by topic, broker name and queue id, consumer ids as strings. It skips the
//! call when either list is empty (Java's strategies refuse empty input with an exception,
//! which leaves the assignment as it was). A consumer id that is not in the list gets
//! nothing, as Java's `check` decides.

mod hash;
mod md5;

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::sync::Arc;

pub use hash::{ConsistentHash, HashFunction};

use crate::protocol::MessageQueue;

/// A way to share queues among the members of a group (Java
/// `AllocateMessageQueueStrategy`).
///
/// Every member runs the same strategy on the same sorted inputs and takes its own part;
/// a strategy must therefore be deterministic, and the parts of all members should cover
/// every queue exactly once.
///
/// ```
/// use rocketmq::consumer::AllocateStrategy;
/// use rocketmq::protocol::MessageQueue;
///
/// /// Every member takes the queues whose id has its parity.
/// struct ByParity;
///
/// impl AllocateStrategy for ByParity {
///     fn allocate(&self, _group: &str, me: &str, queues: &[MessageQueue], ids: &[String])
///         -> Vec<MessageQueue> {
///         let Some(index) = ids.iter().position(|id| id == me) else { return Vec::new() };
///         queues
///             .iter()
///             .filter(|q| q.queue_id as usize % ids.len() == index)
///             .cloned()
///             .collect()
///     }
///
///     fn name(&self) -> String {
///         "BY_PARITY".to_owned()
///     }
/// }
/// ```
pub trait AllocateStrategy: Send + Sync + 'static {
    /// The queues of `queues` that the member `current_id` of `group` consumes, given all
    /// members `ids`. Both lists are sorted and non-empty.
    fn allocate(
        &self,
        group: &str,
        current_id: &str,
        queues: &[MessageQueue],
        ids: &[String],
    ) -> Vec<MessageQueue>;

    /// The strategy's name, as Java's `getName` (shown in logs).
    fn name(&self) -> String;
}

/// Java `AbstractAllocateMessageQueueStrategy.check`, past the empty-input refusals: the
/// position of `current_id` in `ids`, if it is there.
fn position(current_id: &str, ids: &[String]) -> Option<usize> {
    let index = ids.iter().position(|id| id == current_id);
    if index.is_none() {
        tracing::info!(
            current_id,
            ?ids,
            "consumer id not in the group's member list"
        );
    }
    index
}

/// Contiguous blocks: member `i` of `n` takes `queues/n` queues in a row, the first
/// `queues % n` members one more (Java `AllocateMessageQueueAveragely`, name `AVG`, the
/// default).
#[derive(Clone, Copy, Debug, Default)]
pub struct Averagely;

impl AllocateStrategy for Averagely {
    fn allocate(
        &self,
        _group: &str,
        current_id: &str,
        queues: &[MessageQueue],
        ids: &[String],
    ) -> Vec<MessageQueue> {
        let Some(index) = position(current_id, ids) else {
            return Vec::new();
        };
        if queues.is_empty() {
            return Vec::new();
        }
        let (total, members) = (queues.len(), ids.len());
        let rem = total % members;
        let size = if total <= members {
            1
        } else if rem > 0 && index < rem {
            total / members + 1
        } else {
            total / members
        };
        let start = if rem > 0 && index < rem {
            index * size
        } else {
            index * size + rem
        };
        let range = size.min(total.saturating_sub(start));
        (0..range)
            .map(|i| queues[(start + i) % total].clone())
            .collect()
    }

    fn name(&self) -> String {
        "AVG".to_owned()
    }
}

/// Round robin: queue `q` goes to member `q mod n` (Java
/// `AllocateMessageQueueAveragelyByCircle`, name `AVG_BY_CIRCLE`).
#[derive(Clone, Copy, Debug, Default)]
pub struct AveragelyByCircle;

impl AllocateStrategy for AveragelyByCircle {
    fn allocate(
        &self,
        _group: &str,
        current_id: &str,
        queues: &[MessageQueue],
        ids: &[String],
    ) -> Vec<MessageQueue> {
        let Some(index) = position(current_id, ids) else {
            return Vec::new();
        };
        queues
            .iter()
            .enumerate()
            .skip(index)
            .filter(|(i, _)| i % ids.len() == index)
            .map(|(_, q)| q.clone())
            .collect()
    }

    fn name(&self) -> String {
        "AVG_BY_CIRCLE".to_owned()
    }
}

/// A fixed list of queues, whatever the group looks like (Java
/// `AllocateMessageQueueByConfig`, name `CONFIG`).
#[derive(Clone, Debug, Default)]
pub struct ByConfig {
    queues: Vec<MessageQueue>,
}

impl ByConfig {
    /// Always consumes `queues`.
    pub fn new(queues: Vec<MessageQueue>) -> Self {
        Self { queues }
    }
}

impl AllocateStrategy for ByConfig {
    fn allocate(&self, _: &str, _: &str, _: &[MessageQueue], _: &[String]) -> Vec<MessageQueue> {
        self.queues.clone()
    }

    fn name(&self) -> String {
        "CONFIG".to_owned()
    }
}

/// Only queues of brokers named `<room>@<name>` whose room is one of the configured
/// rooms, shared in blocks with the remainder dealt one each (Java
/// `AllocateMessageQueueByMachineRoom`, name `MACHINE_ROOM`).
#[derive(Clone, Debug, Default)]
pub struct ByMachineRoom {
    rooms: HashSet<String>,
}

impl ByMachineRoom {
    /// Consumes queues of brokers in `rooms` (Java `consumeridcs`).
    pub fn new(rooms: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            rooms: rooms.into_iter().map(Into::into).collect(),
        }
    }
}

impl AllocateStrategy for ByMachineRoom {
    fn allocate(
        &self,
        _group: &str,
        current_id: &str,
        queues: &[MessageQueue],
        ids: &[String],
    ) -> Vec<MessageQueue> {
        let Some(index) = position(current_id, ids) else {
            return Vec::new();
        };
        let in_rooms: Vec<&MessageQueue> = queues
            .iter()
            .filter(|q| {
                let parts: Vec<&str> = q.broker_name.split('@').collect();
                // Java's `String.split` drops trailing empty parts.
                let parts = trim_trailing_empty(&parts);
                parts.len() == 2 && self.rooms.contains(parts[0])
            })
            .collect();
        let (per, rem) = (in_rooms.len() / ids.len(), in_rooms.len() % ids.len());
        let mut out: Vec<MessageQueue> = in_rooms[per * index..per * index + per]
            .iter()
            .map(|q| (*q).clone())
            .collect();
        if rem > index {
            out.push(in_rooms[index + per * ids.len()].clone());
        }
        out
    }

    fn name(&self) -> String {
        "MACHINE_ROOM".to_owned()
    }
}

fn trim_trailing_empty<'a>(parts: &'a [&'a str]) -> &'a [&'a str] {
    let mut end = parts.len();
    while end > 0 && parts[end - 1].is_empty() {
        end -= 1;
    }
    &parts[..end]
}

/// Which machine room a broker and a consumer are in (Java
/// `AllocateMachineRoomNearby.MachineRoomResolver`); rooms must not be empty.
pub trait MachineRoomResolver: Send + Sync + 'static {
    /// The room of the broker holding `queue`.
    fn broker_room(&self, queue: &MessageQueue) -> String;
    /// The room of the consumer with `client_id`.
    fn consumer_room(&self, client_id: &str) -> String;
}

/// Prefers queues in the consumer's own machine room: each room's queues are shared among
/// that room's consumers with an inner strategy, and the queues of rooms without any
/// consumer among all consumers (Java `AllocateMachineRoomNearby`, name
/// `MACHINE_ROOM_NEARBY-<inner name>`). A queue or consumer whose room resolves to the
/// empty string makes the allocation give nothing (Java throws).
#[derive(Clone)]
pub struct MachineRoomNearby {
    inner: Arc<dyn AllocateStrategy>,
    resolver: Arc<dyn MachineRoomResolver>,
}

impl MachineRoomNearby {
    /// Shares each room's queues with `inner`, rooms found by `resolver`.
    pub fn new(inner: impl AllocateStrategy, resolver: impl MachineRoomResolver) -> Self {
        Self {
            inner: Arc::new(inner),
            resolver: Arc::new(resolver),
        }
    }
}

impl AllocateStrategy for MachineRoomNearby {
    fn allocate(
        &self,
        group: &str,
        current_id: &str,
        queues: &[MessageQueue],
        ids: &[String],
    ) -> Vec<MessageQueue> {
        if position(current_id, ids).is_none() {
            return Vec::new();
        }
        let mut queues_by_room: BTreeMap<String, Vec<MessageQueue>> = BTreeMap::new();
        for queue in queues {
            let room = self.resolver.broker_room(queue);
            if room.is_empty() {
                tracing::warn!(?queue, "machine room of queue is empty");
                return Vec::new();
            }
            queues_by_room.entry(room).or_default().push(queue.clone());
        }
        let mut ids_by_room: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for id in ids {
            let room = self.resolver.consumer_room(id);
            if room.is_empty() {
                tracing::warn!(id, "machine room of consumer is empty");
                return Vec::new();
            }
            ids_by_room.entry(room).or_default().push(id.clone());
        }
        let mut out = Vec::new();
        let my_room = self.resolver.consumer_room(current_id);
        if let Some(mine) = queues_by_room.remove(&my_room)
            && !mine.is_empty()
        {
            let peers = ids_by_room.get(&my_room).map_or(&[][..], Vec::as_slice);
            if !peers.is_empty() {
                out.extend(self.inner.allocate(group, current_id, &mine, peers));
            }
        }
        for (room, room_queues) in &queues_by_room {
            if !ids_by_room.contains_key(room) {
                out.extend(self.inner.allocate(group, current_id, room_queues, ids));
            }
        }
        out
    }

    fn name(&self) -> String {
        format!("MACHINE_ROOM_NEARBY-{}", self.inner.name())
    }
}

impl fmt::Debug for MachineRoomNearby {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MachineRoomNearby")
            .field("inner", &self.inner.name())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
