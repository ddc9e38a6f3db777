//! `extFields`: the string map carried in every command header.

use std::fmt;
use std::ops::Range;

/// The `extFields` map of a remoting command: string keys to string values.
///
/// Kept as a small ordered list (headers carry a few dozen entries at most), which keeps
/// lookups cheap and lets the encoder decide the order it writes keys in. Keys and values
/// live back to back in one string, so building or decoding a header costs two
/// allocations however many entries it has (a send request has fourteen).
#[derive(Clone, Default)]
pub struct ExtFields {
    /// Every key and value, back to back; replaced and removed ones stay until
    /// [`ExtFields::compact`] drops them.
    text: String,
    /// The entries in order: where each key and value lies in `text`.
    entries: Slots,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    key: Span,
    value: Span,
}

/// A byte range of `ExtFields::text` (always on character boundaries).
#[derive(Clone, Copy, Debug)]
struct Span {
    start: usize,
    end: usize,
}

impl Span {
    fn len(self) -> usize {
        self.end - self.start
    }

    fn range(self) -> Range<usize> {
        self.start..self.end
    }
}

/// The entry table: a boxed slice whose first slot is a header holding the number of
/// entries (in `key.start`), followed by the entries and then unused slots.
///
/// A `Vec` would do, but its capacity word would make every `RemotingCommand` 8 bytes
/// larger (past the size clippy accepts for an error variant, which several functions
/// give commands back in).
#[derive(Clone, Default)]
struct Slots(Box<[Entry]>);

/// An unused slot.
const FREE: Entry = Entry {
    key: Span { start: 0, end: 0 },
    value: Span { start: 0, end: 0 },
};

impl Slots {
    fn with_capacity(n: usize) -> Self {
        if n == 0 {
            return Slots::default();
        }
        Slots(vec![FREE; n + 1].into_boxed_slice())
    }

    fn len(&self) -> usize {
        self.0.first().map_or(0, |header| header.key.start)
    }

    fn set_len(&mut self, len: usize) {
        if let Some(header) = self.0.first_mut() {
            header.key.start = len;
        }
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn as_slice(&self) -> &[Entry] {
        self.0.get(1..=self.len()).unwrap_or_default()
    }

    fn as_mut_slice(&mut self) -> &mut [Entry] {
        let len = self.len();
        self.0.get_mut(1..=len).unwrap_or_default()
    }

    /// Makes room for at least `more` entries beyond the current ones.
    fn reserve(&mut self, more: usize) {
        let needed = self.len() + more + 1;
        if needed > self.0.len() {
            self.grow_to(needed);
        }
    }

    fn grow_to(&mut self, slots: usize) {
        let mut grown = vec![FREE; slots];
        grown[..self.0.len()].copy_from_slice(&self.0);
        self.0 = grown.into_boxed_slice();
    }

    fn push(&mut self, entry: Entry) {
        let len = self.len();
        if len + 1 >= self.0.len() {
            self.grow_to((2 * len).max(4) + 1);
        }
        self.0[len + 1] = entry;
        self.set_len(len + 1);
    }

    /// Removes entry `i` (< len).
    fn remove(&mut self, i: usize) -> Entry {
        let len = self.len();
        let entry = self.0[i + 1];
        self.0.copy_within(i + 2..=len, i + 1);
        self.set_len(len - 1);
        entry
    }
}

/// Replaced or removed text is dropped once it is at least this many bytes and more
/// than the live text.
const COMPACT_AT: usize = 256;

impl ExtFields {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty map with room for `entries` entries whose keys and values take
    /// `text_bytes` bytes in all.
    pub fn with_capacity(entries: usize, text_bytes: usize) -> Self {
        ExtFields {
            text: String::with_capacity(text_bytes),
            entries: Slots::with_capacity(entries),
        }
    }

    /// Makes room for `entries` more entries whose keys and values take `text_bytes`
    /// more bytes, so that writing them does not grow the map step by step.
    pub(crate) fn reserve(&mut self, entries: usize, text_bytes: usize) {
        self.text.reserve(text_bytes);
        self.entries.reserve(entries);
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn str(&self, span: Span) -> &str {
        // Spans are made from the lengths of `str`s pushed whole onto `text`, so they
        // always lie on character boundaries; the fallback is never taken.
        self.text.get(span.range()).unwrap_or_default()
    }

    /// The index of `key`.
    fn position(&self, key: &str) -> Option<usize> {
        let first = key.as_bytes().first();
        // Keys differ in length or first byte far more often than not: checking those
        // first keeps the byte comparison out of most probes.
        self.entries.as_slice().iter().position(|e| {
            e.key.len() == key.len()
                && (key.is_empty() || self.text.as_bytes().get(e.key.start) == first)
                && self.str(e.key) == key
        })
    }

    /// The value for `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.position(key)
            .map(|i| self.str(self.entries.as_slice()[i].value))
    }

