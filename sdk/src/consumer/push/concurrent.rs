//! Concurrent consumption (Java `ConsumeMessageConcurrentlyService`): batches run in
//! parallel up to the consumer's parallelism; failed messages go back to the broker for a
//! later delivery, and the queue's offset moves to the smallest message still held.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::sync::TryAcquireError;

use super::core::Core;
use super::hook::{ConsumeHookContext, ConsumeReturn};
use super::listener::{ConsumeContext, ConsumeStatus, Listener};
use crate::consumer::ReceivedMessage;
use crate::consumer::process_queue::ProcessQueue;
use crate::consumer::send_back::BackTo;
use crate::protocol::MessageQueue;

/// Java's delay before consuming again messages that could not be sent back (5 s).
const RETRY_LOCALLY_AFTER: Duration = Duration::from_secs(5);
/// Java's delay level for messages held past the consume timeout.
const EXPIRED_DELAY_LEVEL: i32 = 3;
/// Java checks at most this many expired messages per queue and round.
const EXPIRED_PER_ROUND: usize = 16;

/// A consumption in progress: a batch waiting for a permit, a listener that did not
/// finish at its first poll, or a result that needs the broker (send back).
type Pending<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Hands pulled messages to the listener in batches of the consume batch size.
///
/// Called by the pull loop right after it queued its next pull. The batches run here, on
/// the caller's task, while the listener finishes each one at its first poll (the common
/// case of a listener that does not wait) and a permit is free: settled on the spot, with
/// no task to spawn and no turn of the scheduler between the pull's answer and the
/// listener (on a one-thread runtime, a consume task would also wait behind the socket
/// write of the next pull). What is left goes to a task of its own, where batches run
/// concurrently up to the consumer's parallelism (Java submits each batch to its consume
/// thread pool): a batch whose listener has to wait (its future continues in a task),
/// batches beyond the free permits, and everything once [`INLINE_BUDGET`] has been spent
/// here (a slow listener does not hold up the pulls: every queue's pull loop shares this
/// task, see `consumer::loops`).
pub(crate) fn submit(
    core: &Arc<Core>,
    queue: &MessageQueue,
    pq: &Arc<ProcessQueue>,
    msgs: Vec<ReceivedMessage>,
) {
    if msgs.is_empty() {
        return;
    }
    let Listener::Concurrent(listener) = &core.listener else {
        return;
    };
    // The queue as the application sees it, shared by every batch of the pull.
    let user_queue = Arc::new(core.user_queue(queue));
    let batch = core.settings.consume_batch_size.max(1);
    let mut settled = Settled::default();
    let mut msgs = msgs.into_iter();
    let mut left = Vec::new();
    // One clock read per batch settled on the spot: its end is the next one's start.
    let mut now = Instant::now();
    let budget_end = now + INLINE_BUDGET;
    while now < budget_end {
        let chunk: Vec<ReceivedMessage> = msgs.by_ref().take(batch).collect();
        if chunk.is_empty() {
            break;
        }
        if pq.is_dropped() || core.is_closing() {
            settled.report(core, queue, pq);
            return;
        }
        let permit = match core.consume_permits.try_acquire() {
            Ok(permit) => permit,
            Err(TryAcquireError::NoPermits) => {
                left = chunk;
                break;
            }
            Err(TryAcquireError::Closed) => {
                settled.report(core, queue, pq);
                return;
            }
        };
        let began = now;
        before(core, &user_queue, pq, &chunk, began);
        let mut call =
            Arc::clone(listener).call(chunk.clone(), ConsumeContext::new(Arc::clone(&user_queue)));
        // Polled without a waker: a listener still waiting is polled again at once, with
        // its task's waker, by the task it moves to.
        let mut cx = Context::from_waker(Waker::noop());
        match call.as_mut().poll(&mut cx) {
            Poll::Ready((status, ctx, panicked)) => {
                now = Instant::now();
                let elapsed = now.saturating_duration_since(began);
                after(core, queue, &user_queue, &chunk, status, panicked, elapsed);
                if pq.is_dropped() {
                    tracing::debug!(?queue, "queue dropped while consuming; result not applied");
                } else if let Some(offset) = settle(pq, &chunk, status, &ctx) {
                    settled.add(chunk.len(), elapsed, offset);
                } else {
                    // Some go back to the broker: in a task, holding the permit.
                    permit.forget();
                    let held = Held(Arc::clone(core));
                    let (core2, queue2, pq2) = (Arc::clone(core), queue.clone(), Arc::clone(pq));
                    core.consuming.spawn(async move {
                        let _held = held;
                        apply(&core2, &queue2, &pq2, chunk, status, ctx, elapsed).await;
                    });
                }
            }
            Poll::Pending => {
                permit.forget();
                let held = Held(Arc::clone(core));
                let (core2, queue2, pq2) = (Arc::clone(core), queue.clone(), Arc::clone(pq));
                let user_queue2 = Arc::clone(&user_queue);
                core.consuming.spawn(async move {
                    let _held = held;
                    let outcome = call.await;
                    finish(&core2, &queue2, &user_queue2, &pq2, chunk, outcome, began).await;
                });
                now = Instant::now();
            }
        }
    }
    settled.report(core, queue, pq);
    left.extend(msgs);
    if left.is_empty() {
        return;
    }
    let (core2, queue2, pq2) = (Arc::clone(core), queue.clone(), Arc::clone(pq));
    core.consuming.spawn(async move {
        consume_pull(&core2, &queue2, &user_queue, &pq2, left).await;
    });
}

