//! Appending: many submissions under one hold of the store lock, their records written to
//! the commit log with one positioned write per segment they fall in, the consume-queue
//! entries with one write per queue, then (SYNC_FLUSH) one fsync covering all of them
//! before any is acknowledged (group commit).
//!
//! Both the blocking [`Store::append`] and the appender thread (see `appender`) go
//! through [`Store::append_all`].
//!
//! Within one call records are first *staged*: encoded into a buffer at the commit-log
//! position they will have (the `place_after` of the previous staged record), with queue
//! offsets counted on from the queue's maximum. A staged run is *committed* when the next
//! record goes to another segment, when the buffer is full, and at the end: the commit-log
//! write, then the consume-queue entries, then the index. Nothing staged is visible to
//! readers (they take the same lock, which is held from staging to commit), so the
//! invariants of [`CommitLog`] and [`ConsumeQueue`] hold whenever the lock is free.

use super::*;

/// Largest run of records written with one commit-log write (a bigger record is written
/// alone).
const MAX_RUN_BYTES: usize = 1 << 20;

/// What became of one submission (one message, or the messages of one batch).
#[derive(Debug, Default)]
pub(super) struct Outcome {
    /// The messages stored, in order.
    pub(super) appended: Vec<AppendResult>,
    /// Why the next message (and every later one of the submission) was not stored.
    pub(super) error: Option<Error>,
}

impl Outcome {
    /// The result of a one-message submission.
    pub(super) fn single(mut self) -> Result<AppendResult> {
        match (self.error, self.appended.pop()) {
            (Some(e), _) => Err(e),
            (None, Some(a)) => Ok(a),
            (None, None) => Err(Error::Shutdown),
        }
    }
}

/// Buffers reused from one [`Store::append_all`] call to the next.
#[derive(Debug, Default)]
pub(super) struct Scratch {
    /// Staged records, back to back, the first at `run_at`.
    run: Vec<u8>,
    run_at: u64,
    staged: Vec<Staged>,
    /// Staged consume-queue entries, per queue: `queues[..active]`. The runs after
    /// those keep their buffers for the next queues staged.
    queues: Vec<QueueRun>,
    active: usize,
}

/// Idle queue runs kept for reuse, at most.
const SPARE_QUEUE_RUNS: usize = 64;
/// Entries an idle queue run keeps room for, at most.
const SPARE_ENTRIES: usize = 1024;

#[derive(Debug)]
struct Staged {
    /// Index of its submission.
    job: usize,
    result: AppendResult,
    msg: StoredMessage,
}

#[derive(Debug)]
struct QueueRun {
    topic: String,
    queue_id: i32,
    first: u64,
    entries: Vec<Entry>,
}

impl Scratch {
    /// The commit-log position after the staged records (`write_pos` when none).
    fn end(&self, write_pos: u64) -> u64 {
        if self.staged.is_empty() {
            write_pos
        } else {
            self.run_at + self.run.len() as u64
        }
    }

    fn clear(&mut self) {
        self.run.clear();
        if self.run.capacity() > 2 * MAX_RUN_BYTES {
            self.run = Vec::new();
        }
        self.staged.clear();
        self.clear_queues();
    }

    /// The staged entries of each queue.
    fn queue_runs(&self) -> &[QueueRun] {
        &self.queues[..self.active]
    }

    /// Forgets the staged entries, keeping up to [`SPARE_QUEUE_RUNS`] runs' buffers (an
    /// entry list grown past [`SPARE_ENTRIES`] by a big batch is let go).
    fn clear_queues(&mut self) {
        self.active = 0;
        self.queues.truncate(SPARE_QUEUE_RUNS);
        for q in &mut self.queues {
            if q.entries.capacity() > SPARE_ENTRIES {
                q.entries = Vec::new();
            }
        }
    }

    /// Stages `entry` for `topic`'s queue `queue_id`, whose next offset is `first` when
    /// nothing of it is staged yet.
    fn stage_entry(&mut self, topic: &str, queue_id: i32, first: u64, entry: Entry) {
        if let Some(q) = self.queues[..self.active]
            .iter_mut()
            .find(|q| q.queue_id == queue_id && q.topic == topic)
        {
            q.entries.push(entry);
            return;
        }
        if self.active == self.queues.len() {
            self.queues.push(QueueRun {
                topic: String::new(),
                queue_id,
                first,
                entries: Vec::new(),
            });
        }
        let q = &mut self.queues[self.active];
        self.active += 1;
        q.topic.clear();
        q.topic.push_str(topic);
        q.queue_id = queue_id;
        q.first = first;
        q.entries.clear();
        q.entries.push(entry);
    }
}

