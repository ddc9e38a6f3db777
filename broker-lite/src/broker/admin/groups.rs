//! Subscription-group admin and consume progress: UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
//! GET_ALL_SUBSCRIPTIONGROUP_CONFIG, DELETE_SUBSCRIPTIONGROUP, GET_CONSUME_STATS,
//! GET_ALL_CONSUMER_OFFSET.

use std::collections::BTreeSet;
use std::sync::Arc;

use rocketmq::protocol::body::{ConsumeOffset, ConsumeStats, SubscriptionGroupConfig};
use rocketmq::protocol::header::{
    DeleteSubscriptionGroupRequestHeader, GetConsumeStatsRequestHeader,
};
use rocketmq::protocol::json::{self, JsonBody};
use rocketmq::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketmq::remoting::{RemotingServerBuilder, RequestContext};

use super::{blocking, is_v5, queue, refuse, success, success_with, u64_to_i64};
use crate::broker::stats::GROUP_GET_NUMS;
use crate::broker::{Reply, State, on};

pub(super) fn register(
    builder: RemotingServerBuilder,
    state: &Arc<State>,
) -> RemotingServerBuilder {
    let b = on(
        builder,
        RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
        state,
        create,
    );
    let b = on(b, RequestCode::GET_ALL_SUBSCRIPTIONGROUP_CONFIG, state, all);
    let b = on(b, RequestCode::DELETE_SUBSCRIPTIONGROUP, state, delete);
    let b = on(b, RequestCode::GET_CONSUME_STATS, state, consume_stats);
    on(b, RequestCode::GET_ALL_CONSUMER_OFFSET, state, all_offsets)
}

/// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP: the body is the group's config.
async fn create(state: Arc<State>, ctx: RequestContext, request: RemotingCommand) -> Reply {
    let config: SubscriptionGroupConfig = match json::from_slice(&request.body) {
        Ok(c) => c,
        Err(e) => return refuse(ResponseCode::SYSTEM_ERROR, e.to_string()),
    };
    tracing::info!(group = %config.group_name, peer = ctx.peer_addr(), "subscription group created or updated");
    state.groups.put(config);
    success()
}

/// GET_ALL_SUBSCRIPTIONGROUP_CONFIG: the group table with its data version.
async fn all(state: Arc<State>, _ctx: RequestContext, _request: RemotingCommand) -> Reply {
    success_with(state.groups.snapshot().to_json())
}

/// DELETE_SUBSCRIPTIONGROUP: drops the group (and its offsets when asked).
async fn delete(state: Arc<State>, _ctx: RequestContext, request: RemotingCommand) -> Reply {
    let h: DeleteSubscriptionGroupRequestHeader = request.read_header()?;
    state.groups.delete(&h.group_name);
    if h.deletes_offsets() {
        state.offsets.remove_group(&h.group_name);
    }
    success()
}

/// GET_ALL_CONSUMER_OFFSET: every committed offset in Java's `consumerOffset.json` form.
async fn all_offsets(state: Arc<State>, _ctx: RequestContext, _request: RemotingCommand) -> Reply {
    success_with(state.offsets.snapshot().to_json())
}

/// The topics GET_CONSUME_STATS covers (Java `getTopicsForCollectingConsumeStats`): the
/// given list as is; else the given topic or every topic the group has offsets on, kept
/// only if the group subscribes to it (when it has any subscription).
fn topics_for_stats(state: &State, h: &GetConsumeStatsRequestHeader) -> BTreeSet<String> {
    let listed: BTreeSet<String> = h
        .topic_list
        .as_deref()
        .unwrap_or("")
        .split(';')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    if !listed.is_empty() {
        return listed;
    }
    let group = &h.consumer_group;
    let mut topics: BTreeSet<String> = match h.topic.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => [t.to_owned()].into(),
        _ => state.offsets.topics_of_group(group).into_iter().collect(),
    };
    let subscribed = state
        .clients
        .consumer_group(group)
        .map_or(0, |g| g.subscriptions.len());
    if subscribed > 0 {
        topics.retain(|t| state.clients.subscription(group, t).is_some());
    }
    topics
}

/// GET_CONSUME_STATS: per queue, the broker's max offset, the group's offset and the
/// store time of the last consumed message; the group's pull rate as consume TPS.
async fn consume_stats(state: Arc<State>, _ctx: RequestContext, request: RemotingCommand) -> Reply {
    let h: GetConsumeStatsRequestHeader = request.read_header()?;
    let group = h.consumer_group.clone();
    let mut plan = Vec::new();
    let mut tps = 0.0;
    for topic in topics_for_stats(&state, &h) {
        let Some(config) = state.topics.get(&topic) else {
            tracing::debug!(%topic, "consume stats: no such topic");
            continue;
        };
        let committed = state.offsets.offsets(&group, &topic);
        for id in 0..config.read_queue_nums.max(0) {
            let consumer = committed.get(&id).copied().unwrap_or(0).max(0);
            plan.push((topic.clone(), id, consumer));
        }
        tps += state
            .stats
            .item(GROUP_GET_NUMS, &format!("{topic}@{group}"))
            .map_or(0.0, |s| s.minute.tps);
    }
    let rows = blocking(&state, move |store| {
        let mut rows = Vec::with_capacity(plan.len());
        for (topic, id, consumer) in plan {
            let broker = store.max_offset(&topic, id);
            let last = match u64::try_from(consumer - 1) {
                Ok(o) => store.message_store_time(&topic, id, o)?.unwrap_or(0),
                Err(_) => 0,
            };
            rows.push((topic, id, broker, consumer, last));
        }
        Ok(rows)
    })
    .await?;
    let v5 = is_v5(&request);
    let mut stats = ConsumeStats {
        consume_tps: tps,
        ..ConsumeStats::default()
    };
    for (topic, id, broker, consumer, last) in rows {
        stats.offset_table.insert(
            queue(&state, &topic, id),
            ConsumeOffset {
                broker_offset: u64_to_i64(broker),
                consumer_offset: consumer,
                pull_offset: v5.then_some(consumer),
                last_timestamp: last,
            },
        );
    }
    success_with(stats.to_json())
}
