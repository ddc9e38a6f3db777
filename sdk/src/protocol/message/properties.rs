//! The message properties map and its wire string (Java `messageProperties2String` /
//! `string2messageProperties`).
//!
//! Wire form: `key \u{1} value \u{2}` for each entry. Facts this mirrors:
//! * 5.x writes a separator after every entry, 4.9.8 drops the last one; both decoders accept
//!   either, so [`Properties`] remembers which form it was decoded from and writes that back.
//! * Decoding skips entries with an empty key or an empty value, and segments without a
//!   `\u{1}`; the first `\u{1}` splits key from value (a value may hold more `\u{1}`); a
//!   repeated key keeps its first position and takes the last value.
//! * Encoding writes every entry, empty ones included (which then vanish on decode).
//! * Java keeps properties in a `HashMap`, so a message built by Java is written in hash-bucket
//!   order. Fresh [`Properties`] (built with `insert`, not decoded) are written in that same
//!   order, computed for a default-capacity (16) `HashMap`; decoded ones keep the order they
//!   arrived in, with new keys appended. (Not emulated: tree bins after 8+ colliding keys, and
//!   the larger capacity a Java map keeps after removals.)

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

/// Separates a key from its value (`NAME_VALUE_SEPARATOR`).
pub const NAME_VALUE_SEPARATOR: char = '\u{1}';
/// Ends each property (`PROPERTY_SEPARATOR`).
pub const PROPERTY_SEPARATOR: char = '\u{2}';

/// Entries a decoded map has room for beyond what it decoded: a consumer adds
/// `MIN_OFFSET`/`MAX_OFFSET` to every pulled message.
const SPARE_ENTRIES: usize = 2;
/// Entries a decoded map has room for at first (before the spare ones), at most.
const INITIAL_ENTRIES: usize = 8;
/// Entries put in Java hash order without allocating (more are ordered in a `Vec`).
const ORDER_ON_STACK: usize = 24;

/// A key or value: a span of the decoded wire text, or text set afterwards.
#[derive(Clone)]
enum Text {
    /// `raw[start..end]`, on character boundaries of the (valid UTF-8) wire text.
    Span(u32, u32),
    Static(&'static str),
    Shared(Arc<str>),
    Owned(String),
}

/// Ordered string properties of a message.
///
/// A decoded map keeps the wire text (a zero-copy slice of the record when it is valid UTF-8)
/// and points into it, so decoding allocates only the entry list.
#[derive(Clone, Default)]
pub struct Properties {
    /// Decoded wire text, valid UTF-8; the target of every [`Text::Span`].
    raw: Bytes,
    entries: Vec<(Text, Text)>,
    /// Decoded from the wire: write entries in stored order, not in Java hash order.
    keep_order: bool,
    /// Write the 4.9.8 form (no separator after the last entry).
    no_trailing_separator: bool,
}

impl fmt::Debug for Properties {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Properties")
            .field("entries", &EntriesDebug(self))
            .field("keep_order", &self.keep_order)
            .field("no_trailing_separator", &self.no_trailing_separator)
            .finish()
    }
}

struct EntriesDebug<'a>(&'a Properties);

impl fmt::Debug for EntriesDebug<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.0;
        f.debug_list()
            .entries(p.entries.iter().map(|(k, v)| (p.text(k), p.text(v))))
            .finish()
    }
}

impl PartialEq for Properties {
    /// Equal when both hold the same key/value pairs, in any order.
    fn eq(&self, other: &Self) -> bool {
        self.entries.len() == other.entries.len()
            && self
                .entries
                .iter()
                .all(|(k, v)| other.get(self.text(k)) == Some(self.text(v)))
    }
}

impl Eq for Properties {}

impl Properties {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The text of a key or value.
    fn text<'a>(&'a self, t: &'a Text) -> &'a str {
        match t {
            Text::Span(start, end) => self
                .raw
                .get(*start as usize..*end as usize)
                .and_then(|b| std::str::from_utf8(b).ok())
                // Unreachable: spans are made on character boundaries of valid UTF-8.
                .unwrap_or_default(),
            Text::Static(s) => s,
            Text::Shared(s) => s,
            Text::Owned(s) => s,
        }
    }

