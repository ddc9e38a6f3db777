//! The commit log: every record of every topic, back to back, in fixed-size segment files
//! `<root>/commitlog/<20-digit start offset>` (Java `CommitLog`). Record format and the
//! end-of-segment filler: see [`record`](super::record).

use std::path::Path;

use bytes::Bytes;
use rocketmq::protocol::message::StoredMessage;

use crate::error::{Error, Result};
use crate::store::record::{self, BLANK_LEN, Found};
use crate::store::segments::Segments;
use crate::store::tail_cache::TailCache;

/// The commit log.
///
/// Invariants:
/// * a physical offset is a byte position in the concatenation of the segments; segment
///   `n` starts at `n × segment size` and holds records whose offsets lie inside it;
/// * records are contiguous from a segment's start; a segment ends with either its last
///   byte used or an 8-byte [`BLANK_MAGIC_CODE`](rocketmq::protocol::message::BLANK_MAGIC_CODE)
///   filler whose size field says how many bytes were left; no record spans two segments;
/// * each record's physical-offset field equals its position;
/// * every byte from [`write_pos`](Self::write_pos) to the end of its segment is zero
///   (recovery zeroes a torn tail), and no segment exists past the one holding `write_pos`;
/// * records before `write_pos` were checked (body CRC and, when configured, record CRC)
///   when the store was opened or were written by this process;
/// * every byte `tail` holds equals the byte at the same offset in the segments.
#[derive(Debug)]
pub(crate) struct CommitLog {
    files: Segments,
    write_pos: u64,
    max_record: usize,
    tail: TailCache,
}

impl CommitLog {
    /// Opens the segments; the write position is set by [`recover`](Self::recover).
    /// Reads of the last `tail_cache` bytes appended from now on are served from memory.
    pub(crate) fn open(
        dir: &Path,
        segment_size: u64,
        max_record: usize,
        tail_cache: usize,
    ) -> Result<Self> {
        let files = Segments::open(dir, segment_size)?;
        let write_pos = files.min_offset();
        Ok(CommitLog {
            files,
            write_pos,
            max_record,
            tail: TailCache::new(tail_cache),
        })
    }

    pub(crate) fn write_pos(&self) -> u64 {
        self.write_pos
    }

    pub(crate) fn min_offset(&self) -> u64 {
        self.files.min_offset()
    }

    pub(crate) fn segments(&self) -> &Segments {
        &self.files
    }

    pub(crate) fn segment_size(&self) -> u64 {
        self.files.size()
    }

    /// Where a record of `len` bytes would go after the data ending at `pos` (the write
    /// position, or the end of records placed but not yet appended): `pos`, or the next
    /// segment's start when it does not fit with room for the filler.
    pub(crate) fn place_after(&self, pos: u64, len: usize) -> Result<u64> {
        let size = self.files.size();
        if len > self.max_record || len as u64 + BLANK_LEN as u64 > size {
            return Err(Error::MessageTooLarge {
                len,
                max: self.max_record,
            });
        }
        let left = size - pos % size;
        if len as u64 + BLANK_LEN as u64 > left {
            Ok(pos + left)
        } else {
            Ok(pos)
        }
    }

    /// Appends records placed by [`place_after`](Self::place_after) back to back from
    /// `at` (all in one segment), writing the filler first when `at` is past the write
    /// position. One positioned write; the write position moves only when it succeeded.
    pub(crate) fn append(&mut self, at: u64, record: &[u8]) -> Result<()> {
        if at > self.write_pos {
            self.files
                .write_at(self.write_pos, &record::blank(at - self.write_pos))?;
        }
        self.files.write_at(at, record)?;
        self.write_pos = at + record.len() as u64;
        self.tail.push(at, record);
        Ok(())
    }

    /// The record of `size` bytes at `offset`, as clients see it (without the
    /// whole-record CRC property).
    pub(crate) fn read(&self, offset: u64, size: usize) -> Result<Option<Bytes>> {
        Ok(self.read_stored(offset, size)?.map(record::client_bytes))
    }

    /// The record of `size` bytes at `offset` as stored (with the whole-record CRC
    /// property when it has one): a slice of the tail cache when it holds it.
    pub(crate) fn read_stored(&self, offset: u64, size: usize) -> Result<Option<Bytes>> {
        if self.readable(offset, size)
            && let Some(cached) = self.tail.get(offset, size)
        {
            return Ok(Some(cached));
        }
        Ok(self.read_raw(offset, size)?.map(Bytes::from))
    }

    /// Whether `[offset, offset + size)` lies in the written, not yet deleted part.
    fn readable(&self, offset: u64, size: usize) -> bool {
        offset
            .checked_add(size as u64)
            .is_some_and(|end| end <= self.write_pos)
            && offset >= self.min_offset()
    }

