//! Orderly consumption (Java `ConsumeMessageOrderlyService`): one consume loop per queue,
//! batches in queue order, in clustering mode only while the broker lock is held; a
//! failed batch suspends the queue and comes again; after the maximum number of attempts
//! a message goes to the dead-letter topic through the retry topic.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::core::Core;
use super::hook::{ConsumeHookContext, ConsumeReturn};
use super::listener::{Listener, OrderlyContext, OrderlyStatus};
use crate::consumer::ReceivedMessage;
use crate::consumer::process_queue::ProcessQueue;
use crate::consumer::send_back::BackTo;
use crate::protocol::MessageQueue;

/// Java `rocketmq.client.maxTimeConsumeContinuously` (60 s): a queue's loop yields after
/// consuming this long.
const MAX_CONTINUOUS: Duration = Duration::from_secs(60);
/// Java's delays: retry soon after a lock, later without one.
const SOON: Duration = Duration::from_millis(10);
const LOCK_RETRY_SOON: Duration = Duration::from_millis(100);
const NOT_LOCKED_RETRY: Duration = Duration::from_millis(3000);

/// Starts the queue's consume loop when [`ProcessQueue::put`] asked for one.
pub(crate) fn submit(
    core: &Arc<Core>,
    queue: &MessageQueue,
    pq: &Arc<ProcessQueue>,
    dispatch: bool,
) {
    if dispatch {
        submit_later(core, queue, pq, Duration::ZERO);
    }
}

/// Starts the queue's consume loop after `delay`.
pub(crate) fn submit_later(
    core: &Arc<Core>,
    queue: &MessageQueue,
    pq: &Arc<ProcessQueue>,
    delay: Duration,
) {
    let (core2, queue2, pq2) = (Arc::clone(core), queue.clone(), Arc::clone(pq));
    core.consuming.spawn(async move {
        if !delay.is_zero() && !core2.background.sleep(delay).await {
            return;
        }
        consume(&core2, &queue2, &pq2).await;
    });
}

/// Locks the queue after `delay`, then consumes soon (locked) or later (not locked).
fn try_lock_later(core: &Arc<Core>, queue: &MessageQueue, pq: &Arc<ProcessQueue>, delay: Duration) {
    let (core2, queue2, pq2) = (Arc::clone(core), queue.clone(), Arc::clone(pq));
    core.consuming.spawn(async move {
        if !core2.background.sleep(delay).await {
            return;
        }
        let locked = core2.lock_one(&queue2).await;
        submit_later(
            &core2,
            &queue2,
            &pq2,
            if locked { SOON } else { NOT_LOCKED_RETRY },
        );
    });
}

