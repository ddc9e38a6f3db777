//! The name server's KV config (Java `KVConfigManager`): string values by namespace and key,
//! kept in memory. Java also writes them to `kvConfig.json`; broker-lite does not persist
//! them yet.

use std::collections::BTreeMap;

use rocketmq::protocol::body::KvTable;

/// The namespace of ordered-topic configs (Java `NamesrvUtil.NAMESPACE_ORDER_TOPIC_CONFIG`).
pub(crate) const ORDER_TOPIC_CONFIG: &str = "ORDER_TOPIC_CONFIG";

/// Values by namespace and key.
#[derive(Debug, Default)]
pub(crate) struct KvStore {
    namespaces: BTreeMap<String, BTreeMap<String, String>>,
}

impl KvStore {
    pub(crate) fn put(&mut self, namespace: &str, key: &str, value: &str) {
        self.namespaces
            .entry(namespace.to_owned())
            .or_default()
            .insert(key.to_owned(), value.to_owned());
    }

    pub(crate) fn get(&self, namespace: &str, key: &str) -> Option<&str> {
        self.namespaces.get(namespace)?.get(key).map(String::as_str)
    }

    /// Removes one key; the namespace stays, possibly empty, as in Java.
    pub(crate) fn delete(&mut self, namespace: &str, key: &str) {
        if let Some(table) = self.namespaces.get_mut(namespace) {
            table.remove(key);
        }
    }

    /// Every entry of `namespace`, or `None` if it was never written.
    pub(crate) fn list(&self, namespace: &str) -> Option<KvTable> {
        self.namespaces.get(namespace).map(|table| KvTable {
            table: table.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
