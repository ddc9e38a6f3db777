//! One index file, `<root>/index/<yyyyMMddHHmmssSSS>` (Java `IndexFile` + `IndexHeader`).
//!
//! On-disk layout (big-endian), `40 + slots × 4 + capacity × 20` bytes, created sparse at
//! its full size:
//!
//! ```text
//! header   0  begin timestamp     i64  store time of the first entry (epoch ms)
//!          8  end timestamp       i64  store time of the last entry
//!         16  begin phys offset   i64  commit-log offset of the first entry's record
//!         24  end phys offset     i64  commit-log offset of the last entry's record
//!         32  hash slot count     i32  slots in use (informational)
//!         36  index count         i32  next entry number; starts at 1 (entry 0 is unused)
//! slots   40 + 4 × s              i32  newest entry number whose key hash lands in slot s
//!                                      (s = hash % slots; 0 = empty)
//! entries 40 + 4 × slots + 20 × n      entry n:
//!            key hash     i32  abs(Java String.hashCode of "topic#key"), MIN_VALUE → 0
//!            phys offset  i64  commit-log offset of the record
//!            time diff    i32  (store time − begin timestamp) / 1000, clamped to 0..=i32::MAX
//!            previous     i32  the entry this one replaced in its slot (0 = none)
//! ```
//!
//! A file whose begin timestamp is 0 writes a time diff of 0 for its first entry, then
//! takes that entry's store time and offset as its begin values; a file that follows a
//! full one starts with the previous file's end values (as Java does).
//!
//! Writes are buffered: new entries and changed slots stay in memory until
//! [`write_out`](IndexFile::write_out) (at flush, or when the buffer grows large) and reads
//! see them. The header goes to disk only in [`write_header`], called by the store after
//! the entries and slots it covers were synced, so the header on disk never claims an
//! entry that is not durable. Entries found past the header's count when a file is opened
//! (written before a crash, not covered by a header) are dropped, and slots pointing at
//! them are walked back along their `previous` chain to the newest surviving entry.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};

/// Header length (Java `INDEX_HEADER_SIZE`).
pub(crate) const HEADER_LEN: u64 = 40;
const SLOT_LEN: u64 = 4;
/// Entry length.
pub(crate) const ENTRY_LEN: u64 = 20;
/// Pending entry bytes that trigger an early write-out.
const PENDING_LIMIT: usize = 1 << 20;
/// Dirty slots that trigger an early write-out.
const DIRTY_SLOTS_LIMIT: usize = 1 << 16;
/// Dirty slots at most this far apart are written with one write (the slots between
/// them included).
const RUN_GAP_SLOTS: u32 = 1024;
/// Most slots one write covers.
const RUN_SLOTS: u32 = 16 << 10;

/// Java's `String.hashCode` over UTF-16 units.
pub(crate) fn java_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// The hash an index key is stored under (Java `indexKeyHashMethod`).
pub(crate) fn key_hash(key: &str) -> i32 {
    java_hash(key).checked_abs().unwrap_or(0)
}

/// Total file length for the given geometry.
pub(crate) fn file_len(slots: u32, capacity: u32) -> u64 {
    HEADER_LEN + u64::from(slots) * SLOT_LEN + u64::from(capacity) * ENTRY_LEN
}

/// The 40-byte header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) begin_timestamp: i64,
    pub(crate) end_timestamp: i64,
    pub(crate) begin_phys: i64,
    pub(crate) end_phys: i64,
    pub(crate) slot_count: i32,
    /// The next entry number (entries `1..index_count` exist).
    pub(crate) index_count: i32,
}

impl Default for Header {
    fn default() -> Self {
        Header {
            begin_timestamp: 0,
            end_timestamp: 0,
            begin_phys: 0,
            end_phys: 0,
            slot_count: 0,
            index_count: 1,
        }
    }
}

