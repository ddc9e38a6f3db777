//! Rebalancing (Java `RebalanceImpl` / `RebalancePushImpl`): which queues of each
//! subscribed topic this consumer takes, and starting and stopping their pulls.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use super::core::Core;
use super::pulling;
use crate::Result;
use crate::consumer::balance;
use crate::consumer::process_queue::ProcessQueue;
use crate::protocol::MessageQueue;

/// Java's delay before rebalancing again when some queue could not be locked.
const RELOCK_RETRY: Duration = Duration::from_millis(500);

/// One rebalance of every subscribed topic, then drops queues of topics no longer
/// subscribed.
pub(crate) async fn rebalance(core: &Arc<Core>) {
    let topics: Vec<String> = core.subscriptions().into_iter().map(|s| s.topic).collect();
    for topic in &topics {
        if core.background.is_cancelled() {
            return;
        }
        if let Err(err) = rebalance_topic(core, topic).await {
            tracing::debug!(group = %core.group, topic, %err, "rebalance skipped");
        }
    }
    let stale: Vec<(MessageQueue, Arc<ProcessQueue>)> = core
        .queues()
        .iter()
        .filter(|(q, _)| !topics.contains(&q.topic))
        .map(|(q, pq)| (q.clone(), Arc::clone(pq)))
        .collect();
    for (queue, pq) in stale {
        pq.drop_queue();
        core.queues().remove(&queue);
    }
}

async fn rebalance_topic(core: &Arc<Core>, topic: &str) -> Result<()> {
    let Some(mine) = balance::my_queues(
        &core.client,
        &core.group,
        topic,
        core.settings.model,
        core.strategy.as_ref(),
    )
    .await?
    else {
        return Ok(());
    };
    let lock = core.orderly() && core.clustering();
    if update_queues(core, topic, &mine, lock).await {
        tracing::info!(
            group = %core.group,
            topic,
            strategy = %core.strategy.name(),
            queues = ?mine,
            "rebalance result changed"
        );
        core.queues_changed(topic, mine.len());
        core.client.send_heartbeat().await;
    }
    Ok(())
}

/// Java `updateProcessQueueTableInRebalance`: drops queues no longer ours (or idle too
/// long), adds new ones at their start offset and starts pulling them. Whether anything
/// changed.
async fn update_queues(
    core: &Arc<Core>,
    topic: &str,
    mine: &HashSet<MessageQueue>,
    lock: bool,
) -> bool {
    let mut changed = false;
    let leaving: Vec<(MessageQueue, Arc<ProcessQueue>)> = core
        .queues()
        .iter()
        .filter(|(q, pq)| q.topic == topic && (!mine.contains(*q) || pq.is_pull_expired()))
        .map(|(q, pq)| (q.clone(), Arc::clone(pq)))
        .collect();
    for (queue, pq) in leaving {
        pq.drop_queue();
        if core.remove_unnecessary(&queue, &pq).await {
            core.queues().remove(&queue);
            changed = true;
        }
    }
    let mut sorted: Vec<&MessageQueue> = mine.iter().collect();
    sorted.sort();
    let mut all_locked = true;
    for queue in sorted {
        if core.queues().contains_key(queue) {
            continue;
        }
        if lock && !core.lock_one(queue).await {
            all_locked = false;
            continue;
        }
        core.offsets.remove(queue);
        let pq = Arc::new(ProcessQueue::new(&core.queue_root));
        pq.set_locked(true);
        let offset = match core.start_offset(queue).await {
            Ok(offset) => offset,
            Err(err) => {
                tracing::warn!(?queue, %err, "cannot find where to start; retried at the next rebalance");
                continue;
            }
        };
        let added = {
            let mut queues = core.queues();
            if queues.contains_key(queue) {
                false
            } else {
                queues.insert(queue.clone(), Arc::clone(&pq));
                true
            }
        };
        if added {
            changed = true;
            pulling::start(core, queue.clone(), pq, offset);
        }
    }
    if !all_locked {
        let core2 = Arc::clone(core);
        core.background.spawn_cancellable(async move {
            tokio::time::sleep(RELOCK_RETRY).await;
            core2.rebalance_now.notify_one();
        });
    }
    changed
}

/// Drops a queue after the broker moved its offset (Java 5.x `removeProcessQueue` on
/// `OFFSET_ILLEGAL`) and asks for a rebalance, which adds it again at the stored offset.
pub(crate) async fn remove_queue(core: &Arc<Core>, queue: &MessageQueue) {
    let pq = core.queues().remove(queue);
    if let Some(pq) = pq {
        pq.drop_queue();
        core.remove_unnecessary(queue, &pq).await;
    }
    core.rebalance_now.notify_one();
}
