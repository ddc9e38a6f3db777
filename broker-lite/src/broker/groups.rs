//! Subscription group configs (Java `SubscriptionGroupManager`), persisted in
//! `config/subscriptionGroup.json` in Java's JSON (`subscriptionGroupTable`,
//! `forbiddenTable`, `dataVersion`), with a data version bumped on every change.
//!
//! On open Java's built-in groups are added with default settings (`TOOLS_CONSUMER`,
//! `FILTERSRV_CONSUMER`, `SELF_TEST_C_GROUP`, `CID_ONS-HTTP-PROXY`, `CID_ONSAPI_PULL`,
//! `CID_ONSAPI_PERMISSION`, `CID_ONSAPI_OWNER`, and since 5.x `CID_RMQ_SYS_TRANS`).
//! [`GroupTable::find`] creates a missing group when `auto_create_subscription_group` is on
//! (or the name starts with `CID_RMQ_SYS_`), as Java's `findSubscriptionGroupConfig` does.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rocketmq::protocol::body::{
    DataVersion, LinkedMap, SubscriptionGroupConfig, SubscriptionGroupTable,
};
use rocketmq::protocol::json::JsonBody;

use super::{config_file, lock, now_ms};
use crate::Result;
use crate::config::BrokerConfig;

/// Prefix of system consumer groups that are always created on demand (Java
/// `MixAll.CID_RMQ_SYS_PREFIX`).
pub(crate) const SYS_GROUP_PREFIX: &str = "CID_RMQ_SYS_";

/// Longest group name accepted for auto-creation (Java `Validators.CHARACTER_MAX_LENGTH`).
const GROUP_MAX_LEN: usize = 255;

/// Java's built-in groups (Java sets broadcasting on for some, which is the default).
const SYSTEM_GROUPS: [&str; 8] = [
    "TOOLS_CONSUMER",
    "FILTERSRV_CONSUMER",
    "SELF_TEST_C_GROUP",
    "CID_ONS-HTTP-PROXY",
    "CID_ONSAPI_PULL",
    "CID_ONSAPI_PERMISSION",
    "CID_ONSAPI_OWNER",
    "CID_RMQ_SYS_TRANS",
];

/// Whether a topic or group name uses only Java's allowed characters
/// (`^[%|a-zA-Z0-9_-]+$`, Java `TopicValidator.isTopicOrGroupIllegal` negated).
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'%' | b'|' | b'_' | b'-'))
}

/// Subscription group configs by name.
#[derive(Debug)]
pub(crate) struct GroupTable {
    path: PathBuf,
    auto_create: bool,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    groups: LinkedMap<String, SubscriptionGroupConfig>,
    /// 5.x forbidden table, kept as loaded and written back.
    forbidden: Option<LinkedMap<String, LinkedMap<String, i32>>>,
    version: DataVersion,
    dirty: bool,
}

impl Inner {
    fn changed(&mut self) {
        self.version.timestamp = now_ms();
        self.version.counter += 1;
        self.dirty = true;
    }

    fn table(&self) -> SubscriptionGroupTable {
        SubscriptionGroupTable {
            subscription_group_table: self.groups.clone(),
            forbidden_table: self.forbidden.clone(),
            data_version: Some(self.version.clone()),
        }
    }
}

