//! Offsets on the broker (Java `RemoteBrokerOffsetStore`): QUERY_CONSUMER_OFFSET and
//! UPDATE_CONSUMER_OFFSET to the master of each queue's broker.

use std::collections::BTreeMap;
use std::time::Duration;

use super::OffsetTable;
use crate::Result;
use crate::client::Client;
use crate::consumer::broker;
use crate::protocol::MessageQueue;
use crate::protocol::header::{
    QueryConsumerOffsetRequestHeader, RpcFields, UpdateConsumerOffsetRequestHeader,
};
use crate::protocol::request::{ConsumerOffset, QueryConsumerOffset, UpdateConsumerOffset};

/// Java's timeout of offset requests (5 s).
const OFFSET_TIMEOUT: Duration = Duration::from_secs(5);

/// A clustering group's offsets, kept by the brokers.
#[derive(Debug)]
pub(crate) struct RemoteStore {
    pub(super) table: OffsetTable,
    client: Client,
    /// The group, namespaced.
    group: String,
}

impl RemoteStore {
    pub(crate) fn new(client: Client, group: String) -> Self {
        Self {
            table: OffsetTable::default(),
            client,
            group,
        }
    }

    /// QUERY_CONSUMER_OFFSET to the queue's master; `None` for `QUERY_NOT_FOUND`.
    pub(super) async fn fetch(&self, queue: &MessageQueue) -> Result<Option<i64>> {
        let addr = broker::master(&self.client, queue).await?;
        let request = QueryConsumerOffset(QueryConsumerOffsetRequestHeader {
            consumer_group: self.group.clone(),
            topic: queue.topic.clone(),
            queue_id: queue.queue_id,
            set_zero_if_not_found: None,
            rpc: bname(queue),
        });
        let ConsumerOffset(offset) = self.client.call(&addr, &request, OFFSET_TIMEOUT).await?;
        Ok(offset)
    }

    fn update_request(&self, queue: &MessageQueue, offset: i64) -> UpdateConsumerOffset {
        UpdateConsumerOffset(UpdateConsumerOffsetRequestHeader {
            consumer_group: self.group.clone(),
            topic: queue.topic.clone(),
            queue_id: queue.queue_id,
            commit_offset: offset,
            rpc: bname(queue),
        })
    }

    /// UPDATE_CONSUMER_OFFSET for one queue, waiting for the broker.
    pub(super) async fn send(&self, queue: &MessageQueue, offset: i64) -> Result<()> {
        let addr = broker::find_or_refresh(&self.client, queue, 0, false)
            .await?
            .addr;
        self.client
            .call(&addr, &self.update_request(queue, offset), OFFSET_TIMEOUT)
            .await
    }

    /// UPDATE_CONSUMER_OFFSET for each queue: oneway (Java's periodic persist), or
    /// two-way with `wait`. Failures are logged; the next round sends again.
    pub(super) async fn send_all(&self, offsets: &BTreeMap<MessageQueue, i64>, wait: bool) {
        for (queue, offset) in offsets {
            let result = if wait {
                self.send(queue, *offset).await
            } else {
                match broker::find_or_refresh(&self.client, queue, 0, false).await {
                    Ok(b) => {
                        let request = self.update_request(queue, *offset);
                        broker::oneway(&self.client, &b.addr, &request, OFFSET_TIMEOUT).await
                    }
                    Err(err) => Err(err),
                }
            };
            if let Err(err) = result {
                tracing::debug!(?queue, offset, %err, "offset update failed");
            }
        }
    }
}

fn bname(queue: &MessageQueue) -> RpcFields {
    RpcFields {
        broker_name: Some(queue.broker_name.clone()),
        ..RpcFields::default()
    }
}
