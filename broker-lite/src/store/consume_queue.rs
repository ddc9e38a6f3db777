//! Consume queues: `<root>/consumequeue/<topic>/<queueId>/<20-digit start>` (Java
//! `ConsumeQueue`).
//!
//! Each file holds a fixed number of 20-byte entries; its name is the byte offset of its
//! first entry (logical offset × 20). Entry `n` of the queue sits at byte `n × 20`:
//!
//! | field | size |
//! |-------|------|
//! | commit-log offset (i64, big-endian) | 8 |
//! | record size (i32) | 4 |
//! | tag hash code (i64; Java `String.hashCode` of the tags) | 8 |
//!
//! An entry is valid when its offset is `>= 0` and its size `> 0` (zeros mark the end).

use std::path::Path;

use crate::error::Result;
use crate::store::segments::Segments;

/// Size of one entry (Java `CQ_STORE_UNIT_SIZE`).
pub(crate) const ENTRY_LEN: u64 = 20;

/// One consume-queue entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) phys_offset: u64,
    pub(crate) size: u32,
    pub(crate) tag_hash: i64,
}

impl Entry {
    fn encode(&self) -> [u8; ENTRY_LEN as usize] {
        let mut out = [0u8; ENTRY_LEN as usize];
        out[..8].copy_from_slice(&(self.phys_offset as i64).to_be_bytes());
        out[8..12].copy_from_slice(&(self.size as i32).to_be_bytes());
        out[12..].copy_from_slice(&self.tag_hash.to_be_bytes());
        out
    }

    fn decode(b: &[u8]) -> Option<Entry> {
        let phys = i64::from_be_bytes(b.get(..8)?.try_into().ok()?);
        let size = i32::from_be_bytes(b.get(8..12)?.try_into().ok()?);
        let tag_hash = i64::from_be_bytes(b.get(12..20)?.try_into().ok()?);
        (phys >= 0 && size > 0).then_some(Entry {
            phys_offset: phys as u64,
            size: size as u32,
            tag_hash,
        })
    }

    /// The commit-log offset just past this entry's record.
    pub(crate) fn end(&self) -> u64 {
        self.phys_offset + u64::from(self.size)
    }
}

/// Entries buffered per queue before they are written (about a page).
const PENDING_LIMIT: usize = 204 * ENTRY_LEN as usize;
/// Entries buffered at most when writing keeps failing (then puts fail).
const PENDING_MAX: usize = 64 * PENDING_LIMIT;

/// One queue of one topic.
///
/// Invariants: entries `min_offset..max_offset` are valid and point at records in
/// increasing commit-log order; entries `min_offset..written` are in the files (maybe not
/// synced), entries `written..max_offset` are in `pending`, encoded, not yet written
/// ([`write_out`](Self::write_out) writes them; the store does before it syncs the files,
/// so the checkpoint never covers an unwritten entry, and recovery after a crash rebuilds
/// lost ones from the commit log); the files hold no entries at or after `written`.
#[derive(Debug)]
pub(crate) struct ConsumeQueue {
    files: Segments,
    min_offset: u64,
    max_offset: u64,
    /// Entries `written..max_offset`, encoded.
    pending: Vec<u8>,
}

impl ConsumeQueue {
    /// Opens the queue and finds its end: the first invalid entry of the last file.
    pub(crate) fn open(dir: &Path, entries_per_file: u64) -> Result<Self> {
        let files = Segments::open(dir, entries_per_file * ENTRY_LEN)?;
        let mut q = ConsumeQueue {
            min_offset: files.min_offset() / ENTRY_LEN,
            max_offset: files.min_offset() / ENTRY_LEN,
            files,
            pending: Vec::new(),
        };
        if let Some(last) = q.files.list().last().cloned() {
            let data = q.files.read_at(last.start, q.files.size() as usize)?;
            let valid = data
                .unwrap_or_default()
                .chunks_exact(ENTRY_LEN as usize)
                .take_while(|c| Entry::decode(c).is_some())
                .count() as u64;
            q.max_offset = last.start / ENTRY_LEN + valid;
            // Zero anything after the end, so later crashes cannot resurrect it.
            q.files.truncate_from(q.max_offset * ENTRY_LEN)?;
            if q.max_offset < q.min_offset {
                q.min_offset = q.max_offset;
            }
        }
        Ok(q)
    }

    pub(crate) fn min_offset(&self) -> u64 {
        self.min_offset
    }

    pub(crate) fn max_offset(&self) -> u64 {
        self.max_offset
    }

    /// Appends the entry for logical offset `offset`, which must be `max_offset`.
    pub(crate) fn put(&mut self, offset: u64, entry: Entry) -> Result<()> {
        self.put_many(offset, &[entry])
    }

