//! The order in which a Java `java.util.HashMap<String, String>` iterates its keys.
//!
//! Java writes `extFields` (in both header serializations) by iterating a `HashMap`, so to
//! produce the same bytes as Java for the same header we must write keys in that order:
//!
//! * the table has a power-of-two capacity; it starts at the map's initial capacity (16 by
//!   default) and doubles whenever the number of entries exceeds 3/4 of it;
//! * a key goes to bucket `spread(key.hashCode()) & (capacity - 1)`, where `hashCode` is
//!   `String.hashCode` (`s[0]*31^(n-1) + ... + s[n-1]` over UTF-16 code units, wrapping)
//!   and `spread(h) = h ^ (h >>> 16)`;
//! * iteration walks the buckets in index order; keys sharing a bucket come in insertion
//!   order (resizing splits a bucket but keeps the relative order).
//!
//! Not emulated: buckets of 8+ colliding keys in tables of 64+ slots become trees, whose
//! iteration order may differ. Headers never have such collisions in practice.

/// The initial capacity of `new HashMap<>()`, which is what Java uses for `extFields` when
/// it converts a typed header (`makeCustomHeaderToNet`) or parses a JSON header.
pub(crate) const DEFAULT_CAPACITY: usize = 16;

/// Java's `String.hashCode`.
pub(crate) fn string_hash(s: &str) -> i32 {
    let step = |h: i32, unit: i32| h.wrapping_mul(31).wrapping_add(unit);
    if s.is_ascii() {
        // An ASCII byte is its own UTF-16 code unit (keys are almost always ASCII).
        s.bytes().fold(0, |h, b| step(h, i32::from(b)))
    } else {
        s.encode_utf16().fold(0, |h, unit| step(h, i32::from(unit)))
    }
}

/// Java's `HashMap.hash`: the hash code with its high half folded into the low half.
fn spread(h: i32) -> u32 {
    // Reinterpreting the bits is the intent: Java works on the same 32 bits.
    let h = h as u32;
    h ^ (h >> 16)
}

/// Java's `tableSizeFor`: the smallest power of two at least `cap` (at least 1).
fn table_size_for(cap: usize) -> usize {
    cap.max(1)
        .checked_next_power_of_two()
        .unwrap_or(1 << 30)
        .min(1 << 30)
}

/// The table capacity a Java `HashMap` created with `initial_capacity` has after `len`
/// insertions of distinct keys.
pub(crate) fn table_capacity(initial_capacity: usize, len: usize) -> usize {
    let mut cap = table_size_for(initial_capacity);
    // Java resizes after an insertion makes size > threshold (= 0.75 * capacity).
    while cap < (1 << 30) && len > cap * 3 / 4 {
        cap *= 2;
    }
    cap
}

/// The bucket of `key` in a table of `capacity` slots (a power of two).
pub(crate) fn bucket(key: &str, capacity: usize) -> u32 {
    spread(string_hash(key)) & (capacity - 1) as u32
}

/// Indices of `keys` (given in insertion order) in Java `HashMap` iteration order.
pub(crate) fn iteration_order<'a>(
    keys: impl ExactSizeIterator<Item = &'a str>,
    initial_capacity: usize,
) -> Vec<usize> {
    let cap = table_capacity(initial_capacity, keys.len());
    let mut order: Vec<(u32, usize)> = keys.enumerate().map(|(i, k)| (bucket(k, cap), i)).collect();
    // Stable by (bucket, insertion index).
    order.sort_unstable();
    order.into_iter().map(|(_, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_hash_matches_java() {
        // Values from Java's "...".hashCode().
        assert_eq!(string_hash(""), 0);
        assert_eq!(string_hash("a"), 97);
        assert_eq!(string_hash("ab"), 3105);
        assert_eq!(string_hash("hello"), 99_162_322);
        assert_eq!(string_hash("hello world"), 1_794_106_052);
        // Non-BMP characters hash as two UTF-16 code units.
        assert_eq!(string_hash("\u{1F600}"), 0xD83D * 31 + 0xDE00);
        // Mixed text, checked against the code-unit definition.
        for s in ["a\u{e9}b", "queueOffset", "\u{4e2d}\u{6587}", "x\u{1F600}y"] {
            let by_units = s
                .encode_utf16()
                .fold(0i32, |h, u| h.wrapping_mul(31).wrapping_add(i32::from(u)));
            assert_eq!(string_hash(s), by_units, "{s}");
        }
    }

    #[test]
    fn capacity_grows_like_java() {
        assert_eq!(table_capacity(16, 0), 16);
        assert_eq!(table_capacity(16, 12), 16);
        assert_eq!(table_capacity(16, 13), 32);
        assert_eq!(table_capacity(16, 24), 32);
        assert_eq!(table_capacity(16, 25), 64);
        assert_eq!(table_capacity(256, 13), 256);
        assert_eq!(table_capacity(0, 0), 1);
        assert_eq!(table_capacity(0, 1), 2);
        assert_eq!(table_capacity(100, 0), 128);
    }

    #[test]
    fn order_is_bucket_then_insertion() {
        // "a" = 97 -> bucket 1, "b" = 98 -> bucket 2, "q" = 113 -> bucket 1 (of 16).
        let keys = ["b", "q", "a"];
        assert_eq!(iteration_order(keys.iter().copied(), 16), vec![1, 2, 0]);
    }
}
