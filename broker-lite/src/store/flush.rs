//! Flushing: the async flusher thread and the group-commit fsync used by both modes.
//!
//! Group commit: an appender that needs its record durable takes the `flushed` lock; if a
//! previous holder's fsync already covered its record it returns at once, otherwise it
//! reads the current write position, fsyncs the commit-log files up to it (outside the
//! store lock, so appends continue) and publishes it. One fsync thus covers every append
//! written before it started, including those of threads queued on the lock.

use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;

use super::*;

/// The async-flush thread: wakes every `flush_interval`, stops when told or when the store
/// is dropped.
#[derive(Debug)]
pub(super) struct Flusher {
    stop: SyncSender<()>,
    thread: JoinHandle<()>,
}

impl Flusher {
    pub(super) fn start(inner: &Arc<Inner>) -> Result<Self> {
        let (stop, rx) = mpsc::sync_channel::<()>(1);
        let weak: Weak<Inner> = Arc::downgrade(inner);
        let interval = inner.config.flush_interval;
        let thread = std::thread::Builder::new()
            .name("store-flush".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = rx.recv_timeout(interval) {
                    let Some(inner) = weak.upgrade() else { return };
                    if let Err(e) = (Store { inner }).flush() {
                        tracing::error!(error = %e, "periodic store flush failed");
                    }
                }
            })?;
        Ok(Flusher { stop, thread })
    }

    pub(super) fn stop(self) {
        let _ = self.stop.try_send(());
        if self.thread.join().is_err() {
            tracing::error!("store flush thread panicked");
        }
    }
}

impl Store {
    /// Makes the commit log durable up to at least `upto` (group commit).
    pub(super) fn sync_commit_log(&self, upto: u64) -> Result<()> {
        let mut flushed = lock(&self.inner.flushed);
        if *flushed >= upto {
            return Ok(());
        }
        let (files, end) = {
            let state = lock(&self.inner.state);
            let end = state.commit_log.write_pos();
            (state.commit_log.files_in(*flushed, end), end)
        };
        for f in files {
            f.sync_data()?;
        }
        self.inner.fsyncs.fetch_add(1, Ordering::Relaxed);
        *flushed = end;
        Ok(())
    }

    /// Flushes everything: commit log, consume queues, index (entries and slots, then
    /// the headers covering them), then the checkpoint.
    pub fn flush(&self) -> Result<()> {
        let _one_at_a_time = lock(&self.inner.flush_lock);
        let (end, ts) = {
            let state = lock(&self.inner.state);
            (state.commit_log.write_pos(), state.last_timestamp)
        };
        self.sync_commit_log(end)?;
        let files: Vec<_> = {
            let mut state = lock(&self.inner.state);
            // Buffered entries first: the checkpoint written below covers them.
            for q in state.queues.values_mut() {
                q.write_out()?;
            }
            state
                .queues
                .values()
                .flat_map(ConsumeQueue::files)
                .collect()
        };
        for f in files {
            f.sync_data()?;
        }
        let headers = match lock(&self.inner.state).index.as_mut() {
            Some(index) => index.write_out()?,
            None => Vec::new(),
        };
        for h in &headers {
            h.file.sync_data()?;
            h.write()?;
            h.file.sync_data()?;
        }
        let mut state = lock(&self.inner.state);
        if let Some(index) = state.index.as_mut() {
            index.headers_written(&headers);
        }
        state.checkpoint.physic_ts = ts;
        state.checkpoint.logics_ts = ts;
        state.checkpoint.index_ts = ts;
        state.checkpoint.flush()
    }
}