impl GroupTable {
    /// Loads `config/subscriptionGroup.json` under `root` (if any) and adds the built-in
    /// groups that are missing.
    pub(crate) fn open(root: &Path, config: &BrokerConfig) -> Result<Self> {
        let path = config_file::path(root, "subscriptionGroup.json");
        let mut inner = Inner {
            groups: LinkedMap::default(),
            forbidden: None,
            version: DataVersion {
                state_version: Some(0),
                timestamp: now_ms(),
                counter: 0,
            },
            dirty: false,
        };
        if let Some(bytes) = config_file::read(&path)? {
            let table =
                SubscriptionGroupTable::from_json(&bytes).map_err(|e| crate::Error::Corrupt {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
            inner.groups = table.subscription_group_table;
            inner.forbidden = table.forbidden_table;
            if let Some(v) = table.data_version {
                inner.version = v;
            }
        }
        for name in SYSTEM_GROUPS {
            if !inner.groups.contains_key(name) {
                inner.groups.insert(
                    name.to_owned(),
                    SubscriptionGroupConfig {
                        group_name: name.to_owned(),
                        ..SubscriptionGroupConfig::default()
                    },
                );
                inner.dirty = true;
            }
        }
        Ok(GroupTable {
            path,
            auto_create: config.auto_create_subscription_group,
            inner: Mutex::new(inner),
        })
    }

    /// One group's config, without creating it.
    #[cfg(test)]
    pub(crate) fn get(&self, name: &str) -> Option<SubscriptionGroupConfig> {
        lock(&self.inner).groups.get(name).cloned()
    }

    /// Whether the group exists.
    pub(crate) fn contains(&self, name: &str) -> bool {
        lock(&self.inner).groups.contains_key(name)
    }

    /// The group's config, created with Java's defaults when absent and auto-creation is
    /// on (or it is a `CID_RMQ_SYS_` group) and the name is valid; `None` otherwise (Java
    /// `findSubscriptionGroupConfig`).
    pub(crate) fn find(&self, name: &str) -> Option<SubscriptionGroupConfig> {
        self.find_with(name, SubscriptionGroupConfig::clone)
    }

    /// What `f` makes of the group's config, found (or created) as [`find`](Self::find)
    /// does, without copying the config: for the pull path, which needs a few fields.
    pub(crate) fn find_with<R>(
        &self,
        name: &str,
        f: impl FnOnce(&SubscriptionGroupConfig) -> R,
    ) -> Option<R> {
        let mut inner = lock(&self.inner);
        if let Some(g) = inner.groups.get(name) {
            return Some(f(g));
        }
        let may_create = self.auto_create || name.starts_with(SYS_GROUP_PREFIX);
        if !may_create || name.len() > GROUP_MAX_LEN || !valid_name(name) {
            return None;
        }
        let config = SubscriptionGroupConfig {
            group_name: name.to_owned(),
            ..SubscriptionGroupConfig::default()
        };
        let made = f(&config);
        inner.groups.insert(name.to_owned(), config);
        inner.changed();
        tracing::info!(group = name, "subscription group auto-created");
        Some(made)
    }

    /// Returns the group, creating it with `make()` first when absent regardless of the
    /// auto-create setting (the flag says whether it was created).
    #[cfg(test)]
    pub(crate) fn get_or_create(
        &self,
        name: &str,
        make: impl FnOnce() -> SubscriptionGroupConfig,
    ) -> (SubscriptionGroupConfig, bool) {
        let mut inner = lock(&self.inner);
        if let Some(g) = inner.groups.get(name) {
            return (g.clone(), false);
        }
        let mut config = make();
        config.group_name = name.to_owned();
        inner.groups.insert(name.to_owned(), config.clone());
        inner.changed();
        (config, true)
    }

    /// Creates or replaces a group (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP) and bumps the
    /// data version. Returns the previous config.
    pub(crate) fn put(&self, config: SubscriptionGroupConfig) -> Option<SubscriptionGroupConfig> {
        let mut inner = lock(&self.inner);
        let old = inner.groups.get(&config.group_name).cloned();
        inner.groups.insert(config.group_name.clone(), config);
        inner.changed();
        old
    }

    /// Removes a group (and its forbidden entries); returns its config if it existed.
    pub(crate) fn delete(&self, name: &str) -> Option<SubscriptionGroupConfig> {
        let mut inner = lock(&self.inner);
        let removed = inner.groups.remove(name);
        if let Some(f) = inner.forbidden.as_mut() {
            f.remove(name);
        }
        if removed.is_some() {
            inner.changed();
        }
        removed
    }

    /// The whole table with its version (GET_ALL_SUBSCRIPTIONGROUP_CONFIG body).
    pub(crate) fn snapshot(&self) -> SubscriptionGroupTable {
        lock(&self.inner).table()
    }

    /// The table's data version.
    #[cfg(test)]
    pub(crate) fn data_version(&self) -> DataVersion {
        lock(&self.inner).version.clone()
    }

    /// The group's maximum redeliveries before the DLQ (Java `retryMaxTimes`, default 16
    /// for an unknown group).
    #[cfg(test)]
    pub(crate) fn retry_max_times(&self, name: &str) -> i32 {
        self.get(name).map_or_else(
            || SubscriptionGroupConfig::default().retry_max_times,
            |g| g.retry_max_times,
        )
    }

    /// Writes `config/subscriptionGroup.json` if anything changed since the last write.
    pub(crate) fn persist(&self) -> Result<()> {
        let bytes = {
            let mut inner = lock(&self.inner);
            if !inner.dirty {
                return Ok(());
            }
            inner.dirty = false;
            inner.table().to_json()
        };
        let written = config_file::write(&self.path, &bytes);
        if written.is_err() {
            lock(&self.inner).dirty = true;
        }
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_dir::TestDir;

    #[test]
    fn system_groups_auto_create_and_persistence() {
        let dir = TestDir::new("groups");
        let config = BrokerConfig::default();
        let table = GroupTable::open(dir.path(), &config).unwrap();
        for name in SYSTEM_GROUPS {
            assert!(table.contains(name), "{name}");
        }
        assert_eq!(table.retry_max_times("nope"), 16);
        let v0 = table.data_version().counter;
        let g = table.find("orders").unwrap();
        assert_eq!((g.retry_max_times, g.retry_queue_nums), (16, 1));
        assert!(g.consume_enable && g.notify_consumer_ids_changed_enable);
        assert_eq!(table.data_version().counter, v0 + 1);
        assert!(table.find("bad group!").is_none(), "illegal characters");
        assert!(table.find(&"g".repeat(256)).is_none(), "too long");

        let mut custom = table.get("orders").unwrap();
        custom.retry_max_times = 3;
        assert!(table.put(custom).is_some());
        assert_eq!(table.retry_max_times("orders"), 3);
        let (_, created) = table.get_or_create("x", SubscriptionGroupConfig::default);
        assert!(created);
        assert!(table.delete("x").is_some());
        assert!(table.delete("x").is_none());
        table.persist().unwrap();

        let bytes = std::fs::read(dir.path().join("config/subscriptionGroup.json")).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("{\"dataVersion\":"), "{text}");
        assert!(text.contains("\"subscriptionGroupTable\":{"), "{text}");

        let again = GroupTable::open(dir.path(), &config).unwrap();
        assert_eq!(again.retry_max_times("orders"), 3);
        assert!(!again.contains("x"));
        assert_eq!(again.data_version(), table.data_version());
    }

    #[test]
    fn no_auto_create_except_system_prefix() {
        let dir = TestDir::new("groups-noauto");
        let config = BrokerConfig {
            auto_create_subscription_group: false,
            ..BrokerConfig::default()
        };
        let table = GroupTable::open(dir.path(), &config).unwrap();
        assert!(table.find("orders").is_none());
        assert!(!table.contains("orders"));
        assert!(table.find("CID_RMQ_SYS_X").is_some());
    }

    #[test]
    fn reads_java_file_with_5x_fields() {
        let dir = TestDir::new("groups-java");
        let java = concat!(
            r#"{"dataVersion":{"counter":2,"stateVersion":0,"timestamp":1700000000000},"#,
            r#""forbiddenTable":{},"subscriptionGroupTable":{"g":{"attributes":{},"brokerId":0,"#,
            r#""consumeBroadcastEnable":true,"consumeEnable":true,"consumeFromMinEnable":true,"#,
            r#""consumeMessageOrderly":false,"consumeTimeoutMinute":15,"groupName":"g","#,
            r#""groupRetryPolicy":{"type":"CUSTOMIZED"},"groupSysFlag":0,"#,
            r#""notifyConsumerIdsChangedEnable":true,"retryMaxTimes":5,"retryQueueNums":1,"#,
            r#""subscriptionDataSet":[],"whichBrokerWhenConsumeSlowly":1}}}"#
        );
        config_file::write(
            &config_file::path(dir.path(), "subscriptionGroup.json"),
            java.as_bytes(),
        )
        .unwrap();
        let table = GroupTable::open(dir.path(), &BrokerConfig::default()).unwrap();
        assert_eq!(table.retry_max_times("g"), 5);
        assert_eq!(table.data_version().counter, 2);
        assert_eq!(table.get("g").unwrap().consume_timeout_minute, Some(15));
    }
}
