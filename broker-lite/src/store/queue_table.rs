//! The open consume queues of a store, by topic then queue id.
//!
//! Two levels so that the append path, which looks a queue up for every record, finds it
//! from a `&str` without building an owned key.

use std::collections::HashMap;

use super::consume_queue::ConsumeQueue;

/// The open consume queues.
#[derive(Debug, Default)]
pub(crate) struct QueueTable {
    by_topic: HashMap<String, HashMap<i32, ConsumeQueue>>,
}

impl QueueTable {
    pub(crate) fn get(&self, topic: &str, queue_id: i32) -> Option<&ConsumeQueue> {
        self.by_topic.get(topic)?.get(&queue_id)
    }

    pub(crate) fn get_mut(&mut self, topic: &str, queue_id: i32) -> Option<&mut ConsumeQueue> {
        self.by_topic.get_mut(topic)?.get_mut(&queue_id)
    }

    pub(crate) fn insert(&mut self, topic: &str, queue_id: i32, queue: ConsumeQueue) {
        match self.by_topic.get_mut(topic) {
            Some(queues) => {
                queues.insert(queue_id, queue);
            }
            None => {
                self.by_topic
                    .insert(topic.to_owned(), HashMap::from([(queue_id, queue)]));
            }
        }
    }

    /// Removes every queue of `topic`; whether it had any.
    pub(crate) fn remove_topic(&mut self, topic: &str) -> bool {
        self.by_topic
            .remove(topic)
            .is_some_and(|queues| !queues.is_empty())
    }

    /// The queue ids of `topic`, in no particular order.
    pub(crate) fn ids(&self, topic: &str) -> impl Iterator<Item = i32> + '_ {
        self.by_topic
            .get(topic)
            .into_iter()
            .flat_map(|queues| queues.keys().copied())
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &ConsumeQueue> {
        self.by_topic.values().flat_map(HashMap::values)
    }

    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut ConsumeQueue> {
        self.by_topic.values_mut().flat_map(HashMap::values_mut)
    }
}
