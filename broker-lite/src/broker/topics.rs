//! Topic configs (Java `TopicConfigManager`), persisted in `config/topics.json` in Java's
//! `TopicConfigSerializeWrapper` JSON, with a data version bumped on every change (the
//! name server compares it to decide whether a registration carries news).
//!
//! On open the broker's system topics are added as Java adds them: `SELF_TEST_TOPIC`,
//! `TBW102` (the auto-create template, when auto-creation is on), `BenchmarkTest`, the
//! cluster-name and broker-name topics, `OFFSET_MOVED_EVENT`, `SCHEDULE_TOPIC_XXXX` (one
//! queue per delay level) and `<cluster>_REPLY_TOPIC`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rocketmq::protocol::body::{DataVersion, LinkedMap, TopicConfig, TopicConfigTable};
use rocketmq::protocol::json::JsonBody;

use super::{config_file, lock, now_ms};
use crate::Result;
use crate::config::BrokerConfig;

/// Permission bit: consumers may read (Java `PermName.PERM_READ`).
pub(crate) const PERM_READ: i32 = 4;
/// Permission bit: producers may write (`PERM_WRITE`).
pub(crate) const PERM_WRITE: i32 = 2;
/// Permission bit: topics auto-created from this one inherit it (`PERM_INHERIT`).
pub(crate) const PERM_INHERIT: i32 = 1;

/// The auto-create template topic.
pub(crate) const AUTO_CREATE_TOPIC: &str = "TBW102";
/// The delay-level topic.
pub(crate) const SCHEDULE_TOPIC: &str = "SCHEDULE_TOPIC_XXXX";

/// The broker's topics. Every change is written to `config/topics.json` before the
/// changing call returns (as Java's `TopicConfigManager` persists at once), so a topic
/// auto-created by an acknowledged send survives a crash right after it.
#[derive(Debug)]
pub(crate) struct TopicTable {
    path: PathBuf,
    inner: Mutex<Inner>,
    /// Orders file writes, so readers of `inner` never wait for an fsync.
    writer: Mutex<()>,
}

#[derive(Debug)]
struct Inner {
    topics: LinkedMap<String, TopicConfig>,
    version: DataVersion,
    /// Changed since the last persist.
    dirty: bool,
}

fn topic(name: &str, queues: i32, perm: i32) -> TopicConfig {
    TopicConfig {
        topic_name: name.to_owned(),
        read_queue_nums: queues,
        write_queue_nums: queues,
        perm,
        ..TopicConfig::default()
    }
}

