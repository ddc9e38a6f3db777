//! Subscription group configs (Java `SubscriptionGroupManager`), persisted in
//! `config/subscriptionGroup.json`.

use std::path::Path;

use crate::Result;
use crate::config::BrokerConfig;

/// Subscription group configs by name.
#[derive(Debug, Default)]
pub(crate) struct GroupTable {}

impl GroupTable {
    pub(crate) fn open(_root: &Path, _config: &BrokerConfig) -> Result<Self> {
        Ok(GroupTable {})
    }

    pub(crate) fn persist(&self) -> Result<()> {
        Ok(())
    }
}