/// Most time [`submit`] spends calling the listener on the pull loop's task before it
/// hands the rest of a pull to a task of its own.
const INLINE_BUDGET: Duration = Duration::from_millis(1);

/// A consume permit taken with `try_acquire` and forgotten, so that a task can hold it:
/// given back when dropped.
struct Held(Arc<Core>);

impl Drop for Held {
    fn drop(&mut self) {
        self.0.consume_permits.add_permits(1);
    }
}

/// Results settled on the spot, reported together when the pull's batches have started.
#[derive(Default)]
struct Settled {
    consumes: usize,
    ok: usize,
    /// Consume time, summed per batch in whole milliseconds as the statistics keep it.
    rt_ms: u64,
    offset: Option<i64>,
}

impl Settled {
    /// A batch of `len` messages consumed in `elapsed`, leaving `offset` to commit (-1
    /// when nothing is held).
    fn add(&mut self, len: usize, elapsed: Duration, offset: i64) {
        self.consumes += 1;
        self.ok += len;
        self.rt_ms += u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        if offset >= 0 {
            self.offset = self.offset.max(Some(offset));
        }
    }

    fn report(&self, core: &Core, queue: &MessageQueue, pq: &ProcessQueue) {
        if self.consumes > 0 {
            core.stats
                .consumed_many(&queue.topic, self.consumes, self.rt_ms, self.ok, 0);
        }
        if let Some(offset) = self.offset
            && !pq.is_dropped()
        {
            core.offsets.update(queue, offset, true);
        }
    }
}

/// Consumes what [`submit`] left of a pull, batch by batch, in a task: batches settled
/// on the spot as there, the others concurrently up to the consumer's parallelism.
async fn consume_pull(
    core: &Arc<Core>,
    queue: &MessageQueue,
    user_queue: &Arc<MessageQueue>,
    pq: &Arc<ProcessQueue>,
    msgs: Vec<ReceivedMessage>,
) {
    let Listener::Concurrent(listener) = &core.listener else {
        return;
    };
    let batch = core.settings.consume_batch_size.max(1);
    let mut pending: FuturesUnordered<Pending<'_>> = FuturesUnordered::new();
    let mut settled = Settled::default();
    let mut msgs = msgs.into_iter();
    // One clock read per batch settled on the spot: its end is the next one's start.
    let mut now = Instant::now();
    loop {
        let chunk: Vec<ReceivedMessage> = msgs.by_ref().take(batch).collect();
        if chunk.is_empty() {
            break;
        }
        let permit = match core.consume_permits.try_acquire() {
            Ok(permit) => permit,
            Err(TryAcquireError::NoPermits) => {
                pending.push(Box::pin(consume(core, queue, user_queue, pq, chunk)));
                continue;
            }
            Err(TryAcquireError::Closed) => break,
        };
        if pq.is_dropped() || core.is_closing() {
            break;
        }
        let began = now;
        before(core, user_queue, pq, &chunk, began);
        let mut call =
            Arc::clone(listener).call(chunk.clone(), ConsumeContext::new(Arc::clone(user_queue)));
        match poll_fn(|cx| Poll::Ready(call.as_mut().poll(cx))).await {
            Poll::Ready((status, ctx, panicked)) => {
                now = Instant::now();
                let elapsed = now.saturating_duration_since(began);
                after(core, queue, user_queue, &chunk, status, panicked, elapsed);
                if pq.is_dropped() {
                    tracing::debug!(?queue, "queue dropped while consuming; result not applied");
                } else if let Some(offset) = settle(pq, &chunk, status, &ctx) {
                    settled.add(chunk.len(), elapsed, offset);
                } else {
                    pending.push(Box::pin(async move {
                        let _permit = permit;
                        apply(core, queue, pq, chunk, status, ctx, elapsed).await;
                    }));
                }
            }
            Poll::Pending => {
                pending.push(Box::pin(async move {
                    let _permit = permit;
                    let outcome = call.await;
                    finish(core, queue, user_queue, pq, chunk, outcome, began).await;
                }));
                now = Instant::now();
            }
        }
    }
    settled.report(core, queue, pq);
    while pending.next().await.is_some() {}
}

