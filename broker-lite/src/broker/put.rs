//! The one path into the store for producers, retries, the delay schedule and
//! transactions (Java `DefaultMessageStore.putMessage` / `CommitLog.putMessage` as the
//! broker calls them).
//!
//! [`put`] applies Java's delay-level rewrite, appends the message
//! ([`Store::append_async`](crate::store::Store::append_async)), records put stats
//! and wakes the pulls held on the queue. [`put_raw`] does the same without the
//! rewrite (for re-puts of messages whose real topic was restored, e.g. when the delay
//! schedule delivers or a transaction commits). [`start_put_all`] stores several
//! submissions (single messages as [`put`] does, batches with consecutive queue offsets)
//! with one store append: the send processor stores the sends of one read that way.
//!
//! First the 5.x timer rewrite (`schedule::timer::rewrite_timer`: `TIMER_DELAY_SEC`,
//! `TIMER_DELAY_MS` or `TIMER_DELIVER_MS` -> `rmq_sys_wheel_timer`), then the delay
//! rewrite (Java 4.9.8 `CommitLog.putMessage`, 5.x `HookUtils`): a message that
//! is not a half or rolled-back transaction message and whose `DELAY` property is above 0
//! is stored in `SCHEDULE_TOPIC_XXXX`, queue `level - 1` (the level capped at the highest
//! configured one), with its topic and queue id kept in `REAL_TOPIC` and `REAL_QID`.
//!
//! Ordering: puts are appended in the order they reach the store, the messages of a batch
//! back to back (consecutive offsets); under SYNC_FLUSH puts waiting at the same time
//! are appended together (one write, one fsync: group commit).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use rocketmq::protocol::message::{OffsetMsgId, StoredMessage, SysFlag, property};

use super::schedule::timer::rewrite_timer;
use super::topics::SCHEDULE_TOPIC;
use super::{State, now_ms};
use crate::store::{AppendResult, FlushMode};
use crate::{Error, Result};

/// Where a message was stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PutOutcome {
    /// The topic it was stored in (`SCHEDULE_TOPIC_XXXX` after a delay rewrite).
    pub(crate) topic: Arc<str>,
    /// The queue it was stored in.
    pub(crate) queue_id: i32,
    /// Its offset in that queue.
    pub(crate) queue_offset: u64,
    /// Its commit-log offset.
    pub(crate) phys_offset: u64,
    /// Record size in bytes.
    pub(crate) size: usize,
    /// Store time, epoch ms.
    pub(crate) store_timestamp: i64,
    /// The store host written in the record.
    pub(crate) store_host: SocketAddr,
}

impl PutOutcome {
    /// The offset message id (store host + commit-log offset), Java's `msgId` of the
    /// stored message.
    pub(crate) fn offset_msg_id(&self) -> String {
        OffsetMsgId::new(
            self.store_host,
            i64::try_from(self.phys_offset).unwrap_or(i64::MAX),
        )
        .to_string()
    }

    fn new(topic: Arc<str>, queue_id: i32, a: AppendResult, store_host: SocketAddr) -> Self {
        PutOutcome {
            topic,
            queue_id,
            queue_offset: a.queue_offset,
            phys_offset: a.phys_offset,
            size: a.size,
            store_timestamp: a.store_timestamp,
            store_host,
        }
    }
}

/// A put that is done, or still waiting for the store (under SYNC_FLUSH: the appender
/// thread and its fsync). Starting a put does the work that needs no waiting at once,
/// so a processor that has nothing else to wait for answers without an `.await`.
pub(crate) enum Putting<T> {
    /// Stored (or refused) already.
    Done(Result<T>),
    /// Waits for the store.
    Waiting(Pin<Box<dyn Future<Output = Result<T>> + Send>>),
}

impl<T> Putting<T> {
    /// The outcome, waiting for it if needed.
    pub(crate) async fn outcome(self) -> Result<T> {
        match self {
            Putting::Done(result) => result,
            Putting::Waiting(waiting) => waiting.await,
        }
    }
}

/// Stores `msg`, applying the delay-level rewrite first. The caller fills in topic,
/// queue id, flag, properties, body, born time and host, sysFlag, reconsume times and
/// prepared transaction offset; the store sets the rest.
pub(crate) async fn put(state: &Arc<State>, msg: StoredMessage) -> Result<PutOutcome> {
    start_put(state, msg).outcome().await
}

/// [`put`], started: done at once under ASYNC_FLUSH.
pub(crate) fn start_put(state: &Arc<State>, mut msg: StoredMessage) -> Putting<PutOutcome> {
    rewrite(state, &mut msg);
    start_put_raw(state, msg)
}