impl Header {
    pub(crate) fn encode(&self) -> [u8; HEADER_LEN as usize] {
        let mut b = [0u8; HEADER_LEN as usize];
        b[0..8].copy_from_slice(&self.begin_timestamp.to_be_bytes());
        b[8..16].copy_from_slice(&self.end_timestamp.to_be_bytes());
        b[16..24].copy_from_slice(&self.begin_phys.to_be_bytes());
        b[24..32].copy_from_slice(&self.end_phys.to_be_bytes());
        b[32..36].copy_from_slice(&self.slot_count.to_be_bytes());
        b[36..40].copy_from_slice(&self.index_count.to_be_bytes());
        b
    }

    pub(crate) fn decode(b: &[u8; HEADER_LEN as usize]) -> Header {
        let i64_at = |i: usize| {
            let mut x = [0u8; 8];
            x.copy_from_slice(&b[i..i + 8]);
            i64::from_be_bytes(x)
        };
        let i32_at = |i: usize| i32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        Header {
            begin_timestamp: i64_at(0),
            end_timestamp: i64_at(8),
            begin_phys: i64_at(16),
            end_phys: i64_at(24),
            slot_count: i32_at(32),
            // Java resets a non-positive count to 1.
            index_count: i32_at(36).max(1),
        }
    }
}

/// One 20-byte entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) key_hash: i32,
    pub(crate) phys: i64,
    pub(crate) time_diff: i32,
    pub(crate) prev: i32,
}

impl Entry {
    fn encode(&self) -> [u8; ENTRY_LEN as usize] {
        let mut b = [0u8; ENTRY_LEN as usize];
        b[0..4].copy_from_slice(&self.key_hash.to_be_bytes());
        b[4..12].copy_from_slice(&self.phys.to_be_bytes());
        b[12..16].copy_from_slice(&self.time_diff.to_be_bytes());
        b[16..20].copy_from_slice(&self.prev.to_be_bytes());
        b
    }

    fn decode(b: &[u8]) -> Option<Entry> {
        let i32_at = |i: usize| -> Option<i32> {
            Some(i32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?))
        };
        Some(Entry {
            key_hash: i32_at(0)?,
            phys: i64::from_be_bytes(b.get(4..12)?.try_into().ok()?),
            time_diff: i32_at(12)?,
            prev: i32_at(16)?,
        })
    }

    fn is_zero(&self) -> bool {
        *self
            == Entry {
                key_hash: 0,
                phys: 0,
                time_diff: 0,
                prev: 0,
            }
    }
}

/// One index file.
///
/// Invariants: entries `1..header.index_count` are valid and their phys offsets do not
/// decrease; every slot holds 0 or an entry number below `index_count`, and each entry's
/// `prev` is below its own number; entries `1..written` are on disk (maybe not synced),
/// the rest are in `pending`; slots in `dirty` override the file; when `touched` is
/// present (a file this process created), a slot whose bit is clear was never set, so it
/// holds 0 and need not be read.
#[derive(Debug)]
pub(crate) struct IndexFile {
    path: PathBuf,
    file: Arc<File>,
    slots: u32,
    capacity: u32,
    header: Header,
    /// The header last written to the file.
    header_on_disk: Header,
    written: i32,
    pending: Vec<u8>,
    dirty: BTreeMap<u32, i32>,
    /// One bit per slot, set when a put sets the slot (files created by this process).
    touched: Option<Vec<u64>>,
}

