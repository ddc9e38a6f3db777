//! The async way into [`Store::append_all`].
//!
//! Under ASYNC_FLUSH, async callers ([`Store::append_async`], [`Store::append_batch_async`])
//! append on their own thread: the append is a write into the page cache under the store
//! lock (no fsync, which the flusher thread does every `flush_interval`), about as long as
//! Java's send threads take to copy a record into its mapped commit log. Handing it to
//! another thread and waiting for the answer would cost two thread wake-ups per message,
//! more than the write itself.
//!
//! Under SYNC_FLUSH they queue a submission on a bounded channel and await a oneshot
//! reply. One long-lived thread, `store-append`, owned by the store, takes everything
//! queued at each wake-up (up to [`MAX_JOBS`] submissions / [`MAX_BODY_BYTES`] of bodies)
//! and appends it as one batch: one lock, one commit-log write per segment, one
//! consume-queue write per queue and one fsync before any of them is answered (group
//! commit), so the fsync stays off the async worker threads.
//!
//! Invariants:
//! * a submission is answered only after [`Store::append_all`] returned for it, so under
//!   SYNC_FLUSH every `Ok` answer covers a record an fsync has made durable;
//! * submissions are appended in the order they were queued (SYNC_FLUSH) or took the
//!   store lock (ASYNC_FLUSH); the messages of one submission are appended back to back
//!   (a batch gets consecutive queue offsets);
//! * the thread (SYNC_FLUSH only) ends when [`Store::close`] stops it (it is joined
//!   there) or when every handle of the store is gone (the channel closes); submissions
//!   still queued then are dropped, and their callers get [`Error::Shutdown`]; after
//!   [`Store::close`] an ASYNC_FLUSH append fails with [`Error::Shutdown`] too;
//! * a caller that stops waiting after its submission was queued does not cancel it: the
//!   message is stored, the answer discarded (as a client whose connection drops after
//!   sending).

use std::sync::Weak;
use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot};

use super::append::{Outcome, Scratch};
use super::*;

/// Submissions waiting for the thread at most (senders wait beyond it).
const QUEUE_LEN: usize = 1024;
/// Most submissions appended in one batch.
const MAX_JOBS: usize = 256;
/// Message bodies appended in one batch at most (a batch takes at least one submission).
const MAX_BODY_BYTES: usize = 4 << 20;

/// A message for the appender thread.
#[derive(Debug)]
pub(super) enum Job {
    /// Append these messages and answer with the outcome.
    Append {
        msgs: Vec<StoredMessage>,
        reply: oneshot::Sender<Outcome>,
    },
    /// End the thread (sent by [`Store::close`]).
    Stop,
}

/// The store's handle on its appender thread.
#[derive(Debug)]
pub(super) struct Appender {
    tx: mpsc::Sender<Job>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// Buffers of the appends made on the caller's thread ([`Store::append`],
    /// ASYNC_FLUSH appends); taken before the store lock.
    scratch: Mutex<Scratch>,
}

impl Appender {
    /// The handle and the receiving end [`start`](Self::start) gives to the thread.
    pub(super) fn new() -> (Appender, mpsc::Receiver<Job>) {
        let (tx, rx) = mpsc::channel(QUEUE_LEN);
        let appender = Appender {
            tx,
            thread: Mutex::new(None),
            scratch: Mutex::new(Scratch::default()),
        };
        (appender, rx)
    }

    /// Starts the thread for the store `inner` when it flushes synchronously (the only
    /// mode that queues submissions).
    pub(super) fn start(inner: &Arc<Inner>, rx: mpsc::Receiver<Job>) -> Result<()> {
        if inner.config.flush_mode != FlushMode::Sync {
            return Ok(());
        }
        let weak = Arc::downgrade(inner);
        let thread = std::thread::Builder::new()
            .name("store-append".into())
            .spawn(move || run(rx, &weak))?;
        *lock(&inner.appender.thread) = Some(thread);
        Ok(())
    }

    /// Stops the thread and waits for it (the batch it is appending completes). Called
    /// once the store is marked closed.
    pub(super) fn stop(&self) {
        // When the queue is full the thread is busy and sees the closed flag after its
        // batch; otherwise the Stop message wakes it.
        let _ = self.tx.try_send(Job::Stop);
        if let Some(thread) = lock(&self.thread).take()
            && thread.join().is_err()
        {
            tracing::error!("store append thread panicked");
        }
    }
}