/// The rewrites [`put`] applies before storing: the 5.x timer, then the delay level.
fn rewrite(state: &State, msg: &mut StoredMessage) {
    // A timer the rewrite refuses is stored as a plain message here; producers' sends
    // check it first and get Java's refusal (see `send`).
    if rewrite_timer(msg, now_ms()).is_err() {
        tracing::warn!(
            topic = msg.message.topic(),
            "invalid timer properties ignored"
        );
    }
    rewrite_delay(state, msg);
}

/// Stores `msg` as it is (no delay rewrite).
pub(crate) async fn put_raw(state: &Arc<State>, msg: StoredMessage) -> Result<PutOutcome> {
    start_put_raw(state, msg).outcome().await
}

/// [`put_raw`], started: done at once under ASYNC_FLUSH.
pub(crate) fn start_put_raw(state: &Arc<State>, msg: StoredMessage) -> Putting<PutOutcome> {
    let topic: Arc<str> = Arc::from(msg.message.topic());
    let queue_id = msg.queue_id;
    if appends_at_once(state) {
        Putting::Done(
            state
                .store
                .append(msg)
                .map(|a| stored(state, topic, queue_id, a)),
        )
    } else {
        let state = Arc::clone(state);
        Putting::Waiting(Box::pin(async move {
            let appended = state.store.append_async(msg).await?;
            Ok(stored(&state, topic, queue_id, appended))
        }))
    }
}

/// Stores the messages of a batch, in order, with consecutive offsets in their queue (all
/// must share topic and queue id). No delay rewrite: Java refuses delayed batches before
/// they get here. On an error the messages before it stay stored.
#[cfg(test)]
pub(crate) async fn put_batch(
    state: &Arc<State>,
    msgs: Vec<StoredMessage>,
) -> Result<Vec<PutOutcome>> {
    let mut all = start_put_all(state, vec![PutJob::batch(msgs)])
        .outcome()
        .await?;
    all.pop().unwrap_or(Err(Error::Shutdown))
}

/// One submission of [`start_put_all`]: a message, stored as by [`put`] (timer and delay
/// rewrites first), or the messages of a batch, stored as by [`put_batch`].
#[derive(Debug)]
pub(crate) struct PutJob {
    msgs: Vec<StoredMessage>,
    single: bool,
}

impl PutJob {
    /// A single message.
    pub(crate) fn one(msg: StoredMessage) -> Self {
        PutJob {
            msgs: vec![msg],
            single: true,
        }
    }

    /// The messages of a batch.
    pub(crate) fn batch(msgs: Vec<StoredMessage>) -> Self {
        PutJob {
            msgs,
            single: false,
        }
    }
}

/// Stores several submissions with one store append (one commit-log write, one
/// consume-queue write per queue; under SYNC_FLUSH one fsync): each as [`put`] or
/// [`put_batch`] would, in order. The result of each submission is in its place: a
/// single message's `Ok` holds its one outcome. Done at once under ASYNC_FLUSH.
pub(crate) fn start_put_all(
    state: &Arc<State>,
    jobs: Vec<PutJob>,
) -> Putting<Vec<Result<Vec<PutOutcome>>>> {
    // Per submission: where it goes (for stats and wake-ups), or why it is refused.
    let mut targets: Vec<Result<(Arc<str>, i32, bool)>> = Vec::with_capacity(jobs.len());
    let mut submissions = Vec::with_capacity(jobs.len());
    for PutJob { mut msgs, single } in jobs {
        if single {
            for msg in &mut msgs {
                rewrite(state, msg);
            }
        }
        match batch_target(&msgs) {
            Ok(Some((topic, queue_id))) => targets.push(Ok((topic, queue_id, single))),
            Ok(None) => targets.push(Ok((Arc::from(""), 0, single))),
            Err(e) => {
                targets.push(Err(e));
                continue;
            }
        }
        submissions.push(msgs);
    }
    let finish = move |state: &State, appended: Vec<(Vec<AppendResult>, Option<Error>)>| {
        let mut appended = appended.into_iter();
        targets
            .into_iter()
            .map(|target| {
                let (topic, queue_id, single) = target?;
                let (results, error) = appended
                    .next()
                    .unwrap_or((Vec::new(), Some(Error::Shutdown)));
                let outcomes: Vec<PutOutcome> = results
                    .into_iter()
                    .map(|a| stored(state, Arc::clone(&topic), queue_id, a))
                    .collect();
                match error {
                    Some(e) => Err(e),
                    None if single && outcomes.len() != 1 => Err(Error::Shutdown),
                    None => Ok(outcomes),
                }
            })
            .collect()
    };
    if appends_at_once(state) {
        Putting::Done(Ok(finish(
            state,
            state.store.append_submissions(submissions),
        )))
    } else {
        let state = Arc::clone(state);
        Putting::Waiting(Box::pin(async move {
            let appended = state.store.append_submissions_async(submissions).await;
            Ok(finish(&state, appended))
        }))
    }
}

