//! [`LitePullConsumer`]: the application polls; the consumer pulls in the background
//! (Java `DefaultLitePullConsumer`).

mod builder;
mod pulling;
mod state;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use futures_util::Stream;

pub use builder::LitePullConsumerBuilder;
use state::{Mode, Shared};

use super::subscription::Expression;
use super::{ReceivedMessage, queries};
use crate::client::{Client, GroupRegistration};
use crate::protocol::MessageQueue;
use crate::{Error, Result};

/// A consumer the application polls (Java `DefaultLitePullConsumer`).
///
/// Queues come from subscriptions, shared among the group's members by rebalancing
/// ([`subscribe`](Self::subscribe)), or are chosen by the application
/// ([`assign`](Self::assign)); the two are exclusive. Background tasks pull each queue
/// (long polling, 10 messages a pull, flow control at 10 000 messages waiting) and
/// [`poll`](Self::poll) hands out one pulled batch. Offsets are committed automatically
/// every 5 s (the position after the last batch polled), or with
/// [`commit_sync`](Self::commit_sync) / [`commit`](Self::commit) when auto-commit is off.
/// Topics and queues here are without the namespace.
///
/// ```no_run
/// # async fn demo() -> rocketmq::Result<()> {
/// use rocketmq::consumer::LitePullConsumer;
///
/// let consumer = LitePullConsumer::builder()
///     .group("reports")
///     .subscribe("orders", "*")
///     .build()
///     .await?;
/// loop {
///     let batch = consumer.poll().await?;
///     for m in &batch {
///         println!("{} {}", m.queue_offset(), String::from_utf8_lossy(m.body()));
///     }
///     # break;
/// }
/// consumer.close().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct LitePullConsumer {
    handle: Arc<Handle>,
}

struct Handle {
    shared: Arc<Shared>,
    owns_client: bool,
    registration: Mutex<Option<GroupRegistration>>,
    closed: tokio::sync::OnceCell<()>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared.background.cancel();
        self.shared.pull_loops.close();
        self.shared.queue_root.cancel();
    }
}

impl LitePullConsumer {
    /// A builder with Java's defaults, documented on each setter.
    pub fn builder() -> LitePullConsumerBuilder {
        LitePullConsumerBuilder::default()
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.handle.shared
    }

    /// The consumer group (with the namespace).
    pub fn group(&self) -> &str {
        &self.shared().group
    }

    /// The client this consumer uses.
    pub fn client(&self) -> &Client {
        &self.shared().client
    }

    fn check_open(&self) -> Result<()> {
        if self.shared().background.is_cancelled() {
            Err(Error::Shutdown)
        } else {
            Ok(())
        }
    }

    fn set_mode(&self, mode: Mode) -> Result<()> {
        let mut current = self.shared().mode();
        if *current != Mode::Unset && *current != mode {
            return Err(Error::Config(
                "subscribe and assign are mutually exclusive".to_owned(),
            ));
        }
        *current = mode;
        Ok(())
    }

    /// Subscribes to `topic` (queues shared with the group's other members by
    /// rebalancing), or changes its expression. Rebalances at once.
    pub async fn subscribe(&self, topic: &str, expression: impl Into<Expression>) -> Result<()> {
        self.check_open()?;
        crate::producer::check_topic(topic)?;
        self.set_mode(Mode::Subscribe)?;
        let topic = self.client().with_namespace(topic);
        let sub = expression.into().subscription(&topic);
        self.shared().subscriptions().insert(topic.clone(), sub);
        if let Err(err) = self.client().topic_route(&topic).await {
            tracing::debug!(topic, %err, "no route yet");
        }
        self.client().send_heartbeat().await;
        pulling::rebalance(self.shared()).await;
        Ok(())
    }

    /// Stops consuming `topic`.
    pub async fn unsubscribe(&self, topic: &str) {
        let topic = self.client().with_namespace(topic);
        self.shared().subscriptions().remove(&topic);
        pulling::set_queues(self.shared(), Some(&topic), &HashSet::new()).await;
        self.client().send_heartbeat().await;
    }

    /// Consumes exactly `queues`, chosen by the application (no rebalancing), with the
    /// expression given by [`assign_expression`](Self::assign_expression) for their
    /// topic, else `*`.
    pub async fn assign(&self, queues: &[MessageQueue]) -> Result<()> {
        self.check_open()?;
        self.set_mode(Mode::Assign)?;
        let wanted: HashSet<MessageQueue> = queues.iter().map(|q| self.shared().wrap(q)).collect();
        pulling::set_queues(self.shared(), None, &wanted).await;
        Ok(())
    }