fn run(mut rx: mpsc::Receiver<Job>, weak: &Weak<Inner>) {
    let mut scratch = Scratch::default();
    let mut msgs = Vec::new();
    let mut replies = Vec::new();
    while let Some(first) = rx.blocking_recv() {
        let mut stop = false;
        let mut bytes = 0;
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Append { msgs: m, reply } => {
                    bytes += m.iter().map(|m| m.message.body().len()).sum::<usize>();
                    msgs.push(m);
                    replies.push(reply);
                }
                Job::Stop => {
                    stop = true;
                    break;
                }
            }
            if msgs.len() < MAX_JOBS && bytes < MAX_BODY_BYTES {
                next = rx.try_recv().ok();
            }
        }
        let Some(inner) = weak.upgrade() else { return };
        if !msgs.is_empty() {
            let store = Store { inner };
            let outcomes = store.append_all(&mut scratch, std::mem::take(&mut msgs));
            for (reply, outcome) in replies.drain(..).zip(outcomes) {
                // The caller may have stopped waiting; the message is stored regardless.
                let _ = reply.send(outcome);
            }
            if stop || store.inner.closed.load(Ordering::Acquire) {
                return;
            }
        } else if stop || inner.closed.load(Ordering::Acquire) {
            return;
        }
    }
}

impl Store {
    /// Appends a message (see [`append`](Self::append), which it equals in effect, for
    /// what the store fills in). With [`FlushMode::Sync`] it appends on the appender
    /// thread and answers after an fsync covering the record; messages submitted while
    /// the thread is busy are appended together at its next wake-up (one write, one
    /// fsync). With [`FlushMode::Async`] it appends on the calling thread, without
    /// waiting.
    ///
    /// Cancelling the future after the message was queued does not cancel the append.
    pub async fn append_async(&self, msg: StoredMessage) -> Result<AppendResult> {
        self.submit(vec![msg]).await?.single()
    }

    /// Appends the messages in order with consecutive offsets in their queue (on the
    /// appender thread under [`FlushMode::Sync`]). Returns what was stored and, when one failed, why (the messages
    /// after it are not stored).
    pub async fn append_batch_async(
        &self,
        msgs: Vec<StoredMessage>,
    ) -> (Vec<AppendResult>, Option<Error>) {
        match self.submit(msgs).await {
            Ok(o) => (o.appended, o.error),
            Err(e) => (Vec::new(), Some(e)),
        }
    }

    /// Appends the messages in order with consecutive offsets in their queue, on this
    /// thread (see [`append_batch_async`](Self::append_batch_async)). With
    /// [`FlushMode::Sync`] it returns after an fsync covering them. Blocking: async
    /// callers use it only under [`FlushMode::Async`], where it writes to the page cache.
    pub fn append_batch(&self, msgs: Vec<StoredMessage>) -> (Vec<AppendResult>, Option<Error>) {
        let outcome = self.append_here(msgs);
        (outcome.appended, outcome.error)
    }

    /// Appends several submissions (each a message or the messages of a batch) in one
    /// pass on this thread, as one batch is appended: one commit-log write per
    /// segment and one consume-queue write per queue for all of them. Returns, per
    /// submission in order, what was stored and, when one of its messages failed, why.
    /// With [`FlushMode::Sync`] it returns after one fsync covering them. Blocking, like
    /// [`append_batch`](Self::append_batch).
    pub fn append_submissions(
        &self,
        submissions: Vec<Vec<StoredMessage>>,
    ) -> Vec<(Vec<AppendResult>, Option<Error>)> {
        let mut scratch = lock(&self.inner.appender.scratch);
        self.append_all(&mut scratch, submissions)
            .into_iter()
            .map(|o| (o.appended, o.error))
            .collect()
    }

