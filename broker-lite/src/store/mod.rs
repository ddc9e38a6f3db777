//! The message store: commit log, consume queues, key index, checkpoint and abort file in
//! Java RocketMQ's on-disk layout (`DefaultMessageStore`, 4.9.8 and 5.3.3):
//!
//! ```text
//! <root>/commitlog/<20-digit start offset>                 records, see `record`
//! <root>/consumequeue/<topic>/<queueId>/<20-digit start>   20-byte entries
//! <root>/index/<yyyyMMddHHmmssSSS>                         key index, see `index`
//! <root>/checkpoint                                        flushed-up-to timestamps
//! <root>/abort                                             exists while the store is open
//! ```
//!
//! The API is blocking (positioned file I/O and fsync), except appends
//! ([`Store::append_async`]): under SYNC_FLUSH async callers hand them to the store's
//! appender thread, which appends everything queued at each wake-up as one batch (one
//! lock, one commit-log write, one fsync: group commit); under ASYNC_FLUSH they append on
//! their own thread (a page-cache write, no fsync; see `appender`). Other blocking calls
//! run on `tokio::task::spawn_blocking`. A [`Store`] is a cheap `Clone` handle; one mutex orders
//! appends and guards the files, fsyncs run outside it.
//!
//! Differences from Java: consume queues and index entries are written in the append call
//! rather than by a background dispatcher; files are read with `pread`, not mmap.

mod append;
mod appender;
mod checkpoint;
mod clean;
mod commit_log;
mod config;
mod consume_queue;
mod disk;
mod flush;
mod index;
mod info;
mod lookup;
mod queue_table;
mod record;
mod recovery;
mod segments;
mod tail_cache;
#[cfg(test)]
pub(crate) mod test_dir;

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use rocketmq::protocol::message::{DecodeOptions, RecordVersion, StoredMessage, body_crc};

pub use clean::{CleanReport, FORCED_BATCH};
pub use config::{FlushMode, StoreConfig};
pub use disk::{DiskUsage, Statvfs};
pub use index::KeyLookup;
pub use lookup::{MAX_KEY_LOOKUP, QueryResult};

use crate::error::{Error, Result};
use checkpoint::Checkpoint;
use commit_log::CommitLog;
use consume_queue::{ConsumeQueue, Entry};
use index::Index;
use queue_table::QueueTable;

/// Java's `String.hashCode` (over UTF-16 units), the tag hash code of consume-queue entries.
pub fn tag_hash(tags: &str) -> i64 {
    i64::from(index::java_hash(tags))
}

/// Where an appended record went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendResult {
    /// Commit-log offset of the record.
    pub phys_offset: u64,
    /// Offset in its consume queue.
    pub queue_offset: u64,
    /// Record size in bytes.
    pub size: usize,
    /// Store timestamp written in the record (epoch ms).
    pub store_timestamp: i64,
}

/// Outcome of [`Store::get_messages`] (Java `GetMessageStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GetStatus {
    /// Records were found.
    Found,
    /// Entries were scanned but none matched the filter (or their records are gone).
    NoMatchedMessage,
    /// The queue exists but holds no message.
    NoMessageInQueue,
    /// The offset is below the queue's minimum.
    OffsetTooSmall,
    /// The offset equals the queue's maximum: nothing new yet.
    OffsetOverflowOne,
    /// The offset is past the queue's maximum.
    OffsetOverflowBadly,
    /// No such topic/queue.
    NoMatchedLogicQueue,
}

/// Records read from a queue.
#[derive(Clone, Debug)]
pub struct GetResult {
    /// Status.
    pub status: GetStatus,
    /// Raw records, each in the commit-log format (a pull response body is their
    /// concatenation).
    pub records: Vec<Bytes>,
    /// The offset to read from next.
    pub next_begin_offset: u64,
    /// The queue's minimum offset.
    pub min_offset: u64,
    /// The queue's maximum offset (one past the last entry).
    pub max_offset: u64,
}

/// Most consume-queue entries one [`Store::get_messages`] call scans while filtering
/// (Java `maxFilterMessageCount`).
const MAX_FILTER_SCAN: usize = 16_000;

/// The message store. Cheap to clone; [`close`](Store::close) flushes and marks a clean
/// stop.
#[derive(Clone, Debug)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: StoreConfig,
    state: Mutex<State>,
    /// Commit-log offset known durable; held by the one thread doing a commit-log fsync.
    flushed: Mutex<u64>,
    fsyncs: AtomicU64,
    closed: AtomicBool,
    flusher: Mutex<Option<flush::Flusher>>,
    /// The appender thread (async appends under SYNC_FLUSH).
    appender: appender::Appender,
    /// Serialises [`Store::flush`] (index headers must be written in order).
    flush_lock: Mutex<()>,
    /// Appends are refused: the disk is over the warning ratio.
    disk_full: AtomicBool,
    /// The last disk used ratio read (`f64` bits; [`clean::NO_RATIO`] before any).
    disk_ratio_bits: AtomicU64,
    recovered_after_crash: bool,
}