    /// The bytes at `offset` as stored.
    fn read_raw(&self, offset: u64, size: usize) -> Result<Option<Vec<u8>>> {
        if !self.readable(offset, size) {
            return Ok(None);
        }
        Ok(self
            .files
            .read_at(offset, size)?
            .filter(|b| b.len() == size))
    }

    /// The raw record at `offset`, its size read from its first 4 bytes.
    pub(crate) fn read_record(&self, offset: u64) -> Result<Option<Bytes>> {
        let Some(head) = self.read_raw(offset, 4)? else {
            return Ok(None);
        };
        let size = i32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        match usize::try_from(size) {
            Ok(size) if size >= BLANK_LEN && size <= self.max_record.max(size) => {
                self.read(offset, size)
            }
            _ => Ok(None),
        }
    }

    /// Checks what is at `pos` (reading at most the record's declared size).
    fn check_at(&self, pos: u64, require_crc: bool) -> Result<Found> {
        let size = self.files.size();
        let Some(head) = self.files.read_at(pos, BLANK_LEN)? else {
            return Ok(Found::End);
        };
        if head.len() < BLANK_LEN {
            return Ok(Found::End);
        }
        if let Found::Blank = record::check(&head, require_crc) {
            return Ok(Found::Blank);
        }
        let total = i32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let left = size - pos % size;
        match u64::try_from(total) {
            Ok(t) if t as usize >= BLANK_LEN && t <= left && t as usize <= self.max_record => {
                let buf = self.files.read_at(pos, t as usize)?.unwrap_or_default();
                Ok(record::check(&buf, require_crc))
            }
            _ => Ok(Found::End),
        }
    }

    /// The store timestamp of the first record of the segment starting at `start`.
    pub(crate) fn first_timestamp(&self, start: u64) -> Result<Option<i64>> {
        Ok(match self.check_at(start, false)? {
            Found::Record(msg, ..) => Some(msg.store_timestamp),
            _ => None,
        })
    }

    /// Scans from `from` (a record boundary), calling `each` for every checked record,
    /// and sets the write position just past the last good one; everything after it is
    /// zeroed or deleted. Returns how many bytes were cut.
    ///
    /// `record_crc`: once a record with the whole-record CRC was seen, every later record
    /// must carry it (so a store switched to writing it is held to it, and one written
    /// without it is still readable).
    pub(crate) fn recover(
        &mut self,
        from: u64,
        record_crc: bool,
        mut each: impl FnMut(&StoredMessage, u64, usize) -> Result<()>,
    ) -> Result<u64> {
        let size = self.files.size();
        let mut pos = from.max(self.min_offset());
        let end_of_data = self.files.list().last().map_or(pos, |s| s.start + size);
        let mut seen_crc = false;
        while pos < end_of_data {
            match self.check_at(pos, record_crc && seen_crc)? {
                Found::Record(msg, len, has_crc) => {
                    if msg.commit_log_offset != pos as i64 {
                        break;
                    }
                    seen_crc |= has_crc;
                    each(&msg, pos, len)?;
                    pos += len as u64;
                }
                Found::Blank => {
                    let next = pos - pos % size + size;
                    if next >= end_of_data {
                        // A filled last segment: nothing to cut.
                        self.write_pos = next;
                        return Ok(0);
                    }
                    pos = next;
                }
                Found::End => break,
            }
        }
        let cut = end_of_data.saturating_sub(pos);
        self.tail.clear();
        self.files.truncate_from(pos)?;
        self.write_pos = pos;
        Ok(cut)
    }

    /// Calls `each` for every record from `from` (a record boundary) up to the write
    /// position, stopping early at anything that is not a record.
    pub(crate) fn scan(
        &self,
        from: u64,
        mut each: impl FnMut(&StoredMessage, u64, usize) -> Result<()>,
    ) -> Result<()> {
        let size = self.files.size();
        let mut pos = from.max(self.min_offset());
        while pos < self.write_pos {
            match self.check_at(pos, false)? {
                Found::Record(msg, len, _) => {
                    each(&msg, pos, len)?;
                    pos += len as u64;
                }
                Found::Blank => pos = pos - pos % size + size,
                Found::End => break,
            }
        }
        Ok(())
    }

    /// Files written in `[from, to)`, to fsync outside the store lock.
    pub(crate) fn files_in(&self, from: u64, to: u64) -> Vec<std::sync::Arc<std::fs::File>> {
        self.files.files_in(from, to)
    }

    /// Deletes the oldest segment (never the one being written).
    pub(crate) fn remove_first(&mut self) -> Result<bool> {
        let size = self.files.size();
        match self.files.list().first() {
            Some(s) if s.start + size <= self.write_pos && self.files.list().len() > 1 => {
                self.files.remove_first()?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
