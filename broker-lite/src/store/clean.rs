//! Retention (Java `CleanCommitLogService`, `CleanConsumeQueueService` and the index's
//! `deleteExpiredFile`) and the disk-full guard.
//!
//! [`Store::clean`] is meant to run periodically (Java: every 10 s,
//! `cleanResourceInterval`); it
//!
//! 1. deletes commit-log segments last written more than
//!    [`StoreConfig::file_reserved_time`] ago;
//! 2. while the disk is fuller than [`StoreConfig::disk_force_clean_ratio`], deletes the
//!    oldest segments whatever their age, at most [`FORCED_BATCH`] per call (Java
//!    `deleteFileBatchMax`);
//! 3. drops consume-queue entries and index files that only point below the new minimum
//!    commit-log offset;
//! 4. marks the store full when the disk stays fuller than
//!    [`StoreConfig::disk_warning_ratio`]: appends then fail with [`Error::DiskFull`] until a
//!    later check finds room (Java `RunningFlags` disk-full bit).
//!
//! The segment being written is never deleted. Difference from Java: expired segments
//! are deleted at any hour (Java waits for `deleteWhen`, 4 a.m., unless the disk is over
//! `diskMaxUsedSpaceRatio`, [`StoreConfig::disk_max_used_ratio`]); broker-lite stores are
//! small and short-lived, so waiting for the night buys nothing.

use std::time::SystemTime;

use super::*;

/// Most segments one [`Store::clean`] deletes for space (Java `deleteFileBatchMax`).
pub const FORCED_BATCH: usize = 10;

/// What one [`Store::clean`] did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CleanReport {
    /// Segments deleted because they were older than the reserved time.
    pub expired: usize,
    /// Segments deleted because the disk was over the maximum used ratio.
    pub forced: usize,
    /// The disk's used ratio after cleaning; `None` when it could not be read.
    pub used_ratio: Option<f64>,
    /// Whether appends are refused (the disk is over the warning ratio).
    pub disk_full: bool,
}

impl Store {
    /// Deletes expired segments and, when the disk is too full, the oldest ones; updates
    /// the disk-full flag. `now` is the time segment ages are measured at. Blocking.
    pub fn clean(&self, now: SystemTime) -> Result<CleanReport> {
        let config = &self.inner.config;
        let mut report = CleanReport::default();
        let mut state = lock(&self.inner.state);
        while let Some(first) = state.commit_log.segments().list().first() {
            let modified = first.file.metadata()?.modified()?;
            let age = now.duration_since(modified).unwrap_or_default();
            if age < config.file_reserved_time || !state.commit_log.remove_first()? {
                break;
            }
            report.expired += 1;
        }
        let mut ratio = self.probe_disk();
        while ratio.is_some_and(|r| r > config.disk_force_clean_ratio)
            && report.forced < FORCED_BATCH
        {
            if !state.commit_log.remove_first()? {
                break;
            }
            report.forced += 1;
            ratio = self.probe_disk();
        }
        if report.expired + report.forced > 0 {
            let min = state.commit_log.min_offset();
            for q in state.queues.values_mut() {
                q.drop_before(min)?;
            }
            if let Some(index) = state.index.as_mut() {
                index.delete_before(min)?;
            }
            tracing::info!(
                expired = report.expired,
                forced = report.forced,
                min_offset = min,
                "commit-log segments deleted"
            );
        }
        if report.forced > 0 && ratio.is_some_and(|r| r > config.disk_force_clean_ratio) {
            tracing::warn!(ratio = ?ratio, "disk still over the maximum used ratio");
        }
        report.used_ratio = ratio;
        report.disk_full = self.set_disk_full(ratio);
        Ok(report)
    }

    /// Reads the disk usage now and updates the disk-full flag (also done by
    /// [`clean`](Self::clean)). Returns whether appends are refused. Blocking.
    pub fn check_disk(&self) -> bool {
        let ratio = self.probe_disk();
        self.set_disk_full(ratio)
    }

    /// The disk's used ratio at the last check; `None` before one succeeded.
    pub fn disk_used_ratio(&self) -> Option<f64> {
        let bits = self.inner.disk_ratio_bits.load(Ordering::Acquire);
        (bits != NO_RATIO).then(|| f64::from_bits(bits))
    }

    /// Whether appends are refused because the disk is nearly full.
    pub fn is_disk_full(&self) -> bool {
        self.inner.disk_full.load(Ordering::Acquire)
    }

    fn probe_disk(&self) -> Option<f64> {
        let config = &self.inner.config;
        match config.disk_usage.used_ratio(&config.root) {
            Ok(r) if r.is_finite() => {
                self.inner
                    .disk_ratio_bits
                    .store(r.to_bits(), Ordering::Release);
                Some(r)
            }
            Ok(r) => {
                tracing::warn!(ratio = r, "disk usage probe returned a non-number");
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the store's disk usage");
                None
            }
        }
    }

    /// Sets the disk-full flag from `ratio` (unchanged when unknown); returns it.
    fn set_disk_full(&self, ratio: Option<f64>) -> bool {
        let Some(r) = ratio else {
            return self.is_disk_full();
        };
        let full = r > self.inner.config.disk_warning_ratio;
        let was = self.inner.disk_full.swap(full, Ordering::AcqRel);
        if full && !was {
            tracing::error!(ratio = r, "disk nearly full: refusing writes");
        } else if was && !full {
            tracing::info!(ratio = r, "disk space ok again: accepting writes");
        }
        full
    }
}

/// `disk_ratio_bits` before any successful probe.
pub(super) const NO_RATIO: u64 = u64::MAX;
