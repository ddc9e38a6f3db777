//! The pull loop of one queue (Java `DefaultMQPushConsumerImpl.pullMessage` and the
//! `PullMessageService`): flow control, long-polling pulls, handing what was found to the
//! consume service, and the broker's answers about offsets.

use std::future::{Future, poll_fn};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use super::core::Core;
use super::{concurrent, orderly, rebalance};
use crate::Error;
use crate::consumer::ReceivedMessage;
use crate::consumer::fetch::PullSpec;
use crate::consumer::process_queue::ProcessQueue;
use crate::protocol::request::PullStatus;
use crate::protocol::{MessageQueue, ResponseCode};

/// Java's re-pull delay when the cached messages exceed a limit (50 ms).
const FLOW_CONTROL_DELAY: Duration = Duration::from_millis(50);
/// Java's re-pull delay when the broker answers `FLOW_CONTROL` (20 ms).
const BROKER_FLOW_CONTROL_DELAY: Duration = Duration::from_millis(20);
/// Java's re-pull delay while the consumer is paused (1 s).
const PAUSED_DELAY: Duration = Duration::from_secs(1);

/// Starts pulling `queue` from `offset` until its process queue is dropped.
pub(crate) fn start(core: &Arc<Core>, queue: MessageQueue, pq: Arc<ProcessQueue>, offset: i64) {
    let core2 = Arc::clone(core);
    // Driven with every other queue's loop by one task, dropped when the consumer closes.
    core.pull_loops.add(async move {
        let dropped = pq.dropped_token().clone();
        tokio::select! {
            () = dropped.cancelled() => {}
            () = run(&core2, &queue, &pq, offset) => {}
        }
    });
}

/// What to do after one round.
enum Next {
    Now,
    After(Duration),
    Stop,
}

/// The messages of the last pull (concurrent consumption), handed to the consume
/// service once the next pull request is on its way, so the broker looks for more while
/// the listener runs (Java's pull service asks again right after submitting); handed
/// over at once when the loop waits instead. They are already in the process queue (flow
/// control counts them). When the loop is cancelled (the queue was dropped, or the
/// consumer is closing) any left here are not consumed: their offsets were not
/// committed, so they are delivered again.
struct Deferred<'a> {
    core: &'a Arc<Core>,
    queue: &'a MessageQueue,
    pq: &'a Arc<ProcessQueue>,
    msgs: Vec<ReceivedMessage>,
}

impl Deferred<'_> {
    /// Hands the messages to the consume service, which runs the listener on this task
    /// for what finishes at once (see [`concurrent::submit`]).
    fn flush(&mut self) {
        if self.msgs.is_empty() {
            return;
        }
        let msgs = std::mem::take(&mut self.msgs);
        // A dropped queue or a closing consumer would not consume them anyway.
        if !self.pq.is_dropped() && !self.core.is_closing() {
            concurrent::submit(self.core, self.queue, self.pq, msgs);
        }
    }
}

async fn run(core: &Arc<Core>, queue: &MessageQueue, pq: &Arc<ProcessQueue>, offset: i64) {
    let mut next_offset = offset;
    let mut previously_locked = false;
    let mut deferred = Deferred {
        core,
        queue,
        pq,
        msgs: Vec::new(),
    };
    loop {
        let next = round(
            core,
            queue,
            pq,
            &mut next_offset,
            &mut previously_locked,
            &mut deferred,
        )
        .await;
        match next {
            Next::Now => {}
            Next::After(delay) => {
                deferred.flush();
                tokio::time::sleep(delay).await;
            }
            Next::Stop => return,
        }
    }
}

