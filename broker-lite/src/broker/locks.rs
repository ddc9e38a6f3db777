//! Orderly consumers' queue locks: LOCK_BATCH_MQ and UNLOCK_BATCH_MQ with expiry (Java
//! `RebalanceLockManager`).

use std::sync::Arc;

use rocketmq::remoting::RemotingServerBuilder;

use super::State;
use crate::config::BrokerConfig;

/// Which client holds each queue of each group, and until when.
#[derive(Debug, Default)]
pub(crate) struct QueueLocks {}

impl QueueLocks {
    pub(crate) fn new(_config: &BrokerConfig) -> Self {
        QueueLocks {}
    }
}

/// Adds the lock processors.
pub(super) fn register(
    builder: RemotingServerBuilder,
    _state: &Arc<State>,
) -> RemotingServerBuilder {
    builder
}
