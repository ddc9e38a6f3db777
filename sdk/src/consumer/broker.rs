//! Which broker address a consumer talks to (Java
//! `MQClientInstance.findBrokerAddressInSubscribe`), and oneway requests.

use std::time::Duration;

use crate::client::Client;
use crate::protocol::body::MASTER_ID;
use crate::protocol::{MessageQueue, Rpc};
use crate::{Error, Result};

/// A broker address and whether it is a slave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BrokerAddr {
    pub(crate) addr: String,
    pub(crate) slave: bool,
}

/// Java's `findBrokerAddressInSubscribe`: broker `id` of `broker_name`; for a missing
/// slave, the next id; unless `only_this`, any broker of the group (the lowest id first,
/// so the master when it is there).
pub(crate) fn find(
    client: &Client,
    broker_name: &str,
    id: i64,
    only_this: bool,
) -> Option<BrokerAddr> {
    let brokers = client.brokers();
    let group = brokers.get(broker_name).filter(|g| !g.is_empty())?;
    if let Some(addr) = group.get(&id) {
        return Some(BrokerAddr {
            addr: addr.clone(),
            slave: id != MASTER_ID,
        });
    }
    if id != MASTER_ID
        && let Some(addr) = group.get(&(id + 1))
    {
        return Some(BrokerAddr {
            addr: addr.clone(),
            slave: true,
        });
    }
    if only_this {
        return None;
    }
    group.iter().next().map(|(id, addr)| BrokerAddr {
        addr: addr.clone(),
        slave: *id != MASTER_ID,
    })
}

/// [`find`], fetching `topic`'s route again once when nothing is found (as Java does),
/// then [`Error::NoRoute`].
pub(crate) async fn find_or_refresh(
    client: &Client,
    queue: &MessageQueue,
    id: i64,
    only_this: bool,
) -> Result<BrokerAddr> {
    if let Some(found) = find(client, &queue.broker_name, id, only_this) {
        return Ok(found);
    }
    if let Err(err) = client.update_route(&queue.topic).await {
        tracing::debug!(topic = %queue.topic, %err, "route refresh failed");
    }
    find(client, &queue.broker_name, id, only_this).ok_or_else(|| Error::NoRoute {
        topic: queue.topic.clone(),
    })
}

/// The master address of `queue`'s broker (refreshing the route once if needed).
pub(crate) async fn master(client: &Client, queue: &MessageQueue) -> Result<String> {
    find_or_refresh(client, queue, MASTER_ID, true)
        .await
        .map(|b| b.addr)
}

/// Sends `rpc` oneway to `addr` with the client's header serialization.
pub(crate) async fn oneway<R: Rpc>(
    client: &Client,
    addr: &str,
    rpc: &R,
    timeout: Duration,
) -> Result<()> {
    let command = rpc
        .to_command()
        .with_serialize_type(client.config().serialize_type())
        .oneway();
    client
        .remoting()
        .invoke_oneway(addr, command, timeout)
        .await
}
