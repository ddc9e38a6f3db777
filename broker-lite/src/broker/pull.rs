//! Pulling: PULL_MESSAGE (Java `PullMessageProcessor`).

use std::sync::Arc;

use rocketmq::remoting::RemotingServerBuilder;

use super::State;

/// Adds the pull processor.
pub(super) fn register(
    builder: RemotingServerBuilder,
    _state: &Arc<State>,
) -> RemotingServerBuilder {
    builder
}