/// A copy of an error that ends several submissions at once (a failed write or fsync).
fn copy_error(e: &Error) -> Error {
    match e {
        Error::Io(io) => Error::Io(std::io::Error::new(io.kind(), io.to_string())),
        Error::DiskFull { used_ratio } => Error::DiskFull {
            used_ratio: *used_ratio,
        },
        Error::MessageTooLarge { len, max } => Error::MessageTooLarge {
            len: *len,
            max: *max,
        },
        Error::Shutdown => Error::Shutdown,
        other => Error::Io(std::io::Error::other(other.to_string())),
    }
}

impl Store {
    /// Appends a message. The store sets queue offset, commit-log offset, store time, store
    /// host, body CRC, record version and the IPv6 sysFlag bits; the caller provides the
    /// message, queue id, born time/host, flag, sysFlag, reconsume times and prepared
    /// transaction offset. With [`FlushMode::Sync`] it returns after an fsync covering
    /// the record. Blocking: async callers use [`append_async`](Self::append_async), or
    /// this under [`FlushMode::Async`] (a page-cache write).
    ///
    /// Fails with [`Error::DiskFull`] while the last disk check found the disk over
    /// [`StoreConfig::disk_warning_ratio`] (see [`clean`](Self::clean)).
    pub fn append(&self, msg: StoredMessage) -> Result<AppendResult> {
        self.append_here(vec![msg]).single()
    }