#[derive(Debug)]
struct State {
    commit_log: CommitLog,
    queues: QueueTable,
    checkpoint: Checkpoint,
    /// The key index (`None` when disabled).
    index: Option<Index>,
    /// Store timestamp of the last appended record.
    last_timestamp: i64,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl State {
    fn queue(
        &mut self,
        root: &std::path::Path,
        per_file: u64,
        topic: &str,
        id: i32,
    ) -> Result<&mut ConsumeQueue> {
        if self.queues.get(topic, id).is_none() {
            let dir = root.join("consumequeue").join(topic).join(id.to_string());
            let q = ConsumeQueue::open(&dir, per_file)?;
            self.queues.insert(topic, id, q);
        }
        self.queues.get_mut(topic, id).ok_or(Error::Shutdown)
    }
}

/// Locks a mutex, recovering the data of a poisoned one (a panicking holder leaves the
/// files in a state recovery can handle).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn check_topic(topic: &str) -> Result<()> {
    let ok = !topic.is_empty()
        && topic.len() <= i16::MAX as usize
        && topic != "."
        && topic != ".."
        && !topic.contains(['/', '\\', '\0']);
    if ok {
        Ok(())
    } else {
        Err(rocketmq::Error::InvalidField {
            field: "topic",
            value: topic.to_owned(),
        }
        .into())
    }
}

impl Store {
    /// The configuration.
    pub fn config(&self) -> &StoreConfig {
        &self.inner.config
    }

    /// Whether this open found the abort file and recovered after a crash.
    pub fn recovered_after_crash(&self) -> bool {
        self.inner.recovered_after_crash
    }

    /// Reads up to `max` records of `topic`/`queue_id` from logical `offset`, keeping only
    /// those whose tag hash `filter` accepts (all when `None`), as clients see them.
    /// Blocking.
    pub fn get_messages(
        &self,
        topic: &str,
        queue_id: i32,
        offset: u64,
        max: usize,
        filter: Option<&dyn Fn(i64) -> bool>,
    ) -> Result<GetResult> {
        let mut result = self.get_stored_messages(topic, queue_id, offset, max, filter)?;
        for r in &mut result.records {
            *r = record::client_bytes(std::mem::take(r));
        }
        Ok(result)
    }

    /// [`get_messages`](Self::get_messages) with the records as stored: they may end
    /// with the store's whole-record CRC property, which clients must not see. Put each
    /// into an answer with [`Store::put_client_record`]; [`Store::client_record_len`] is
    /// its length there. Saves a copy per record for pulls. Blocking.
    pub fn get_stored_messages(
        &self,
        topic: &str,
        queue_id: i32,
        offset: u64,
        max: usize,
        filter: Option<&dyn Fn(i64) -> bool>,
    ) -> Result<GetResult> {
        let state = lock(&self.inner.state);
        let mut result = GetResult {
            status: GetStatus::NoMatchedLogicQueue,
            records: Vec::new(),
            next_begin_offset: 0,
            min_offset: 0,
            max_offset: 0,
        };
        let Some(q) = state.queues.get(topic, queue_id) else {
            return Ok(result);
        };
        let (min, maxo) = (q.min_offset(), q.max_offset());
        result.min_offset = min;
        result.max_offset = maxo;
        result.status = if maxo == 0 {
            GetStatus::NoMessageInQueue
        } else if offset < min {
            result.next_begin_offset = min;
            GetStatus::OffsetTooSmall
        } else if offset == maxo {
            result.next_begin_offset = offset;
            GetStatus::OffsetOverflowOne
        } else if offset > maxo {
            result.next_begin_offset = if min == 0 { min } else { maxo };
            GetStatus::OffsetOverflowBadly
        } else {
            let mut next = offset;
            let mut scanned = 0;
            while result.records.len() < max && next < maxo && scanned < MAX_FILTER_SCAN {
                let entries = q.read(next, (max - result.records.len()).max(32))?;
                if entries.is_empty() {
                    break;
                }
                for e in entries {
                    if result.records.len() >= max {
                        break;
                    }
                    next += 1;
                    scanned += 1;
                    if filter.is_some_and(|f| !f(e.tag_hash)) {
                        continue;
                    }
                    if let Some(rec) = state
                        .commit_log
                        .read_stored(e.phys_offset, e.size as usize)?
                    {
                        result.records.push(rec);
                    }
                }
            }
            result.next_begin_offset = next;
            if result.records.is_empty() {
                GetStatus::NoMatchedMessage
            } else {
                GetStatus::Found
            }
        };
        Ok(result)
    }

