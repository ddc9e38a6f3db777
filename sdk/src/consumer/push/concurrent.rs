//! Concurrent consumption (Java `ConsumeMessageConcurrentlyService`): batches run in
//! parallel up to the consumer's parallelism; failed messages go back to the broker for a
//! later delivery, and the queue's offset moves to the smallest message still held.

use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// Hands pulled messages to the listener in batches of the consume batch size.
pub(crate) fn submit(
    core: &Arc<Core>,
    queue: &MessageQueue,
    pq: &Arc<ProcessQueue>,
    msgs: Vec<ReceivedMessage>,
) {
    let batch = core.settings.consume_batch_size.max(1);
    // The queue, and the queue as the application sees it, shared by every batch of the
    // pull rather than copied for each.
    let queue = Arc::new(queue.clone());
    let user_queue = Arc::new(core.user_queue(&queue));
    let mut msgs = msgs;
    while !msgs.is_empty() {
        let rest = msgs.split_off(batch.min(msgs.len()));
        let chunk = std::mem::replace(&mut msgs, rest);
        let (core2, queue2, pq2) = (Arc::clone(core), Arc::clone(&queue), Arc::clone(pq));
        let user_queue = Arc::clone(&user_queue);
        core.consuming.spawn(async move {
            consume(&core2, &queue2, &user_queue, &pq2, chunk).await;
        });
    }
}

/// Consumes one batch and applies the result.
async fn consume(
    core: &Arc<Core>,
    queue: &MessageQueue,
    user_queue: &MessageQueue,
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
    pq.mark_started(&msgs);
    let mut hook_ctx = ConsumeHookContext {
        group: &core.group,
        queue: user_queue,
        messages: &msgs,
        status: None,
        success: false,
        outcome: None,
        elapsed: Duration::ZERO,
    };
    for hook in &core.hooks {
        hook.before(&hook_ctx);
    }
    let began = Instant::now();
    let (status, ctx, panicked) = Arc::clone(listener)
        .call(msgs.clone(), ConsumeContext::new(user_queue.clone()))
        .await;
    let elapsed = began.elapsed();
    if panicked {
        tracing::warn!(group = %core.group, ?queue, "listener panicked; messages will be consumed again");
    }
    hook_ctx.status = Some(status.as_str());
    hook_ctx.success = status == ConsumeStatus::Success;
    hook_ctx.elapsed = elapsed;
    hook_ctx.outcome = Some(if panicked {
        ConsumeReturn::Exception
    } else if elapsed > core.settings.consume_timeout {
        ConsumeReturn::TimeOut
    } else if status == ConsumeStatus::Success {
        ConsumeReturn::Success
    } else {
        ConsumeReturn::Failed
    });
    for hook in &core.hooks {
        hook.after(&hook_ctx);
    }
    if pq.is_dropped() {
        tracing::debug!(?queue, "queue dropped while consuming; result not applied");
        return;
    }
    apply(core, queue, pq, msgs, status, ctx, elapsed).await;
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
    let acked = match status {
        ConsumeStatus::Success => ctx.ack_index.map_or(len, |i| (i + 1).min(len)),
        ConsumeStatus::ReconsumeLater => 0,
    };
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
    let offset = pq.remove(&done);
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