impl IndexFile {
    /// Creates a file; `prev_end_phys`/`prev_end_timestamp` are the previous (full) file's
    /// end values, 0 for the first file.
    pub(crate) fn create(
        path: &Path,
        slots: u32,
        capacity: u32,
        prev_end_phys: i64,
        prev_end_timestamp: i64,
    ) -> Result<IndexFile> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)?;
        file.set_len(file_len(slots, capacity))?;
        let mut header = Header::default();
        if prev_end_phys > 0 {
            header.begin_phys = prev_end_phys;
            header.end_phys = prev_end_phys;
        }
        if prev_end_timestamp > 0 {
            header.begin_timestamp = prev_end_timestamp;
            header.end_timestamp = prev_end_timestamp;
        }
        let f = IndexFile {
            path: path.to_owned(),
            file: Arc::new(file),
            slots,
            capacity,
            header,
            header_on_disk: Header::default(),
            written: 1,
            pending: Vec::new(),
            dirty: BTreeMap::new(),
            touched: Some(vec![0; usize::try_from(slots.div_ceil(64)).unwrap_or(0)]),
        };
        write_header(&f.file, &header)?;
        Ok(IndexFile {
            header_on_disk: header,
            ..f
        })
    }

    /// Opens an existing file, dropping entries not covered by its header.
    pub(crate) fn open(path: &Path, slots: u32, capacity: u32) -> Result<IndexFile> {
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        let len = file.metadata()?.len();
        if len != file_len(slots, capacity) {
            return Err(Error::Corrupt {
                path: path.to_owned(),
                reason: format!(
                    "{len} bytes, expected {} for {slots} slots and {capacity} entries",
                    file_len(slots, capacity)
                ),
            });
        }
        let mut raw = [0u8; HEADER_LEN as usize];
        file.read_exact_at(&mut raw, 0)?;
        let mut header = Header::decode(&raw);
        let max_count = i32::try_from(capacity).unwrap_or(i32::MAX);
        if header.index_count > max_count {
            header.index_count = max_count;
        }
        let mut f = IndexFile {
            path: path.to_owned(),
            file: Arc::new(file),
            slots,
            capacity,
            header,
            header_on_disk: header,
            written: header.index_count,
            pending: Vec::new(),
            dirty: BTreeMap::new(),
            touched: None,
        };
        f.drop_uncovered_tail()?;
        Ok(f)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn header(&self) -> Header {
        self.header
    }

    pub(crate) fn is_full(&self) -> bool {
        i64::from(self.header.index_count) >= i64::from(self.capacity)
    }

    /// Whether entries exist (Java answers nothing for a count of 1).
    pub(crate) fn has_entries(&self) -> bool {
        self.header.index_count > 1
    }

    fn slot_pos(&self, slot: u32) -> u64 {
        HEADER_LEN + u64::from(slot) * SLOT_LEN
    }

    fn entry_pos(&self, n: i32) -> u64 {
        HEADER_LEN + u64::from(self.slots) * SLOT_LEN + u64::try_from(n).unwrap_or(0) * ENTRY_LEN
    }

    fn slot(&self, slot: u32) -> Result<i32> {
        if let Some(v) = self.dirty.get(&slot) {
            return Ok(*v);
        }
        if let Some(touched) = &self.touched
            && touched
                .get((slot / 64) as usize)
                .is_some_and(|w| w & (1 << (slot % 64)) == 0)
        {
            return Ok(0);
        }
        let mut b = [0u8; 4];
        self.file.read_exact_at(&mut b, self.slot_pos(slot))?;
        Ok(i32::from_be_bytes(b))
    }

    fn entry(&self, n: i32) -> Result<Option<Entry>> {
        if n <= 0 || i64::from(n) >= i64::from(self.capacity) {
            return Ok(None);
        }
        if n >= self.written {
            let at = usize::try_from(n - self.written).unwrap_or(usize::MAX);
            let at = at.saturating_mul(ENTRY_LEN as usize);
            return Ok(self
                .pending
                .get(at..at.saturating_add(ENTRY_LEN as usize))
                .and_then(Entry::decode));
        }
        self.disk_entry(n)
    }

    /// Entry `n` as the file holds it, ignoring the buffer.
    fn disk_entry(&self, n: i32) -> Result<Option<Entry>> {
        if n <= 0 || i64::from(n) >= i64::from(self.capacity) {
            return Ok(None);
        }
        let mut b = [0u8; ENTRY_LEN as usize];
        self.file.read_exact_at(&mut b, self.entry_pos(n))?;
        Ok(Entry::decode(&b))
    }

    /// Adds a key (Java `putKey`); `false` when the file is full.
    pub(crate) fn put(&mut self, hash: i32, phys: i64, store_timestamp: i64) -> Result<bool> {
        if self.is_full() {
            return Ok(false);
        }
        let slot = u32::try_from(hash).unwrap_or(0) % self.slots;
        let count = self.header.index_count;
        let mut prev = self.slot(slot)?;
        if prev <= 0 || prev >= count {
            prev = 0;
        }
        let time_diff = if self.header.begin_timestamp <= 0 {
            0
        } else {
            let d = (store_timestamp - self.header.begin_timestamp) / 1000;
            i32::try_from(d.max(0)).unwrap_or(i32::MAX)
        };
        let entry = Entry {
            key_hash: hash,
            phys,
            time_diff,
            prev,
        };
        self.pending.extend_from_slice(&entry.encode());
        self.dirty.insert(slot, count);
        if let Some(w) = self
            .touched
            .as_mut()
            .and_then(|t| t.get_mut((slot / 64) as usize))
        {
            *w |= 1 << (slot % 64);
        }
        if count <= 1 {
            self.header.begin_phys = phys;
            self.header.begin_timestamp = store_timestamp;
        }
        if prev == 0 {
            self.header.slot_count = self.header.slot_count.saturating_add(1);
        }
        self.header.index_count = count + 1;
        self.header.end_phys = phys;
        self.header.end_timestamp = store_timestamp;
        if self.pending.len() >= PENDING_LIMIT || self.dirty.len() >= DIRTY_SLOTS_LIMIT {
            self.write_out()?;
        }
        Ok(true)
    }

    /// Whether the file may hold entries stored within `[begin, end]` (Java
    /// `isTimeMatched`).
    pub(crate) fn time_matches(&self, begin: i64, end: i64) -> bool {
        let (b, e) = (self.header.begin_timestamp, self.header.end_timestamp);
        (begin < b && end > e) || (begin >= b && begin <= e) || (end >= b && end <= e)
    }

    /// Adds to `out` the phys offsets of entries with `hash` stored within
    /// `[begin, end]`, newest first, until `out` holds `max` (Java `selectPhyOffset`).
    pub(crate) fn select(
        &self,
        hash: i32,
        max: usize,
        begin: i64,
        end: i64,
        out: &mut Vec<u64>,
    ) -> Result<()> {
        let count = self.header.index_count;
        if count <= 1 {
            return Ok(());
        }
        let slot = u32::try_from(hash).unwrap_or(0) % self.slots;
        let mut n = self.slot(slot)?;
        if n <= 0 || n >= count {
            return Ok(());
        }
        while out.len() < max {
            let Some(e) = self.entry(n)? else { break };
            if e.time_diff < 0 {
                break;
            }
            let time = self
                .header
                .begin_timestamp
                .saturating_add(i64::from(e.time_diff) * 1000);
            if e.key_hash == hash
                && time >= begin
                && time <= end
                && let Ok(phys) = u64::try_from(e.phys)
            {
                out.push(phys);
            }
            // Chains only go back; anything else is damage.
            if e.prev <= 0 || e.prev >= n || time < begin {
                break;
            }
            n = e.prev;
        }
        Ok(())
    }

    /// Writes buffered entries, then changed slots (no sync).
    pub(crate) fn write_out(&mut self) -> Result<()> {
        if !self.pending.is_empty() {
            self.file
                .write_all_at(&self.pending, self.entry_pos(self.written))?;
            self.pending.clear();
        }
        // Slots change at random places (hashes): one write per slot would cost a
        // system call each. Dirty slots close together go out as one run: the slots
        // between them are read first, unless this process never set them (then 0).
        let mut dirty = std::mem::take(&mut self.dirty).into_iter().peekable();
        let mut run: Vec<(u32, i32)> = Vec::new();
        let mut buf = Vec::new();
        while let Some(first) = dirty.next() {
            run.clear();
            run.push(first);
            while let Some(&next) = dirty.peek() {
                let last = run[run.len() - 1].0;
                if next.0 - last > RUN_GAP_SLOTS || next.0 - first.0 >= RUN_SLOTS {
                    break;
                }
                run.push(next);
                dirty.next();
            }
            let (start, last) = (first.0, run[run.len() - 1].0);
            buf.clear();
            buf.resize((last - start + 1) as usize * SLOT_LEN as usize, 0);
            let gaps = run.len() < buf.len() / SLOT_LEN as usize;
            if gaps && !self.untouched_between(start, last, run.len()) {
                self.file.read_exact_at(&mut buf, self.slot_pos(start))?;
            }
            for &(slot, value) in &run {
                let at = (slot - start) as usize * SLOT_LEN as usize;
                buf[at..at + SLOT_LEN as usize].copy_from_slice(&value.to_be_bytes());
            }
            self.file.write_all_at(&buf, self.slot_pos(start))?;
        }
        self.written = self.header.index_count;
        Ok(())
    }

    /// Whether the only slots in `first..=last` this process ever set are the `set` dirty
    /// ones (so the others are 0 on disk). Always false for a file opened, not created.
    fn untouched_between(&self, first: u32, last: u32, set: usize) -> bool {
        let Some(touched) = &self.touched else {
            return false;
        };
        let (first_word, last_word) = (first / 64, last / 64);
        let ever: u32 = (first_word..=last_word)
            .map(|w| {
                let mut bits = touched.get(w as usize).copied().unwrap_or(0);
                if w == first_word {
                    bits &= u64::MAX << (first % 64);
                }
                if w == last_word {
                    bits &= u64::MAX >> (63 - last % 64);
                }
                bits.count_ones()
            })
            .sum();
        ever as usize == set
    }

    /// After [`write_out`](Self::write_out): the file handle and the header to write once
    /// the file is synced, if it changed since the last header write.
    pub(crate) fn header_to_write(&self) -> Option<(Arc<File>, Header)> {
        (self.header != self.header_on_disk).then(|| (Arc::clone(&self.file), self.header))
    }

    /// Records that `header` was written.
    pub(crate) fn header_written(&mut self, header: Header) {
        self.header_on_disk = header;
    }

    /// Drops entries past the header's count that a crash left behind.
    fn drop_uncovered_tail(&mut self) -> Result<()> {
        let count = self.header.index_count;
        let mut end = count;
        while i64::from(end) < i64::from(self.capacity) {
            match self.disk_entry(end)? {
                Some(e) if !e.is_zero() => end += 1,
                _ => break,
            }
        }
        if end > count {
            tracing::warn!(path = %self.path.display(), dropped = end - count,
                "index entries not covered by the header dropped");
            self.cut(count, end)?;
        }
        Ok(())
    }

    /// Drops the entries whose record starts at or past `phys_end` (records lost from
    /// the commit log). Returns whether entries remain.
    pub(crate) fn truncate_past(&mut self, phys_end: u64) -> Result<bool> {
        self.write_out()?;
        let old = self.header.index_count;
        let mut keep = old;
        while keep > 1 {
            match self.entry(keep - 1)? {
                Some(e) if u64::try_from(e.phys).map_or(true, |p| p >= phys_end) => keep -= 1,
                _ => break,
            }
        }
        if keep < old {
            self.cut(keep, old)?;
            self.header.index_count = keep;
            match self.entry(keep - 1)? {
                Some(last) if keep > 1 => {
                    self.header.end_phys = last.phys;
                    self.header.end_timestamp = self
                        .header
                        .begin_timestamp
                        .saturating_add(i64::from(last.time_diff) * 1000);
                }
                _ => {
                    self.header.end_phys = self.header.begin_phys;
                    self.header.end_timestamp = self.header.begin_timestamp;
                }
            }
            self.written = keep;
            // Rare (recovery only): make the cut durable before the header that says so.
            self.file.sync_data()?;
            write_header(&self.file, &self.header)?;
            self.file.sync_data()?;
            self.header_on_disk = self.header;
        }
        Ok(self.has_entries())
    }

    /// Removes entries `from..to` (all on disk): slots pointing into them are walked back
    /// to the newest older entry, then the entries are zeroed.
    fn cut(&mut self, from: i32, to: i32) -> Result<()> {
        let mut slots = Vec::new();
        for n in from..to {
            if let Some(e) = self.disk_entry(n)? {
                slots.push(u32::try_from(e.key_hash).unwrap_or(0) % self.slots);
            }
        }
        slots.sort_unstable();
        slots.dedup();
        for slot in slots {
            let mut v = self.slot(slot)?;
            while v >= from {
                let prev = self.disk_entry(v)?.map_or(0, |e| e.prev);
                v = if prev > 0 && prev < v { prev } else { 0 };
            }
            if v <= 0 && self.slot(slot)? > 0 {
                self.header.slot_count = (self.header.slot_count - 1).max(0);
            }
            self.file
                .write_all_at(&v.max(0).to_be_bytes(), self.slot_pos(slot))?;
        }
        let zeros = vec![0u8; 64 << 10];
        let (mut at, end) = (self.entry_pos(from), self.entry_pos(to));
        while at < end {
            let n = usize::try_from(end - at)
                .unwrap_or(usize::MAX)
                .min(zeros.len());
            self.file.write_all_at(&zeros[..n], at)?;
            at += n as u64;
        }
        Ok(())
    }
}