    /// The bytes of a key or value (no UTF-8 check, for comparing keys).
    fn text_bytes<'a>(&'a self, t: &'a Text) -> &'a [u8] {
        match t {
            Text::Span(start, end) => self
                .raw
                .get(*start as usize..*end as usize)
                .unwrap_or_default(),
            other => self.text(other).as_bytes(),
        }
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.entries
            .iter()
            .position(|(k, _)| self.text_bytes(k) == key.as_bytes())
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.position(key).map(|i| self.text(&self.entries[i].1))
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Sets `key`, returning the previous value; a replaced key keeps its position.
    ///
    /// Keys holding `\u{1}`/`\u{2}`, values holding `\u{2}`, and empty keys or values are
    /// accepted (Java accepts them too) but do not survive a wire round trip.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) -> Option<String> {
        let key = key.into();
        match self.position(&key) {
            Some(i) => Some(self.replace(i, Text::Owned(value.into()))),
            None => {
                self.entries
                    .push((Text::Owned(key), Text::Owned(value.into())));
                None
            }
        }
    }

    /// [`insert`](Self::insert) of a constant key and value, without copying either (for a
    /// broker adding the same properties to every message it stores).
    pub fn insert_static(&mut self, key: &'static str, value: &'static str) {
        match self.position(key) {
            Some(i) => {
                self.replace(i, Text::Static(value));
            }
            None => self.entries.push((Text::Static(key), Text::Static(value))),
        }
    }

    /// [`insert`](Self::insert) of a constant key and a shared value, without allocating
    /// (a consumer adds the same offsets to every message of a pull, a broker its cluster
    /// name to every message it stores).
    pub fn insert_shared(&mut self, key: &'static str, value: Arc<str>) {
        match self.position(key) {
            Some(i) => {
                self.replace(i, Text::Shared(value));
            }
            None => self.entries.push((Text::Static(key), Text::Shared(value))),
        }
    }

    fn replace(&mut self, i: usize, value: Text) -> String {
        let old = std::mem::replace(&mut self.entries[i].1, value);
        match old {
            Text::Owned(s) => s,
            other => self.text(&other).to_owned(),
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let pos = self.position(key)?;
        let (_, value) = self.entries.remove(pos);
        Some(match value {
            Text::Owned(s) => s,
            other => self.text(&other).to_owned(),
        })
    }

    /// The map with its entries written in Java hash order from now on, like fresh
    /// properties: exactly what inserting every entry, in the order [`iter`](Self::iter)
    /// gives them now, into [`Properties::new`] would give (the hash-order sort is stable
    /// over that order), without copying any text. The separator form is kept. For a
    /// broker that decodes a message's properties, adds some and writes them back as
    /// Java's `HashMap` would.
    #[must_use]
    pub fn into_java_order(mut self) -> Properties {
        if self.keep_order {
            // Entries are in stored order; fresh maps keep insertion order until written.
            self.keep_order = false;
        }
        self
    }

    /// Entries in the order [`encode`](Self::encode) writes them.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.ordered()
            .into_iter()
            .map(|(k, v)| (self.text(k), self.text(v)))
    }

    /// Whether a separator follows the last entry when encoded: `true` (the 5.x form) unless
    /// decoded from the 4.9.8 form or changed with [`set_trailing_separator`](Self::set_trailing_separator).
    pub fn trailing_separator(&self) -> bool {
        !self.no_trailing_separator
    }

    /// Chooses the 5.x form (`true`, separator after every entry) or the 4.9.8 form.
    pub fn set_trailing_separator(&mut self, on: bool) {
        self.no_trailing_separator = !on;
    }