    /// Inserts or replaces `key`; a replaced key keeps its position.
    pub fn insert(&mut self, key: impl AsRef<str>, value: impl AsRef<str>) {
        let value = value.as_ref();
        self.insert_with(key.as_ref(), |text| text.push_str(value));
    }

    /// Appends `key`, known not to be in the map yet, with the text `write` appends to
    /// the string it is given: [`ExtFields::insert_with`] without looking for the key
    /// (for headers written into a fresh map from distinct constant keys).
    pub(crate) fn append_with(&mut self, key: &str, write: impl FnOnce(&mut String)) {
        debug_assert!(self.position(key).is_none(), "{key} is already present");
        let key = self.push(|text| text.push_str(key));
        let value = self.push(write);
        self.entries.push(Entry { key, value });
    }

    /// [`append_with`](Self::append_with) when `fresh` (the key is known to be absent),
    /// else [`insert_with`](Self::insert_with).
    pub(crate) fn put_with(&mut self, key: &str, fresh: bool, write: impl FnOnce(&mut String)) {
        if fresh {
            self.append_with(key, write);
        } else {
            self.insert_with(key, write);
        }
    }

    /// Inserts or replaces `key` with the text `write` appends to the string it is given
    /// (and nothing else: it must only append). A replaced key keeps its position.
    pub(crate) fn insert_with(&mut self, key: &str, write: impl FnOnce(&mut String)) {
        let found = self.position(key);
        let key = match found {
            Some(_) => None,
            None => Some(self.push(|text| text.push_str(key))),
        };
        let value = self.push(write);
        match (found, key) {
            (Some(i), _) => {
                self.entries.as_mut_slice()[i].value = value;
                self.maybe_compact();
            }
            (None, Some(key)) => self.entries.push(Entry { key, value }),
            (None, None) => {}
        }
    }

