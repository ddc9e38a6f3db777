//! Long polling: pulls that found nothing wait here until a message arrives on their
//! queue or their suspend time ends (Java `PullRequestHoldService`).
//!
//! A held pull is simply its handler waiting: a handler that waits goes on in a task of
//! its own (see `RequestHandler`), so a wait blocks nothing else. Each queue with waiters has a `watch` channel
//! carrying the queue's max offset; the put path calls [`PullHolds::arrived`] after each
//! append, which publishes the new max offset only when someone waits on that queue. A
//! waiter subscribes *before* it reads the store, so an arrival between the read and the
//! wait is never missed. Java's periodic re-check of held requests is not needed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

use super::{State, lock};

/// Pulls waiting for messages, by topic and queue.
#[derive(Debug, Default)]
pub(crate) struct PullHolds {
    /// By topic, then queue id (found without allocating a key on every put).
    queues: Mutex<HashMap<String, HashMap<i32, watch::Sender<u64>>>>,
    /// Set once the broker shuts down: held pulls answer at once.
    closing: watch::Sender<bool>,
}

/// A registration to wait for arrivals on one queue; take it before reading the store.
#[derive(Debug)]
pub(crate) struct Waiter {
    rx: watch::Receiver<u64>,
}

impl Waiter {
    /// Waits until a message arrives on the queue (a max offset above `offset` is
    /// published) or `timeout` passes. Returns whether something arrived.
    pub(crate) async fn wait(&mut self, offset: u64, timeout: Duration) -> bool {
        let arrived = self.rx.wait_for(|max| *max > offset);
        matches!(tokio::time::timeout(timeout, arrived).await, Ok(Ok(_)))
    }
}

impl PullHolds {
    pub(crate) fn new() -> Self {
        PullHolds::default()
    }

    /// Releases every held pull (they answer with a fresh read) and makes later holds
    /// end at once; called when the broker shuts down.
    pub(crate) fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Whether [`close`](Self::close) was called.
    pub(crate) fn is_closing(&self) -> bool {
        *self.closing.borrow()
    }

    /// Completes once [`close`](Self::close) is called.
    pub(crate) async fn closing(&self) {
        let mut rx = self.closing.subscribe();
        // The sender lives as long as `self`, so this only ends when closing.
        let _ = rx.wait_for(|c| *c).await;
    }

    /// Registers interest in `topic`/`queue_id`: the returned waiter sees every arrival
    /// from now on.
    pub(crate) fn subscribe(&self, topic: &str, queue_id: i32) -> Waiter {
        let mut queues = lock(&self.queues);
        // The topic's name is copied only the first time one of its queues gets a waiter.
        let topic_queues = match queues.get_mut(topic) {
            Some(topic_queues) => topic_queues,
            None => queues.entry(topic.to_owned()).or_default(),
        };
        let rx = topic_queues
            .entry(queue_id)
            .or_insert_with(|| watch::channel(0).0)
            .subscribe();
        Waiter { rx }
    }

    /// Tells the pulls waiting on `topic`/`queue_id` that the queue now ends at
    /// `max_offset` (one past the last message). Cheap when nobody waits.
    pub(crate) fn arrived(&self, topic: &str, queue_id: i32, max_offset: u64) {
        let mut queues = lock(&self.queues);
        let Some(topic_queues) = queues.get_mut(topic) else {
            return;
        };
        if let Some(tx) = topic_queues.get(&queue_id) {
            if tx.receiver_count() == 0 {
                topic_queues.remove(&queue_id);
                if topic_queues.is_empty() {
                    queues.remove(topic);
                }
            } else {
                tx.send_replace(max_offset);
            }
        }
    }

    /// How many pulls wait, over all queues.
    #[cfg(test)]
    pub(crate) fn waiting(&self) -> usize {
        lock(&self.queues)
            .values()
            .flat_map(HashMap::values)
            .map(watch::Sender::receiver_count)
            .sum()
    }

    /// Forgets queues nobody waits on any more.
    fn prune(&self) {
        lock(&self.queues).retain(|_, topic_queues| {
            topic_queues.retain(|_, tx| tx.receiver_count() > 0);
            !topic_queues.is_empty()
        });
    }
}

/// Starts the periodic clean-up of queues without waiters.
pub(super) fn spawn(state: &Arc<State>, tasks: &mut JoinSet<()>) {
    let state = Arc::clone(state);
    tasks.spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(30)).await;
            state.holds.prune();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn arrival_wakes_and_timeout_expires() {
        let holds = PullHolds::new();
        holds.arrived("t", 0, 5); // nobody waits: nothing kept
        assert_eq!(lock(&holds.queues).len(), 0);

        let mut w = holds.subscribe("t", 0);
        assert_eq!(holds.waiting(), 1);
        // An arrival between subscribe and wait is not lost.
        holds.arrived("t", 0, 3);
        assert!(w.wait(2, Duration::from_secs(5)).await);
        // Nothing new beyond offset 3: times out.
        assert!(!w.wait(3, Duration::from_millis(20)).await);
        // Another queue does not wake it.
        holds.arrived("t", 1, 9);
        assert!(!w.wait(3, Duration::from_millis(20)).await);

        let waiter = tokio::spawn(async move {
            let mut w = w;
            w.wait(3, Duration::from_secs(10)).await
        });
        tokio::task::yield_now().await;
        holds.arrived("t", 0, 4);
        assert!(waiter.await.unwrap());
        assert_eq!(holds.waiting(), 0);
        holds.prune();
        assert_eq!(lock(&holds.queues).len(), 0);
    }
}
