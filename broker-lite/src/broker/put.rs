//! The one path into the store for producers, retries, the delay schedule and
//! transactions (Java `DefaultMessageStore.putMessage` / `CommitLog.putMessage` as the
//! broker calls them).
//!
//! [`put`] applies Java's delay-level rewrite, appends the message
//! ([`Store::append_async`](crate::store::Store::append_async)), records put stats
//! and wakes the pulls held on the queue. [`put_raw`] does the same without the
//! rewrite (for re-puts of messages whose real topic was restored, e.g. when the delay
//! schedule delivers or a transaction commits). [`put_batch`] stores a batch with
//! consecutive queue offsets.
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
    pub(crate) topic: String,
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

    fn new(topic: String, queue_id: i32, a: AppendResult, store_host: SocketAddr) -> Self {
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
    // A timer the rewrite refuses is stored as a plain message here; producers' sends
    // check it first and get Java's refusal (see `send`).
    if rewrite_timer(&mut msg, now_ms()).is_err() {
        tracing::warn!(
            topic = msg.message.topic(),
            "invalid timer properties ignored"
        );
    }
    rewrite_delay(state, &mut msg);
    start_put_raw(state, msg)
}

/// Stores `msg` as it is (no delay rewrite).
pub(crate) async fn put_raw(state: &Arc<State>, msg: StoredMessage) -> Result<PutOutcome> {
    start_put_raw(state, msg).outcome().await
}

/// [`put_raw`], started: done at once under ASYNC_FLUSH.
pub(crate) fn start_put_raw(state: &Arc<State>, msg: StoredMessage) -> Putting<PutOutcome> {
    let topic = msg.message.topic().to_owned();
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
    start_put_batch(state, msgs).outcome().await
}

/// [`put_batch`], started: done at once under ASYNC_FLUSH.
pub(crate) fn start_put_batch(
    state: &Arc<State>,
    msgs: Vec<StoredMessage>,
) -> Putting<Vec<PutOutcome>> {
    let Some(first) = msgs.first() else {
        return Putting::Done(Ok(Vec::new()));
    };
    let topic = first.message.topic().to_owned();
    let queue_id = first.queue_id;
    if msgs
        .iter()
        .any(|m| m.message.topic() != topic || m.queue_id != queue_id)
    {
        return Putting::Done(Err(rocketmq::Error::InvalidField {
            field: "batch",
            value: "messages of one batch must share topic and queue".into(),
        }
        .into()));
    }
    let finish = move |state: &State, (appended, error): (Vec<AppendResult>, Option<Error>)| {
        let outcomes: Vec<PutOutcome> = appended
            .into_iter()
            .map(|a| stored(state, topic.clone(), queue_id, a))
            .collect();
        match error {
            Some(e) => Err(e),
            None => Ok(outcomes),
        }
    };
    if appends_at_once(state) {
        Putting::Done(finish(state, state.store.append_batch(msgs)))
    } else {
        let state = Arc::clone(state);
        Putting::Waiting(Box::pin(async move {
            let appended = state.store.append_batch_async(msgs).await;
            finish(&state, appended)
        }))
    }
}

/// Whether an append is done without waiting (ASYNC_FLUSH: a page-cache write, made on
/// the calling thread); under SYNC_FLUSH it waits for the appender thread's fsync.
fn appends_at_once(state: &State) -> bool {
    state.store.config().flush_mode == FlushMode::Async
}

/// Stats and wake-up after one append.
fn stored(state: &State, topic: String, queue_id: i32, a: AppendResult) -> PutOutcome {
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
        assert_eq!((a.topic.as_str(), a.queue_id, a.queue_offset), ("T", 1, 0));
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
        assert_eq!(out.topic, SCHEDULE_TOPIC);
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
        assert_eq!(put(&state, half).await.unwrap().topic, "H");
        let mut raw = msg("R", 0);
        raw.message.set_delay_level(2);
        assert_eq!(put_raw(&state, raw).await.unwrap().topic, "R");
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