    /// Appends the messages of every submission, in order; the messages of one submission
    /// get consecutive offsets when they share a queue, and one that fails ends its
    /// submission (those before it stay stored). Under [`FlushMode::Sync`] returns after
    /// one fsync covering every stored record; if it fails, every submission fails.
    /// Blocking.
    pub(super) fn append_all(
        &self,
        scratch: &mut Scratch,
        jobs: Vec<Vec<StoredMessage>>,
    ) -> Vec<Outcome> {
        let mut outcomes: Vec<Outcome> = jobs.iter().map(|_| Outcome::default()).collect();
        let disk_full = self
            .is_disk_full()
            .then(|| self.disk_used_ratio().unwrap_or(1.0));
        let end = {
            let mut state = lock(&self.inner.state);
            let mut failed: Option<Error> = None;
            scratch.clear();
            'jobs: for (job, msgs) in jobs.into_iter().enumerate() {
                for msg in msgs {
                    if let Some(e) = &failed {
                        outcomes[job].error = Some(copy_error(e));
                        continue 'jobs;
                    }
                    let staged = match disk_full {
                        Some(used_ratio) => Err(Staging::Refused(Error::DiskFull { used_ratio })),
                        None => self.stage(&mut state, scratch, &mut outcomes, job, msg),
                    };
                    match staged {
                        Ok(()) => {}
                        Err(Staging::Refused(e)) => {
                            outcomes[job].error = Some(e);
                            continue 'jobs;
                        }
                        Err(Staging::Failed(e)) => {
                            outcomes[job].error.get_or_insert_with(|| copy_error(&e));
                            failed = Some(e);
                            continue 'jobs;
                        }
                    }
                }
            }
            if failed.is_none() {
                // A failure here has already ended the submissions it concerned.
                let upto = scratch.run.len();
                let _ = self.commit(&mut state, scratch, &mut outcomes, upto);
            }
            scratch.clear();
            state.commit_log.write_pos()
        };
        if self.inner.config.flush_mode == FlushMode::Sync
            && outcomes.iter().any(|o| !o.appended.is_empty())
            && let Err(e) = self.sync_commit_log(end)
        {
            for o in outcomes.iter_mut().filter(|o| !o.appended.is_empty()) {
                o.appended.clear();
                o.error = Some(copy_error(&e));
            }
        }
        outcomes
    }

    /// Stages one message (committing the staged run first when the record does not
    /// continue it). `Refused`: this message is not stored; `Failed`: a commit failed,
    /// the submissions it concerned have their error, nothing more can be stored now.
    fn stage(
        &self,
        state: &mut State,
        scratch: &mut Scratch,
        outcomes: &mut [Outcome],
        job: usize,
        mut msg: StoredMessage,
    ) -> std::result::Result<(), Staging> {
        let config = &self.inner.config;
        check_topic(msg.message.topic())?;
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(Error::Shutdown.into());
        }
        let topic = msg.message.topic();
        let version = RecordVersion::for_topic(topic);
        let queue_offset = match scratch
            .queue_runs()
            .iter()
            .find(|q| q.queue_id == msg.queue_id && q.topic == topic)
        {
            Some(q) => q.first + q.entries.len() as u64,
            None => state
                .queue(
                    &config.root,
                    config.consume_queue_entries_per_file,
                    topic,
                    msg.queue_id,
                )?
                .max_offset(),
        };
        let store_timestamp = now_ms().max(state.last_timestamp);
        msg.queue_offset = i64::try_from(queue_offset).unwrap_or(i64::MAX);
        msg.store_timestamp = store_timestamp;
        msg.store_host = config.store_host;
        msg.body_crc = body_crc(msg.message.body());
        msg.version = version;
        msg.store_size = 0;
        // Encoded straight after the staged records; cut off again when refused.
        let end = scratch.end(state.commit_log.write_pos());
        let start = scratch.run.len();
        let placed = msg
            .encode(&mut scratch.run)
            .map_err(Error::from)
            .and_then(|()| {
                if config.record_crc {
                    record::reserve_crc_property_at(&mut scratch.run, start)
                } else {
                    Ok(())
                }
            })
            .and_then(|()| state.commit_log.place_after(end, scratch.run.len() - start));
        let at = match placed {
            Ok(at) => at,
            Err(e) => {
                scratch.run.truncate(start);
                return Err(e.into());
            }
        };
        let len = scratch.run.len() - start;
        if !scratch.staged.is_empty() && (at != end || start + len > MAX_RUN_BYTES) {
            self.commit(state, scratch, outcomes, start)
                .map_err(Staging::Failed)?;
        }
        if scratch.staged.is_empty() {
            scratch.run_at = at;
        }
        let record_start = scratch.run.len() - len;
        record::seal(&mut scratch.run[record_start..], at, config.record_crc);
        state.last_timestamp = store_timestamp;
        let entry = recovery::entry_of(&msg, at, len, &config.delay_levels);
        scratch.stage_entry(msg.message.topic(), msg.queue_id, queue_offset, entry);
        scratch.staged.push(Staged {
            job,
            result: AppendResult {
                phys_offset: at,
                queue_offset,
                size: len,
                store_timestamp,
            },
            msg,
        });
        Ok(())
    }

    /// Writes the staged records, the first `upto` bytes of the run (one write), then
    /// their consume-queue entries (one write per queue and file) and index keys; the
    /// staged messages' submissions get their results, or the error when a write failed.
    /// What follows `upto` (a record encoded but not staged yet) moves to the run's start.
    fn commit(
        &self,
        state: &mut State,
        scratch: &mut Scratch,
        outcomes: &mut [Outcome],
        upto: usize,
    ) -> Result<()> {
        if scratch.staged.is_empty() {
            return Ok(());
        }
        let config = &self.inner.config;
        let run = scratch.run.get(..upto).unwrap_or_default();
        let mut written = state.commit_log.append(scratch.run_at, run);
        if written.is_ok() {
            for q in scratch.queue_runs() {
                let put = state
                    .queue(
                        &config.root,
                        config.consume_queue_entries_per_file,
                        &q.topic,
                        q.queue_id,
                    )
                    .and_then(|cq| cq.put_many(q.first, &q.entries));
                if let Err(e) = put {
                    // The records are in the commit log; a later recovery after a crash
                    // would index them, but the queue lacks them now: refuse them all.
                    tracing::error!(error = %e, topic = %q.topic, queue = q.queue_id, "writing consume-queue entries failed");
                    written = Err(e);
                    break;
                }
            }
        }
        scratch.run.drain(..upto.min(scratch.run.len()));
        scratch.clear_queues();
        match written {
            Ok(()) => {
                for s in scratch.staged.drain(..) {
                    if let Some(index) = state.index.as_mut()
                        && let Err(e) =
                            index.add(&s.msg, s.result.phys_offset, s.result.store_timestamp)
                    {
                        // The record is stored; recovery re-indexes what the index missed.
                        tracing::error!(error = %e, offset = s.result.phys_offset, "indexing a record failed");
                    }
                    outcomes[s.job].appended.push(s.result);
                }
                Ok(())
            }
            Err(e) => {
                for s in scratch.staged.drain(..) {
                    outcomes[s.job].error.get_or_insert_with(|| copy_error(&e));
                }
                Err(e)
            }
        }
    }
}

/// Why a message was not staged.
enum Staging {
    /// This message is refused; the rest may go on.
    Refused(Error),
    /// Writing failed; nothing more is stored in this call.
    Failed(Error),
}

impl From<Error> for Staging {
    fn from(e: Error) -> Self {
        Staging::Refused(e)
    }
}
