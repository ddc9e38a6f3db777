//! Store configuration (the subset of Java's `MessageStoreConfig` the store uses).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::disk::{DiskUsage, Statvfs};

use crate::error::{Error, Result};

/// When an append is acknowledged (Java `FlushDiskType`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FlushMode {
    /// Acknowledge once written to the file; a background thread fsyncs every
    /// [`StoreConfig::flush_interval`] (`ASYNC_FLUSH`, Java's default).
    #[default]
    Async,
    /// Acknowledge after an fsync covering the record (`SYNC_FLUSH`); appends waiting at the
    /// same moment share one fsync (group commit).
    Sync,
}

/// Store configuration. Defaults follow Java's `MessageStoreConfig` unless noted.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// Root directory (Java `storePathRootDir`); no default, required.
    pub root: PathBuf,
    /// Commit-log segment size (`mappedFileSizeCommitLog`, default 1 GiB).
    pub commit_log_segment_size: u64,
    /// Entries per consume-queue file (`mappedFileSizeConsumeQueue / 20`, default 300,000).
    pub consume_queue_entries_per_file: u64,
    /// Largest record accepted (`maxMessageSize`, default 4 MiB).
    pub max_record_size: usize,
    /// Flush mode (default [`FlushMode::Async`]).
    pub flush_mode: FlushMode,
    /// Async flush period (`flushIntervalCommitLog`, default 500 ms); also how often
    /// consume queues, index and checkpoint are flushed.
    pub flush_interval: Duration,
    /// Address written as the store host of every record (default `127.0.0.1:10911`).
    pub store_host: SocketAddr,
    /// Build the key/unique-key index (`messageIndexEnable`, default `true`).
    pub index_enabled: bool,
    /// Hash slots per index file (`maxHashSlotNum`, default 5,000,000).
    pub index_hash_slots: u32,
    /// Entries per index file (`maxIndexNum`, default 20,000,000).
    pub index_entries: u32,
    /// Write the whole-record `__CRC32#` property and, when recovering after a crash,
    /// require it from every record after the first one that has it (Java 5.x
    /// `enabledAppendPropCRC` + `forceVerifyPropCRC`). Java's default is `false`, ours
    /// `true`: without it, recovery relies on the body CRC and structural checks, which
    /// catch a zeroed (torn) tail but not one overwritten with garbage inside the
    /// properties. The property never reaches clients: the store strips it from every
    /// record it returns, so they see what Java with its defaults shows. Costs 20 bytes
    /// and one CRC-32 pass per record.
    pub record_crc: bool,
    /// Bytes of the newest commit-log records also kept in memory, so that pulls near the
    /// tail of their queues read them without a system call (default 4 MiB; 0 turns it
    /// off). Java reads through memory-mapped segments instead; this has no Java setting.
    pub tail_cache_size: usize,
    /// Keep commit-log segments this long after their last write (`fileReservedTime`,
    /// default 72 h).
    pub file_reserved_time: Duration,
    /// Delete the oldest segments, whatever their age, when the disk is fuller than this
    /// (`diskMaxUsedSpaceRatio`, default 0.75); see [`Store::clean`](super::Store::clean).
    pub disk_max_used_ratio: f64,
    /// Delete the oldest segments whatever their age when the disk is fuller than this
    /// (Java `diskSpaceCleanForciblyRatio`). Default 0.98, where Java's is 0.85: see
    /// [`disk_warning_ratio`](Self::disk_warning_ratio).
    pub disk_force_clean_ratio: f64,
    /// Refuse writes when the disk is fuller than this (Java
    /// `diskSpaceWarningLevelRatio`). Default 0.99, where Java's is 0.90 (and Java
    /// allows no more): a broker-lite store shares its disk with builds and test runs,
    /// where a disk 90% used on a 250 GB volume still has gigabytes free; refusing writes
    /// there would fail a test run for nothing. Set 0.90 and 0.85 for Java's behaviour.
    pub disk_warning_ratio: f64,
    /// How the disk's used ratio is read (default [`Statvfs`]); tests inject their own.
    pub disk_usage: Arc<dyn DiskUsage>,
    /// The delay of each level, level 1 first (Java `messageDelayLevel`): consume-queue
    /// entries of `SCHEDULE_TOPIC_XXXX` carry the delivery time computed from it, as
    /// Java's do. Default: Java's 18 levels.
    pub delay_levels: Vec<Duration>,
}

impl StoreConfig {
    /// Defaults with the given root directory.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        StoreConfig {
            root: root.into(),
            commit_log_segment_size: 1 << 30,
            consume_queue_entries_per_file: 300_000,
            max_record_size: 4 << 20,
            flush_mode: FlushMode::Async,
            flush_interval: Duration::from_millis(500),
            store_host: SocketAddr::from(([127, 0, 0, 1], 10911)),
            index_enabled: true,
            index_hash_slots: 5_000_000,
            index_entries: 20_000_000,
            record_crc: true,
            tail_cache_size: 4 << 20,
            file_reserved_time: Duration::from_secs(72 * 3600),
            disk_max_used_ratio: 0.75,
            disk_force_clean_ratio: 0.98,
            disk_warning_ratio: 0.99,
            disk_usage: Arc::new(Statvfs),
            delay_levels: [
                1, 5, 10, 30, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200, 1800, 3600,
                7200,
            ]
            .map(Duration::from_secs)
            .to_vec(),
        }
    }

    /// Checks the values are usable.
    pub fn validate(&self) -> Result<()> {
        let bad = |field, reason: &str| {
            Err(Error::Config {
                field,
                reason: reason.into(),
            })
        };
        if self.commit_log_segment_size < 4096 || self.commit_log_segment_size > i32::MAX as u64 {
            return bad("commit_log_segment_size", "must be in 4 KiB..2 GiB");
        }
        if self.consume_queue_entries_per_file == 0
            || self.consume_queue_entries_per_file > (i32::MAX as u64) / 20
        {
            return bad("consume_queue_entries_per_file", "must be in 1..107374182");
        }
        if self.max_record_size as u64 + 8 > self.commit_log_segment_size {
            return bad("max_record_size", "must leave 8 bytes in a segment");
        }
        if self.flush_interval.is_zero() {
            return bad("flush_interval", "must not be zero");
        }
        if self.index_hash_slots == 0 || self.index_entries < 2 {
            return bad("index_hash_slots", "need at least 1 slot and 2 entries");
        }
        let index_len =
            40 + u64::from(self.index_hash_slots) * 4 + u64::from(self.index_entries) * 20;
        if index_len > i32::MAX as u64 {
            return bad("index_entries", "index file must stay under 2 GiB");
        }
        for (field, r) in [
            ("disk_max_used_ratio", self.disk_max_used_ratio),
            ("disk_force_clean_ratio", self.disk_force_clean_ratio),
            ("disk_warning_ratio", self.disk_warning_ratio),
        ] {
            if !(0.0..=1.0).contains(&r) {
                return bad(field, "must be in 0..=1");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_limits() {
        assert!(StoreConfig::new("/tmp/x").validate().is_ok());
        let mut c = StoreConfig::new("/tmp/x");
        c.commit_log_segment_size = 64 << 10;
        assert!(c.validate().is_err(), "4 MiB records in 64 KiB segments");
        c.max_record_size = 16 << 10;
        assert!(c.validate().is_ok());
        c.disk_warning_ratio = 1.5;
        assert!(c.validate().is_err());
    }
}
