//! [`ProcessQueue`]: the messages pulled from one queue and not yet consumed (Java
//! `ProcessQueue`).
//!
//! Messages are kept by queue offset. Concurrent consumption removes them when consumed,
//! and the queue's consume offset is the smallest offset still held (or one past the
//! largest seen when none is held), so a slow message holds the offset back and nothing
//! unconsumed is ever skipped. Orderly consumption takes messages out in offset order into
//! a "consuming" set and commits (or puts back) the whole set.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::message::ReceivedMessage;
use super::subscription::now_millis;
use crate::protocol::body::ProcessQueueInfo;

/// How long a broker lock counts as held on the client side (Java
/// `rocketmq.client.rebalance.lockMaxLiveTime`, 30 s).
pub(crate) const LOCK_MAX_LIVE: Duration = Duration::from_secs(30);
/// A queue not pulled for this long is dropped and rebuilt by the next rebalance (Java
/// `rocketmq.client.pull.pullMaxIdleTime`, 120 s).
pub(crate) const PULL_MAX_IDLE: Duration = Duration::from_secs(120);

/// A message held, and when its current consumption started (concurrent; for the
/// consume timeout).
struct Held {
    msg: ReceivedMessage,
    started: Option<Instant>,
}

impl Held {
    fn new(msg: ReceivedMessage) -> Self {
        Self { msg, started: None }
    }
}

#[derive(Default)]
struct State {
    msgs: BTreeMap<i64, Held>,
    /// Messages held, including those being consumed orderly (Java `msgCount`).
    count: usize,
    /// Body bytes held (Java `msgSize`).
    size: usize,
    /// The largest offset put (Java `queueOffsetMax`).
    max_offset: i64,
    /// Orderly: messages taken and not yet committed.
    consuming: BTreeMap<i64, ReceivedMessage>,
    /// Orderly: a consume task is (or should be) running.
    busy: bool,
}

/// The parent of a consumer's process queues: cancelling it drops them all (when the
/// consumer is done).
#[derive(Debug, Default)]
pub(crate) struct QueueRoot {
    token: CancellationToken,
    /// Set before `token` is cancelled: what [`ProcessQueue::is_dropped`] reads, without
    /// the lock a cancellation token takes to say whether it is cancelled.
    cancelled: Arc<AtomicBool>,
}

impl QueueRoot {
    /// Drops every process queue made under this root.
    pub(crate) fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
        self.token.cancel();
    }
}

/// The pulled, unconsumed messages of one queue and its consumption state.
pub(crate) struct ProcessQueue {
    state: Mutex<State>,
    /// Cancelled when the queue or its root is dropped, for those who wait for it.
    dropped: CancellationToken,
    /// Set before `dropped` is cancelled by [`ProcessQueue::drop_queue`].
    dropped_flag: AtomicBool,
    /// The root's flag.
    root_dropped: Arc<AtomicBool>,
    locked: AtomicBool,
    last_lock: AtomicI64,
    last_pull: AtomicI64,
    last_consume: AtomicI64,
    try_unlock_times: AtomicI64,
    /// Orderly: held while the queue's consume loop runs (Java `MessageQueueLock`).
    pub(crate) orderly_lock: tokio::sync::Mutex<()>,
    /// Orderly: held while the listener runs (Java `consumeLock`).
    pub(crate) consume_lock: tokio::sync::Mutex<()>,
}