/// Writes a header at the front of an index file (no sync).
pub(crate) fn write_header(file: &File, header: &Header) -> Result<()> {
    file.write_all_at(&header.encode(), 0)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_dir::TestDir;

    #[test]
    fn java_hashes() {
        assert_eq!(java_hash(""), 0);
        assert_eq!(java_hash("abc"), 96354);
        // "polygenelubricants".hashCode() == Integer.MIN_VALUE in Java.
        assert_eq!(java_hash("polygenelubricants"), i32::MIN);
        assert_eq!(key_hash("polygenelubricants"), 0);
        assert_eq!(key_hash("TopicTest#key"), java_hash("TopicTest#key").abs());
    }

    #[test]
    fn header_and_entry_layout() {
        let h = Header {
            begin_timestamp: 1,
            end_timestamp: 2,
            begin_phys: 3,
            end_phys: 4,
            slot_count: 5,
            index_count: 6,
        };
        let b = h.encode();
        assert_eq!(&b[36..40], &[0, 0, 0, 6]);
        assert_eq!(Header::decode(&b), h);
        assert_eq!(Header::decode(&[0; 40]).index_count, 1);
        let e = Entry {
            key_hash: 7,
            phys: 0x0102_0304,
            time_diff: 9,
            prev: 3,
        };
        let b = e.encode();
        assert_eq!(&b[4..12], &[0, 0, 0, 0, 1, 2, 3, 4]);
        assert_eq!(Entry::decode(&b), Some(e));
    }

    #[test]
    fn slots_written_in_runs_read_back() -> Result<()> {
        let dir = TestDir::new("index-runs");
        let path = dir.path().join("20240101000000000");
        let slots = 100_000;
        let mut f = IndexFile::create(&path, slots, 1000, 0, 0)?;
        let t0 = 1_700_000_000_000;
        // Hashes chosen so slots are near each other, far apart, at both ends, and set
        // again after a write-out (the run must then keep the slots between from disk).
        let rounds: [&[i32]; 3] = [
            &[0, 1, 5, 700, 1900, 40_000, 40_001, 99_999],
            &[2, 3, 6, 699, 1901, 40_002, 60_000, 99_998],
            &[1, 4, 699, 20_000, 99_999],
        ];
        let mut expected = std::collections::HashMap::new();
        let mut phys = 0;
        // Puts `hashes`, recording which entry each slot should name, then writes out.
        let mut put_all = |f: &mut IndexFile, hashes: &[i32]| -> Result<()> {
            for &h in hashes {
                phys += 100;
                assert!(f.put(h, phys, t0)?);
                expected.insert(h as u32, f.header().index_count - 1);
            }
            f.write_out()
        };
        // Writes the header and closes the file, so it can be opened again.
        let close = |f: IndexFile| -> Result<()> {
            let (file, header) = f.header_to_write().ok_or(Error::Shutdown)?;
            write_header(&file, &header)
        };
        for round in rounds {
            put_all(&mut f, round)?;
        }
        // A file opened (not created) cannot tell unset slots from set ones.
        close(f)?;
        let mut f = IndexFile::open(&path, slots, 1000)?;
        put_all(&mut f, &[7, 700, 40_003])?;
        close(f)?;
        let f = IndexFile::open(&path, slots, 1000)?;
        for slot in 0..slots {
            assert_eq!(
                f.slot(slot)?,
                expected.get(&slot).copied().unwrap_or(0),
                "slot {slot}"
            );
        }
        Ok(())
    }

    #[test]
    fn put_select_chain_and_reopen() -> Result<()> {
        let dir = TestDir::new("index-file");
        let path = dir.path().join("20240101000000000");
        let mut f = IndexFile::create(&path, 4, 10, 0, 0)?;
        assert_eq!(std::fs::metadata(&path)?.len(), 40 + 16 + 200);
        let (a, b) = (key_hash("T#a"), key_hash("T#b"));
        let t0 = 1_700_000_000_000;
        for i in 0..6 {
            let h = if i % 2 == 0 { a } else { b };
            assert!(f.put(h, i * 100, t0 + i * 1500)?);
        }
        let mut out = Vec::new();
        f.select(a, 10, 0, i64::MAX, &mut out)?;
        assert_eq!(out, vec![400, 200, 0], "newest first, from pending entries");
        out.clear();
        f.select(a, 2, 0, i64::MAX, &mut out)?;
        assert_eq!(out, vec![400, 200], "max respected");
        out.clear();
        f.select(b, 10, t0 + 2000, t0 + 5000, &mut out)?;
        assert_eq!(out, vec![300], "time window in whole seconds");
        f.write_out()?;
        let (file, header) = f.header_to_write().ok_or(Error::Shutdown)?;
        write_header(&file, &header)?;
        f.header_written(header);
        assert!(f.header_to_write().is_none());
        // Two more entries written but not covered by a header: a crash drops them.
        assert!(f.put(a, 600, t0 + 9000)?);
        assert!(f.put(b, 700, t0 + 9500)?);
        f.write_out()?;
        drop(f);
        let mut f = IndexFile::open(&path, 4, 10)?;
        assert_eq!(f.header().index_count, 7);
        assert_eq!(f.header().end_phys, 500);
        let mut out = Vec::new();
        f.select(a, 10, 0, i64::MAX, &mut out)?;
        assert_eq!(
            out,
            vec![400, 200, 0],
            "slot walked back past the dropped entry"
        );
        out.clear();
        f.select(b, 10, 0, i64::MAX, &mut out)?;
        assert_eq!(out, vec![500, 300, 100]);
        // Fill it: capacity 10 means entries 1..=9.
        for i in 0..3 {
            assert!(f.put(a, 600 + i * 100, t0 + 10_000)?);
        }
        assert!(f.is_full());
        assert!(!f.put(a, 900, t0 + 10_000)?);
        // Cut back past offset 500.
        assert!(f.truncate_past(400)?);
        assert_eq!(f.header().index_count, 5);
        assert_eq!(f.header().end_phys, 300);
        let mut out = Vec::new();
        f.select(a, 10, 0, i64::MAX, &mut out)?;
        assert_eq!(out, vec![200, 0]);
        drop(f);
        let f = IndexFile::open(&path, 4, 10)?;
        assert_eq!(f.header().index_count, 5);
        let mut out = Vec::new();
        f.select(b, 10, 0, i64::MAX, &mut out)?;
        assert_eq!(out, vec![300, 100]);
        assert!(
            IndexFile::open(&path, 8, 10).is_err(),
            "geometry must match"
        );
        Ok(())
    }
}
