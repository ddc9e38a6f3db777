//! The state a lite pull consumer's tasks share: assigned queues with their offsets, the
//! pulled batches waiting for `poll`, settings.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, mpsc};

use crate::client::Client;
use crate::consumer::fetch::Fetcher;
use crate::consumer::loops::PullLoops;
use crate::consumer::offset::OffsetStore;
use crate::consumer::process_queue::{ProcessQueue, QueueRoot};
use crate::consumer::tasks::TaskSet;
use crate::consumer::{AllocateStrategy, ConsumeFrom, MessageModel, ReceivedMessage};
use crate::protocol::MessageQueue;
use crate::protocol::body::SubscriptionData;

/// What a lite pull consumer was built with; documented on the builder's setters.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) model: MessageModel,
    pub(crate) consume_from: ConsumeFrom,
    pub(crate) pull_batch_size: i32,
    pub(crate) pull_threshold_for_all: usize,
    pub(crate) pull_threshold_for_queue: usize,
    pub(crate) pull_threshold_size_for_queue: usize,
    pub(crate) max_span: i64,
    pub(crate) poll_timeout: Duration,
    pub(crate) auto_commit: bool,
    pub(crate) auto_commit_interval: Duration,
    pub(crate) broker_suspend: Duration,
    pub(crate) suspend_timeout: Duration,
    pub(crate) rebalance_interval: Duration,
    pub(crate) delay_on_error: Duration,
    pub(crate) offset_store_dir: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            model: MessageModel::Clustering,
            consume_from: ConsumeFrom::LastOffset,
            pull_batch_size: 10,
            pull_threshold_for_all: 10_000,
            pull_threshold_for_queue: 1000,
            pull_threshold_size_for_queue: 100,
            max_span: 2000,
            poll_timeout: Duration::from_secs(5),
            auto_commit: true,
            auto_commit_interval: Duration::from_secs(5),
            broker_suspend: Duration::from_secs(20),
            suspend_timeout: Duration::from_secs(30),
            rebalance_interval: Duration::from_secs(20),
            delay_on_error: Duration::from_secs(3),
            offset_store_dir: None,
        }
    }
}

/// How queues are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Nothing yet.
    Unset,
    /// Subscriptions with rebalancing.
    Subscribe,
    /// Queues assigned by the application.
    Assign,
}

/// One queue this consumer pulls (Java `AssignedMessageQueue`'s entry).
pub(crate) struct Assigned {
    pub(crate) pq: Arc<ProcessQueue>,
    pub(crate) paused: AtomicBool,
    /// Where the next pull starts; -1 until known.
    pub(crate) pull_offset: AtomicI64,
    /// One past the last message polled; -1 until something was polled or sought.
    pub(crate) consume_offset: AtomicI64,
    /// Where a seek asked the next pull to start; -1 for none.
    pub(crate) seek_offset: AtomicI64,
    /// Bumped by each seek: batches pulled before it are stale.
    pub(crate) generation: AtomicU64,
    /// Wakes the pull task (a seek cancels its pull in flight).
    pub(crate) wake: Notify,
}

impl Assigned {
    pub(crate) fn new(root: &QueueRoot) -> Self {
        Self {
            pq: Arc::new(ProcessQueue::new(root)),
            paused: AtomicBool::new(false),
            pull_offset: AtomicI64::new(-1),
            consume_offset: AtomicI64::new(-1),
            seek_offset: AtomicI64::new(-1),
            generation: AtomicU64::new(0),
            wake: Notify::new(),
        }
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }
}

/// A pulled batch waiting for `poll`.
pub(crate) struct Batch {
    pub(crate) queue: MessageQueue,
    pub(crate) generation: u64,
    pub(crate) messages: Vec<ReceivedMessage>,
}

/// Everything a lite pull consumer's tasks share.
pub(crate) struct Shared {
    pub(crate) client: Client,
    /// The group, namespaced.
    pub(crate) group: String,
    pub(crate) settings: Settings,
    pub(crate) strategy: Arc<dyn AllocateStrategy>,
    pub(crate) fetcher: Fetcher,
    pub(crate) offsets: OffsetStore,
    pub(crate) mode: Mutex<Mode>,
    /// Subscriptions by namespaced topic (subscribe mode), or the expressions of assigned
    /// topics (assign mode; `*` when none was given).
    pub(crate) subscriptions: Mutex<BTreeMap<String, SubscriptionData>>,
    pub(crate) assigned: Mutex<HashMap<MessageQueue, Arc<Assigned>>>,
    pub(crate) batches: mpsc::Sender<Batch>,
    pub(crate) inbox: tokio::sync::Mutex<mpsc::Receiver<Batch>>,
    /// The pull loop of every queue assigned, driven by one background task.
    pub(crate) pull_loops: PullLoops,
    pub(crate) background: TaskSet,
    pub(crate) queue_root: QueueRoot,
    pub(crate) rebalance_now: Notify,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Sections only read or replace values; a poisoned lock is consistent.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub(crate) fn assigned(&self) -> MutexGuard<'_, HashMap<MessageQueue, Arc<Assigned>>> {
        lock(&self.assigned)
    }

    pub(crate) fn subscriptions(&self) -> MutexGuard<'_, BTreeMap<String, SubscriptionData>> {
        lock(&self.subscriptions)
    }

    pub(crate) fn mode(&self) -> MutexGuard<'_, Mode> {
        lock(&self.mode)
    }

    pub(crate) fn entry(&self, queue: &MessageQueue) -> Option<Arc<Assigned>> {
        self.assigned().get(queue).cloned()
    }

    /// Batches waiting for `poll`.
    pub(crate) fn waiting(&self) -> usize {
        self.batches.max_capacity() - self.batches.capacity()
    }

    /// The queue with the client's namespace.
    pub(crate) fn wrap(&self, queue: &MessageQueue) -> MessageQueue {
        MessageQueue {
            topic: self.client.with_namespace(&queue.topic),
            ..queue.clone()
        }
    }

    /// The queue without the client's namespace.
    pub(crate) fn unwrap(&self, queue: &MessageQueue) -> MessageQueue {
        MessageQueue {
            topic: self.client.without_namespace(&queue.topic),
            ..queue.clone()
        }
    }

    /// Java `commitAll`: every polled position into the offset store's memory.
    pub(crate) fn commit_all(&self) {
        let entries: Vec<(MessageQueue, Arc<Assigned>)> = self
            .assigned()
            .iter()
            .map(|(q, a)| (q.clone(), Arc::clone(a)))
            .collect();
        for (queue, entry) in entries {
            let offset = entry.consume_offset.load(Ordering::Acquire);
            if offset >= 0 && !entry.pq.is_dropped() {
                self.offsets.update(&queue, offset, false);
            }
        }
    }
}
