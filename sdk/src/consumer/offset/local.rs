//! Offsets in a local file (Java `LocalFileOffsetStore`), for broadcasting consumers.
//!
//! The file is Java's: `<dir>/<client id>/<group>/offsets.json` holding
//! `{"offsetTable":{<queue as JSON object>:<offset>,...}}` (fastjson's object keys), with
//! the previous version kept as `offsets.json.bak`, read when the file is missing or
//! unreadable. The default directory is `~/.rocketmq_offsets`, or the
//! `rocketmq.client.localOffsetStoreDir` setting (an environment variable of that name,
//! as Java's system property). Java writes the JSON pretty-printed; this store writes it
//! compact, which both read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::OffsetTable;
use crate::client::Client;
use crate::protocol::MessageQueue;
use crate::protocol::body::LinkedMap;
use crate::protocol::json::JsonBody;
use crate::{Error, Result};

/// The setting naming the directory (Java's system property of the same name).
pub(crate) const DIR_SETTING: &str = "rocketmq.client.localOffsetStoreDir";

/// Java `OffsetSerializeWrapper`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct OffsetFile {
    offset_table: LinkedMap<MessageQueue, i64>,
}

impl JsonBody for OffsetFile {}

/// The directory Java uses when none is configured.
pub(crate) fn default_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(DIR_SETTING) {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".rocketmq_offsets")
}

/// The `<client id>` part of the broadcasting offsets path: Java only renames a
/// broadcasting consumer's `DEFAULT` instance for clustering consumers, so its client id
/// (and offsets file) stays the same across restarts; a client whose instance name was
/// derived from the process id counts as `DEFAULT` here.
pub(crate) fn client_key(client: &Client) -> String {
    let config = client.config();
    let instance = config.instance_name();
    let derived = instance.split_once('#').is_some_and(|(pid, nanos)| {
        !pid.is_empty()
            && !nanos.is_empty()
            && pid.bytes().all(|b| b.is_ascii_digit())
            && nanos.bytes().all(|b| b.is_ascii_digit())
    });
    let mut key = format!(
        "{}@{}",
        config.client_ip(),
        if derived { "DEFAULT" } else { instance }
    );
    if let Some(unit) = config.unit_name() {
        key.push('@');
        key.push_str(unit);
    }
    key
}

/// A broadcasting consumer's offsets, kept in a file.
#[derive(Debug)]
pub(crate) struct LocalStore {
    pub(super) table: OffsetTable,
    path: PathBuf,
    /// One writer at a time (the periodic persist and close may overlap).
    writing: tokio::sync::Mutex<()>,
}

impl LocalStore {
    /// The store at `<dir>/<client_key>/<group>/offsets.json`.
    pub(crate) fn new(dir: &Path, client_key: &str, group: &str) -> Self {
        Self {
            table: OffsetTable::default(),
            path: dir.join(client_key).join(group).join("offsets.json"),
            writing: tokio::sync::Mutex::new(()),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the file (or its backup) into memory.
    pub(super) async fn load(&self) -> Result<()> {
        for (queue, offset) in read(self.path.clone()).await? {
            self.table.update(&queue, offset, false);
        }
        Ok(())
    }

    /// The offset the file holds for `queue`.
    pub(super) async fn read_file(&self, queue: &MessageQueue) -> Result<Option<i64>> {
        Ok(read(self.path.clone()).await?.get(queue).copied())
    }

    /// Replaces the file with `offsets` (keeping the previous one as `.bak`).
    pub(super) async fn write(&self, offsets: &BTreeMap<MessageQueue, i64>) -> Result<()> {
        let mut file = OffsetFile::default();
        for (queue, offset) in offsets {
            file.offset_table.insert(queue.clone(), *offset);
        }
        let json = file.to_json();
        let path = self.path.clone();
        let _writer = self.writing.lock().await;
        tokio::task::spawn_blocking(move || write_file(&path, &json))
            .await
            .map_err(|e| Error::Io(std::io::Error::other(e)))?
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Java `MixAll.string2File`: write `.tmp`, copy the current file to `.bak`, rename.
fn write_file(path: &Path, json: &[u8]) -> Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = with_suffix(path, ".tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(json)?;
        f.sync_all()?;
    }
    if path.exists() {
        std::fs::copy(path, with_suffix(path, ".bak"))?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Reads the offsets of the file, falling back to the backup when the file is missing,
/// empty or unreadable; neither existing is an empty table.
async fn read(path: PathBuf) -> Result<BTreeMap<MessageQueue, i64>> {
    tokio::task::spawn_blocking(move || {
        let parse = |p: &Path| -> Option<BTreeMap<MessageQueue, i64>> {
            let bytes = std::fs::read(p).ok().filter(|b| !b.is_empty())?;
            match OffsetFile::from_json(&bytes) {
                Ok(file) => Some(
                    file.offset_table
                        .iter()
                        .map(|(q, o)| (q.clone(), *o))
                        .collect(),
                ),
                Err(err) => {
                    tracing::warn!(path = %p.display(), %err, "unreadable offsets file");
                    None
                }
            }
        };
        parse(&path)
            .or_else(|| parse(&with_suffix(&path, ".bak")))
            .unwrap_or_default()
    })
    .await
    .map_err(|e| Error::Io(std::io::Error::other(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(id: i32) -> MessageQueue {
        MessageQueue {
            topic: "TopicTest".into(),
            broker_name: "broker-a".into(),
            queue_id: id,
        }
    }

    #[tokio::test]
    async fn file_round_trip_and_backup() {
        let dir = std::env::temp_dir().join(format!("h7-offsets-{}", std::process::id()));
        let store = LocalStore::new(&dir, "127.0.0.1@DEFAULT", "g");
        assert!(store.path().ends_with("127.0.0.1@DEFAULT/g/offsets.json"));
        store
            .write(&BTreeMap::from([(q(0), 5), (q(1), 7)]))
            .await
            .unwrap();
        let text = std::fs::read_to_string(store.path()).unwrap();
        assert_eq!(
            text,
            r#"{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:5,{"brokerName":"broker-a","queueId":1,"topic":"TopicTest"}:7}}"#
        );
        store.write(&BTreeMap::from([(q(0), 9)])).await.unwrap();
        assert_eq!(store.read_file(&q(0)).await.unwrap(), Some(9));
        // A damaged file falls back to the backup (the previous version).
        std::fs::write(store.path(), b"{garbage").unwrap();
        assert_eq!(store.read_file(&q(1)).await.unwrap(), Some(7));
        // Java's pretty-printed form reads too.
        let java = "{\n\t\"offsetTable\":{{\n\t\t\t\"brokerName\":\"broker-a\",\n\t\t\t\"queueId\":3,\n\t\t\t\"topic\":\"TopicTest\"\n\t\t}:12\n\t}\n}";
        std::fs::write(store.path(), java).unwrap();
        store.load().await.unwrap();
        assert_eq!(store.table.get(&q(3)), Some(12));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
