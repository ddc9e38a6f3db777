//! The key index (Java `IndexService`): lookups of messages by key or unique id.
//!
//! Files live in `<root>/index/`, named by their creation time `yyyyMMddHHmmssSSS` (UTC
//! here; Java uses local time; only the order matters), oldest first; the format is in
//! [`file`]. Every appended message adds `topic#uniqKey` (its `UNIQ_KEY` property) and
//! `topic#key` for each space-separated entry of `KEYS`; rolled-back transaction records
//! are not indexed. When a file is full the next one starts with the previous file's end
//! offset and time.
//!
//! Differences from Java: keys are added in the append call (Java's dispatcher thread does
//! it a little later), and after a crash the index is brought up to date from its own
//! headers instead of the checkpoint's index timestamp: entries past a header and entries
//! of records cut from the commit log are dropped, then every record after the last
//! indexed one is indexed again (see [`Index::truncate_past`] and
//! [`Index::last_indexed`]).

mod file;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rocketmq::protocol::message::{StoredMessage, TransactionType};

use crate::error::{Error, Result};
pub(crate) use file::java_hash;
use file::{Header, IndexFile, key_hash};

/// Offsets found by a key lookup, with the index's progress.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyLookup {
    /// Commit-log offsets of the matching records, in the order found (newest first
    /// within each file, newest file first).
    pub phys_offsets: Vec<u64>,
    /// End timestamp of the newest index file (Java `indexLastUpdateTimestamp`).
    pub last_update_timestamp: i64,
    /// End phys offset of the newest index file (Java `indexLastUpdatePhyoffset`).
    pub last_update_phys_offset: i64,
}

/// A header to write once its file is synced.
pub(crate) struct PendingHeader {
    pub(crate) path: PathBuf,
    pub(crate) file: Arc<fs::File>,
    header: Header,
}

impl PendingHeader {
    /// Writes the header (no sync).
    pub(crate) fn write(&self) -> Result<()> {
        file::write_header(&self.file, &self.header)
    }
}

/// The index files, oldest first.
///
/// Invariants: file names increase; every file but the last is full or was cut by
/// [`truncate_past`](Self::truncate_past); entry phys offsets do not decrease across files.
#[derive(Debug)]
pub(crate) struct Index {
    dir: PathBuf,
    slots: u32,
    capacity: u32,
    files: Vec<IndexFile>,
    /// Reused by [`add`](Self::add).
    key_text: String,
}

