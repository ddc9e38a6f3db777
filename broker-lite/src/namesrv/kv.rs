//! The name server's KV config (Java `KVConfigManager`): string values by namespace and key.
//!
//! With [`NamesrvConfig::kv_config_path`](crate::config::NamesrvConfig::kv_config_path)
//! set, the table is loaded from that file at start and the whole file is rewritten after
//! every change, in Java's `kvConfig.json` form `{"configTable":{ns:{key:value}}}` (so a
//! Java name server can read it, and broker-lite can read Java's). The file is written to
//! a temporary file that is fsynced and renamed into place, so a crash leaves the old or
//! the new table, never a torn one. The write happens in the request (KV changes are rare
//! admin operations, as in Java); a failed write is logged and the change stays in memory,
//! as Java does.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use rocketmq::protocol::body::KvTable;
use rocketmq::protocol::json::JsonBody;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The namespace of ordered-topic configs (Java `NamesrvUtil.NAMESPACE_ORDER_TOPIC_CONFIG`).
pub(crate) const ORDER_TOPIC_CONFIG: &str = "ORDER_TOPIC_CONFIG";

/// Java `KVConfigSerializeWrapper`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct KvFile {
    config_table: BTreeMap<String, BTreeMap<String, String>>,
}

impl JsonBody for KvFile {}

/// Values by namespace and key.
#[derive(Debug, Default)]
pub(crate) struct KvStore {
    namespaces: BTreeMap<String, BTreeMap<String, String>>,
    /// Where the table is persisted, if anywhere.
    path: Option<PathBuf>,
}

impl KvStore {
    /// The table in `path` (empty when the file does not exist yet), persisted there on
    /// every change; memory only for `None`. A file that is not a KV table is an error.
    pub(crate) fn open(path: Option<&Path>) -> Result<Self> {
        let Some(path) = path else {
            return Ok(KvStore::default());
        };
        let namespaces = match fs::read(path) {
            Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => BTreeMap::new(),
            Ok(bytes) => {
                KvFile::from_json(&bytes)
                    .map_err(|e| Error::Corrupt {
                        path: path.to_owned(),
                        reason: e.to_string(),
                    })?
                    .config_table
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(e.into()),
        };
        Ok(KvStore {
            namespaces,
            path: Some(path.to_owned()),
        })
    }

    pub(crate) fn put(&mut self, namespace: &str, key: &str, value: &str) {
        let old = self
            .namespaces
            .entry(namespace.to_owned())
            .or_default()
            .insert(key.to_owned(), value.to_owned());
        if old.as_deref() != Some(value) {
            self.persist();
        }
    }

    pub(crate) fn get(&self, namespace: &str, key: &str) -> Option<&str> {
        self.namespaces.get(namespace)?.get(key).map(String::as_str)
    }

    /// Removes one key; the namespace stays, possibly empty, as in Java.
    pub(crate) fn delete(&mut self, namespace: &str, key: &str) {
        let removed = self
            .namespaces
            .get_mut(namespace)
            .and_then(|table| table.remove(key));
        if removed.is_some() {
            self.persist();
        }
    }

    /// Every entry of `namespace`, or `None` if it was never written.
    pub(crate) fn list(&self, namespace: &str) -> Option<KvTable> {
        self.namespaces.get(namespace).map(|table| KvTable {
            table: table.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        })
    }

    /// Rewrites the file, if there is one; failures are logged.
    fn persist(&self) {
        let Some(path) = &self.path else { return };
        let file = KvFile {
            config_table: self.namespaces.clone(),
        };
        if let Err(e) = write_atomically(path, &file.to_json()) {
            tracing::error!(path = %path.display(), error = %e, "cannot persist the KV config");
        }
    }
}

/// Replaces `path` with `bytes`: write a temporary file, fsync, rename.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_dir::TestDir;

    #[test]
    fn put_get_delete_list() {
        let mut kv = KvStore::default();
        assert!(kv.list("n").is_none());
        kv.put("n", "k", "v1");
        kv.put("n", "k", "v2");
        assert_eq!(kv.get("n", "k"), Some("v2"));
        assert_eq!(kv.get("m", "k"), None);
        assert_eq!(kv.list("n").map(|t| t.table.len()), Some(1));
        kv.delete("n", "k");
        assert_eq!(kv.get("n", "k"), None);
        assert_eq!(kv.list("n").map(|t| t.table.len()), Some(0));
    }

    #[test]
    fn persisted_in_java_form_and_reloaded() -> Result<()> {
        let dir = TestDir::new("kv");
        let path = dir.path().join("namesrv").join("kvConfig.json");
        let mut kv = KvStore::open(Some(&path))?;
        kv.put(ORDER_TOPIC_CONFIG, "TopicA", "broker-a:4");
        kv.put("ns", "k", "v");
        kv.put("ns", "gone", "x");
        kv.delete("ns", "gone");
        let text = fs::read_to_string(&path)?;
        assert_eq!(
            text,
            r#"{"configTable":{"ORDER_TOPIC_CONFIG":{"TopicA":"broker-a:4"},"ns":{"k":"v"}}}"#
        );
        let again = KvStore::open(Some(&path))?;
        assert_eq!(again.get(ORDER_TOPIC_CONFIG, "TopicA"), Some("broker-a:4"));
        assert_eq!(again.get("ns", "gone"), None);
        // What a Java name server writes (pretty, with an empty namespace) reads back.
        fs::write(
            &path,
            "{\n\t\"configTable\":{\n\t\t\"x\":{\"a\":\"1\"},\"empty\":{}\n\t}\n}",
        )?;
        let java = KvStore::open(Some(&path))?;
        assert_eq!(java.get("x", "a"), Some("1"));
        assert_eq!(java.list("empty").map(|t| t.table.len()), Some(0));
        fs::write(&path, "[1,2]")?;
        assert!(matches!(
            KvStore::open(Some(&path)),
            Err(Error::Corrupt { .. })
        ));
        let memory = KvStore::open(None)?;
        assert!(memory.path.is_none());
        Ok(())
    }
}
