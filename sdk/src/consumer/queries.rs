//! Queue offset queries to a queue's master (Java `MQAdminImpl`: `maxOffset`,
//! `minOffset`, `searchOffset`, `earliestMsgStoreTime`) and a topic's readable queues
//! (Java `fetchSubscribeMessageQueues`). Queues here are namespaced.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::broker;
use crate::client::Client;
use crate::protocol::MessageQueue;
use crate::protocol::header::{
    GetEarliestMsgStoretimeRequestHeader, GetMaxOffsetRequestHeader, GetMinOffsetRequestHeader,
    RpcFields, SearchOffsetRequestHeader,
};
use crate::protocol::request::{GetEarliestMsgStoretime, GetMaxOffset, GetMinOffset, SearchOffset};
use crate::{Error, Result};

/// Java's timeout of these queries (`mqClientApiTimeout`, 3 s).
const QUERY_TIMEOUT: Duration = Duration::from_secs(3);

fn bname(queue: &MessageQueue) -> RpcFields {
    RpcFields {
        broker_name: Some(queue.broker_name.clone()),
        ..RpcFields::default()
    }
}

/// The queue's largest offset (one past its last message).
pub(crate) async fn max_offset(client: &Client, queue: &MessageQueue) -> Result<i64> {
    let addr = broker::master(client, queue).await?;
    let request = GetMaxOffset(GetMaxOffsetRequestHeader {
        topic: queue.topic.clone(),
        queue_id: queue.queue_id,
        committed: true,
        rpc: bname(queue),
    });
    Ok(client.call(&addr, &request, QUERY_TIMEOUT).await?.offset)
}

/// The queue's smallest offset.
pub(crate) async fn min_offset(client: &Client, queue: &MessageQueue) -> Result<i64> {
    let addr = broker::master(client, queue).await?;
    let request = GetMinOffset(GetMinOffsetRequestHeader {
        topic: queue.topic.clone(),
        queue_id: queue.queue_id,
        rpc: bname(queue),
    });
    Ok(client.call(&addr, &request, QUERY_TIMEOUT).await?.offset)
}

/// Milliseconds since the epoch of `time` (times before the epoch are 0).
pub(crate) fn epoch_millis(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The offset of the first message stored at or after `time` (the broker's answer to
/// SEARCH_OFFSET_BY_TIMESTAMP).
pub(crate) async fn search_offset(
    client: &Client,
    queue: &MessageQueue,
    time: SystemTime,
) -> Result<i64> {
    let addr = broker::master(client, queue).await?;
    let request = SearchOffset(SearchOffsetRequestHeader {
        topic: queue.topic.clone(),
        queue_id: queue.queue_id,
        timestamp: epoch_millis(time),
        boundary_type: None,
        rpc: bname(queue),
    });
    Ok(client.call(&addr, &request, QUERY_TIMEOUT).await?.offset)
}

/// When the queue's first message was stored.
pub(crate) async fn earliest_store_time(
    client: &Client,
    queue: &MessageQueue,
) -> Result<SystemTime> {
    let addr = broker::master(client, queue).await?;
    let request = GetEarliestMsgStoretime(GetEarliestMsgStoretimeRequestHeader {
        topic: queue.topic.clone(),
        queue_id: queue.queue_id,
        rpc: bname(queue),
    });
    let millis = client.call(&addr, &request, QUERY_TIMEOUT).await?.timestamp;
    Ok(UNIX_EPOCH + Duration::from_millis(u64::try_from(millis).unwrap_or(0)))
}

/// The readable queues of `topic` (namespaced), fetching the route now (Java
/// `fetchSubscribeMessageQueues`); a topic without readable queues is
/// [`Error::NoRoute`].
pub(crate) async fn read_queues(client: &Client, topic: &str) -> Result<Vec<MessageQueue>> {
    let route = client.update_route(topic).await?;
    let queues = route.read_queues().to_vec();
    if queues.is_empty() {
        return Err(Error::NoRoute {
            topic: topic.to_owned(),
        });
    }
    Ok(queues)
}