/// Java `ConsumeRequest.run` of the orderly service.
async fn consume(core: &Arc<Core>, queue: &MessageQueue, pq: &Arc<ProcessQueue>) {
    let Listener::Orderly(listener) = &core.listener else {
        return;
    };
    if pq.is_dropped() {
        return;
    }
    let _queue_turn = pq.orderly_lock.lock().await;
    let clustering = core.clustering();
    if clustering && (!pq.is_locked() || pq.is_lock_expired()) {
        if !pq.is_dropped() {
            try_lock_later(core, queue, pq, LOCK_RETRY_SOON);
        }
        return;
    }
    let began = Instant::now();
    let user_queue = core.user_queue(queue);
    loop {
        if pq.is_dropped() || core.is_closing() {
            break;
        }
        if clustering && (!pq.is_locked() || pq.is_lock_expired()) {
            try_lock_later(core, queue, pq, SOON);
            break;
        }
        if began.elapsed() > MAX_CONTINUOUS {
            submit_later(core, queue, pq, SOON);
            break;
        }
        let msgs = pq.take(core.settings.consume_batch_size.max(1));
        if msgs.is_empty() {
            break;
        }
        let mut hook_ctx = ConsumeHookContext {
            group: &core.group,
            queue: &user_queue,
            messages: &msgs,
            status: None,
            success: false,
            outcome: None,
            elapsed: Duration::ZERO,
        };
        for hook in &core.hooks {
            hook.before(&hook_ctx);
        }
        let Ok(permit) = core.consume_permits.acquire().await else {
            pq.rollback();
            break;
        };
        let consume_guard = pq.consume_lock.lock().await;
        if pq.is_dropped() {
            break;
        }
        let started = Instant::now();
        let (status, ctx, panicked) = Arc::clone(listener)
            .call(msgs.clone(), OrderlyContext::new(user_queue.clone()))
            .await;
        let elapsed = started.elapsed();
        drop(consume_guard);
        drop(permit);
        if panicked {
            tracing::warn!(group = %core.group, ?queue, "orderly listener panicked; suspending the queue");
        }
        hook_ctx.status = Some(status.as_str());
        hook_ctx.success = status == OrderlyStatus::Success;
        hook_ctx.elapsed = elapsed;
        hook_ctx.outcome = Some(if panicked {
            ConsumeReturn::Exception
        } else if status == OrderlyStatus::Success {
            ConsumeReturn::Success
        } else {
            ConsumeReturn::Failed
        });
        for hook in &core.hooks {
            hook.after(&hook_ctx);
        }
        let ok = usize::from(status == OrderlyStatus::Success) * msgs.len();
        core.stats
            .consumed(&queue.topic, elapsed, ok, msgs.len() - ok);
        if !apply(core, queue, pq, msgs, status, &ctx).await {
            break;
        }
    }
}

/// Java `processConsumeResult` (auto-commit): commits on success; on suspend puts the
/// batch back and pauses the queue, unless every message reached the maximum number of
/// attempts and went to the dead-letter topic. Whether the loop goes on.
async fn apply(
    core: &Arc<Core>,
    queue: &MessageQueue,
    pq: &Arc<ProcessQueue>,
    msgs: Vec<ReceivedMessage>,
    status: OrderlyStatus,
    ctx: &OrderlyContext,
) -> bool {
    let mut go_on = true;
    let commit = match status {
        OrderlyStatus::Success => pq.commit(),
        OrderlyStatus::Suspend => {
            let (suspend, again) = check_reconsume_times(core, msgs).await;
            if suspend {
                pq.consume_again(again);
                submit_later(
                    core,
                    queue,
                    pq,
                    ctx.suspend.unwrap_or(core.settings.suspend_time),
                );
                go_on = false;
                -1
            } else {
                pq.commit()
            }
        }
    };
    if commit >= 0 && !pq.is_dropped() {
        core.offsets.update(queue, commit, false);
    }
    go_on
}

/// Java `checkReconsumeTimes`: messages at the maximum go to the dead-letter topic (sent
/// to the retry topic with a reconsume count at the maximum); the others count one more
/// attempt. Whether the batch must be consumed again, and the batch with new counts.
async fn check_reconsume_times(
    core: &Arc<Core>,
    msgs: Vec<ReceivedMessage>,
) -> (bool, Vec<ReceivedMessage>) {
    let max = core.max_reconsume();
    let mut suspend = false;
    let mut again = Vec::with_capacity(msgs.len());
    for msg in msgs {
        let times = msg.reconsume_times();
        if times >= max {
            let back = BackTo {
                message: &msg,
                delay_level: 0,
                max_reconsume_times: max,
                fallback_reconsume_times: times,
            };
            if let Err(err) = core.send_back.to_retry_topic(&back).await {
                tracing::warn!(msg_id = %msg.msg_id(), %err, "cannot move a message to the dead-letter topic; consuming it again");
                suspend = true;
                again.push(msg.with_reconsume_times(times.saturating_add(1)));
            } else {
                again.push(msg);
            }
        } else {
            suspend = true;
            again.push(msg.with_reconsume_times(times.saturating_add(1)));
        }
    }
    (suspend, again)
}
