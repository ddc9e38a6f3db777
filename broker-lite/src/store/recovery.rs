//! Opening the store: clean start or crash recovery (Java `DefaultMessageStore.load` +
//! `CommitLog.recoverNormally` / `recoverAbnormally` + `recoverConsumeQueue`).
//!
//! * The abort file exists while the store is open; finding it at start means the last run
//!   did not close cleanly.
//! * Clean start: files are trusted; the commit log's last segment is scanned (without
//!   requiring the record CRC) to find the write position.
//! * After a crash: the scan starts at the newest segment whose first record is older than
//!   the checkpoint's safe time (every byte before it was flushed), or earlier if a consume
//!   queue lags further behind; every record is checked (body CRC and record CRC), the first
//!   bad one ends the log and everything after it is zeroed or deleted; consume-queue entries
//!   pointing past the end are dropped and missing entries are rebuilt from the scanned
//!   records. Deleting the checkpoint forces a scan of the whole commit log.

use std::fs;
use std::path::Path;

use super::*;

impl Store {
    /// Opens (or creates) the store under `config.root`, recovering after a crash when the
    /// abort file is present.
    pub fn open(config: StoreConfig) -> Result<Store> {
        config.validate()?;
        let root = config.root.clone();
        fs::create_dir_all(&root)?;
        let abort = root.join("abort");
        let crashed = abort.exists();
        let checkpoint = Checkpoint::open(&root.join("checkpoint"))?;
        let mut commit_log = CommitLog::open(
            &root.join("commitlog"),
            config.commit_log_segment_size,
            config.max_record_size,
            config.tail_cache_size,
        )?;
        let mut queues = load_queues(&root, config.consume_queue_entries_per_file)?;

        let mut state = if crashed {
            tracing::warn!(root = %root.display(), "store was not closed cleanly, recovering");
            let from = scan_start(&commit_log, &queues, checkpoint.safe_timestamp())?;
            let mut lagging = Vec::new();
            let per_file = config.consume_queue_entries_per_file;
            let cut = commit_log.recover(from, config.record_crc, |msg, pos, len| {
                lagging.push((
                    msg.message.topic().to_owned(),
                    msg.queue_id,
                    msg.queue_offset,
                    entry_of(msg, pos, len, &config.delay_levels),
                ));
                Ok(())
            })?;
            if cut > 0 {
                tracing::warn!(
                    offset = commit_log.write_pos(),
                    "cut a torn commit-log tail"
                );
            }
            let end = commit_log.write_pos();
            for q in queues.values_mut() {
                q.truncate_past(end)?;
            }
            let mut state = State {
                commit_log,
                queues,
                checkpoint,
                index: None,
                last_timestamp: 0,
            };
            for (topic, id, offset, entry) in lagging {
                let q = state.queue(&root, per_file, &topic, id)?;
                let Ok(offset) = u64::try_from(offset) else {
                    continue;
                };
                if offset == q.max_offset() {
                    q.put(offset, entry)?;
                } else if offset > q.max_offset() {
                    tracing::warn!(%topic, id, offset, max = q.max_offset(), "consume queue gap, entry skipped");
                }
            }
            state
        } else {
            let from = commit_log.segments().list().last().map_or(0, |s| s.start);
            commit_log.recover(from, false, |_, _, _| Ok(()))?;
            let end = commit_log.write_pos();
            for q in queues.values_mut() {
                q.truncate_past(end)?;
            }
            State {
                commit_log,
                queues,
                checkpoint,
                index: None,
                last_timestamp: 0,
            }
        };
        if config.index_enabled {
            state.index = Some(recover_index(&root, &config, &state.commit_log)?);
        }
        let min = state.commit_log.min_offset();
        for q in state.queues.values_mut() {
            q.drop_before(min)?;
        }
        state.last_timestamp = state.checkpoint.physic_ts;
        fs::write(&abort, b"")?;
        let (appender, appender_rx) = appender::Appender::new();
        let inner = Arc::new(Inner {
            appender,
            flushed: Mutex::new(state.commit_log.write_pos()),
            state: Mutex::new(state),
            fsyncs: AtomicU64::new(0),
            closed: AtomicBool::new(false),
            flusher: Mutex::new(None),
            flush_lock: Mutex::new(()),
            disk_full: AtomicBool::new(false),
            disk_ratio_bits: AtomicU64::new(clean::NO_RATIO),
            recovered_after_crash: crashed,
            config,
        });
        appender::Appender::start(&inner, appender_rx)?;
        let store = Store { inner };
        store.check_disk();
        store.flush()?;
        if store.inner.config.flush_mode == FlushMode::Async {
            let flusher = flush::Flusher::start(&store.inner)?;
            *lock(&store.inner.flusher) = Some(flusher);
        }
        Ok(store)
    }
}