    /// Appends consecutive entries from logical offset `first`, which must be
    /// `max_offset`. They are buffered and written about a page at a time (or by
    /// [`write_out`](Self::write_out)); readers see them at once. Fails (taking none)
    /// only when the buffer is full because writing it keeps failing.
    pub(crate) fn put_many(&mut self, first: u64, entries: &[Entry]) -> Result<()> {
        if first != self.max_offset {
            return Err(crate::error::Error::Corrupt {
                path: self.files.dir().to_owned(),
                reason: format!("entry {first} put at max offset {}", self.max_offset),
            });
        }
        if self.pending.len() >= PENDING_MAX {
            self.write_out()?;
        }
        for e in entries {
            self.pending.extend_from_slice(&e.encode());
        }
        self.max_offset += entries.len() as u64;
        if self.pending.len() >= PENDING_LIMIT
            && let Err(e) = self.write_out()
        {
            // Kept buffered; the next write or the store's flush tries again.
            tracing::warn!(error = %e, dir = %self.files.dir().display(), "writing consume-queue entries failed");
        }
        Ok(())
    }

    /// The first entry not written to the files yet.
    fn written(&self) -> u64 {
        self.max_offset - (self.pending.len() as u64 / ENTRY_LEN)
    }

    /// Writes the buffered entries: one write per file they fall in. On an error those
    /// not written stay buffered.
    pub(crate) fn write_out(&mut self) -> Result<()> {
        let per_file = self.files.size() / ENTRY_LEN;
        let entry_len = ENTRY_LEN as usize;
        let mut done = 0;
        let mut result = Ok(());
        while done < self.pending.len() {
            let at = self.written() + (done / entry_len) as u64;
            let room = usize::try_from(per_file - at % per_file).unwrap_or(usize::MAX);
            let n = room
                .saturating_mul(entry_len)
                .min(self.pending.len() - done);
            if let Err(e) = self
                .files
                .write_at(at * ENTRY_LEN, &self.pending[done..done + n])
            {
                result = Err(e);
                break;
            }
            done += n;
        }
        self.pending.drain(..done);
        result
    }

    /// Entries from `offset` on, at most `max` (never crossing a file end, nor from the
    /// files into the buffered ones).
    pub(crate) fn read(&self, offset: u64, max: usize) -> Result<Vec<Entry>> {
        if offset < self.min_offset || offset >= self.max_offset || max == 0 {
            return Ok(Vec::new());
        }
        let written = self.written();
        if offset >= written {
            let from = usize::try_from(offset - written).unwrap_or(usize::MAX);
            return Ok(self
                .pending
                .chunks_exact(ENTRY_LEN as usize)
                .skip(from)
                .take(max)
                .map_while(Entry::decode)
                .collect());
        }
        let n = (written - offset).min(max as u64) as usize;
        let data = self
            .files
            .read_at(offset * ENTRY_LEN, n * ENTRY_LEN as usize)?
            .unwrap_or_default();
        Ok(data
            .chunks_exact(ENTRY_LEN as usize)
            .map_while(Entry::decode)
            .collect())
    }

    /// The entry at `offset`.
    pub(crate) fn get(&self, offset: u64) -> Result<Option<Entry>> {
        Ok(self.read(offset, 1)?.into_iter().next())
    }

    /// The last entry.
    pub(crate) fn last(&self) -> Result<Option<Entry>> {
        match self.max_offset.checked_sub(1) {
            Some(o) => self.get(o),
            None => Ok(None),
        }
    }

    /// Drops entries from `offset` on.
    pub(crate) fn truncate_from(&mut self, offset: u64) -> Result<()> {
        if offset < self.max_offset {
            self.write_out()?;
            self.files.truncate_from(offset * ENTRY_LEN)?;
            self.max_offset = offset.max(self.files.min_offset() / ENTRY_LEN);
            self.min_offset = self.min_offset.min(self.max_offset);
        }
        Ok(())
    }

    /// Drops entries whose record ends past `phys_end` (records lost from the commit log).
    pub(crate) fn truncate_past(&mut self, phys_end: u64) -> Result<()> {
        let mut cut = self.max_offset;
        while cut > self.min_offset {
            match self.get(cut - 1)? {
                Some(e) if e.end() > phys_end => cut -= 1,
                _ => break,
            }
        }
        self.truncate_from(cut)
    }

