//! Automatic batching of sends (Java 5.x `DefaultMQProducer.setAutoBatch`,
//! `ProduceAccumulator`): messages sent one at a time are held briefly and sent together
//! as one `SEND_BATCH_MESSAGE`, each caller getting its own message's result.
//!
//! Messages are grouped as Java groups them: by topic, target queue (for sends to a given
//! queue), `WAIT` setting and tag. A group leaves as a batch when
//! - its held messages reach [`BatchLimits::max_bytes`] (Java `batchMaxBytes`, 32 KiB;
//!   counted as the messages' encoded size in the batch, where Java counts bodies only,
//!   and at most half the producer's `max_message_size`, so a batch always fits), or
//! - its first message has waited [`BatchLimits::max_delay`] (Java `batchMaxDelayMs`,
//!   10 ms), or
//! - no batch of the group is on its way to the broker. Java always waits for one of the
//!   two limits; sending at once when the group's line is free keeps a lone send as quick
//!   as without batching, while under load the messages that arrive during one batch's
//!   round trip make the next batch.
//!
//! A batch of one message is sent as a plain send. Messages Java never batches go
//! straight out: delayed or timed messages, retry topics, messages carrying a producer
//! group (transactions), and, past Java's rules, bodies the producer would compress
//! (batches are never compressed) or too large for one batch. When the bytes held by all
//! groups reach [`BatchLimits::total_max_bytes`] (Java `totalBatchMaxBytes`, 32 MiB),
//! further messages go straight out too.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::sync::{Notify, OwnedSemaphorePermit, oneshot};
use tokio_util::sync::CancellationToken;

use super::batch::batch_entry_len;
use super::outgoing::Outgoing;
use super::result::SendResult;
use super::selector::QueueChoice;
use super::send::Inner;
use super::settings::Settings;
use crate::client::namespace::RETRY_PREFIX;
use crate::protocol::MessageQueue;
use crate::protocol::message::{Message, property};
use crate::{Error, Result};

/// Batches of one group on their way to the broker at once before new messages wait for
/// one to come back (or for a limit).
const LINES_PER_GROUP: usize = 1;

/// The limits of automatic batching, with Java's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BatchLimits {
    /// Longest a message waits for its batch to leave.
    pub(crate) max_delay: Duration,
    /// Bytes (of the encoded messages) at which a batch leaves at once.
    pub(crate) max_bytes: usize,
    /// Bytes held by all groups (waiting or on their way) past which messages are not
    /// batched.
    pub(crate) total_max_bytes: usize,
}

impl Default for BatchLimits {
    fn default() -> Self {
        BatchLimits {
            max_delay: Duration::from_millis(10),
            max_bytes: 32 * 1024,
            total_max_bytes: 32 * 1024 * 1024,
        }
    }
}

impl BatchLimits {
    /// Java's bounds: a delay of 1 ms to 30 s, a batch of 1 byte to 2 MiB, a total above 0.
    pub(crate) fn validate(&self) -> Result<()> {
        if self.max_delay < Duration::from_millis(1) || self.max_delay > Duration::from_secs(30) {
            return Err(Error::Config(format!(
                "batch_max_delay must be between 1 ms and 30 s, not {:?}",
                self.max_delay
            )));
        }
        if self.max_bytes == 0 || self.max_bytes > 2 * 1024 * 1024 {
            return Err(Error::Config(format!(
                "batch_max_bytes must be between 1 byte and 2 MiB, not {}",
                self.max_bytes
            )));
        }
        if self.total_max_bytes == 0 {
            return Err(Error::Config(
                "total_batch_max_bytes must be above 0".to_owned(),
            ));
        }
        Ok(())
    }
}

/// What a message is grouped by (Java `AggregateKey`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct GroupKey {
    /// The topic as the application named it.
    topic: String,
    queue: Option<MessageQueue>,
    wait: bool,
    tag: Option<String>,
}

/// A message waiting for its batch, and where its result goes.
struct Held {
    message: Message,
    reply: oneshot::Sender<Result<SendResult>>,
    /// An asynchronous send's permit, given back with the result.
    permit: Option<OwnedSemaphorePermit>,
}

/// Messages taken from a group to be sent together.
struct Batch {
    held: Vec<Held>,
    bytes: usize,
}

/// One group's waiting messages and the batches it has on their way.
#[derive(Default)]
struct Group {
    held: Vec<Held>,
    bytes: usize,
    /// Names the messages now waiting, for the timer started with the first of them.
    round: u64,
    sending: usize,
}

impl Group {
    fn take(&mut self) -> Batch {
        self.sending += 1;
        Batch {
            held: std::mem::take(&mut self.held),
            bytes: std::mem::take(&mut self.bytes),
        }
    }
}

