//! The state a push consumer's tasks share, and the operations several of them use:
//! where a new queue starts, removing a queue, broker locks for orderly consumption.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};

use super::hook::ConsumeHook;
use super::listener::Listener;
use super::settings::{MessageModel, Settings};
use crate::Result;
use crate::client::Client;
use crate::consumer::AllocateStrategy;
use crate::consumer::balance;
use crate::consumer::broker;
use crate::consumer::fetch::Fetcher;
use crate::consumer::loops::PullLoops;
use crate::consumer::offset::OffsetStore;
use crate::consumer::process_queue::{ProcessQueue, QueueRoot};
use crate::consumer::send_back::SendBack;
use crate::consumer::stats::Stats;
use crate::consumer::tasks::TaskSet;
use crate::protocol::MessageQueue;
use crate::protocol::body::{LockBatchRequest, SubscriptionData, UnlockBatchRequest};
use crate::protocol::request::{LockBatchMq, UnlockBatchMq};

/// Java's timeout of LOCK_BATCH_MQ (1 s).
const LOCK_TIMEOUT: Duration = Duration::from_secs(1);
/// Java's delay before unlocking a queue that still holds messages (20 s).
const UNLOCK_DELAY: Duration = Duration::from_secs(20);

pub(crate) type Queues = HashMap<MessageQueue, Arc<ProcessQueue>>;

/// Everything a push consumer's tasks share.
pub(crate) struct Core {
    pub(crate) client: Client,
    /// The group, namespaced.
    pub(crate) group: String,
    pub(crate) settings: Settings,
    /// Subscriptions by namespaced topic, the retry topic included in clustering mode.
    /// Shared: each pull reads its queue's subscription without copying it.
    pub(crate) subscriptions: Mutex<BTreeMap<String, Arc<SubscriptionData>>>,
    pub(crate) listener: Listener,
    pub(crate) strategy: Arc<dyn AllocateStrategy>,
    pub(crate) offsets: OffsetStore,
    pub(crate) fetcher: Fetcher,
    pub(crate) send_back: SendBack,
    pub(crate) queues: Mutex<Queues>,
    /// Per-queue limits derived from the topic-level ones: topic -> (count, MiB).
    pub(crate) topic_limits: Mutex<HashMap<String, (usize, usize)>>,
    pub(crate) hooks: Vec<Arc<dyn ConsumeHook>>,
    pub(crate) stats: Stats,
    pub(crate) consume_permits: Semaphore,
    /// The pull loop of every queue held, driven by one background task.
    pub(crate) pull_loops: PullLoops,
    /// Rebalance, pulls, locks, persistence: cancelled on close.
    pub(crate) background: TaskSet,
    /// Listener calls and their follow-ups: waited for on close.
    pub(crate) consuming: TaskSet,
    /// Parent of every process queue's drop token: cancelled when the consumer is done.
    pub(crate) queue_root: QueueRoot,
    pub(crate) rebalance_now: Notify,
    pub(crate) paused: AtomicBool,
    /// Wakes pulls waiting at the broker when the consumer is paused.
    pub(crate) pause_signal: Notify,
    /// Set when close begins: no listener call starts after it.
    pub(crate) closing: AtomicBool,
    pub(crate) started_at: i64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Sections only read or replace values; a poisoned lock is consistent.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Core {
    pub(crate) fn orderly(&self) -> bool {
        self.listener.is_orderly()
    }

    pub(crate) fn clustering(&self) -> bool {
        self.settings.model == MessageModel::Clustering
    }

    pub(crate) fn max_reconsume(&self) -> i32 {
        self.settings.max_reconsume(self.orderly())
    }

    pub(crate) fn queues(&self) -> MutexGuard<'_, Queues> {
        lock(&self.queues)
    }

    pub(crate) fn subscription(&self, topic: &str) -> Option<Arc<SubscriptionData>> {
        lock(&self.subscriptions).get(topic).cloned()
    }

    pub(crate) fn subscriptions(&self) -> Vec<SubscriptionData> {
        lock(&self.subscriptions)
            .values()
            .map(|s| SubscriptionData::clone(s))
            .collect()
    }

    pub(crate) fn process_queue(&self, queue: &MessageQueue) -> Option<Arc<ProcessQueue>> {
        self.queues().get(queue).cloned()
    }

    /// The queue as the application sees it (topic without namespace).
    pub(crate) fn user_queue(&self, queue: &MessageQueue) -> MessageQueue {
        MessageQueue {
            topic: self.client.without_namespace(&queue.topic),
            ..queue.clone()
        }
    }