/// Consumes one batch that waits for a permit, and applies the result.
async fn consume(
    core: &Arc<Core>,
    queue: &MessageQueue,
    user_queue: &Arc<MessageQueue>,
    pq: &Arc<ProcessQueue>,
    msgs: Vec<ReceivedMessage>,
) {
    let Listener::Concurrent(listener) = &core.listener else {
        return;
    };
    let Ok(_permit) = core.consume_permits.acquire().await else {
        return;
    };
    if pq.is_dropped() || core.is_closing() {
        return;
    }
    let began = Instant::now();
    before(core, user_queue, pq, &msgs, began);
    let outcome = Arc::clone(listener)
        .call(msgs.clone(), ConsumeContext::new(Arc::clone(user_queue)))
        .await;
    finish(core, queue, user_queue, pq, msgs, outcome, began).await;
}

/// What happens before the listener runs: the batch counts as being consumed (for the
/// consume timeout) and the hooks see it.
fn before(
    core: &Core,
    user_queue: &MessageQueue,
    pq: &ProcessQueue,
    msgs: &[ReceivedMessage],
    began: Instant,
) {
    pq.mark_started(msgs, began);
    if core.hooks.is_empty() {
        return;
    }
    let ctx = ConsumeHookContext {
        group: &core.group,
        queue: user_queue,
        messages: msgs,
        status: None,
        success: false,
        outcome: None,
        elapsed: Duration::ZERO,
    };
    for hook in &core.hooks {
        hook.before(&ctx);
    }
}

/// What happens after the listener returned: the warning for a panic, and the hooks.
fn after(
    core: &Core,
    queue: &MessageQueue,
    user_queue: &MessageQueue,
    msgs: &[ReceivedMessage],
    status: ConsumeStatus,
    panicked: bool,
    elapsed: Duration,
) {
    if panicked {
        tracing::warn!(group = %core.group, ?queue, "listener panicked; messages will be consumed again");
    }
    if core.hooks.is_empty() {
        return;
    }
    let ctx = ConsumeHookContext {
        group: &core.group,
        queue: user_queue,
        messages: msgs,
        status: Some(status.as_str()),
        success: status == ConsumeStatus::Success,
        outcome: Some(if panicked {
            ConsumeReturn::Exception
        } else if elapsed > core.settings.consume_timeout {
            ConsumeReturn::TimeOut
        } else if status == ConsumeStatus::Success {
            ConsumeReturn::Success
        } else {
            ConsumeReturn::Failed
        }),
        elapsed,
    };
    for hook in &core.hooks {
        hook.after(&ctx);
    }
}

/// After the listener: hooks, then the result applied.
async fn finish(
    core: &Arc<Core>,
    queue: &MessageQueue,
    user_queue: &MessageQueue,
    pq: &Arc<ProcessQueue>,
    msgs: Vec<ReceivedMessage>,
    (status, ctx, panicked): (ConsumeStatus, ConsumeContext, bool),
    began: Instant,
) {
    let elapsed = began.elapsed();
    after(core, queue, user_queue, &msgs, status, panicked, elapsed);
    if pq.is_dropped() {
        tracing::debug!(?queue, "queue dropped while consuming; result not applied");
        return;
    }
    apply(core, queue, pq, msgs, status, ctx, elapsed).await;
}