    /// The expression used for assigned queues of `topic` (Java 5.x
    /// `setSubExpressionForAssign`). Default: `*`.
    pub fn assign_expression(&self, topic: &str, expression: impl Into<Expression>) {
        let topic = self.client().with_namespace(topic);
        let sub = expression.into().subscription(&topic);
        self.shared().subscriptions().insert(topic, sub);
    }

    /// The queues pulled now.
    pub fn assignment(&self) -> Vec<MessageQueue> {
        let mut out: Vec<MessageQueue> = self
            .shared()
            .assigned()
            .keys()
            .map(|q| self.shared().unwrap(q))
            .collect();
        out.sort();
        out
    }

    /// The next pulled batch, waiting up to the poll timeout (5 s); empty when nothing
    /// came (Java `poll()`).
    pub async fn poll(&self) -> Result<Vec<ReceivedMessage>> {
        self.poll_timeout(self.shared().settings.poll_timeout).await
    }

    /// The next pulled batch, waiting up to `timeout`; empty when nothing came.
    pub async fn poll_timeout(&self, timeout: Duration) -> Result<Vec<ReceivedMessage>> {
        self.check_open()?;
        let shared = self.shared();
        let deadline = Instant::now() + timeout;
        let mut inbox = shared.inbox.lock().await;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let batch = match tokio::time::timeout(left, inbox.recv()).await {
                Ok(Some(batch)) => batch,
                Ok(None) => return Err(Error::Shutdown),
                Err(_) => return Ok(Vec::new()),
            };
            let Some(entry) = shared.entry(&batch.queue) else {
                continue;
            };
            if entry.pq.is_dropped() || entry.generation() != batch.generation {
                continue;
            }
            let offsets: Vec<i64> = batch
                .messages
                .iter()
                .map(ReceivedMessage::queue_offset)
                .collect();
            let next = entry.pq.remove(offsets.iter().copied());
            if next >= 0 {
                entry.consume_offset.store(next, Ordering::Release);
            }
            return Ok(batch.messages);
        }
    }

    /// The messages one by one, polled as needed; ends when the consumer is closed.
    pub fn stream(&self) -> impl Stream<Item = ReceivedMessage> + Send + 'static {
        let consumer = self.clone();
        futures_util::stream::unfold(
            (consumer, std::collections::VecDeque::new()),
            |(consumer, mut buffer)| async move {
                loop {
                    if let Some(m) = buffer.pop_front() {
                        return Some((m, (consumer, buffer)));
                    }
                    match consumer.poll().await {
                        Ok(batch) => buffer.extend(batch),
                        Err(_) => return None,
                    }
                }
            },
        )
    }

    fn entry(&self, queue: &MessageQueue) -> Result<Arc<state::Assigned>> {
        self.shared()
            .entry(&self.shared().wrap(queue))
            .ok_or_else(|| {
                Error::Config(format!("queue {queue:?} is not assigned to this consumer"))
            })
    }

    /// The next poll of `queue` starts at `offset`, which must lie within the queue
    /// (Java `seek`); batches pulled before are dropped.
    pub async fn seek(&self, queue: &MessageQueue, offset: i64) -> Result<()> {
        self.check_open()?;
        let entry = self.entry(queue)?;
        let wrapped = self.shared().wrap(queue);
        let (min, max) = (
            queries::min_offset(self.client(), &wrapped).await?,
            queries::max_offset(self.client(), &wrapped).await?,
        );
        if offset < min || offset > max {
            return Err(Error::InvalidField {
                field: "offset",
                value: format!("{offset} not in [{min}, {max}]"),
            });
        }
        entry.generation.fetch_add(1, Ordering::AcqRel);
        entry.pq.clear();
        entry.seek_offset.store(offset, Ordering::Release);
        entry.wake.notify_one();
        Ok(())
    }

    /// [`seek`](Self::seek) to the queue's first message.
    pub async fn seek_to_begin(&self, queue: &MessageQueue) -> Result<()> {
        let min = queries::min_offset(self.client(), &self.shared().wrap(queue)).await?;
        self.seek(queue, min).await
    }

    /// [`seek`](Self::seek) past the queue's last message.
    pub async fn seek_to_end(&self, queue: &MessageQueue) -> Result<()> {
        let max = queries::max_offset(self.client(), &self.shared().wrap(queue)).await?;
        self.seek(queue, max).await
    }

    /// [`seek`](Self::seek) to the first message stored at or after `time`.
    pub async fn seek_to_time(&self, queue: &MessageQueue, time: SystemTime) -> Result<()> {
        let offset = self.offset_for_time(queue, time).await?;
        self.seek(queue, offset).await
    }

    /// The offset of the first message of `queue` stored at or after `time` (Java
    /// `offsetForTimestamp`).
    pub async fn offset_for_time(&self, queue: &MessageQueue, time: SystemTime) -> Result<i64> {
        queries::search_offset(self.client(), &self.shared().wrap(queue), time).await
    }

    /// Stops pulling `queues` (Java `pause`); a pull waiting at the broker is abandoned,
    /// what was pulled before can still be polled.
    pub fn pause(&self, queues: &[MessageQueue]) {
        for q in queues {
            if let Some(e) = self.shared().entry(&self.shared().wrap(q)) {
                e.paused.store(true, Ordering::Release);
                e.wake.notify_one();
            }
        }
    }

    /// Pulls `queues` again (Java `resume`).
    pub fn resume(&self, queues: &[MessageQueue]) {
        for q in queues {
            if let Some(e) = self.shared().entry(&self.shared().wrap(q)) {
                e.paused.store(false, Ordering::Release);
                e.wake.notify_one();
            }
        }
    }

    /// The group's offset of `queue` in the store (broker or file); `None` when there is
    /// none (Java `committed`).
    pub async fn committed(&self, queue: &MessageQueue) -> Result<Option<i64>> {
        self.shared()
            .offsets
            .read_store(&self.shared().wrap(queue))
            .await
    }

    /// Commits the position after the last batch polled of every queue and writes it to
    /// the store, waiting for it (Java `commitSync`).
    pub async fn commit_sync(&self) -> Result<()> {
        self.check_open()?;
        let shared = self.shared();
        shared.commit_all();
        let held: HashSet<MessageQueue> = shared.assigned().keys().cloned().collect();
        shared.offsets.persist_all(&held, true).await;
        Ok(())
    }

    /// Commits the given offsets (Java 5.x `commit(offsets, persist)`); with `persist`
    /// they are written to the store at once, else with the next periodic write.
    pub async fn commit(&self, offsets: &HashMap<MessageQueue, i64>, persist: bool) -> Result<()> {
        self.check_open()?;
        let shared = self.shared();
        for (queue, offset) in offsets {
            let queue = shared.wrap(queue);
            if let Some(e) = shared.entry(&queue) {
                e.consume_offset.store(*offset, Ordering::Release);
            }
            if persist {
                shared.offsets.commit_now(&queue, *offset).await?;
            } else {
                shared.offsets.update(&queue, *offset, false);
            }
        }
        Ok(())
    }

    /// The readable queues of `topic` (Java `fetchMessageQueues`).
    pub async fn queues(&self, topic: &str) -> Result<Vec<MessageQueue>> {
        let client = self.client();
        Ok(queries::read_queues(client, &client.with_namespace(topic))
            .await?
            .iter()
            .map(|q| self.shared().unwrap(q))
            .collect())
    }

    /// The position after the last batch polled, per queue (in memory).
    pub fn positions(&self) -> BTreeMap<MessageQueue, i64> {
        self.shared()
            .assigned()
            .iter()
            .filter_map(|(q, e)| {
                let o = e.consume_offset.load(Ordering::Acquire);
                (o >= 0).then(|| (self.shared().unwrap(q), o))
            })
            .collect()
    }

    /// Stops pulling, commits (with auto-commit) and writes the offsets, leaves the group,
    /// and closes the client if this consumer built it. Later calls fail with
    /// [`Error::Shutdown`]. Affects every clone.
    pub async fn close(&self) {
        let handle = &self.handle;
        handle
            .closed
            .get_or_init(|| async {
                let shared = &handle.shared;
                shared.background.cancel();
                shared.pull_loops.close();
                let _ = shared.background.wait_idle(Duration::from_secs(30)).await;
                if shared.settings.auto_commit {
                    shared.commit_all();
                }
                let held: HashSet<MessageQueue> = shared.assigned().keys().cloned().collect();
                shared.offsets.persist_all(&held, true).await;
                shared.queue_root.cancel();
                shared.assigned().clear();
                let registration = handle
                    .registration
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                if let Some(registration) = registration {
                    registration.unregister().await;
                }
                if handle.owns_client {
                    shared.client.close().await;
                }
            })
            .await;
    }
}

impl fmt::Debug for LitePullConsumer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LitePullConsumer")
            .field("group", &self.shared().group)
            .field("settings", &self.shared().settings)
            .field("queues", &self.shared().assigned().len())
            .finish_non_exhaustive()
    }
}