    /// [`append_submissions`](Self::append_submissions) for async callers: on this
    /// thread under [`FlushMode::Async`]; under [`FlushMode::Sync`] each submission is
    /// queued for the appender thread in order (which appends what it finds queued
    /// together) and the answers are awaited.
    pub async fn append_submissions_async(
        &self,
        submissions: Vec<Vec<StoredMessage>>,
    ) -> Vec<(Vec<AppendResult>, Option<Error>)> {
        if self.inner.config.flush_mode != FlushMode::Sync {
            return self.append_submissions(submissions);
        }
        let mut answers = Vec::with_capacity(submissions.len());
        for msgs in submissions {
            let (reply, answer) = oneshot::channel();
            let queued = self
                .inner
                .appender
                .tx
                .send(Job::Append { msgs, reply })
                .await;
            answers.push(queued.ok().map(|()| answer));
        }
        let mut out = Vec::with_capacity(answers.len());
        for answer in answers {
            out.push(match answer {
                Some(answer) => match answer.await {
                    Ok(o) => (o.appended, o.error),
                    Err(_) => (Vec::new(), Some(Error::Shutdown)),
                },
                None => (Vec::new(), Some(Error::Shutdown)),
            });
        }
        out
    }

    /// Appends one submission on this thread, with the buffers kept for that.
    pub(super) fn append_here(&self, msgs: Vec<StoredMessage>) -> Outcome {
        let mut scratch = lock(&self.inner.appender.scratch);
        let mut outcomes = self.append_all(&mut scratch, vec![msgs]);
        outcomes.pop().unwrap_or_else(|| Outcome {
            appended: Vec::new(),
            error: Some(Error::Shutdown),
        })
    }

