//! The newest bytes of the commit log, kept in memory as they are appended, so that a read
//! near the tail (a live consumer's pull) is a slice of a buffer instead of a system call.
//!
//! Java's broker reads through its memory-mapped segments; broker-lite writes and reads
//! its segments with positioned I/O, and this cache stands in for the mapping where pulls
//! read most: the last few megabytes.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

/// Appends are copied into blocks of this size; each append becomes one slice of a block.
const BLOCK: usize = 1 << 20;

/// The last appended bytes of the commit log, up to a byte budget.
///
/// Invariants:
/// * `chunks` hold bytes exactly as written at their start offset, in increasing offset
///   order, none overlapping another;
/// * `bytes` is the sum of the chunks' lengths and stays within `cap` after each push
///   (oldest chunks are dropped first).
#[derive(Debug)]
pub(crate) struct TailCache {
    chunks: VecDeque<(u64, Bytes)>,
    block: BytesMut,
    bytes: usize,
    cap: usize,
}

impl TailCache {
    /// An empty cache holding up to `cap` bytes (0: caches nothing).
    pub(crate) fn new(cap: usize) -> Self {
        TailCache {
            chunks: VecDeque::new(),
            block: BytesMut::new(),
            bytes: 0,
            cap,
        }
    }

    /// Records that `data` was written at `at`. `at` must be at or past the end of every
    /// chunk pushed since the last [`clear`](Self::clear); an earlier one clears the cache
    /// first, so the cache never holds bytes that were overwritten.
    pub(crate) fn push(&mut self, at: u64, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        if data.len() > self.cap {
            self.clear();
            return;
        }
        if self
            .chunks
            .back()
            .is_some_and(|(start, chunk)| at < start + chunk.len() as u64)
        {
            self.clear();
        }
        if self.block.capacity() < data.len() {
            self.block = BytesMut::with_capacity(BLOCK.max(data.len()));
        }
        self.block.extend_from_slice(data);
        self.chunks.push_back((at, self.block.split().freeze()));
        self.bytes += data.len();
        while self.bytes > self.cap {
            match self.chunks.pop_front() {
                Some((_, chunk)) => self.bytes -= chunk.len(),
                None => self.bytes = 0,
            }
        }
    }

    /// The `len` bytes at `offset`, when one appended chunk holds all of them.
    pub(crate) fn get(&self, offset: u64, len: usize) -> Option<Bytes> {
        let i = self.chunks.partition_point(|(start, _)| *start <= offset);
        let (start, chunk) = self.chunks.get(i.checked_sub(1)?)?;
        let from = usize::try_from(offset - start).ok()?;
        let to = from.checked_add(len)?;
        (to <= chunk.len()).then(|| chunk.slice(from..to))
    }

    /// Forgets everything (the log was cut back).
    pub(crate) fn clear(&mut self) {
        self.chunks.clear();
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_inside_one_append_are_served() {
        let mut cache = TailCache::new(1024);
        cache.push(100, b"hello");
        cache.push(105, b"world!");
        assert_eq!(cache.get(100, 5).as_deref(), Some(&b"hello"[..]));
        assert_eq!(cache.get(106, 3).as_deref(), Some(&b"orl"[..]));
        assert_eq!(cache.get(105, 6).as_deref(), Some(&b"world!"[..]));
        // Across two appends, before the first, past the end: not served.
        assert_eq!(cache.get(103, 4), None);
        assert_eq!(cache.get(99, 1), None);
        assert_eq!(cache.get(110, 2), None);
        assert_eq!(cache.get(111, 1), None);
    }

    #[test]
    fn the_oldest_appends_go_first_when_over_budget() {
        let mut cache = TailCache::new(10);
        cache.push(0, b"abcd");
        cache.push(4, b"efgh");
        cache.push(8, b"ijkl");
        assert_eq!(cache.get(0, 4), None);
        assert_eq!(cache.get(4, 4).as_deref(), Some(&b"efgh"[..]));
        assert_eq!(cache.get(8, 4).as_deref(), Some(&b"ijkl"[..]));
        assert!(cache.bytes <= 10);
    }

    #[test]
    fn gaps_between_appends_are_allowed_and_rewrites_clear() {
        let mut cache = TailCache::new(100);
        cache.push(0, b"abc");
        // A segment's filler is not cached: the next record starts further on.
        cache.push(50, b"xyz");
        assert_eq!(cache.get(0, 3).as_deref(), Some(&b"abc"[..]));
        assert_eq!(cache.get(50, 3).as_deref(), Some(&b"xyz"[..]));
        assert_eq!(cache.get(3, 1), None);
        // Writing again below the end (after a cut) forgets what was there.
        cache.push(51, b"Q");
        assert_eq!(cache.get(50, 1), None);
        assert_eq!(cache.get(51, 1).as_deref(), Some(&b"Q"[..]));
    }

    #[test]
    fn an_append_larger_than_the_budget_empties_the_cache() {
        let mut cache = TailCache::new(4);
        cache.push(0, b"ab");
        cache.push(2, b"cdefgh");
        assert_eq!(cache.get(0, 2), None);
        assert_eq!(cache.get(2, 6), None);
        let mut off = TailCache::new(0);
        off.push(0, b"a");
        assert_eq!(off.get(0, 1), None);
    }

    #[test]
    fn appends_spanning_blocks_stay_whole() {
        let mut cache = TailCache::new(4 * BLOCK);
        let big = vec![7u8; BLOCK - 10];
        cache.push(0, &big);
        let next: Vec<u8> = (0..100u8).collect();
        cache.push(big.len() as u64, &next);
        assert_eq!(cache.get(big.len() as u64, 100).as_deref(), Some(&next[..]));
        assert_eq!(cache.get(5, 3).as_deref(), Some(&[7u8, 7, 7][..]));
    }
}