    /// Appends what `write` writes to `text`, returning where it went.
    fn push(&mut self, write: impl FnOnce(&mut String)) -> Span {
        let start = self.text.len();
        write(&mut self.text);
        Span {
            start,
            end: self.text.len(),
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let pos = self.position(key)?;
        let entry = self.entries.remove(pos);
        let value = self.str(entry.value).to_owned();
        if self.entries.is_empty() {
            self.text.clear();
        } else {
            self.maybe_compact();
        }
        Some(value)
    }

    /// Drops dead text once there is enough of it (after a replace or a remove; the
    /// map is not kept smaller than it has to be on the hot paths, which only append).
    fn maybe_compact(&mut self) {
        let live: usize = self
            .entries
            .as_slice()
            .iter()
            .map(|e| e.key.len() + e.value.len())
            .sum();
        let garbage = self.text.len() - live;
        if garbage >= COMPACT_AT && garbage > live {
            self.compact(live);
        }
    }

    /// Rewrites `text` with only the live keys and values (`live` bytes).
    fn compact(&mut self, live: usize) {
        let mut text = String::with_capacity(live);
        for entry in self.entries.as_mut_slice() {
            for span in [&mut entry.key, &mut entry.value] {
                let start = text.len();
                text.push_str(self.text.get(span.range()).unwrap_or_default());
                *span = Span {
                    start,
                    end: text.len(),
                };
            }
        }
        self.text = text;
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.entries
            .as_slice()
            .iter()
            .map(|e| (self.str(e.key), self.str(e.value)))
    }
}

impl PartialEq for ExtFields {
    /// Equal when both hold the same entries in the same order.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for ExtFields {}

impl fmt::Debug for ExtFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries: Vec<(&str, &str)> = self.iter().collect();
        f.debug_struct("ExtFields")
            .field("entries", &entries)
            .finish()
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for ExtFields {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = ExtFields::new();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The map as a plain list, the model the arena must behave like.
    fn model(ext: &ExtFields) -> Vec<(String, String)> {
        ext.iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn insert_get_replace_remove() {
        let mut ext = ExtFields::new();
        assert!(ext.is_empty());
        ext.insert("a", "1");
        ext.insert(String::from("bb"), String::from("22"));
        ext.insert("ä", "ü");
        assert_eq!(ext.len(), 3);
        assert_eq!(ext.get("a"), Some("1"));
        assert_eq!(ext.get("bb"), Some("22"));
        assert_eq!(ext.get("ä"), Some("ü"));
        assert_eq!(ext.get("b"), None);
        assert_eq!(ext.get(""), None);
        // A replaced key keeps its position.
        ext.insert("a", "longer value");
        assert_eq!(
            model(&ext),
            [("a", "longer value"), ("bb", "22"), ("ä", "ü")]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        assert_eq!(ext.remove("bb").as_deref(), Some("22"));
        assert_eq!(ext.remove("bb"), None);
        assert_eq!(ext.len(), 2);
        ext.insert("", "");
        assert_eq!(ext.get(""), Some(""));
        assert_eq!(ext.len(), 3);
    }

    #[test]
    fn the_map_keeps_commands_small() {
        // Several functions give a command back as an error; clippy refuses error
        // variants of 128 bytes or more.
        assert!(std::mem::size_of::<ExtFields>() <= 40);
        assert!(std::mem::size_of::<crate::protocol::RemotingCommand>() < 128);
    }

    #[test]
    fn slots_grow_and_shrink() {
        let mut ext = ExtFields::with_capacity(0, 0);
        for i in 0..40 {
            ext.insert(i.to_string(), "v");
            assert_eq!(ext.len(), i + 1);
        }
        for i in (0..40).rev() {
            assert_eq!(ext.remove(&i.to_string()).as_deref(), Some("v"));
            assert_eq!(ext.len(), i);
        }
        assert!(ext.is_empty());
        assert_eq!(ExtFields::with_capacity(3, 0).len(), 0);
        assert!(ExtFields::with_capacity(3, 0).is_empty());
    }

    #[test]
    fn insert_with_writes_in_place() {
        let mut ext = ExtFields::with_capacity(2, 16);
        ext.insert_with("n", |t| t.push_str("42"));
        ext.insert_with("n", |t| t.push('7'));
        ext.insert_with("m", |_| {});
        assert_eq!(ext.get("n"), Some("7"));
        assert_eq!(ext.get("m"), Some(""));
        assert_eq!(ext.len(), 2);
    }

    #[test]
    fn equality_and_debug_ignore_dead_text() {
        let mut a = ExtFields::new();
        a.insert("k", "old");
        a.insert("gone", "x");
        a.insert("k", "v");
        a.remove("gone");
        let b: ExtFields = [("k", "v")].into_iter().collect();
        assert_eq!(a, b);
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert_eq!(format!("{b:?}"), r#"ExtFields { entries: [("k", "v")] }"#);
        let c: ExtFields = [("k", "w")].into_iter().collect();
        assert_ne!(a, c);
        // Order matters, as it does on the wire.
        let d: ExtFields = [("x", "1"), ("y", "2")].into_iter().collect();
        let e: ExtFields = [("y", "2"), ("x", "1")].into_iter().collect();
        assert_ne!(d, e);
    }

    #[test]
    fn replacing_over_and_over_stays_bounded() {
        let mut ext = ExtFields::new();
        ext.insert("keep", "k");
        for i in 0..10_000 {
            ext.insert("n", format!("value {i}"));
            assert!(ext.text.len() <= 2 * COMPACT_AT + 64, "{}", ext.text.len());
        }
        assert_eq!(ext.get("n"), Some("value 9999"));
        assert_eq!(ext.get("keep"), Some("k"));
        for i in 0..1_000 {
            ext.insert(format!("t{i}"), "x");
            ext.remove(&format!("t{i}"));
        }
        assert!(ext.text.len() <= 2 * COMPACT_AT + 64);
        assert_eq!(model(&ext).len(), 2);
    }

    #[test]
    fn behaves_like_a_list_of_pairs() {
        // A deterministic walk of inserts, replaces and removes over a few keys, checked
        // against the plain list the map used to be.
        let keys = ["a", "b", "ab", "ba", "héllo", "", "zz"];
        let mut ext = ExtFields::new();
        let mut list: Vec<(String, String)> = Vec::new();
        let mut seed = 0x2545_f491_u32;
        for step in 0..5_000 {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let key = keys[seed as usize % keys.len()];
            if seed.is_multiple_of(3) {
                let expected = list
                    .iter()
                    .position(|(k, _)| k == key)
                    .map(|i| list.remove(i).1);
                assert_eq!(ext.remove(key), expected);
            } else {
                let value = "v".repeat((seed >> 8) as usize % 40) + &step.to_string();
                match list.iter_mut().find(|(k, _)| k == key) {
                    Some(slot) => slot.1 = value.clone(),
                    None => list.push((key.to_owned(), value.clone())),
                }
                ext.insert(key, value);
            }
            assert_eq!(model(&ext), list);
            for key in keys {
                let expected = list.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
                assert_eq!(ext.get(key), expected);
            }
        }
    }
}
