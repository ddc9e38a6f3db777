//! Consumer offsets and queue offsets: QUERY_CONSUMER_OFFSET, UPDATE_CONSUMER_OFFSET,
//! GET_MIN_OFFSET, GET_MAX_OFFSET, SEARCH_OFFSET_BY_TIMESTAMP, GET_EARLIEST_MSG_STORETIME
//! (Java `ConsumerManageProcessor`, `ConsumerOffsetManager`).

use std::path::Path;
use std::sync::Arc;

use rocketmq::remoting::RemotingServerBuilder;
use tokio::task::JoinSet;

use super::State;
use crate::Result;

/// Committed offsets by `topic@group` and queue id.
#[derive(Debug, Default)]
pub(crate) struct OffsetTable {}

impl OffsetTable {
    pub(crate) fn open(_root: &Path) -> Result<Self> {
        Ok(OffsetTable {})
    }

    pub(crate) fn persist(&self) -> Result<()> {
        Ok(())
    }
}

/// Adds the offset processors.
pub(super) fn register(
    builder: RemotingServerBuilder,
    _state: &Arc<State>,
) -> RemotingServerBuilder {
    builder
}

/// Background work for offsets (none beyond the broker-wide persistence).
pub(super) fn spawn(_state: &Arc<State>, _tasks: &mut JoinSet<()>) {}