    pub(crate) fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }

    /// The per-queue cached-message limits for `topic`: (count, MiB).
    pub(crate) fn queue_limits(&self, topic: &str) -> (usize, usize) {
        lock(&self.topic_limits).get(topic).copied().unwrap_or((
            self.settings.pull_threshold_for_queue,
            self.settings.pull_threshold_size_for_queue,
        ))
    }

    /// Java `messageQueueChanged`: topic-level limits divided among the queues held.
    pub(crate) fn queues_changed(&self, topic: &str, held: usize) {
        let s = &self.settings;
        if s.pull_threshold_for_topic.is_none() && s.pull_threshold_size_for_topic.is_none() {
            return;
        }
        let held = held.max(1);
        let count = s
            .pull_threshold_for_topic
            .map_or(s.pull_threshold_for_queue, |t| (t / held).max(1));
        let size = s
            .pull_threshold_size_for_topic
            .map_or(s.pull_threshold_size_for_queue, |t| (t / held).max(1));
        lock(&self.topic_limits).insert(topic.to_owned(), (count, size));
    }

    /// Where a new queue starts (see [`balance::start_offset`]).
    pub(crate) async fn start_offset(&self, queue: &MessageQueue) -> Result<i64> {
        balance::start_offset(
            &self.client,
            &self.offsets,
            self.settings.consume_from,
            queue,
            false,
        )
        .await
    }

    /// Java `removeUnnecessaryMessageQueue`: persist and forget the queue's offset; for
    /// orderly clustering consumers also release the broker lock, unless the queue is
    /// being consumed right now (then the removal is retried at the next rebalance).
    pub(crate) async fn remove_unnecessary(
        self: &Arc<Self>,
        queue: &MessageQueue,
        pq: &Arc<ProcessQueue>,
    ) -> bool {
        self.offsets.persist(queue, false).await;
        self.offsets.remove(queue);
        self.fetcher.forget(queue);
        if !(self.orderly() && self.clustering()) {
            return true;
        }
        match tokio::time::timeout(LOCK_TIMEOUT, pq.consume_lock.lock()).await {
            Ok(_guard) => {
                if pq.has_messages() {
                    let core = Arc::clone(self);
                    let queue = queue.clone();
                    self.background.spawn_cancellable(async move {
                        tokio::time::sleep(UNLOCK_DELAY).await;
                        core.unlock(&[queue], true).await;
                    });
                } else {
                    self.unlock(std::slice::from_ref(queue), true).await;
                }
                true
            }
            Err(_) => {
                pq.inc_try_unlock();
                false
            }
        }
    }

    /// LOCK_BATCH_MQ for `queues` (one broker); the queues the broker locked.
    async fn lock_batch(
        &self,
        broker_name: &str,
        queues: Vec<MessageQueue>,
    ) -> Result<HashSet<MessageQueue>> {
        let Some(first) = queues.first() else {
            return Ok(HashSet::new());
        };
        let addr = broker::master(&self.client, first).await?;
        let request = LockBatchMq {
            header: Default::default(),
            body: LockBatchRequest {
                consumer_group: self.group.clone(),
                client_id: self.client.client_id().to_owned(),
                only_this_broker: None,
                mq_set: queues,
            },
        };
        let locked = self.client.call(&addr, &request, LOCK_TIMEOUT).await?;
        tracing::trace!(
            broker = broker_name,
            locked = locked.locked.len(),
            "lock batch"
        );
        Ok(locked.locked.into_iter().collect())
    }

    /// Locks one queue on its broker (Java `RebalanceImpl.lock`).
    pub(crate) async fn lock_one(&self, queue: &MessageQueue) -> bool {
        match self
            .lock_batch(&queue.broker_name, vec![queue.clone()])
            .await
        {
            Ok(locked) => {
                let ok = locked.contains(queue);
                if let Some(pq) = self.process_queue(queue)
                    && ok
                {
                    pq.set_locked(true);
                }
                ok
            }
            Err(err) => {
                tracing::debug!(?queue, %err, "lock failed");
                false
            }
        }
    }

    /// Renews the locks of every queue held (Java `lockAll`): locked ones are marked
    /// with the time, the others as not locked.
    pub(crate) async fn lock_all(&self) {
        let mut by_broker: BTreeMap<String, Vec<(MessageQueue, Arc<ProcessQueue>)>> =
            BTreeMap::new();
        for (queue, pq) in self.queues().iter() {
            by_broker
                .entry(queue.broker_name.clone())
                .or_default()
                .push((queue.clone(), Arc::clone(pq)));
        }
        for (broker_name, held) in by_broker {
            let wanted = held.iter().map(|(q, _)| q.clone()).collect();
            match self.lock_batch(&broker_name, wanted).await {
                Ok(locked) => {
                    for (queue, pq) in held {
                        pq.set_locked(locked.contains(&queue));
                    }
                }
                Err(err) => tracing::debug!(broker = %broker_name, %err, "lock renewal failed"),
            }
        }
    }

    /// UNLOCK_BATCH_MQ for `queues` (Java `unlock`/`unlockAll`), oneway or waiting.
    pub(crate) async fn unlock(&self, queues: &[MessageQueue], oneway: bool) {
        let mut by_broker: BTreeMap<&str, Vec<MessageQueue>> = BTreeMap::new();
        for queue in queues {
            by_broker
                .entry(queue.broker_name.as_str())
                .or_default()
                .push(queue.clone());
        }
        for (broker_name, mq_set) in by_broker {
            let Some(first) = mq_set.first().cloned() else {
                continue;
            };
            let result: Result<()> = async {
                let addr = broker::master(&self.client, &first).await?;
                let request = UnlockBatchMq {
                    header: Default::default(),
                    body: UnlockBatchRequest {
                        consumer_group: self.group.clone(),
                        client_id: self.client.client_id().to_owned(),
                        only_this_broker: None,
                        mq_set,
                    },
                };
                if oneway {
                    broker::oneway(&self.client, &addr, &request, LOCK_TIMEOUT).await
                } else {
                    self.client.call(&addr, &request, LOCK_TIMEOUT).await
                }
            }
            .await;
            if let Err(err) = result {
                tracing::debug!(broker = broker_name, %err, "unlock failed");
            }
        }
    }
}