impl ProcessQueue {
    /// A queue dropped with `root` (the consumer's shutdown) or on its own.
    pub(crate) fn new(root: &QueueRoot) -> Self {
        let now = now_millis();
        Self {
            state: Mutex::default(),
            dropped: root.token.child_token(),
            dropped_flag: AtomicBool::new(false),
            root_dropped: Arc::clone(&root.cancelled),
            locked: AtomicBool::new(false),
            last_lock: AtomicI64::new(now),
            last_pull: AtomicI64::new(now),
            last_consume: AtomicI64::new(now),
            try_unlock_times: AtomicI64::new(0),
            orderly_lock: tokio::sync::Mutex::new(()),
            consume_lock: tokio::sync::Mutex::new(()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Sections never panic half-way; a poisoned lock is consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn drop_queue(&self) {
        self.dropped_flag.store(true, Ordering::Release);
        self.dropped.cancel();
    }

    /// Whether the queue or its root was dropped: two atomic loads, as this is asked
    /// several times for every pull.
    pub(crate) fn is_dropped(&self) -> bool {
        self.dropped_flag.load(Ordering::Acquire) || self.root_dropped.load(Ordering::Acquire)
    }

    /// Cancelled when the queue is dropped (or the consumer closes).
    pub(crate) fn dropped_token(&self) -> &CancellationToken {
        &self.dropped
    }

    pub(crate) fn set_locked(&self, locked: bool) {
        self.locked.store(locked, Ordering::Release);
        if locked {
            self.last_lock.store(now_millis(), Ordering::Release);
        }
    }

    pub(crate) fn is_locked(&self) -> bool {
        self.locked.load(Ordering::Acquire)
    }

    pub(crate) fn is_lock_expired(&self) -> bool {
        elapsed_since(self.last_lock.load(Ordering::Acquire)) > LOCK_MAX_LIVE
    }

    pub(crate) fn touch_pull(&self) {
        self.last_pull.store(now_millis(), Ordering::Release);
    }

    pub(crate) fn is_pull_expired(&self) -> bool {
        elapsed_since(self.last_pull.load(Ordering::Acquire)) > PULL_MAX_IDLE
    }

    pub(crate) fn inc_try_unlock(&self) {
        self.try_unlock_times.fetch_add(1, Ordering::AcqRel);
    }

    /// Adds pulled messages; for orderly consumption, whether a consume task should be
    /// started (none is running and there is something to consume).
    pub(crate) fn put(&self, msgs: &[ReceivedMessage]) -> bool {
        let mut s = self.lock();
        for msg in msgs {
            let offset = msg.queue_offset();
            if s.msgs.insert(offset, Held::new(msg.clone())).is_none() {
                s.count += 1;
                s.size += msg.body().len();
            }
            s.max_offset = s.max_offset.max(offset);
        }
        let dispatch = !s.msgs.is_empty() && !s.busy;
        if dispatch {
            s.busy = true;
        }
        dispatch
    }

    /// Held messages (orderly ones being consumed included) and their body bytes.
    pub(crate) fn cached(&self) -> (usize, usize) {
        let s = self.lock();
        (s.count, s.size)
    }

    /// Distance between the smallest and largest offset held (Java `getMaxSpan`).
    pub(crate) fn max_span(&self) -> i64 {
        let s = self.lock();
        match (s.msgs.first_key_value(), s.msgs.last_key_value()) {
            (Some((first, _)), Some((last, _))) => last - first,
            _ => 0,
        }
    }

    /// Marks `msgs` as being consumed since `now` (for the consume timeout).
    pub(crate) fn mark_started(&self, msgs: &[ReceivedMessage], now: Instant) {
        let mut s = self.lock();
        for msg in msgs {
            if let Some(held) = s.msgs.get_mut(&msg.queue_offset()) {
                held.started = Some(now);
            }
        }
    }

    /// Removes consumed messages (by offset) and returns the offset to commit: the
    /// smallest offset still held, else one past the largest seen; -1 when nothing was
    /// held (Java `removeMessage`).
    pub(crate) fn remove(&self, offsets: impl IntoIterator<Item = i64>) -> i64 {
        self.last_consume.store(now_millis(), Ordering::Release);
        let mut s = self.lock();
        if s.msgs.is_empty() {
            return -1;
        }
        let mut result = s.max_offset + 1;
        for offset in offsets {
            if let Some(held) = s.msgs.remove(&offset) {
                s.count = s.count.saturating_sub(1);
                s.size = s.size.saturating_sub(held.msg.body().len());
            }
        }
        if let Some((first, _)) = s.msgs.first_key_value() {
            result = *first;
        }
        result
    }

    /// The first held message if its consumption started more than `timeout` ago (Java
    /// `cleanExpiredMsg`'s check).
    pub(crate) fn first_expired(&self, timeout: Duration) -> Option<ReceivedMessage> {
        let s = self.lock();
        let (_, held) = s.msgs.first_key_value()?;
        let started = held.started?;
        (started.elapsed() > timeout).then(|| held.msg.clone())
    }

    /// Removes `msg` if it is still the first held message, without committing (Java
    /// `cleanExpiredMsg`'s removal).
    pub(crate) fn remove_if_first(&self, msg: &ReceivedMessage) {
        let first = self.lock().msgs.first_key_value().map(|(o, _)| *o);
        if first == Some(msg.queue_offset()) {
            self.remove([msg.queue_offset()]);
        }
    }

    /// Orderly: takes up to `batch` messages in offset order into the consuming set; none
    /// left ends the consume task (Java `takeMessages`).
    pub(crate) fn take(&self, batch: usize) -> Vec<ReceivedMessage> {
        self.last_consume.store(now_millis(), Ordering::Release);
        let mut s = self.lock();
        let mut out = Vec::with_capacity(batch.min(s.msgs.len()));
        while out.len() < batch {
            let Some((offset, held)) = s.msgs.pop_first() else {
                break;
            };
            s.consuming.insert(offset, held.msg.clone());
            out.push(held.msg);
        }
        if out.is_empty() {
            s.busy = false;
        }
        out
    }

    /// Orderly: the consuming set is consumed; returns the offset to commit (one past the
    /// last consumed), or -1 (Java `commit`).
    pub(crate) fn commit(&self) -> i64 {
        let mut s = self.lock();
        let Some((last, _)) = s.consuming.last_key_value() else {
            return -1;
        };
        let next = last + 1;
        let consumed = std::mem::take(&mut s.consuming);
        s.count = s.count.saturating_sub(consumed.len());
        let bytes: usize = consumed.values().map(|m| m.body().len()).sum();
        s.size = s.size.saturating_sub(bytes);
        next
    }

    /// Orderly: puts `msgs` (with their updated reconsume counts) back to be consumed
    /// again (Java `makeMessageToConsumeAgain`).
    pub(crate) fn consume_again(&self, msgs: Vec<ReceivedMessage>) {
        let mut s = self.lock();
        for msg in msgs {
            let offset = msg.queue_offset();
            s.consuming.remove(&offset);
            s.msgs.insert(offset, Held::new(msg));
        }
    }

    /// Orderly: puts back whatever is being consumed (when consumption stops early).
    pub(crate) fn rollback(&self) {
        let mut s = self.lock();
        let consuming = std::mem::take(&mut s.consuming);
        s.msgs
            .extend(consuming.into_iter().map(|(o, m)| (o, Held::new(m))));
    }

    /// Whether messages are held (Java `hasTempMessage`).
    pub(crate) fn has_messages(&self) -> bool {
        !self.lock().msgs.is_empty()
    }

    /// Forgets every held message (Java `clear`, for an offset reset).
    pub(crate) fn clear(&self) {
        let mut s = self.lock();
        let max = s.max_offset;
        *s = State {
            max_offset: max,
            ..State::default()
        };
    }

    /// The state as Java reports it in consumer running info (`fillProcessQueueInfo`).
    pub(crate) fn info(&self, commit_offset: i64) -> ProcessQueueInfo {
        let s = self.lock();
        let first = |m: &BTreeMap<i64, ReceivedMessage>| m.first_key_value().map_or(0, |(k, _)| *k);
        let last = |m: &BTreeMap<i64, ReceivedMessage>| m.last_key_value().map_or(0, |(k, _)| *k);
        ProcessQueueInfo {
            commit_offset,
            cached_msg_min_offset: s.msgs.first_key_value().map_or(0, |(k, _)| *k),
            cached_msg_max_offset: s.msgs.last_key_value().map_or(0, |(k, _)| *k),
            cached_msg_count: i32::try_from(s.msgs.len()).unwrap_or(i32::MAX),
            cached_msg_size_in_mib: i32::try_from(s.size / (1024 * 1024)).unwrap_or(i32::MAX),
            transaction_msg_min_offset: first(&s.consuming),
            transaction_msg_max_offset: last(&s.consuming),
            transaction_msg_count: i32::try_from(s.consuming.len()).unwrap_or(i32::MAX),
            locked: self.is_locked(),
            try_unlock_times: self.try_unlock_times.load(Ordering::Acquire),
            last_lock_timestamp: self.last_lock.load(Ordering::Acquire),
            dropped: self.is_dropped(),
            last_pull_timestamp: self.last_pull.load(Ordering::Acquire),
            last_consume_timestamp: self.last_consume.load(Ordering::Acquire),
        }
    }
}

fn elapsed_since(millis: i64) -> Duration {
    Duration::from_millis(u64::try_from(now_millis() - millis).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::MessageQueue;
    use crate::protocol::message::{Message, StoredMessage};

    fn msgs(offsets: &[i64]) -> Vec<ReceivedMessage> {
        let q = MessageQueue {
            topic: "t".into(),
            broker_name: "b".into(),
            queue_id: 0,
        };
        offsets
            .iter()
            .map(|o| {
                let stored = StoredMessage {
                    message: Message::new("t", vec![0u8; 10]),
                    queue_offset: *o,
                    ..Default::default()
                };
                ReceivedMessage::new(stored, &q, "g", str::to_owned)
            })
            .collect()
    }

    #[test]
    fn concurrent_offsets_never_skip_unconsumed() {
        let pq = ProcessQueue::new(&QueueRoot::default());
        assert_eq!(pq.remove([1]), -1);
        pq.put(&msgs(&[5, 6, 7, 8]));
        assert_eq!(pq.cached(), (4, 40));
        assert_eq!(pq.max_span(), 3);
        // 6 and 8 done, 5 still running: commit stays at 5.
        assert_eq!(pq.remove([6, 8]), 5);
        assert_eq!(pq.remove([5]), 7);
        assert_eq!(pq.remove([7]), 9);
        assert_eq!(pq.cached(), (0, 0));
        assert!(!pq.has_messages());
    }

    #[test]
    fn orderly_take_commit_and_again() {
        let pq = ProcessQueue::new(&QueueRoot::default());
        assert!(pq.put(&msgs(&[0, 1, 2])));
        // A consume task is running: no second dispatch.
        assert!(!pq.put(&msgs(&[3])));
        let first = pq.take(2);
        assert_eq!(
            first.iter().map(|m| m.queue_offset()).collect::<Vec<_>>(),
            [0, 1]
        );
        let again: Vec<_> = first.iter().map(|m| m.with_reconsume_times(1)).collect();
        pq.consume_again(again);
        let retry = pq.take(2);
        assert_eq!(retry[0].reconsume_times(), 1);
        assert_eq!(pq.commit(), 2);
        assert_eq!(pq.cached().0, 2);
        assert_eq!(pq.take(10).len(), 2);
        assert_eq!(pq.commit(), 4);
        assert!(pq.take(1).is_empty());
        // The task ended: the next put dispatches again.
        assert!(pq.put(&msgs(&[4])));
        let info = pq.info(4);
        assert_eq!(info.cached_msg_count, 1);
        assert_eq!(info.commit_offset, 4);
    }

    #[test]
    fn expiry_and_clear() {
        let pq = ProcessQueue::new(&QueueRoot::default());
        let m = msgs(&[3, 4]);
        pq.put(&m);
        assert!(pq.first_expired(Duration::ZERO).is_none());
        pq.mark_started(&m, Instant::now());
        std::thread::sleep(Duration::from_millis(5));
        let expired = pq.first_expired(Duration::from_millis(1)).unwrap();
        assert_eq!(expired.queue_offset(), 3);
        pq.remove_if_first(&m[1]);
        assert_eq!(pq.cached().0, 2);
        pq.remove_if_first(&expired);
        assert_eq!(pq.cached().0, 1);
        pq.clear();
        assert_eq!(pq.cached(), (0, 0));
        assert!(!pq.is_dropped());
        pq.drop_queue();
        assert!(pq.is_dropped());
        assert!(pq.dropped_token().is_cancelled());
    }

    #[test]
    fn the_root_drops_every_queue() {
        let root = QueueRoot::default();
        let (a, b) = (ProcessQueue::new(&root), ProcessQueue::new(&root));
        b.drop_queue();
        assert!(!a.is_dropped());
        root.cancel();
        assert!(a.is_dropped() && a.dropped_token().is_cancelled());
        assert!(b.is_dropped());
        // A queue made after the root was cancelled starts dropped.
        let late = ProcessQueue::new(&root);
        assert!(late.is_dropped() && late.dropped_token().is_cancelled());
    }
}