/// The topic and queue all messages of a batch share (`None` for an empty batch).
fn batch_target(msgs: &[StoredMessage]) -> Result<Option<(Arc<str>, i32)>> {
    let Some(first) = msgs.first() else {
        return Ok(None);
    };
    let topic = first.message.topic();
    let queue_id = first.queue_id;
    if msgs
        .iter()
        .any(|m| m.message.topic() != topic || m.queue_id != queue_id)
    {
        return Err(rocketmq::Error::InvalidField {
            field: "batch",
            value: "messages of one batch must share topic and queue".into(),
        }
        .into());
    }
    Ok(Some((Arc::from(topic), queue_id)))
}

/// Whether an append is done without waiting (ASYNC_FLUSH: a page-cache write, made on
/// the calling thread); under SYNC_FLUSH it waits for the appender thread's fsync.
fn appends_at_once(state: &State) -> bool {
    state.store.config().flush_mode == FlushMode::Async
}

/// Stats and wake-up after one append.
fn stored(state: &State, topic: Arc<str>, queue_id: i32, a: AppendResult) -> PutOutcome {
    state.stats.record_put(&topic, 1, a.size as u64);
    state.holds.arrived(&topic, queue_id, a.queue_offset + 1);
    PutOutcome::new(topic, queue_id, a, state.addr)
}

/// Java's delay-level rewrite (see the module docs).
fn rewrite_delay(state: &State, msg: &mut StoredMessage) {
    let tran = msg.sys_flag.bits() & SysFlag::TRANSACTION_ROLLBACK.bits();
    if tran != 0 && tran != SysFlag::TRANSACTION_COMMIT.bits() {
        return;
    }
    let level = msg.message.delay_level().ok().flatten().unwrap_or(0);
    if level <= 0 {
        return;
    }
    let max = state
        .config()
        .delay_levels()
        .map_or(1, |l| i32::try_from(l.len()).unwrap_or(i32::MAX));
    let level = level.min(max);
    if msg.message.delay_level().ok().flatten() != Some(level) {
        msg.message.set_delay_level(level);
    }
    let real_topic = msg.message.topic().to_owned();
    let props = msg.message.properties_mut();
    props.insert(property::REAL_TOPIC, real_topic);
    props.insert(property::REAL_QID, msg.queue_id.to_string());
    msg.message.set_topic(SCHEDULE_TOPIC);
    msg.queue_id = level - 1;
}

/// A broker [`State`] over a fresh temp store, for unit tests of the processors.
#[cfg(test)]
pub(crate) mod test_support {
    use std::net::SocketAddr;
    use std::sync::Arc;

    use crate::broker::State;
    use crate::config::BrokerConfig;
    use crate::store::Store;
    use crate::store::test_dir::TestDir;

    /// A state with the default config (store under a temp dir, removed when the
    /// returned `TestDir` drops).
    pub(crate) fn test_state(name: &str) -> (Arc<State>, TestDir) {
        test_state_with(name, |_| {})
    }