#[derive(Default)]
struct Groups {
    map: HashMap<GroupKey, Group>,
    next_round: u64,
    closed: bool,
}

/// The producer's held messages (one per producer with automatic batching on).
pub(crate) struct Accumulator {
    limits: BatchLimits,
    /// Encoded bytes at which a group's batch leaves: `limits.max_bytes`, at most half
    /// the largest request the producer sends.
    batch_bytes: usize,
    groups: Mutex<Groups>,
    /// Encoded bytes held or on their way, all groups.
    held_bytes: AtomicUsize,
    /// Batches on their way, all groups.
    sending: AtomicUsize,
    /// Told when `sending` drops to 0.
    idle: Notify,
    /// Cancelled when the producer closes: ends the waiting groups' timers.
    closing: CancellationToken,
}

impl Accumulator {
    pub(crate) fn new(limits: BatchLimits, max_message_size: usize) -> Self {
        Accumulator {
            limits,
            batch_bytes: limits.max_bytes.min(max_message_size / 2).max(1),
            groups: Mutex::default(),
            held_bytes: AtomicUsize::new(0),
            sending: AtomicUsize::new(0),
            idle: Notify::new(),
            closing: CancellationToken::new(),
        }
    }

    /// Whether `message` may wait for a batch (see the module docs): `Some` of the bytes
    /// it takes in a batch, counted as held until its batch is sent.
    pub(crate) fn admit(&self, message: &Message, settings: &Settings) -> Option<usize> {
        let delayed = message.delay_level().ok().flatten().is_some_and(|l| l > 0)
            || [
                property::TIMER_DELAY_SEC,
                property::TIMER_DELAY_MS,
                property::TIMER_DELIVER_MS,
            ]
            .iter()
            .any(|key| message.properties().get(key).is_some());
        let len = batch_entry_len(message);
        if delayed
            || message.topic().starts_with(RETRY_PREFIX)
            || message.properties().get(property::PGROUP).is_some()
            || message.is_transaction_prepared()
            || message.body().len() >= settings.compress_threshold
            || len > self.batch_bytes
        {
            return None;
        }
        if self.held_bytes.fetch_add(len, Ordering::AcqRel) >= self.limits.total_max_bytes {
            self.release(len);
            return None;
        }
        Some(len)
    }

    /// Gives back bytes counted by [`admit`](Self::admit).
    pub(crate) fn release(&self, bytes: usize) {
        self.held_bytes.fetch_sub(bytes, Ordering::AcqRel);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Groups> {
        self.groups.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts one batch fewer on its way.
    fn sent_one(&self) {
        if self.sending.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.idle.notify_waiters();
        }
    }

    /// Waits until no batch is on its way.
    async fn until_idle(&self) {
        loop {
            let idle = self.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.sending.load(Ordering::Acquire) == 0 {
                return;
            }
            idle.await;
        }
    }
}

impl Inner {
    /// Holds `message` (checked, and admitted by `batcher`, this producer's
    /// accumulator, as `bytes`) for a batch to `queue`, or to a round-robin queue; the
    /// receiver gets its own result, or sees its sender dropped if the producer was
    /// closed.
    pub(crate) fn hold(
        self: &Arc<Self>,
        batcher: &Accumulator,
        mut message: Message,
        bytes: usize,
        queue: Option<MessageQueue>,
        permit: Option<OwnedSemaphorePermit>,
    ) -> oneshot::Receiver<Result<SendResult>> {
        if message.unique_key().is_none() {
            message.set_unique_key(self.client.next_unique_id_at(SystemTime::now()));
        }
        let key = GroupKey {
            topic: message.topic().to_owned(),
            queue,
            wait: message.wait_store_msg_ok(),
            tag: message.tags().map(str::to_owned),
        };
        let (reply, result) = oneshot::channel();
        let held = Held {
            message,
            reply,
            permit,
        };
        let (mut start, mut timer) = (None, None);
        {
            let mut groups = batcher.lock();
            if groups.closed {
                drop(groups);
                batcher.release(bytes);
                // The receiver sees the reply dropped: the producer was closed.
                return result;
            }
            let round = groups.next_round;
            let group = groups.map.entry(key.clone()).or_default();
            group.held.push(held);
            group.bytes += bytes;
            if group.sending < LINES_PER_GROUP || group.bytes >= batcher.batch_bytes {
                batcher.sending.fetch_add(1, Ordering::AcqRel);
                start = Some(group.take());
            } else if group.held.len() == 1 {
                group.round = round;
                groups.next_round += 1;
                timer = Some(round);
            }
        }
        if let Some(batch) = start {
            tokio::spawn(Arc::clone(self).send_group(key, batch));
        } else if let Some(round) = timer {
            let inner = Arc::clone(self);
            let delay = batcher.limits.max_delay;
            let closing = batcher.closing.clone();
            tokio::spawn(async move {
                // Closing sends every waiting group itself.
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = closing.cancelled() => return,
                }
                let Some(batcher) = inner.batcher.as_ref() else {
                    return;
                };
                let batch = {
                    let mut groups = batcher.lock();
                    match groups.map.get_mut(&key) {
                        Some(group) if group.round == round && !group.held.is_empty() => {
                            batcher.sending.fetch_add(1, Ordering::AcqRel);
                            Some(group.take())
                        }
                        _ => None,
                    }
                };
                if let Some(batch) = batch {
                    inner.send_group(key, batch).await;
                }
            });
        }
        result
    }