impl Index {
    /// Opens the files under `dir` (created if missing). A file whose size does not
    /// match the configured geometry is deleted (it is rebuilt from the commit log).
    pub(crate) fn open(dir: &Path, slots: u32, capacity: u32) -> Result<Index> {
        fs::create_dir_all(dir)?;
        let mut names = Vec::new();
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
                names.push(name.to_owned());
            }
        }
        names.sort();
        let mut files = Vec::with_capacity(names.len());
        for name in names {
            let path = dir.join(&name);
            match IndexFile::open(&path, slots, capacity) {
                Ok(f) => files.push(f),
                Err(Error::Corrupt { reason, .. }) => {
                    tracing::warn!(path = %path.display(), %reason, "index file removed, it will be rebuilt");
                    fs::remove_file(&path)?;
                }
                Err(e) => return Err(e),
            }
        }
        // A newest file without entries was created just before a crash (its header is
        // written at creation, before the previous file's last entries were flushed):
        // drop it, so re-indexing continues in the file those entries belong to.
        while files.last().is_some_and(|f| !f.has_entries()) {
            if let Some(f) = files.pop() {
                fs::remove_file(f.path())?;
            }
        }
        Ok(Index {
            dir: dir.to_owned(),
            slots,
            capacity,
            files,
            key_text: String::new(),
        })
    }

    /// Indexes one appended record (Java `buildIndex`).
    pub(crate) fn add(
        &mut self,
        msg: &StoredMessage,
        phys: u64,
        store_timestamp: i64,
    ) -> Result<()> {
        if msg.sys_flag.transaction_type() == TransactionType::Rollback {
            return Ok(());
        }
        let phys = i64::try_from(phys).unwrap_or(i64::MAX);
        let topic = msg.message.topic();
        // One buffer for the `topic#key` texts of every record.
        let mut text = std::mem::take(&mut self.key_text);
        let mut added = Ok(());
        for key in msg
            .message
            .unique_key()
            .into_iter()
            .chain(msg.message.keys())
        {
            text.clear();
            text.push_str(topic);
            text.push('#');
            text.push_str(key);
            added = self.put_key(&text, phys, store_timestamp);
            if added.is_err() {
                break;
            }
        }
        self.key_text = text;
        added
    }

    fn put_key(&mut self, key: &str, phys: i64, store_timestamp: i64) -> Result<()> {
        let hash = key_hash(key);
        loop {
            let file = match self.files.last_mut() {
                Some(f) if !f.is_full() => f,
                _ => self.roll()?,
            };
            if file.put(hash, phys, store_timestamp)? {
                return Ok(());
            }
        }
    }

    /// Starts a new file after the last one.
    fn roll(&mut self) -> Result<&mut IndexFile> {
        let (end_phys, end_ts) = self
            .files
            .last()
            .map_or((0, 0), |f| (f.header().end_phys, f.header().end_timestamp));
        let mut name = file_name(crate::store::now_ms());
        if let Some(last) = self.files.last()
            && let Some(last_name) = last.path().file_name().and_then(|n| n.to_str())
            && name.as_str() <= last_name
        {
            // Same millisecond (or a clock step back): keep names increasing.
            let n: u64 = last_name.parse().unwrap_or(0);
            name = format!("{:017}", n + 1);
        }
        let f = IndexFile::create(
            &self.dir.join(name),
            self.slots,
            self.capacity,
            end_phys,
            end_ts,
        )?;
        self.files.push(f);
        self.files.last_mut().ok_or(Error::Shutdown)
    }

    /// Offsets of records with `key` in `topic` stored within `[begin, end]`, at most
    /// `max` (Java `queryOffset`).
    pub(crate) fn query(
        &self,
        topic: &str,
        key: &str,
        max: usize,
        begin: i64,
        end: i64,
    ) -> Result<KeyLookup> {
        let mut found = KeyLookup::default();
        if let Some(last) = self.files.last() {
            found.last_update_timestamp = last.header().end_timestamp;
            found.last_update_phys_offset = last.header().end_phys;
        }
        let hash = key_hash(&format!("{topic}#{key}"));
        for f in self.files.iter().rev() {
            if f.time_matches(begin, end) {
                f.select(hash, max, begin, end, &mut found.phys_offsets)?;
            }
            if f.header().begin_timestamp < begin || found.phys_offsets.len() >= max {
                break;
            }
        }
        Ok(found)
    }

    /// The commit-log offset of the last indexed record; `None` when nothing is indexed.
    pub(crate) fn last_indexed(&self) -> Option<u64> {
        let last = self.files.last().filter(|f| f.has_entries())?;
        u64::try_from(last.header().end_phys).ok()
    }

    /// Drops entries of records at or past `phys_end` (cut from the commit log after a
    /// crash); files left empty are deleted.
    pub(crate) fn truncate_past(&mut self, phys_end: u64) -> Result<()> {
        while let Some(last) = self.files.last_mut() {
            if u64::try_from(last.header().end_phys).is_ok_and(|p| p < phys_end) {
                break;
            }
            if last.truncate_past(phys_end)? {
                break;
            }
            if let Some(f) = self.files.pop() {
                tracing::warn!(path = %f.path().display(), "index file past the commit log removed");
                fs::remove_file(f.path())?;
            }
        }
        Ok(())
    }

    /// Deletes files (never the newest) whose entries all point below `min_phys` (Java
    /// `deleteExpiredFile`). Returns how many were deleted.
    pub(crate) fn delete_before(&mut self, min_phys: u64) -> Result<usize> {
        let mut deleted = 0;
        while self.files.len() > 1
            && self
                .files
                .first()
                .is_some_and(|f| u64::try_from(f.header().end_phys).is_ok_and(|p| p < min_phys))
        {
            let f = self.files.remove(0);
            fs::remove_file(f.path())?;
            deleted += 1;
        }
        Ok(deleted)
    }

    /// Writes buffered entries and slots (no sync) and returns the headers to write once
    /// the files are synced.
    pub(crate) fn write_out(&mut self) -> Result<Vec<PendingHeader>> {
        let mut out = Vec::new();
        for f in &mut self.files {
            f.write_out()?;
            if let Some((file, header)) = f.header_to_write() {
                out.push(PendingHeader {
                    path: f.path().to_owned(),
                    file,
                    header,
                });
            }
        }
        Ok(out)
    }

    /// Records headers written by the flush.
    pub(crate) fn headers_written(&mut self, written: &[PendingHeader]) {
        for w in written {
            if let Some(f) = self.files.iter_mut().find(|f| f.path() == w.path) {
                f.header_written(w.header);
            }
        }
    }

    /// Number of index files.
    pub(crate) fn file_count(&self) -> usize {
        self.files.len()
    }
}

/// `yyyyMMddHHmmssSSS` (UTC) of epoch milliseconds (Java `timeMillisToHumanString`).
pub(crate) fn file_name(ms: i64) -> String {
    let ms = ms.max(0);
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (y, m, d) = civil_from_days(days);
    let (h, rem) = (rem / 3_600_000, rem % 3_600_000);
    let (min, rem) = (rem / 60_000, rem % 60_000);
    let (s, milli) = (rem / 1000, rem % 1000);
    format!("{y:04}{m:02}{d:02}{h:02}{min:02}{s:02}{milli:03}")
}