    async fn submit(&self, msgs: Vec<StoredMessage>) -> Result<Outcome> {
        if self.inner.config.flush_mode != FlushMode::Sync {
            return Ok(self.append_here(msgs));
        }
        let (reply, answer) = oneshot::channel();
        self.inner
            .appender
            .tx
            .send(Job::Append { msgs, reply })
            .await
            .map_err(|_| Error::Shutdown)?;
        answer.await.map_err(|_| Error::Shutdown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_dir::TestDir;
    use rocketmq::protocol::message::Message;

    fn config(dir: &TestDir) -> StoreConfig {
        let mut c = StoreConfig::new(dir.path());
        // Small segments, so batches cross segment ends.
        c.commit_log_segment_size = 8 << 10;
        c.max_record_size = 4 << 10;
        c.index_hash_slots = 64;
        c.index_entries = 4096;
        c
    }

    fn msg(topic: &str, queue_id: i32, i: usize) -> StoredMessage {
        let mut m = Message::new(topic, format!("body {i} {}", "x".repeat(i % 300)));
        m.set_keys([format!("k{i}")]);
        StoredMessage {
            message: m,
            queue_id,
            ..StoredMessage::default()
        }
    }

    fn body(store: &Store, topic: &str, queue_id: i32, offset: u64) -> String {
        let got = store
            .get_messages(topic, queue_id, offset, 1, None)
            .unwrap();
        assert_eq!(got.status, GetStatus::Found, "{topic}/{queue_id}@{offset}");
        let m = Store::decode(&got.records[0]).unwrap();
        assert_eq!(m.queue_offset, offset as i64);
        String::from_utf8(m.message.body().to_vec()).unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_sync_appends_share_fsyncs_and_survive_reopen() {
        let dir = TestDir::new("appender-sync");
        let mut c = config(&dir);
        c.flush_mode = FlushMode::Sync;
        let store = Store::open(c).unwrap();
        let base = store.fsync_count();
        let tasks: Vec<_> = (0..8)
            .map(|t| {
                let store = store.clone();
                tokio::spawn(async move {
                    let mut out = Vec::new();
                    for i in 0..60 {
                        let a = store.append_async(msg("S", t, i)).await.unwrap();
                        // Answered only once an fsync covered the record.
                        assert!(store.flushed_offset() >= a.phys_offset + a.size as u64);
                        out.push((i, a));
                    }
                    out
                })
            })
            .collect();
        let mut all = Vec::new();
        for (t, task) in tasks.into_iter().enumerate() {
            for (i, a) in task.await.unwrap() {
                assert_eq!(a.queue_offset, i as u64, "queue {t} in order");
                all.push(a);
            }
        }
        let fsyncs = store.fsync_count() - base;
        assert!(
            (1..=480).contains(&fsyncs),
            "{fsyncs} fsyncs for 480 appends"
        );
        assert!(
            store.min_phys_offset() == 0 && store.max_phys_offset() > 8 << 10,
            "several segments"
        );
        // Records do not overlap and each sits where its result says.
        all.sort_by_key(|a| a.phys_offset);
        for w in all.windows(2) {
            assert!(w[0].phys_offset + w[0].size as u64 <= w[1].phys_offset);
        }
        drop(store);
        // Not closed: reopening recovers as after a crash and finds every record.
        let store = Store::open(config(&dir)).unwrap();
        assert!(store.recovered_after_crash());
        for t in 0..8 {
            assert_eq!(store.max_offset("S", t), 60);
            assert_eq!(
                body(&store, "S", t, 59),
                format!("body 59 {}", "x".repeat(59))
            );
        }
        assert_eq!(
            store
                .query_by_key("S", "k7", 10, 0, i64::MAX)
                .unwrap()
                .phys_offsets
                .len(),
            8
        );
        store.close().unwrap();
    }

    /// The store keeps its per-queue staging buffers from one append to the next: each
    /// append here stages another set of queues, in another order, once with a batch of
    /// more entries than an idle buffer keeps; every message lands at its own offset.
    #[test]
    fn queue_staging_buffers_are_reused_across_appends() {
        let dir = TestDir::new("appender-reuse");
        let store = Store::open(config(&dir)).unwrap();
        let mut stored: std::collections::HashMap<(String, i32), u64> = Default::default();
        let mut n = 0;
        for round in 0..6i32 {
            let mut jobs: Vec<Vec<StoredMessage>> = Vec::new();
            for k in 0..4 {
                let q = (k * 5 + round) % 6;
                let topic = if q % 2 == 0 { "E" } else { "O" };
                jobs.push(vec![msg(topic, q, n)]);
                n += 1;
            }
            if round == 2 {
                jobs.push((0..1500).map(|i| msg("Big", 0, i)).collect());
            }
            let wanted: Vec<(String, i32, usize)> = jobs
                .iter()
                .map(|j| (j[0].message.topic().to_owned(), j[0].queue_id, j.len()))
                .collect();
            for ((topic, q, len), (appended, error)) in
                wanted.into_iter().zip(store.append_submissions(jobs))
            {
                assert!(error.is_none(), "{error:?}");
                assert_eq!(appended.len(), len);
                let next = stored.entry((topic.clone(), q)).or_default();
                for a in appended {
                    assert_eq!(a.queue_offset, *next, "{topic}/{q} in round {round}");
                    *next += 1;
                }
            }
        }
        for ((topic, q), count) in &stored {
            assert_eq!(store.max_offset(topic, *q), *count, "{topic}/{q}");
        }
        assert_eq!(
            body(&store, "Big", 0, 1499),
            format!("body 1499 {}", "x".repeat(299))
        );
        store.close().unwrap();
    }

    #[tokio::test]
    async fn batches_are_consecutive_and_stop_at_a_refused_message() {
        let dir = TestDir::new("appender-batch");
        let store = Store::open(config(&dir)).unwrap();
        let single = store.append_async(msg("B", 0, 0));
        let batch = store.append_batch_async((1..40).map(|i| msg("B", 0, i)).collect());
        let other = store.append_async(msg("C", 1, 0));
        let (single, (batch, error), other) = tokio::join!(single, batch, other);
        assert_eq!(single.unwrap().queue_offset, 0);
        assert!(error.is_none());
        let offsets: Vec<u64> = batch.iter().map(|a| a.queue_offset).collect();
        assert_eq!(offsets, (1..40).collect::<Vec<u64>>());
        assert_eq!(other.unwrap().queue_offset, 0);

        let mut too_big = msg("B", 0, 0);
        too_big.message.set_body(vec![b'x'; 5000]);
        let (stored, error) = store
            .append_batch_async(vec![msg("B", 0, 40), too_big, msg("B", 0, 41)])
            .await;
        assert_eq!(stored.len(), 1);
        assert!(
            matches!(error, Some(Error::MessageTooLarge { .. })),
            "{error:?}"
        );
        assert!(store.append_async(msg("../x", 0, 0)).await.is_err());
        assert_eq!(
            store
                .append_async(msg("B", 0, 42))
                .await
                .unwrap()
                .queue_offset,
            41
        );
        assert!(body(&store, "B", 0, 40).starts_with("body 40 "));
        assert!(body(&store, "B", 0, 41).starts_with("body 42 "));

        store.close().unwrap();
        assert!(matches!(
            store.append_async(msg("B", 0, 43)).await,
            Err(Error::Shutdown)
        ));
        let store = Store::open(config(&dir)).unwrap();
        assert!(!store.recovered_after_crash());
        assert_eq!(store.max_offset("B", 0), 42);
        store.close().unwrap();
    }
}