    /// Sends `batch`, then whatever its group gathered meanwhile, until the group has
    /// nothing waiting.
    async fn send_group(self: Arc<Self>, key: GroupKey, mut batch: Batch) {
        let Some(batcher) = self.batcher.as_ref() else {
            return;
        };
        loop {
            let bytes = batch.bytes;
            self.send_batch_of(&key, batch.held).await;
            batcher.release(bytes);
            // The callers just answered may send again at once (a synchronous sender's
            // next message): let them run first, so that their messages join the next
            // batch instead of waiting for the one that would leave without them.
            tokio::task::yield_now().await;
            let next = {
                let mut groups = batcher.lock();
                match groups.map.get_mut(&key) {
                    Some(group) => {
                        group.sending -= 1;
                        if !group.held.is_empty() {
                            batcher.sending.fetch_add(1, Ordering::AcqRel);
                            Some(group.take())
                        } else {
                            if group.sending == 0 {
                                groups.map.remove(&key);
                            }
                            None
                        }
                    }
                    None => None,
                }
            };
            batcher.sent_one();
            match next {
                Some(more) => batch = more,
                None => return,
            }
        }
    }

    /// Sends the held messages as one request and answers each.
    async fn send_batch_of(&self, key: &GroupKey, held: Vec<Held>) {
        let choice = key
            .queue
            .clone()
            .map_or(QueueChoice::RoundRobin, QueueChoice::Queue);
        let mut replies = Vec::with_capacity(held.len());
        let mut messages = Vec::with_capacity(held.len());
        for h in held {
            messages.push(h.message);
            replies.push((h.reply, h.permit));
        }
        let count = messages.len();
        let result = if count == 1 {
            match Outgoing::single(&self.client, &self.settings, messages.remove(0)) {
                Ok(out) => self.sync(out, &choice).await.map(|sent| vec![sent]),
                Err(err) => Err(err),
            }
        } else {
            match Outgoing::batch(&self.client, &self.settings, messages) {
                Ok(out) => self
                    .sync(out, &choice)
                    .await
                    .map(|sent| split_result(sent, count)),
                Err(err) => Err(err),
            }
        };
        match result {
            Ok(results) => {
                for ((reply, _permit), sent) in replies.into_iter().zip(results) {
                    let _ = reply.send(Ok(sent));
                }
            }
            Err(err) => {
                for (reply, _permit) in replies {
                    let _ = reply.send(Err(err.duplicate()));
                }
            }
        }
    }

    /// Sends everything held now and waits until no batch is on its way; later holds are
    /// refused. Part of closing the producer.
    pub(crate) async fn flush_held(self: &Arc<Self>) {
        let Some(batcher) = self.batcher.as_ref() else {
            return;
        };
        let batches: Vec<(GroupKey, Batch)> = {
            let mut groups = batcher.lock();
            groups.closed = true;
            batcher.closing.cancel();
            groups
                .map
                .iter_mut()
                .filter(|(_, group)| !group.held.is_empty())
                .map(|(key, group)| {
                    batcher.sending.fetch_add(1, Ordering::AcqRel);
                    (key.clone(), group.take())
                })
                .collect()
        };
        for (key, batch) in batches {
            tokio::spawn(Arc::clone(self).send_group(key, batch));
        }
        batcher.until_idle().await;
    }
}