    /// Moves the minimum past entries whose record starts before `phys_min` (deleted
    /// commit-log segments) and deletes files holding only such entries (Java
    /// `deleteExpiredFile` + `correctMinOffset`).
    pub(crate) fn drop_before(&mut self, phys_min: u64) -> Result<()> {
        let per_file = self.files.size() / ENTRY_LEN;
        while self.files.list().len() > 1 {
            let first = self.files.min_offset() / ENTRY_LEN;
            match self.get(first + per_file - 1)? {
                Some(e) if e.end() <= phys_min => self.files.remove_first()?,
                _ => break,
            }
        }
        self.min_offset = self.min_offset.max(self.files.min_offset() / ENTRY_LEN);
        while self.min_offset < self.max_offset {
            match self.get(self.min_offset)? {
                Some(e) if e.phys_offset < phys_min => self.min_offset += 1,
                _ => break,
            }
        }
        Ok(())
    }

    /// Files to fsync (after [`write_out`](Self::write_out)).
    pub(crate) fn files(&self) -> Vec<std::sync::Arc<std::fs::File>> {
        self.files.files_in(0, u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_dir::TestDir;

    fn entry(i: u64) -> Entry {
        Entry {
            phys_offset: i * 100,
            size: 100,
            tag_hash: i as i64 - 5,
        }
    }

    #[test]
    fn put_read_reopen_truncate() -> Result<()> {
        let dir = TestDir::new("cq");
        let mut q = ConsumeQueue::open(dir.path(), 4)?;
        for i in 0..10 {
            q.put(i, entry(i))?;
        }
        assert!(
            !dir.path().join("00000000000000000000").exists(),
            "buffered"
        );
        assert_eq!(
            q.read(4, 2)?,
            vec![entry(4), entry(5)],
            "read while buffered"
        );
        q.write_out()?;
        assert!(
            dir.path().join("00000000000000000160").exists(),
            "third file at 8 × 20"
        );
        assert_eq!(q.read(3, 100)?.len(), 1, "stops at the file end");
        assert_eq!(q.read(4, 2)?, vec![entry(4), entry(5)]);
        assert_eq!(q.get(10)?, None);
        drop(q);
        let mut q = ConsumeQueue::open(dir.path(), 4)?;
        assert_eq!((q.min_offset(), q.max_offset()), (0, 10));
        assert_eq!(q.last()?, Some(entry(9)));
        q.truncate_past(750)?;
        assert_eq!(q.max_offset(), 7);
        q.drop_before(450)?;
        assert_eq!(q.min_offset(), 5);
        assert!(!dir.path().join("00000000000000000000").exists());
        drop(q);
        let q = ConsumeQueue::open(dir.path(), 4)?;
        assert_eq!(q.max_offset(), 7);
        Ok(())
    }

    #[test]
    fn entry_layout() {
        let e = Entry {
            phys_offset: 0x0102,
            size: 7,
            tag_hash: -1,
        };
        let b = e.encode();
        assert_eq!(&b[..8], &[0, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(&b[8..12], &[0, 0, 0, 7]);
        assert_eq!(&b[12..], &[0xFF; 8]);
        assert_eq!(Entry::decode(&b), Some(e));
        assert_eq!(Entry::decode(&[0; 20]), None);
    }

    #[test]
    fn put_many_splits_at_file_ends() -> Result<()> {
        let dir = TestDir::new("cq-many");
        let mut q = ConsumeQueue::open(dir.path(), 4)?;
        q.put(0, entry(0))?;
        let more: Vec<Entry> = (1..10).map(entry).collect();
        assert!(q.put_many(2, &more).is_err(), "not at the max offset");
        q.put_many(1, &more[..3])?;
        q.write_out()?;
        q.put_many(4, &more[3..])?;
        assert_eq!(q.max_offset(), 10);
        let all: Vec<Entry> = (0..10).flat_map(|i| q.get(i).ok().flatten()).collect();
        assert_eq!(
            all,
            (0..10).map(entry).collect::<Vec<_>>(),
            "files + buffer"
        );
        assert_eq!(q.read(2, 10)?.len(), 2, "from the files up to the buffer");
        q.write_out()?;
        assert!(dir.path().join("00000000000000000160").exists());
        drop(q);
        let q = ConsumeQueue::open(dir.path(), 4)?;
        assert_eq!(q.max_offset(), 10);
        let all: Vec<Entry> = (0..10).flat_map(|i| q.get(i).ok().flatten()).collect();
        assert_eq!(all, (0..10).map(entry).collect::<Vec<_>>());
        Ok(())
    }

    #[test]
    fn a_full_buffer_is_written() -> Result<()> {
        let dir = TestDir::new("cq-full");
        let mut q = ConsumeQueue::open(dir.path(), 1000)?;
        let n = (PENDING_LIMIT / ENTRY_LEN as usize) as u64;
        for i in 0..n {
            q.put(i, entry(i))?;
        }
        drop(q);
        let q = ConsumeQueue::open(dir.path(), 1000)?;
        assert_eq!(q.max_offset(), n, "written without write_out");
        Ok(())
    }
}
