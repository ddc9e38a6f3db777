//! The lite pull consumer's work behind `poll` (Java `DefaultLitePullConsumerImpl`'s
//! `PullTaskImpl` and `RebalanceLitePullImpl`): one pull loop per queue filling the batch
//! queue, and keeping the set of queues up to date.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::state::{Assigned, Batch, Mode, Shared};
use crate::consumer::balance;
use crate::consumer::fetch::PullSpec;
use crate::consumer::subscription::Expression;
use crate::protocol::MessageQueue;
use crate::protocol::request::PullStatus;

/// Java's delays: flow control 50 ms, paused queue 1 s.
const FLOW_CONTROL_DELAY: Duration = Duration::from_millis(50);
const PAUSED_DELAY: Duration = Duration::from_secs(1);

/// Makes `wanted` the set of queues pulled for `topic` (all topics when `None`): drops the
/// others (their offsets written and forgotten), adds and starts the new ones.
pub(crate) async fn set_queues(
    shared: &Arc<Shared>,
    topic: Option<&str>,
    wanted: &HashSet<MessageQueue>,
) {
    let leaving: Vec<(MessageQueue, Arc<Assigned>)> = shared
        .assigned()
        .iter()
        .filter(|(q, _)| topic.is_none_or(|t| q.topic == t) && !wanted.contains(*q))
        .map(|(q, a)| (q.clone(), Arc::clone(a)))
        .collect();
    for (queue, entry) in leaving {
        entry.pq.drop_queue();
        shared.assigned().remove(&queue);
        let offset = entry.consume_offset.load(Ordering::Acquire);
        if offset >= 0 {
            shared.offsets.update(&queue, offset, false);
        }
        shared.offsets.persist(&queue, false).await;
        shared.offsets.remove(&queue);
        shared.fetcher.forget(&queue);
    }
    for queue in wanted {
        let entry = {
            let mut assigned = shared.assigned();
            if assigned.contains_key(queue) {
                continue;
            }
            let entry = Arc::new(Assigned::new(&shared.queue_root));
            assigned.insert(queue.clone(), Arc::clone(&entry));
            entry
        };
        start(shared, queue.clone(), entry);
    }
}

/// One rebalance of every subscribed topic (subscribe mode).
pub(crate) async fn rebalance(shared: &Arc<Shared>) {
    if *shared.mode() != Mode::Subscribe {
        return;
    }
    let topics: Vec<String> = shared.subscriptions().keys().cloned().collect();
    for topic in &topics {
        let mine = balance::my_queues(
            &shared.client,
            &shared.group,
            topic,
            shared.settings.model,
            shared.strategy.as_ref(),
        )
        .await;
        match mine {
            Ok(Some(mine)) => set_queues(shared, Some(topic), &mine).await,
            Ok(None) => {}
            Err(err) => tracing::debug!(group = %shared.group, topic, %err, "rebalance skipped"),
        }
    }
    // Topics no longer subscribed.
    let stale: HashSet<String> = shared
        .assigned()
        .keys()
        .filter(|q| !topics.contains(&q.topic))
        .map(|q| q.topic.clone())
        .collect();
    for topic in stale {
        set_queues(shared, Some(&topic), &HashSet::new()).await;
    }
}

fn start(shared: &Arc<Shared>, queue: MessageQueue, entry: Arc<Assigned>) {
    let shared2 = Arc::clone(shared);
    // Driven with every other queue's loop by one task, dropped when the consumer closes.
    shared.pull_loops.add(async move {
        let dropped = entry.pq.dropped_token().clone();
        tokio::select! {
            () = dropped.cancelled() => {}
            () = run(&shared2, &queue, &entry) => {}
        }
    });
}

async fn run(shared: &Arc<Shared>, queue: &MessageQueue, entry: &Arc<Assigned>) {
    loop {
        let delay = round(shared, queue, entry).await;
        if !delay.is_zero() {
            // A seek wakes the task early.
            tokio::select! {
                () = entry.wake.notified() => {}
                () = tokio::time::sleep(delay) => {}
            }
        }
    }
}

/// One pull (Java `PullTaskImpl.run`); returns how long to wait before the next.
async fn round(shared: &Arc<Shared>, queue: &MessageQueue, entry: &Arc<Assigned>) -> Duration {
    let s = &shared.settings;
    if entry.paused.load(Ordering::Acquire) {
        return PAUSED_DELAY;
    }
    let batch = usize::try_from(s.pull_batch_size).unwrap_or(1).max(1);
    let (count, size) = entry.pq.cached();
    if shared.waiting() * batch > s.pull_threshold_for_all
        || shared.batches.capacity() == 0
        || count > s.pull_threshold_for_queue
        || size / (1024 * 1024) > s.pull_threshold_size_for_queue
        || entry.pq.max_span() > s.max_span
    {
        return FLOW_CONTROL_DELAY;
    }
    let generation = entry.generation();
    let sought = entry.seek_offset.swap(-1, Ordering::AcqRel);
    let offset = if sought >= 0 {
        entry.consume_offset.store(sought, Ordering::Release);
        sought
    } else {
        let known = entry.pull_offset.load(Ordering::Acquire);
        if known >= 0 {
            known
        } else {
            match balance::start_offset(
                &shared.client,
                &shared.offsets,
                s.consume_from,
                queue,
                true,
            )
            .await
            {
                Ok(offset) => offset,
                Err(err) => {
                    tracing::debug!(?queue, %err, "cannot find where to start");
                    return s.delay_on_error;
                }
            }
        }
    };
    let sub = shared
        .subscriptions()
        .get(&queue.topic)
        .cloned()
        .unwrap_or_else(|| Expression::all().subscription(&queue.topic));
    let pull = shared.fetcher.pull(PullSpec {
        queue,
        sub: &sub,
        offset,
        max_nums: s.pull_batch_size,
        commit_offset: None,
        post_subscription: true,
        suspend: Some(s.broker_suspend),
        timeout: s.suspend_timeout,
    });
    let result = tokio::select! {
        r = pull => r,
        () = entry.wake.notified() => return Duration::ZERO,
    };
    let found = match result {
        Ok(found) => found,
        Err(err) => {
            tracing::debug!(group = %shared.group, ?queue, %err, "pull failed");
            return s.delay_on_error;
        }
    };
    if entry.generation() != generation {
        // Sought meanwhile: this result is for the old position.
        return Duration::ZERO;
    }
    if found.status == PullStatus::OffsetIllegal {
        tracing::warn!(
            ?queue,
            offset,
            next = found.next_begin_offset,
            "pull offset out of range"
        );
    }
    entry
        .pull_offset
        .store(found.next_begin_offset, Ordering::Release);
    if found.status == PullStatus::Found && !found.messages.is_empty() {
        entry.pq.put(&found.messages);
        let batch = Batch {
            queue: queue.clone(),
            generation,
            messages: found.messages,
        };
        if shared.batches.send(batch).await.is_err() {
            return s.delay_on_error;
        }
    }
    Duration::ZERO
}