impl TopicTable {
    /// Loads `config/topics.json` under `root` (if any) and adds the system topics.
    pub(crate) fn open(root: &Path, config: &BrokerConfig) -> Result<TopicTable> {
        let path = config_file::path(root, "topics.json");
        let mut inner = Inner {
            topics: LinkedMap::default(),
            version: DataVersion {
                state_version: Some(0),
                timestamp: now_ms(),
                counter: 0,
            },
            dirty: false,
        };
        if let Some(bytes) = config_file::read(&path)? {
            let table = TopicConfigTable::from_json(&bytes).map_err(|e| crate::Error::Corrupt {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            inner.topics = table.topic_config_table;
            if let Some(v) = table.data_version {
                inner.version = v;
            }
        }
        let rw = PERM_READ | PERM_WRITE;
        let delay_levels = config.delay_levels()?.len();
        let mut system = vec![
            topic("SELF_TEST_TOPIC", 1, rw),
            topic("BenchmarkTest", 1024, rw),
            topic(&config.cluster_name, 16, rw | PERM_INHERIT),
            topic(&config.broker_name, 1, rw | PERM_INHERIT),
            topic("OFFSET_MOVED_EVENT", 1, rw),
            topic(
                SCHEDULE_TOPIC,
                i32::try_from(delay_levels).unwrap_or(i32::MAX),
                rw,
            ),
            topic(&format!("{}_REPLY_TOPIC", config.cluster_name), 1, rw),
        ];
        if config.auto_create_topic_enable {
            system.push(topic(
                AUTO_CREATE_TOPIC,
                config.default_topic_queue_nums,
                rw | PERM_INHERIT,
            ));
        }
        for t in system {
            if !inner.topics.contains_key(&t.topic_name) {
                inner.topics.insert(t.topic_name.clone(), t);
                inner.dirty = true;
            }
        }
        let table = TopicTable {
            path,
            inner: Mutex::new(inner),
            writer: Mutex::new(()),
        };
        table.persist()?;
        Ok(table)
    }

    /// One topic's config.
    pub(crate) fn get(&self, name: &str) -> Option<TopicConfig> {
        lock(&self.inner).topics.get(name).cloned()
    }

    /// What `f` makes of one topic's config, without copying the config (its name and
    /// attributes): for the send and pull paths, which need a few numbers of it.
    pub(crate) fn with<R>(&self, name: &str, f: impl FnOnce(&TopicConfig) -> R) -> Option<R> {
        lock(&self.inner).topics.get(name).map(f)
    }

    /// Whether the topic exists.
    pub(crate) fn contains(&self, name: &str) -> bool {
        lock(&self.inner).topics.contains_key(name)
    }

    /// Creates or replaces a topic and bumps the data version. Returns whether anything
    /// changed.
    pub(crate) fn put(&self, config: TopicConfig) -> bool {
        let mut inner = lock(&self.inner);
        if inner.topics.get(&config.topic_name) == Some(&config) {
            return false;
        }
        inner.topics.insert(config.topic_name.clone(), config);
        inner.changed();
        drop(inner);
        self.save_now();
        true
    }

    /// Returns the topic, creating it with `make()` first when absent (the flag says
    /// whether it was created).
    pub(crate) fn get_or_create(
        &self,
        name: &str,
        make: impl FnOnce() -> TopicConfig,
    ) -> (TopicConfig, bool) {
        let mut inner = lock(&self.inner);
        if let Some(t) = inner.topics.get(name) {
            return (t.clone(), false);
        }
        let mut config = make();
        config.topic_name = name.to_owned();
        inner.topics.insert(name.to_owned(), config.clone());
        inner.changed();
        drop(inner);
        self.save_now();
        (config, true)
    }

    /// Removes a topic; returns its config if it existed.
    pub(crate) fn delete(&self, name: &str) -> Option<TopicConfig> {
        let mut inner = lock(&self.inner);
        let removed = inner.topics.remove(name);
        if removed.is_some() {
            inner.changed();
            drop(inner);
            self.save_now();
        }
        removed
    }

    /// Every topic name.
    pub(crate) fn names(&self) -> Vec<String> {
        lock(&self.inner).topics.keys().cloned().collect()
    }

    /// The whole table with its version (registration and GET_ALL_TOPIC_CONFIG bodies).
    pub(crate) fn snapshot(&self) -> TopicConfigTable {
        let inner = lock(&self.inner);
        TopicConfigTable {
            topic_config_table: inner.topics.clone(),
            data_version: Some(inner.version.clone()),
            ..TopicConfigTable::default()
        }
    }

    /// The table's data version.
    pub(crate) fn data_version(&self) -> DataVersion {
        lock(&self.inner).version.clone()
    }

    /// Writes the file after a change; a failure is logged and left to the periodic
    /// [`persist`](Self::persist) to retry.
    fn save_now(&self) {
        if let Err(e) = self.persist() {
            tracing::warn!(path = %self.path.display(), "cannot write topic configs: {e}");
        }
    }

    /// Writes `config/topics.json` if anything changed since the last write.
    pub(crate) fn persist(&self) -> Result<()> {
        let _writer = lock(&self.writer);
        let bytes = {
            let mut inner = lock(&self.inner);
            if !inner.dirty {
                return Ok(());
            }
            inner.dirty = false;
            TopicConfigTable {
                topic_config_table: inner.topics.clone(),
                data_version: Some(inner.version.clone()),
                ..TopicConfigTable::default()
            }
            .to_json()
        };
        let written = config_file::write(&self.path, &bytes);
        if written.is_err() {
            lock(&self.inner).dirty = true;
        }
        written
    }
}

impl Inner {
    fn changed(&mut self) {
        self.version.timestamp = now_ms();
        self.version.counter += 1;
        self.dirty = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_dir::TestDir;

    #[test]
    fn system_topics_changes_and_persistence() {
        let dir = TestDir::new("topics");
        let config = BrokerConfig::default();
        let table = TopicTable::open(dir.path(), &config).unwrap();
        assert_eq!(table.get(AUTO_CREATE_TOPIC).unwrap().perm, 7);
        assert_eq!(table.get(SCHEDULE_TOPIC).unwrap().read_queue_nums, 18);
        let v0 = table.data_version();
        assert!(table.put(topic("t", 4, 6)));
        assert!(
            !table.put(topic("t", 4, 6)),
            "an identical put is not a change"
        );
        assert_eq!(table.data_version().counter, v0.counter + 1);
        let (t, created) = table.get_or_create("u", || topic("", 2, 6));
        assert!(created);
        assert_eq!(t.topic_name, "u");
        assert!(!table.get_or_create("u", || topic("", 9, 6)).1);
        assert!(table.delete("u").is_some());
        assert!(table.delete("u").is_none());
        // No explicit persist: every change is already on disk.

        let again = TopicTable::open(dir.path(), &config).unwrap();
        assert_eq!(again.get("t").unwrap().read_queue_nums, 4);
        assert!(!again.contains("u"));
        assert_eq!(again.data_version().counter, table.data_version().counter);
    }

    #[test]
    fn corrupt_file_is_a_clear_error() {
        let dir = TestDir::new("topics-bad");
        let path = config_file::path(dir.path(), "topics.json");
        config_file::write(&path, b"{not json").unwrap();
        let err = TopicTable::open(dir.path(), &BrokerConfig::default()).unwrap_err();
        assert!(err.to_string().contains("topics.json"), "{err}");
    }
}