    /// The wire string.
    pub fn encode(&self) -> String {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out);
        // Every text is valid UTF-8 and the separators are ASCII: the lossy branch is
        // never taken.
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// Appends [`encode`](Self::encode)'s output to `out` ([`encoded_len`](Self::encoded_len)
    /// bytes), without an intermediate string (for a record encoder).
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let start = out.len();
        self.for_each_ordered(|k, v| {
            out.extend_from_slice(k);
            out.push(NAME_VALUE_SEPARATOR as u8);
            out.extend_from_slice(v);
            out.push(PROPERTY_SEPARATOR as u8);
        });
        if self.no_trailing_separator && out.len() > start {
            out.pop();
        }
    }

    /// Length in bytes of [`encode`](Self::encode)'s output.
    pub fn encoded_len(&self) -> usize {
        let sum: usize = self
            .entries
            .iter()
            .map(|(k, v)| self.text_bytes(k).len() + self.text_bytes(v).len() + 2)
            .sum();
        if self.no_trailing_separator {
            sum.saturating_sub(1)
        } else {
            sum
        }
    }

    /// Parses a wire string exactly as Java does (see the module docs).
    pub fn decode(s: &str) -> Properties {
        Self::decode_utf8(Bytes::copy_from_slice(s.as_bytes()))
    }

    /// [`decode`](Self::decode) of an owned string, which the map keeps as its text: no
    /// copy is made (for a broker decoding the properties of a send header it owns).
    pub fn decode_string(s: String) -> Properties {
        Self::decode_utf8(Bytes::from(s))
    }

    /// Parses wire bytes; invalid UTF-8 is replaced by U+FFFD, as Java's `new String(.., UTF_8)`.
    pub fn decode_bytes(bytes: &[u8]) -> Properties {
        Self::decode_shared(Bytes::copy_from_slice(bytes))
    }

    /// [`decode_bytes`](Self::decode_bytes) keeping `bytes` (a slice of the record) as the
    /// map's text when it is valid UTF-8, so nothing is copied.
    pub(crate) fn decode_shared(bytes: Bytes) -> Properties {
        match std::str::from_utf8(&bytes) {
            Ok(_) => Self::decode_utf8(bytes),
            Err(_) => Self::decode_utf8(Bytes::from(
                String::from_utf8_lossy(&bytes).into_owned().into_bytes(),
            )),
        }
    }

    /// Parses `raw`, which is valid UTF-8, in one pass over its bytes.
    fn decode_utf8(raw: Bytes) -> Properties {
        // Texts longer than a span can address are not wire properties (the record's
        // length field is 16 bits): keep them whole as owned text instead.
        if u32::try_from(raw.len()).is_err() {
            let text = String::from_utf8_lossy(&raw).into_owned();
            return Self::decode_owned(&text);
        }
        // Each kept entry holds a \u{1} and at least 4 bytes; a message rarely has more
        // than a handful of properties, and the list grows if it does.
        let capacity = (raw.len() / 4 + 1).min(INITIAL_ENTRIES) + SPARE_ENTRIES;
        let mut entries: Vec<(Text, Text)> = Vec::with_capacity(capacity);
        // The current segment (between \u{2}s) starts at `start`; `eq` is its first \u{1}.
        let mut start = 0;
        let mut eq = None;
        let mut seen = KeySet::default();
        let mut on_byte = |entries: &mut Vec<(Text, Text)>, i: usize, b: u8| {
            if b == NAME_VALUE_SEPARATOR as u8 {
                eq = eq.or(Some(i));
            } else if b == PROPERTY_SEPARATOR as u8 {
                add_segment(&raw, entries, &mut seen, start, eq, i);
                start = i + 1;
                eq = None;
            }
        };
        // Eight bytes at a time: most words hold no separator and are skipped whole.
        let mut words = raw.chunks_exact(8);
        let mut at = 0;
        for word in &mut words {
            if <[u8; 8]>::try_from(word).map_or(true, |w| has_byte_below_3(u64::from_ne_bytes(w))) {
                for (j, &b) in word.iter().enumerate() {
                    on_byte(&mut entries, at + j, b);
                }
            }
            at += 8;
        }
        for (j, &b) in words.remainder().iter().enumerate() {
            on_byte(&mut entries, at + j, b);
        }
        add_segment(&raw, &mut entries, &mut seen, start, eq, raw.len());
        // Room for the entries a consumer adds (a no-op unless the list grew).
        entries.reserve(SPARE_ENTRIES);
        Properties {
            entries,
            keep_order: true,
            no_trailing_separator: raw.last().is_some_and(|&b| b != PROPERTY_SEPARATOR as u8),
            raw,
        }
    }

    /// The slow path of [`decode`](Self::decode) for texts too long for spans.
    fn decode_owned(s: &str) -> Properties {
        let mut props = Properties {
            keep_order: true,
            no_trailing_separator: !s.is_empty() && !s.ends_with(PROPERTY_SEPARATOR),
            ..Properties::default()
        };
        for segment in s.split(PROPERTY_SEPARATOR) {
            if let Some((k, v)) = segment.split_once(NAME_VALUE_SEPARATOR)
                && !k.is_empty()
                && !v.is_empty()
            {
                props.insert(k, v);
            }
        }
        props
    }

    fn ordered(&self) -> Vec<&(Text, Text)> {
        let mut refs: Vec<&(Text, Text)> = Vec::with_capacity(self.entries.len());
        self.for_each_index(|i| refs.push(&self.entries[i]));
        refs
    }

    /// Calls `f` with the bytes of every key and value, in the order
    /// [`encode`](Self::encode) writes them.
    fn for_each_ordered<'a>(&'a self, mut f: impl FnMut(&'a [u8], &'a [u8])) {
        self.for_each_index(|i| {
            let (k, v) = &self.entries[i];
            f(self.text_bytes(k), self.text_bytes(v));
        });
    }

    /// Calls `f` with the index of every entry, in the order [`encode`](Self::encode)
    /// writes them: stored order, or Java hash order (bucket, then insertion order within
    /// one, as in Java's chains). Each key is hashed once; up to [`ORDER_ON_STACK`]
    /// entries are ordered without allocating.
    fn for_each_index(&self, mut f: impl FnMut(usize)) {
        let n = self.entries.len();
        if self.keep_order {
            (0..n).for_each(f);
            return;
        }
        let capacity = java_hash_map_capacity(n, 16);
        let bucket = |i: usize| java_bucket(self.text(&self.entries[i].0), capacity);
        let mut on_stack = [(0usize, 0usize); ORDER_ON_STACK];
        let mut on_heap = Vec::new();
        let order: &mut [(usize, usize)] = if n <= ORDER_ON_STACK {
            &mut on_stack[..n]
        } else {
            on_heap.resize(n, (0, 0));
            &mut on_heap
        };
        for (i, slot) in order.iter_mut().enumerate() {
            *slot = (bucket(i), i);
        }
        // Sorting (bucket, index) pairs keeps insertion order within a bucket.
        order.sort_unstable();
        order.iter().for_each(|&(_, i)| f(i));
    }
}