/// One result per message of a batch: its own id, and, when the broker listed one offset
/// id per message (it does unless the queue stores batches whole), its own offset id and
/// queue offset (Java `splitSendResults`).
fn split_result(sent: SendResult, count: usize) -> Vec<SendResult> {
    let ids: Vec<&str> = sent.msg_id.split(',').collect();
    let offset_ids: Vec<&str> = sent.offset_msg_id.split(',').collect();
    let each = offset_ids.len() == count;
    (0..count)
        .map(|i| SendResult {
            msg_id: ids.get(i).copied().unwrap_or(&sent.msg_id).to_owned(),
            offset_msg_id: if each {
                offset_ids[i].to_owned()
            } else {
                sent.offset_msg_id.clone()
            },
            queue_offset: if each {
                sent.queue_offset + i64::try_from(i).unwrap_or(i64::MAX)
            } else {
                sent.queue_offset
            },
            ..sent.clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::request::SendStatus;

    fn result(msg_id: &str, offset_msg_id: &str) -> SendResult {
        SendResult {
            status: SendStatus::SendOk,
            msg_id: msg_id.to_owned(),
            offset_msg_id: offset_msg_id.to_owned(),
            queue: MessageQueue {
                topic: "t".to_owned(),
                broker_name: "b".to_owned(),
                queue_id: 3,
            },
            queue_offset: 40,
            transaction_id: None,
            region_id: "DefaultRegion".to_owned(),
            trace_on: true,
            recall_handle: None,
        }
    }

    /// Each part's (msg id, offset msg id, queue offset).
    fn ids(parts: &[SendResult]) -> Vec<(&str, &str, i64)> {
        parts
            .iter()
            .map(|r| (r.msg_id.as_str(), r.offset_msg_id.as_str(), r.queue_offset))
            .collect()
    }

    #[test]
    fn split_gives_each_message_its_ids_and_offset() {
        let parts = split_result(result("A,B,C", "X,Y,Z"), 3);
        assert_eq!(
            ids(&parts),
            [("A", "X", 40), ("B", "Y", 41), ("C", "Z", 42)]
        );
        assert!(parts.iter().all(|r| r.queue.queue_id == 3));
    }

    #[test]
    fn split_shares_one_offset_id_when_the_broker_gave_one() {
        let parts = split_result(result("A,B", "X"), 2);
        assert_eq!(ids(&parts), [("A", "X", 40), ("B", "X", 40)]);
    }

    #[test]
    fn limits_follow_javas_bounds() {
        assert!(BatchLimits::default().validate().is_ok());
        let bad = [
            BatchLimits {
                max_delay: Duration::ZERO,
                ..BatchLimits::default()
            },
            BatchLimits {
                max_delay: Duration::from_secs(31),
                ..BatchLimits::default()
            },
            BatchLimits {
                max_bytes: 0,
                ..BatchLimits::default()
            },
            BatchLimits {
                max_bytes: 2 * 1024 * 1024 + 1,
                ..BatchLimits::default()
            },
            BatchLimits {
                total_max_bytes: 0,
                ..BatchLimits::default()
            },
        ];
        for limits in bad {
            assert!(
                matches!(limits.validate(), Err(Error::Config(_))),
                "{limits:?}"
            );
        }
    }

    #[test]
    fn admit_keeps_javas_exclusions_and_the_total() {
        let plain = Message::new("t", "12345");
        let len = batch_entry_len(&plain);
        let limits = BatchLimits {
            total_max_bytes: 2 * len,
            ..BatchLimits::default()
        };
        let settings = Settings::default();
        let acc = Accumulator::new(limits, settings.max_message_size);
        let mut delayed = plain.clone();
        delayed.set_delay_level(2);
        let mut timed = plain.clone();
        timed.set_timer_delay(Duration::from_secs(5));
        let mut grouped = plain.clone();
        grouped.properties_mut().insert(property::PGROUP, "g");
        let retry = Message::new("%RETRY%g", "12345");
        let big = Message::new("t", vec![b'x'; settings.compress_threshold]);
        for refused in [&delayed, &timed, &grouped, &retry, &big] {
            assert_eq!(acc.admit(refused, &settings), None);
        }
        assert_eq!(acc.held_bytes.load(Ordering::Acquire), 0);
        // Two fit in the total; the third finds it reached.
        assert_eq!(acc.admit(&plain, &settings), Some(len));
        assert_eq!(acc.admit(&plain, &settings), Some(len));
        assert_eq!(acc.admit(&plain, &settings), None);
        assert_eq!(acc.held_bytes.load(Ordering::Acquire), 2 * len);
    }

    #[test]
    fn a_batch_is_at_most_half_the_largest_request() {
        let settings = Settings {
            max_message_size: 1000,
            compress_threshold: usize::MAX,
            ..Settings::default()
        };
        let acc = Accumulator::new(BatchLimits::default(), settings.max_message_size);
        assert_eq!(acc.batch_bytes, 500);
        let fits = Message::new("t", vec![b'x'; 300]);
        let over = Message::new("t", vec![b'x'; 500]);
        assert!(acc.admit(&fits, &settings).is_some());
        assert_eq!(acc.admit(&over, &settings), None);
    }
}