/// The result of a batch that needs nothing from the broker (every message acked):
/// the messages leave the process queue; the offset to commit (-1 when nothing was
/// held). `None` when some must go back, which [`apply`] does.
fn settle(
    pq: &ProcessQueue,
    msgs: &[ReceivedMessage],
    status: ConsumeStatus,
    ctx: &ConsumeContext,
) -> Option<i64> {
    if acked(msgs.len(), status, ctx) != msgs.len() {
        return None;
    }
    Some(pq.remove(msgs.iter().map(ReceivedMessage::queue_offset)))
}

/// How many messages of a batch of `len` the listener consumed.
fn acked(len: usize, status: ConsumeStatus, ctx: &ConsumeContext) -> usize {
    match status {
        ConsumeStatus::Success => ctx.ack_index.map_or(len, |i| (i + 1).min(len)),
        ConsumeStatus::ReconsumeLater => 0,
    }
}

/// Java `processConsumeResult`.
async fn apply(
    core: &Arc<Core>,
    queue: &MessageQueue,
    pq: &Arc<ProcessQueue>,
    msgs: Vec<ReceivedMessage>,
    status: ConsumeStatus,
    ctx: ConsumeContext,
    elapsed: Duration,
) {
    let len = msgs.len();
    let acked = acked(len, status, &ctx);
    core.stats
        .consumed(&queue.topic, elapsed, acked, len - acked);
    let mut done: Vec<i64> = msgs.iter().map(ReceivedMessage::queue_offset).collect();
    if core.clustering() {
        let mut back_failed = Vec::new();
        for msg in &msgs[acked..] {
            let back = BackTo {
                message: msg,
                delay_level: ctx.delay_level,
                max_reconsume_times: core.max_reconsume(),
                fallback_reconsume_times: msg.reconsume_times() + 1,
            };
            // Boxed: the send-back future is large and rarely needed; held inline it
            // would make every consume task (one per batch) that much larger to spawn.
            if let Err(err) = Box::pin(core.send_back.send(back)).await {
                tracing::warn!(msg_id = %msg.msg_id(), %err, "send back failed; consuming again here");
                back_failed.push(msg.with_reconsume_times(msg.reconsume_times() + 1));
            }
        }
        if !back_failed.is_empty() {
            done.retain(|o| !back_failed.iter().any(|m| m.queue_offset() == *o));
            let (core2, queue2, pq2) = (Arc::clone(core), queue.clone(), Arc::clone(pq));
            core.consuming.spawn(async move {
                if core2.background.sleep(RETRY_LOCALLY_AFTER).await {
                    submit(&core2, &queue2, &pq2, back_failed);
                }
            });
        }
    } else {
        for msg in &msgs[acked..] {
            tracing::warn!(msg_id = %msg.msg_id(), "broadcasting consumption failed; message dropped");
        }
    }
    let offset = pq.remove(done.iter().copied());
    if offset >= 0 && !pq.is_dropped() {
        core.offsets.update(queue, offset, true);
    }
}

/// Java `cleanExpiredMsg`: messages held past the consume timeout are sent back (delay
/// level 3) and no longer held.
pub(crate) async fn clean_expired(core: &Arc<Core>) {
    let held: Vec<Arc<ProcessQueue>> = core.queues().values().cloned().collect();
    for pq in held {
        for _ in 0..EXPIRED_PER_ROUND {
            let Some(msg) = pq.first_expired(core.settings.consume_timeout) else {
                break;
            };
            let back = BackTo {
                message: &msg,
                delay_level: EXPIRED_DELAY_LEVEL,
                max_reconsume_times: core.max_reconsume(),
                fallback_reconsume_times: msg.reconsume_times() + 1,
            };
            match core.send_back.send(back).await {
                Ok(()) => pq.remove_if_first(&msg),
                Err(err) => {
                    tracing::warn!(msg_id = %msg.msg_id(), %err, "cannot send back an expired message");
                    break;
                }
            }
        }
    }
}
