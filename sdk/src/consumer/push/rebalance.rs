//! Rebalancing (Java `RebalanceImpl` / `RebalancePushImpl`): which queues of each
//! subscribed topic this consumer takes, and starting and stopping their pulls.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use super::core::Core;
use super::pulling;
use crate::consumer::process_queue::ProcessQueue;
use crate::protocol::MessageQueue;
use crate::protocol::header::{GetConsumerListByGroupRequestHeader, RpcFields};
use crate::protocol::request::GetConsumerListByGroup;
use crate::{Error, Result};

/// Java's delay before rebalancing again when some queue could not be locked.
const RELOCK_RETRY: Duration = Duration::from_millis(500);

/// The member ids of the group as a broker of `topic` knows them (Java
/// `findConsumerIdList`).
async fn member_ids(core: &Core, topic: &str) -> Result<Vec<String>> {
    let route = core.client.topic_route(topic).await?;
    let brokers = &route.route().brokers;
    if brokers.is_empty() {
        return Err(Error::NoRoute {
            topic: topic.to_owned(),
        });
    }
    // Java picks a broker of the topic at random, preferring its master.
    let pick =
        usize::try_from(crate::consumer::subscription::now_millis()).unwrap_or(0) % brokers.len();
    let data = &brokers[pick];
    let addr = data
        .broker_addrs
        .get(&0)
        .or_else(|| data.broker_addrs.values().next())
        .cloned()
        .ok_or_else(|| Error::NoRoute {
            topic: topic.to_owned(),
        })?;
    let request = GetConsumerListByGroup(GetConsumerListByGroupRequestHeader {
        consumer_group: core.group.clone(),
        rpc: RpcFields::default(),
    });
    let list = core
        .client
        .call(&addr, &request, core.client.config().request_timeout())
        .await?;
    Ok(list.consumer_id_list)
}

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
    let route = core.client.topic_route(topic).await?;
    let mut all: Vec<MessageQueue> = route.read_queues().to_vec();
    if all.is_empty() {
        return Ok(());
    }
    let mine: HashSet<MessageQueue> = if core.clustering() {
        let mut ids = member_ids(core, topic).await?;
        if ids.is_empty() {
            return Ok(());
        }
        all.sort();
        ids.sort();
        core.strategy
            .allocate(&core.group, core.client.client_id(), &all, &ids)
            .into_iter()
            .collect()
    } else {
        all.into_iter().collect()
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