async fn round(
    core: &Arc<Core>,
    queue: &MessageQueue,
    pq: &Arc<ProcessQueue>,
    next_offset: &mut i64,
    previously_locked: &mut bool,
    deferred: &mut Deferred<'_>,
) -> Next {
    if pq.is_dropped() {
        return Next::Stop;
    }
    pq.touch_pull();
    let s = &core.settings;
    if core.paused.load(std::sync::atomic::Ordering::Acquire) {
        return Next::After(PAUSED_DELAY);
    }
    let (count_limit, size_limit) = core.queue_limits(&queue.topic);
    let (count, size) = pq.cached();
    if count > count_limit || size / (1024 * 1024) > size_limit {
        return Next::After(FLOW_CONTROL_DELAY);
    }
    if core.orderly() {
        if !pq.is_locked() {
            return Next::After(s.delay_on_error);
        }
        if !*previously_locked {
            // The queue may have been consumed elsewhere before the lock: start again from
            // the stored offset.
            match core.start_offset(queue).await {
                Ok(offset) => {
                    *next_offset = offset;
                    *previously_locked = true;
                }
                Err(err) => {
                    tracing::debug!(?queue, %err, "cannot read the offset of a locked queue");
                    return Next::After(s.delay_on_error);
                }
            }
        }
    } else if pq.max_span() > s.max_span {
        return Next::After(FLOW_CONTROL_DELAY);
    }
    let Some(sub) = core.subscription(&queue.topic) else {
        return Next::After(s.delay_on_error);
    };
    let commit_offset = if core.clustering() {
        core.offsets.read_memory(queue).filter(|o| *o > 0)
    } else {
        None
    };
    let paused = core.pause_signal.notified();
    tokio::pin!(paused);
    paused.as_mut().enable();
    if core.paused.load(std::sync::atomic::Ordering::Acquire) {
        return Next::After(PAUSED_DELAY);
    }
    let began = Instant::now();
    let pull = core.fetcher.pull(PullSpec {
        queue,
        sub: &sub,
        offset: *next_offset,
        max_nums: s.pull_batch_size,
        commit_offset,
        post_subscription: s.post_subscription_when_pull,
        suspend: Some(s.broker_suspend),
        timeout: s.pull_timeout,
    });
    tokio::pin!(pull);
    // The first poll queues the request on the connection; the last pull's messages go
    // to the listener after it.
    let first = poll_fn(|cx| Poll::Ready(pull.as_mut().poll(cx))).await;
    deferred.flush();
    let result = match first {
        Poll::Ready(r) => r,
        Poll::Pending => tokio::select! {
            r = pull => r,
            () = paused => return Next::After(PAUSED_DELAY),
        },
    };
    let found = match result {
        Ok(found) => found,
        Err(err) => {
            tracing::debug!(group = %core.group, ?queue, %err, "pull failed");
            let (delay, registration_lost) = after_error(&err, s.delay_on_error);
            if registration_lost {
                // The heartbeat comes with the route refresh, off this loop and once for
                // every queue that noticed.
                core.client.refresh_route_soon(&queue.topic);
            }
            return Next::After(delay);
        }
    };
    match found.status {
        PullStatus::Found => {
            core.stats
                .pulled(&queue.topic, began.elapsed(), found.messages.len());
            *next_offset = found.next_begin_offset;
            if found.messages.is_empty() {
                return Next::Now;
            }
            let dispatch = pq.put(&found.messages);
            if core.orderly() {
                orderly::submit(core, queue, pq, dispatch);
            } else if deferred.msgs.is_empty() {
                deferred.msgs = found.messages;
            } else {
                deferred.msgs.extend(found.messages);
            }
            if s.pull_interval.is_zero() {
                Next::Now
            } else {
                Next::After(s.pull_interval)
            }
        }
        PullStatus::NoNewMsg | PullStatus::NoMatchedMsg => {
            *next_offset = found.next_begin_offset;
            // Java `correctTagsOffset`: nothing held, so the offset can move on.
            if pq.cached().0 == 0 {
                core.offsets.update(queue, *next_offset, true);
            }
            Next::Now
        }
        PullStatus::OffsetIllegal => {
            tracing::warn!(group = %core.group, ?queue, requested = *next_offset, next = found.next_begin_offset, "offset moved by the broker");
            core.offsets
                .update_and_freeze(queue, found.next_begin_offset);
            // Off this loop: removing the queue drops it, which ends this loop.
            let (core2, queue2) = (Arc::clone(core), queue.clone());
            core.background.spawn_cancellable(async move {
                core2.offsets.persist(&queue2, true).await;
                rebalance::remove_queue(&core2, &queue2).await;
            });
            Next::Stop
        }
    }
}

/// What a failed pull asks for: the delay before the next one, and whether the broker has
/// lost this client's registration (a restarted broker, or one that expired the client),
/// which a heartbeat restores. Java's 4.x client waits for its next periodic heartbeat
/// (up to 30 s); its 5.x versions, and this client, send one when a new connection to a
/// broker opens (see `client::reconnect`); this client also sends one as soon as a broker
/// says it does not know the group or its subscription (e.g. after the client expired).
fn after_error(err: &Error, delay_on_error: Duration) -> (Duration, bool) {
    match err {
        Error::Broker { code, .. } if *code == ResponseCode::FLOW_CONTROL => {
            (BROKER_FLOW_CONTROL_DELAY, false)
        }
        Error::Broker { code, .. } => (
            delay_on_error,
            [
                ResponseCode::SUBSCRIPTION_NOT_EXIST,
                ResponseCode::SUBSCRIPTION_NOT_LATEST,
                ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
            ]
            .contains(code),
        ),
        _ => (delay_on_error, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(code: ResponseCode) -> Error {
        Error::Broker {
            code,
            remark: Some("refused".into()),
        }
    }

    #[test]
    fn a_broker_that_lost_the_registration_gets_a_heartbeat() {
        let delay = Duration::from_secs(3);
        for code in [
            ResponseCode::SUBSCRIPTION_NOT_EXIST,
            ResponseCode::SUBSCRIPTION_NOT_LATEST,
            ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
        ] {
            assert_eq!(
                after_error(&refused(code), delay),
                (delay, true),
                "{code:?}"
            );
        }
        assert_eq!(
            after_error(&refused(ResponseCode::FLOW_CONTROL), delay),
            (BROKER_FLOW_CONTROL_DELAY, false)
        );
        assert_eq!(
            after_error(&refused(ResponseCode::SYSTEM_ERROR), delay),
            (delay, false)
        );
        assert_eq!(after_error(&Error::Shutdown, delay), (delay, false));
    }
}
