//! Sending: SEND_MESSAGE, SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE (Java
//! `SendMessageProcessor`).

use std::sync::Arc;

use rocketmq::remoting::RemotingServerBuilder;

use super::State;

/// Adds the send processors.
pub(super) fn register(
    builder: RemotingServerBuilder,
    _state: &Arc<State>,
) -> RemotingServerBuilder {
    builder
}
