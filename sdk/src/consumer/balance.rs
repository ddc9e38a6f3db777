//! Rebalancing steps every subscribing consumer shares (Java `RebalanceImpl`): the group's
//! members as a broker knows them, this member's share of a topic's queues, and where a
//! newly taken queue starts.

use std::collections::HashSet;

use super::offset::OffsetStore;
use super::subscription::now_millis;
use super::{AllocateStrategy, ConsumeFrom, MessageModel, queries};
use crate::client::Client;
use crate::client::namespace::RETRY_PREFIX;
use crate::protocol::MessageQueue;
use crate::protocol::header::{GetConsumerListByGroupRequestHeader, RpcFields};
use crate::protocol::request::GetConsumerListByGroup;
use crate::{Error, Result};

/// The member ids of `group` as a broker of `topic` knows them (Java
/// `findConsumerIdList`: a broker of the topic picked at random, its master preferred).
pub(crate) async fn member_ids(client: &Client, group: &str, topic: &str) -> Result<Vec<String>> {
    let route = client.topic_route(topic).await?;
    let brokers = &route.route().brokers;
    let no_route = || Error::NoRoute {
        topic: topic.to_owned(),
    };
    if brokers.is_empty() {
        return Err(no_route());
    }
    let pick = usize::try_from(now_millis()).unwrap_or(0) % brokers.len();
    let data = &brokers[pick];
    let addr = data
        .broker_addrs
        .get(&0)
        .or_else(|| data.broker_addrs.values().next())
        .cloned()
        .ok_or_else(no_route)?;
    let request = GetConsumerListByGroup(GetConsumerListByGroupRequestHeader {
        consumer_group: group.to_owned(),
        rpc: RpcFields::default(),
    });
    let list = client
        .call(&addr, &request, client.config().request_timeout())
        .await?;
    Ok(list.consumer_id_list)
}

/// The queues of `topic` (namespaced) this member takes: all readable queues when
/// broadcasting, its share by `strategy` when clustering. `None` when the group's
/// membership is not known yet (the assignment is kept as it is).
pub(crate) async fn my_queues(
    client: &Client,
    group: &str,
    topic: &str,
    model: MessageModel,
    strategy: &dyn AllocateStrategy,
) -> Result<Option<HashSet<MessageQueue>>> {
    let route = client.topic_route(topic).await?;
    let mut all: Vec<MessageQueue> = route.read_queues().to_vec();
    if all.is_empty() {
        return Ok(None);
    }
    if model == MessageModel::Broadcasting {
        return Ok(Some(all.into_iter().collect()));
    }
    let mut ids = member_ids(client, group, topic).await?;
    if ids.is_empty() {
        return Ok(None);
    }
    all.sort();
    ids.sort();
    Ok(Some(
        strategy
            .allocate(group, client.client_id(), &all, &ids)
            .into_iter()
            .collect(),
    ))
}

/// Where a newly taken queue starts (Java `computePullFromWhereWithException`): the
/// stored offset (memory first when `memory_first`, as the lite pull consumer reads it),
/// else per `from`: the last offset (the retry topic from 0), the first, or the first
/// message stored at the time (the retry topic from its end). Fails when the store cannot
/// be read.
pub(crate) async fn start_offset(
    client: &Client,
    offsets: &OffsetStore,
    from: ConsumeFrom,
    queue: &MessageQueue,
    memory_first: bool,
) -> Result<i64> {
    let stored = if memory_first {
        offsets.read_memory_then_store(queue).await?
    } else {
        offsets.read_store(queue).await?
    };
    if let Some(offset) = stored
        && offset >= 0
    {
        return Ok(offset);
    }
    let retry = queue.topic.starts_with(RETRY_PREFIX);
    match from {
        ConsumeFrom::LastOffset if retry => Ok(0),
        ConsumeFrom::LastOffset => queries::max_offset(client, queue).await,
        ConsumeFrom::FirstOffset => Ok(0),
        ConsumeFrom::Timestamp(_) if retry => queries::max_offset(client, queue).await,
        ConsumeFrom::Timestamp(at) => queries::search_offset(client, queue, at).await,
    }
}