    /// Like [`test_state`], with the config adjusted first.
    pub(crate) fn test_state_with(
        name: &str,
        adjust: impl FnOnce(&mut BrokerConfig),
    ) -> (Arc<State>, TestDir) {
        let dir = TestDir::new(name);
        let mut config = BrokerConfig::default();
        config.store.dir = dir.path().to_path_buf();
        adjust(&mut config);
        let addr = SocketAddr::from(([127, 0, 0, 1], 10911));
        let store = Store::open(config.store.store_config(addr)).unwrap();
        let state = State::new(config, addr, store).unwrap();
        (Arc::new(state), dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rocketmq::protocol::message::Message;
    use test_support::test_state;

    fn msg(topic: &str, queue_id: i32) -> StoredMessage {
        StoredMessage {
            message: Message::new(topic, &b"hello"[..]),
            queue_id,
            ..StoredMessage::default()
        }
    }

    #[tokio::test]
    async fn put_stores_counts_and_wakes() {
        let (state, _dir) = test_state("put-basic");
        let mut waiter = state.holds.subscribe("T", 1);
        let a = put(&state, msg("T", 1)).await.unwrap();
        let b = put(&state, msg("T", 1)).await.unwrap();
        assert_eq!((&*a.topic, a.queue_id, a.queue_offset), ("T", 1, 0));
        assert_eq!(b.queue_offset, 1);
        assert!(b.phys_offset > a.phys_offset);
        assert!(waiter.wait(1, std::time::Duration::from_secs(5)).await);
        assert_eq!(
            state
                .stats
                .item_total(super::super::stats::TOPIC_PUT_NUMS, "T"),
            2
        );
        let rec = state
            .store
            .read_by_phys_offset(a.phys_offset)
            .unwrap()
            .unwrap();
        let back = crate::store::Store::decode(&rec).unwrap();
        assert_eq!(back.offset_msg_id().to_string(), a.offset_msg_id());
        assert_eq!(back.message.body().as_ref(), b"hello");
    }

    #[tokio::test]
    async fn delay_rewrite() {
        let (state, _dir) = test_state("put-delay");
        let mut m = msg("T", 3);
        m.message.set_delay_level(99);
        let out = put(&state, m).await.unwrap();
        assert_eq!(&*out.topic, SCHEDULE_TOPIC);
        assert_eq!(out.queue_id, 17, "capped at the 18th level");
        let rec = state
            .store
            .read_by_phys_offset(out.phys_offset)
            .unwrap()
            .unwrap();
        let back = crate::store::Store::decode(&rec).unwrap();
        assert_eq!(back.message.real_topic(), Some("T"));
        assert_eq!(back.message.real_queue_id().unwrap(), Some(3));
        assert_eq!(back.message.delay_level().unwrap(), Some(18));

        // A half message keeps its topic; put_raw never rewrites.
        let mut half = msg("H", 0);
        half.message.set_delay_level(2);
        half.sys_flag = SysFlag::TRANSACTION_PREPARED;
        assert_eq!(&*put(&state, half).await.unwrap().topic, "H");
        let mut raw = msg("R", 0);
        raw.message.set_delay_level(2);
        assert_eq!(&*put_raw(&state, raw).await.unwrap().topic, "R");
    }

    #[tokio::test]
    async fn put_all_stores_each_submission_in_its_place() {
        for sync in [false, true] {
            let (state, _dir) = test_support::test_state_with("put-all", |c| {
                if sync {
                    c.store.flush_disk_type = crate::config::FlushDiskType::SyncFlush;
                }
            });
            let mut delayed = msg("T", 1);
            delayed.message.set_delay_level(2);
            let mut too_big = msg("T", 0);
            too_big
                .message
                .set_body(vec![b'x'; state.config().store.max_message_size + 1]);
            let jobs = vec![
                PutJob::one(msg("T", 0)),
                PutJob::batch((0..3).map(|_| msg("T", 1)).collect()),
                PutJob::one(too_big),
                PutJob::batch(vec![msg("T", 0), msg("U", 0)]),
                PutJob::one(delayed),
                PutJob::one(msg("T", 0)),
                PutJob::batch(Vec::new()),
            ];
            let fsyncs = state.store.fsync_count();
            let results = start_put_all(&state, jobs).outcome().await.unwrap();
            assert_eq!(results.len(), 7);
            let offsets = |r: &Result<Vec<PutOutcome>>| -> Vec<(String, i32, u64)> {
                r.as_ref()
                    .unwrap()
                    .iter()
                    .map(|o| (o.topic.to_string(), o.queue_id, o.queue_offset))
                    .collect()
            };
            assert_eq!(offsets(&results[0]), [("T".into(), 0, 0)]);
            assert_eq!(
                offsets(&results[1]),
                [("T".into(), 1, 0), ("T".into(), 1, 1), ("T".into(), 1, 2)]
            );
            assert!(
                matches!(results[2], Err(Error::MessageTooLarge { .. })),
                "{:?}",
                results[2]
            );
            assert!(results[3].is_err(), "a batch across queues is refused");
            assert_eq!(offsets(&results[4]), [(SCHEDULE_TOPIC.into(), 1, 0)]);
            assert_eq!(offsets(&results[5]), [("T".into(), 0, 1)]);
            assert!(offsets(&results[6]).is_empty());
            if sync {
                assert!(state.store.flushed_offset() >= state.store.max_phys_offset());
                assert!(state.store.fsync_count() > fsyncs);
            }
            // Stats and stored records as one put each would leave them.
            assert_eq!(
                state
                    .stats
                    .item_total(super::super::stats::TOPIC_PUT_NUMS, "T"),
                5
            );
            let last = results[5].as_ref().unwrap()[0].phys_offset;
            let rec = state.store.read_by_phys_offset(last).unwrap().unwrap();
            assert_eq!(crate::store::Store::decode(&rec).unwrap().queue_offset, 1);
        }
    }

    #[tokio::test]
    async fn batch_offsets_are_consecutive() {
        let (state, _dir) = test_state("put-batch");
        put(&state, msg("B", 0)).await.unwrap();
        let outs = put_batch(&state, (0..5).map(|_| msg("B", 0)).collect())
            .await
            .unwrap();
        let offsets: Vec<u64> = outs.iter().map(|o| o.queue_offset).collect();
        assert_eq!(offsets, [1, 2, 3, 4, 5]);
        assert!(
            put_batch(&state, vec![msg("B", 0), msg("B", 1)])
                .await
                .is_err()
        );
        assert!(put_batch(&state, Vec::new()).await.unwrap().is_empty());
    }
}
