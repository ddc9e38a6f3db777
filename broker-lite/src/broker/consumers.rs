//! Clients: HEART_BEAT, UNREGISTER_CLIENT, GET_CONSUMER_LIST_BY_GROUP, and
//! NOTIFY_CONSUMER_IDS_CHANGED sent to a group's consumers when its membership changes
//! (Java `ClientManageProcessor`, `ConsumerManager`, `ProducerManager`).

use std::sync::Arc;

use rocketmq::remoting::RemotingServerBuilder;
use tokio::task::JoinSet;

use super::State;
use crate::config::BrokerConfig;

/// Connected consumers and producers by group.
#[derive(Debug, Default)]
pub(crate) struct ClientTable {}

impl ClientTable {
    pub(crate) fn new(_config: &BrokerConfig) -> Self {
        ClientTable {}
    }
}

/// Adds the client processors.
pub(super) fn register(
    builder: RemotingServerBuilder,
    _state: &Arc<State>,
) -> RemotingServerBuilder {
    builder
}

/// Starts the scan that drops silent clients.
pub(super) fn spawn(_state: &Arc<State>, _tasks: &mut JoinSet<()>) {}