/// Whether any byte of `word` is below 3 (both separators are): the bit trick for "has
/// a byte less than n" (n <= 128) on eight bytes at once; exact, with no false positive.
fn has_byte_below_3(word: u64) -> bool {
    const ONES: u64 = u64::MAX / 255;
    word.wrapping_sub(ONES * 3) & !word & (ONES * 0x80) != 0
}

/// A 64-bit summary of the keys added so far (length and end bytes): a key whose bit is
/// clear is certainly new, so only a possible repeat is looked for in the entry list.
#[derive(Default)]
struct KeySet(u64);

impl KeySet {
    /// Records `key`; `false` when it was certainly not recorded before.
    fn insert(&mut self, key: &[u8]) -> bool {
        let first = key.first().copied().unwrap_or(0);
        let last = key.last().copied().unwrap_or(0);
        let bit =
            1u64 << ((key.len() ^ usize::from(first) ^ usize::from(last).rotate_left(3)) % 64);
        let maybe_seen = self.0 & bit != 0;
        self.0 |= bit;
        maybe_seen
    }
}

/// Adds the segment `raw[start..end]` whose first \u{1} is at `eq` (if any) as an entry,
/// as Java does: skipped without a \u{1} or with an empty key or value; a repeated key
/// keeps its first position and takes the last value. Offsets fit `u32` (the caller
/// checked the length) and the ASCII separators sit on character boundaries.
fn add_segment(
    raw: &[u8],
    entries: &mut Vec<(Text, Text)>,
    seen: &mut KeySet,
    start: usize,
    eq: Option<usize>,
    end: usize,
) {
    let Some(eq) = eq else {
        return;
    };
    if eq == start || eq + 1 >= end {
        return;
    }
    let Some(key_bytes) = raw.get(start..eq) else {
        return;
    };
    let key = Text::Span(start as u32, eq as u32);
    let value = Text::Span((eq + 1) as u32, end as u32);
    let repeated = if seen.insert(key_bytes) {
        entries.iter().position(|(k, _)| match k {
            Text::Span(s, e) => raw.get(*s as usize..*e as usize) == Some(key_bytes),
            _ => false,
        })
    } else {
        None
    };
    match repeated {
        Some(i) => entries[i].1 = value,
        None => entries.push((key, value)),
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Properties {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut props = Properties::new();
        for (k, v) in iter {
            props.insert(k, v);
        }
        props
    }
}

/// Java `String.hashCode` (over UTF-16 code units, wrapping).
pub(crate) fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// The bucket Java's `HashMap` puts `key` in for a table of `capacity` (a power of two).
fn java_bucket(key: &str, capacity: usize) -> usize {
    let h = java_string_hash(key) as u32;
    let spread = h ^ (h >> 16);
    spread as usize & (capacity - 1)
}

/// Table size of a Java `HashMap` created with `initial` capacity after `len` insertions
/// (load factor 0.75, doubling on `size > threshold`).
fn java_hash_map_capacity(len: usize, initial: usize) -> usize {
    let mut capacity = initial.next_power_of_two().max(1);
    while len > capacity / 4 * 3 {
        capacity *= 2;
    }
    capacity
}

#[cfg(test)]
#[path = "properties_tests.rs"]
mod tests;