/// Proleptic Gregorian date of days since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_dir::TestDir;
    use rocketmq::protocol::message::{Message, SysFlag};

    fn msg(topic: &str, keys: &[&str], uniq: Option<&str>) -> StoredMessage {
        let mut m = Message::new(topic, &b"x"[..]);
        if !keys.is_empty() {
            m.set_keys(keys);
        }
        if let Some(u) = uniq {
            m.set_unique_key(u);
        }
        StoredMessage {
            message: m,
            ..StoredMessage::default()
        }
    }

    #[test]
    fn names_are_java_timestamps() {
        assert_eq!(file_name(0), "19700101000000000");
        // 2024-02-29T13:45:06.789Z
        assert_eq!(file_name(1_709_214_306_789), "20240229134506789");
        assert_eq!(file_name(951_782_400_000), "20000229000000000");
    }

    #[test]
    fn keys_uniq_rollback_multiple_files() -> Result<()> {
        let dir = TestDir::new("index");
        let mut ix = Index::open(dir.path(), 8, 5)?;
        let t0 = 1_700_000_000_000;
        // 4 entries per file (entry 0 unused): this message fills the first file.
        ix.add(&msg("T", &["a", "b", "", "c"], Some("U1")), 100, t0)?;
        ix.add(&msg("T", &["a"], None), 200, t0 + 1000)?;
        let mut rolled = msg("T", &["a"], None);
        rolled.sys_flag = SysFlag::TRANSACTION_ROLLBACK;
        ix.add(&rolled, 300, t0 + 2000)?;
        ix.add(&msg("T", &["a"], Some("U2")), 400, t0 + 3000)?;
        assert_eq!(ix.file_count(), 2);
        let q = ix.query("T", "a", 10, 0, i64::MAX)?;
        assert_eq!(q.phys_offsets, vec![400, 200, 100]);
        assert_eq!(q.last_update_phys_offset, 400);
        assert_eq!(q.last_update_timestamp, t0 + 3000);
        assert_eq!(
            ix.query("T", "U1", 10, 0, i64::MAX)?.phys_offsets,
            vec![100]
        );
        assert_eq!(ix.query("T", "c", 10, 0, i64::MAX)?.phys_offsets, vec![100]);
        assert!(ix.query("T", "", 10, 0, i64::MAX)?.phys_offsets.is_empty());
        assert!(ix.query("X", "a", 10, 0, i64::MAX)?.phys_offsets.is_empty());
        assert_eq!(
            ix.query("T", "a", 2, 0, i64::MAX)?.phys_offsets,
            vec![400, 200]
        );
        // Time window: only the second-file entries are at or after t0 + 1000.
        let q = ix.query("T", "a", 10, t0 + 1000, i64::MAX)?;
        assert_eq!(q.phys_offsets, vec![400, 200]);
        assert_eq!(ix.last_indexed(), Some(400));

        ix.truncate_past(400)?;
        assert_eq!(ix.last_indexed(), Some(200));
        assert_eq!(
            ix.query("T", "a", 10, 0, i64::MAX)?.phys_offsets,
            vec![200, 100]
        );
        ix.truncate_past(150)?;
        assert_eq!(ix.file_count(), 1, "the emptied second file is removed");
        assert_eq!(ix.last_indexed(), Some(100));

        ix.add(&msg("T", &["a"], None), 200, t0 + 1000)?;
        ix.add(&msg("T", &["a"], None), 300, t0 + 1000)?;
        assert_eq!(ix.file_count(), 2);
        assert_eq!(ix.delete_before(300)?, 1);
        assert_eq!(ix.delete_before(u64::MAX)?, 0, "never the newest file");
        assert_eq!(
            ix.query("T", "a", 10, 0, i64::MAX)?.phys_offsets,
            vec![300, 200]
        );
        Ok(())
    }

    #[test]
    fn reopen_and_wrong_geometry() -> Result<()> {
        let dir = TestDir::new("index-reopen");
        let mut ix = Index::open(dir.path(), 16, 100)?;
        for i in 0..10u64 {
            ix.add(
                &msg("T", &[&format!("k{}", i % 3)], None),
                i * 10,
                1_700_000_000_000,
            )?;
        }
        for h in ix.write_out()? {
            h.write()?;
        }
        drop(ix);
        let ix = Index::open(dir.path(), 16, 100)?;
        assert_eq!(
            ix.query("T", "k1", 10, 0, i64::MAX)?.phys_offsets,
            vec![70, 40, 10]
        );
        drop(ix);
        let ix = Index::open(dir.path(), 32, 100)?;
        assert_eq!(ix.file_count(), 0, "a file of another geometry is dropped");
        Ok(())
    }
}
