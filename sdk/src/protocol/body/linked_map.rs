//! [`LinkedMap`]: a map that keeps its entries in insertion order.
//!
//! Java bodies hold most tables in `HashMap`s, and fastjson writes them in the hash table's
//! iteration order. Keeping the order a body was read in lets it re-encode byte for byte;
//! Java readers do not care about the order of what we build ourselves.

use std::borrow::Borrow;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Index;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A small map that iterates in insertion order (like Java's `LinkedHashMap`).
///
/// Lookups are linear: it is meant for the tables of a command body (tens to a few thousand
/// entries). Equality ignores order. Inserting an existing key replaces the value in place.
///
/// ```
/// # use rocketmq::protocol::body::LinkedMap;
/// let mut m = LinkedMap::new();
/// m.insert("b", 1);
/// m.insert("a", 2);
/// m.insert("b", 3);
/// assert_eq!(m.iter().collect::<Vec<_>>(), [(&"b", &3), (&"a", &2)]);
/// assert_eq!(m["a"], 2);
/// ```
#[derive(Clone)]
pub struct LinkedMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> LinkedMap<K, V> {
    /// An empty map.
    pub const fn new() -> Self {
        LinkedMap {
            entries: Vec::new(),
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Entries in order, values mutable.
    pub fn iter_mut(&mut self) -> impl ExactSizeIterator<Item = (&K, &mut V)> {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// Keys in order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &K> {
        self.entries.iter().map(|(k, _)| k)
    }

    /// Values in order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &V> {
        self.entries.iter().map(|(_, v)| v)
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

impl<K: PartialEq, V> LinkedMap<K, V> {
    fn position<Q>(&self, key: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
        Q: PartialEq + ?Sized,
    {
        self.entries.iter().position(|(k, _)| k.borrow() == key)
    }

    /// The value for `key`.
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: PartialEq + ?Sized,
    {
        self.position(key).map(|i| &self.entries[i].1)
    }

    /// The value for `key`, mutable.
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: PartialEq + ?Sized,
    {
        self.position(key).map(|i| &mut self.entries[i].1)
    }

    /// Whether `key` is present.
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: PartialEq + ?Sized,
    {
        self.position(key).is_some()
    }

    /// Inserts or replaces (keeping the key's place); returns the old value.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.position(&key) {
            Some(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            None => {
                self.entries.push((key, value));
                None
            }
        }
    }

    /// Removes `key`, keeping the order of the others; returns its value.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: PartialEq + ?Sized,
    {
        self.position(key).map(|i| self.entries.remove(i).1)
    }
}

impl<K, V> Default for LinkedMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for LinkedMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: PartialEq, V: PartialEq> PartialEq for LinkedMap<K, V> {
    /// Same keys with equal values, in any order.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl<K: Eq, V: Eq> Eq for LinkedMap<K, V> {}

impl<K, V, Q> Index<&Q> for LinkedMap<K, V>
where
    K: PartialEq + Borrow<Q>,
    Q: PartialEq + ?Sized,
{
    type Output = V;

    /// The value for `key`.
    ///
    /// # Panics
    /// If the key is absent, like `HashMap`'s index.
    #[allow(clippy::panic)]
    fn index(&self, key: &Q) -> &V {
        match self.get(key) {
            Some(v) => v,
            None => panic!("key not found in LinkedMap"),
        }
    }
}

impl<K: PartialEq, V> FromIterator<(K, V)> for LinkedMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = LinkedMap::new();
        map.extend(iter);
        map
    }
}

impl<K: PartialEq, V> Extend<(K, V)> for LinkedMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<K: PartialEq, V, const N: usize> From<[(K, V); N]> for LinkedMap<K, V> {
    fn from(entries: [(K, V); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl<K, V> IntoIterator for LinkedMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a, K, V> IntoIterator for &'a LinkedMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl<K: Serialize, V: Serialize> Serialize for LinkedMap<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (k, v) in self {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de, K, V> Deserialize<'de> for LinkedMap<K, V>
where
    K: Deserialize<'de> + PartialEq,
    V: Deserialize<'de>,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<K, V>(PhantomData<(K, V)>);

        impl<'de, K, V> Visitor<'de> for MapVisitor<K, V>
        where
            K: Deserialize<'de> + PartialEq,
            V: Deserialize<'de>,
        {
            type Value = LinkedMap<K, V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut map = LinkedMap {
                    entries: Vec::with_capacity(access.size_hint().unwrap_or(0).min(4096)),
                };
                // A repeated key keeps its first place and its last value, as Java's map does.
                while let Some((k, v)) = access.next_entry()? {
                    map.insert(k, v);
                }
                Ok(map)
            }
        }

        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::json::{from_slice, to_vec};

    #[test]
    fn keeps_order_and_replaces_in_place() {
        let mut m: LinkedMap<String, i32> = [("z".to_owned(), 1), ("a".to_owned(), 2)].into();
        assert_eq!(m.insert("z".into(), 3), Some(1));
        assert_eq!(m.keys().collect::<Vec<_>>(), ["z", "a"]);
        assert_eq!(m.remove("z"), Some(3));
        assert_eq!(m.get("z"), None);
        assert!(m.contains_key("a"));
        *m.get_mut("a").unwrap() += 1;
        assert_eq!(m["a"], 3);
        assert_eq!(m.len(), 1);
    }

    #[test]
    fn equality_ignores_order() {
        let a: LinkedMap<i32, i32> = [(1, 1), (2, 2)].into();
        let b: LinkedMap<i32, i32> = [(2, 2), (1, 1)].into();
        let c: LinkedMap<i32, i32> = [(2, 2), (1, 3)].into();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, LinkedMap::new());
    }

    #[test]
    fn serde_keeps_document_order() {
        let m: LinkedMap<String, i64> = from_slice(br#"{"b":1,"a":2,"b":3}"#).unwrap();
        assert_eq!(
            m.iter().collect::<Vec<_>>(),
            [(&"b".to_owned(), &3), (&"a".to_owned(), &2)]
        );
        assert_eq!(to_vec(&m).unwrap(), br#"{"b":3,"a":2}"#);
    }
}