/// Opens the index, drops entries of records no longer in the commit log and indexes
/// every record after the last indexed one.
fn recover_index(root: &Path, config: &StoreConfig, log: &CommitLog) -> Result<Index> {
    let mut index = Index::open(
        &root.join("index"),
        config.index_hash_slots,
        config.index_entries,
    )?;
    index.truncate_past(log.write_pos())?;
    let min = log.min_offset();
    let (from, skip_first) = match index.last_indexed() {
        Some(last) if last >= min => (last, true),
        _ => (min, false),
    };
    let mut added = 0u64;
    log.scan(from, |msg, pos, _| {
        if skip_first && pos == from {
            return Ok(());
        }
        added += 1;
        index.add(msg, pos, msg.store_timestamp)
    })?;
    if added > 0 {
        tracing::info!(
            records = added,
            from,
            "index brought up to date from the commit log"
        );
    }
    Ok(index)
}

/// The consume-queue entry of a record. Its third field is the tag hash, except in
/// `SCHEDULE_TOPIC_XXXX`, where Java writes the delivery time instead: store time plus the
/// delay of the record's `DELAY` level (capped at the highest level; level 0 or a
/// non-number keeps the tag hash).
pub(super) fn entry_of(
    msg: &StoredMessage,
    pos: u64,
    len: usize,
    delay_levels: &[std::time::Duration],
) -> Entry {
    let mut code = msg.message.tags().map_or(0, tag_hash);
    if msg.message.topic() == SCHEDULE_TOPIC
        && let Some(level) = msg
            .message
            .properties()
            .get(rocketmq::protocol::message::property::DELAY)
            .and_then(|l| l.trim().parse::<i64>().ok())
            .filter(|l| *l > 0)
        && let Some(delay) = usize::try_from(level)
            .ok()
            .map(|l| l.min(delay_levels.len()))
            .and_then(|l| delay_levels.get(l.checked_sub(1)?))
    {
        let ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
        code = msg.store_timestamp.saturating_add(ms);
    }
    Entry {
        phys_offset: pos,
        size: len as u32,
        tag_hash: code,
    }
}

/// The delay-level topic (Java `TopicValidator.RMQ_SYS_SCHEDULE_TOPIC`).
const SCHEDULE_TOPIC: &str = "SCHEDULE_TOPIC_XXXX";

/// The consume queues found on disk.
fn load_queues(root: &Path, per_file: u64) -> Result<QueueTable> {
    let mut queues = QueueTable::default();
    let dir = root.join("consumequeue");
    if !dir.exists() {
        return Ok(queues);
    }
    for topic in fs::read_dir(&dir)? {
        let topic = topic?;
        let Some(name) = topic.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if !topic.file_type()?.is_dir() {
            continue;
        }
        for queue in fs::read_dir(topic.path())? {
            let queue = queue?;
            let Some(id) = queue
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<i32>().ok())
            else {
                continue;
            };
            let q = ConsumeQueue::open(&queue.path(), per_file)?;
            queues.insert(&name, id, q);
        }
    }
    Ok(queues)
}

/// Where crash recovery starts scanning: the newest segment whose first record is at or
/// before the safe time, moved back to cover any consume queue that lags behind it.
fn scan_start(log: &CommitLog, queues: &QueueTable, safe_ts: i64) -> Result<u64> {
    let size = log.segment_size();
    let mut from = log.min_offset();
    for seg in log.segments().list().iter().rev() {
        if let Some(ts) = log.first_timestamp(seg.start)?
            && ts <= safe_ts
        {
            from = seg.start;
            break;
        }
    }
    for q in queues.values() {
        let need = match q.last()? {
            Some(e) => e.end(),
            None => log.min_offset(),
        };
        let need = need - need % size;
        from = from.min(need.max(log.min_offset()));
    }
    Ok(from)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rocketmq::protocol::message::{Message, property};

    use super::*;

    fn record(topic: &str, delay: Option<&str>) -> StoredMessage {
        let mut m = Message::new(topic, "b");
        m.set_tags("t");
        if let Some(level) = delay {
            m.properties_mut().insert(property::DELAY, level);
        }
        StoredMessage {
            message: m,
            store_timestamp: 1_000_000,
            ..StoredMessage::default()
        }
    }

    #[test]
    fn schedule_entries_carry_the_delivery_time() {
        let levels = [1, 5, 10].map(Duration::from_secs);
        let code = |topic, delay| entry_of(&record(topic, delay), 0, 10, &levels).tag_hash;
        assert_eq!(code(SCHEDULE_TOPIC, Some("2")), 1_005_000);
        assert_eq!(code(SCHEDULE_TOPIC, Some("9")), 1_010_000, "capped");
        for plain in [Some("0"), Some("x"), None] {
            assert_eq!(code(SCHEDULE_TOPIC, plain), tag_hash("t"));
        }
        assert_eq!(
            code("T", Some("2")),
            tag_hash("t"),
            "only the schedule topic"
        );
    }
}