    /// Appends a record from [`get_stored_messages`](Self::get_stored_messages) to `out`
    /// as clients see it (the store's CRC property cut off, lengths fixed).
    pub fn put_client_record(out: &mut BytesMut, stored: &[u8]) {
        record::put_client_view(out, stored);
    }

    /// The length of a record from [`get_stored_messages`](Self::get_stored_messages) as
    /// clients see it.
    pub fn client_record_len(stored: &[u8]) -> usize {
        record::client_len(stored)
    }

    /// The smallest logical offset of a queue (0 when unknown).
    pub fn min_offset(&self, topic: &str, queue_id: i32) -> u64 {
        let state = lock(&self.inner.state);
        state
            .queues
            .get(topic, queue_id)
            .map_or(0, ConsumeQueue::min_offset)
    }

    /// One past the largest logical offset of a queue (0 when unknown).
    pub fn max_offset(&self, topic: &str, queue_id: i32) -> u64 {
        let state = lock(&self.inner.state);
        state
            .queues
            .get(topic, queue_id)
            .map_or(0, ConsumeQueue::max_offset)
    }

    /// The queue ids that exist for `topic`, sorted.
    pub fn queue_ids(&self, topic: &str) -> Vec<i32> {
        let state = lock(&self.inner.state);
        let mut ids: Vec<i32> = state.queues.ids(topic).collect();
        ids.sort_unstable();
        ids
    }

    /// The smallest commit-log offset still stored.
    pub fn min_phys_offset(&self) -> u64 {
        lock(&self.inner.state).commit_log.min_offset()
    }

    /// The commit-log write position (one past the last record).
    pub fn max_phys_offset(&self) -> u64 {
        lock(&self.inner.state).commit_log.write_pos()
    }

    /// The raw record at commit-log `offset` (e.g. from an offset message id).
    pub fn read_by_phys_offset(&self, offset: u64) -> Result<Option<Bytes>> {
        lock(&self.inner.state).commit_log.read_record(offset)
    }

    /// Decodes a raw record returned by the store.
    pub fn decode(record: &Bytes) -> Result<StoredMessage> {
        let mut buf = record.clone();
        Ok(StoredMessage::decode(&mut buf, &DecodeOptions::default())?)
    }

    /// The first logical offset whose store time is at or after `timestamp` (epoch ms);
    /// the max offset when every record is older (Java `getOffsetInQueueByTime`).
    pub fn offset_by_time(&self, topic: &str, queue_id: i32, timestamp: i64) -> Result<u64> {
        let state = lock(&self.inner.state);
        let Some(q) = state.queues.get(topic, queue_id) else {
            return Ok(0);
        };
        let store_time = |o: u64| -> Result<Option<i64>> {
            match q.get(o)? {
                Some(e) => state.store_time_of(&e),
                None => Ok(None),
            }
        };
        let (mut lo, mut hi) = (q.min_offset(), q.max_offset());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match store_time(mid)? {
                Some(t) if t < timestamp => lo = mid + 1,
                Some(_) => hi = mid,
                None => lo = mid + 1,
            }
        }
        Ok(lo)
    }

    /// How many commit-log fsyncs the store has done (for tests and stats).
    pub fn fsync_count(&self) -> u64 {
        self.inner.fsyncs.load(Ordering::Relaxed)
    }

    /// The commit-log offset known to be on disk.
    pub fn flushed_offset(&self) -> u64 {
        *lock(&self.inner.flushed)
    }

    /// Flushes everything, writes the checkpoint and removes the abort file, marking a clean
    /// stop. Later calls on any clone fail with [`Error::Shutdown`]. Blocking.
    pub fn close(&self) -> Result<()> {
        if self.inner.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        if let Some(f) = lock(&self.inner.flusher).take() {
            f.stop();
        }
        // Let the appender thread finish its batch (later ones are refused), wait out a
        // blocking append holding the lock, then flush what they wrote.
        self.inner.appender.stop();
        drop(lock(&self.inner.state));
        self.flush()?;
        let abort = self.inner.config.root.join("abort");
        match fs::remove_file(abort) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The root directory.
    pub fn root(&self) -> PathBuf {
        self.inner.config.root.clone()
    }
}
