//! Delayed delivery: messages with a delay level wait in `SCHEDULE_TOPIC_XXXX` (queue =
//! level - 1) and are re-put into their real topic when due (Java
//! `ScheduleMessageService`); 5.x timer messages (`TIMER_DELIVER_MS`, `TIMER_DELAY_SEC`,
//! `TIMER_DELAY_MS`) wait in `rmq_sys_wheel_timer` (see [`timer`]).
//!
//! One task per level reads its queue in order from the level's persisted offset. A
//! message is due at its store time plus the level's delay (Java's tag-code delivery time;
//! a due time more than one delay ahead, after a clock step back, means now). The task
//! sleeps until the head message is due, or until a message arrives in an empty queue,
//! then re-puts it as Java's `messageTimeUp` does: same body, flag, sysFlag, born
//! time/host and reconsume times, into `REAL_TOPIC`/`REAL_QID`, with the stored properties
//! unchanged. (Java clears `DELAY` and sets `WAIT=false` only in the message's property
//! map after it has already serialized the properties string it stores, so the delivered
//! message keeps `DELAY`, `REAL_TOPIC`, `REAL_QID` and the original `WAIT`, as Java 4.9.8
//! and 5.5.0 brokers deliver it.) A message without a valid real topic/queue, or whose
//! real topic is the transaction half topic, is skipped; a failed put is retried after
//! 10 s.
//!
//! Progress is persisted in `config/delayOffset.json` in Java's
//! `DelayOffsetSerializeWrapper` JSON (`{"dataVersion":..,"offsetTable":{1:5,2:0}}`, level
//! as a bare integer key). A restart redelivers what was delivered after the last write.

pub(crate) mod timer;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rocketmq::protocol::body::DataVersion;
use rocketmq::protocol::json::JsonBody;
use rocketmq::protocol::message::{DecodeOptions, StoredMessage, property};
use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;
use tracing::{debug, info, warn};

use super::send::TRANS_HALF_TOPIC;
use super::topics::SCHEDULE_TOPIC;
use super::{State, config_file, lock, now_ms};
use crate::Result;
use crate::config::BrokerConfig;
use crate::store::GetStatus;

/// Wait before retrying a failed re-put (Java `DELAY_FOR_A_PERIOD`).
const RETRY_PUT_AFTER: Duration = Duration::from_secs(10);
/// Longest idle wait before a level re-reads its queue (a safety net; arrivals wake it).
const IDLE_RECHECK: Duration = Duration::from_secs(30);
/// Entries read per batch.
const BATCH: usize = 32;

/// Java `DelayOffsetSerializeWrapper`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct DelayOffsetFile {
    offset_table: BTreeMap<i32, i64>,
    data_version: Option<DataVersion>,
}

impl JsonBody for DelayOffsetFile {}

/// Delivery progress per delay level, and of the timer.
#[derive(Debug)]
pub(crate) struct Schedule {
    path: PathBuf,
    inner: Mutex<Inner>,
    timer: timer::TimerProgress,
}

#[derive(Debug)]
struct Inner {
    offsets: BTreeMap<i32, i64>,
    version: DataVersion,
    dirty: bool,
}

impl Schedule {
    pub(crate) fn open(root: &Path, _config: &BrokerConfig) -> Result<Self> {
        let path = config_file::path(root, "delayOffset.json");
        let mut inner = Inner {
            offsets: BTreeMap::new(),
            version: DataVersion {
                state_version: Some(0),
                timestamp: now_ms(),
                counter: 0,
            },
            dirty: false,
        };
        if let Some(bytes) = config_file::read(&path)? {
            let file = DelayOffsetFile::from_json(&bytes).map_err(|e| crate::Error::Corrupt {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            inner.offsets = file.offset_table;
            if let Some(v) = file.data_version {
                inner.version = v;
            }
        }
        Ok(Schedule {
            path,
            inner: Mutex::new(inner),
            timer: timer::TimerProgress::open(root)?,
        })
    }

    /// The next queue offset a level delivers from (0 when never delivered).
    pub(crate) fn delay_offset(&self, level: i32) -> i64 {
        lock(&self.inner).offsets.get(&level).copied().unwrap_or(0)
    }

    /// Every level's offset (GET_BROKER_RUNTIME_INFO's `scheduleMessageOffset_<level>`).
    #[cfg(test)]
    pub(crate) fn delay_offsets(&self) -> BTreeMap<i32, i64> {
        lock(&self.inner).offsets.clone()
    }

    fn set_delay_offset(&self, level: i32, offset: i64) {
        let mut inner = lock(&self.inner);
        if inner.offsets.insert(level, offset) != Some(offset) {
            inner.dirty = true;
        }
    }

    /// Timer messages stored but not yet delivered.
    #[cfg(test)]
    pub(crate) fn timers_pending(&self) -> usize {
        self.timer.pending()
    }

    /// Writes `config/delayOffset.json` (and the timer's progress) if changed.
    pub(crate) fn persist(&self) -> Result<()> {
        let bytes = {
            let mut inner = lock(&self.inner);
            if inner.dirty {
                inner.dirty = false;
                inner.version.timestamp = now_ms();
                inner.version.counter += 1;
                Some(
                    DelayOffsetFile {
                        offset_table: inner.offsets.clone(),
                        data_version: Some(inner.version.clone()),
                    }
                    .to_json(),
                )
            } else {
                None
            }
        };
        if let Some(bytes) = bytes
            && let Err(e) = config_file::write(&self.path, &bytes)
        {
            lock(&self.inner).dirty = true;
            return Err(e);
        }
        self.timer.persist()
    }
}

/// Starts one delivery task per delay level, and the timer.
pub(super) fn spawn(state: &Arc<State>, tasks: &mut JoinSet<()>) {
    let levels = match state.config().delay_levels() {
        Ok(l) => l,
        Err(e) => {
            warn!("delay levels unusable, no delayed delivery: {e}");
            return;
        }
    };
    info!(levels = levels.len(), "delayed delivery started");
    for (i, delay) in levels.into_iter().enumerate() {
        let Ok(level) = i32::try_from(i + 1) else {
            break;
        };
        let state = Arc::clone(state);
        tasks.spawn(async move { deliver_level(state, level, delay).await });
    }
    timer::spawn(state, tasks);
}

/// A level's delivery loop.
async fn deliver_level(state: Arc<State>, level: i32, delay: Duration) {
    let queue_id = level - 1;
    let delay_ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
    let mut arrivals = state.holds.subscribe(SCHEDULE_TOPIC, queue_id);
    let mut offset = u64::try_from(state.schedule.delay_offset(level)).unwrap_or(0);
    loop {
        let store = state.store.clone();
        let read = tokio::task::spawn_blocking(move || {
            store.get_messages(SCHEDULE_TOPIC, queue_id, offset, BATCH, None)
        })
        .await;
        let got = match read {
            Ok(Ok(got)) => got,
            Ok(Err(e)) => {
                warn!(level, offset, "delay queue unreadable: {e}");
                tokio::time::sleep(RETRY_PUT_AFTER).await;
                continue;
            }
            Err(e) => {
                warn!(level, "delay queue read task failed: {e}");
                tokio::time::sleep(RETRY_PUT_AFTER).await;
                continue;
            }
        };
        match got.status {
            GetStatus::Found => {}
            GetStatus::OffsetTooSmall | GetStatus::OffsetOverflowBadly => {
                // Below the first entry still stored, or past the end (a store
                // reset): continue from where the queue really is.
                offset = got.next_begin_offset;
                state
                    .schedule
                    .set_delay_offset(level, i64::try_from(offset).unwrap_or(0));
                continue;
            }
            GetStatus::NoMatchedMessage => {
                // Entries whose records are gone: skip them.
                offset = got.next_begin_offset;
                state
                    .schedule
                    .set_delay_offset(level, i64::try_from(offset).unwrap_or(0));
                continue;
            }
            _ => {
                arrivals.wait(offset, IDLE_RECHECK).await;
                continue;
            }
        }
        for record in &got.records {
            let opts = DecodeOptions {
                decompress_body: false,
                ..DecodeOptions::default()
            };
            let mut buf = record.clone();
            let msg = match StoredMessage::decode(&mut buf, &opts) {
                Ok(m) => m,
                Err(e) => {
                    warn!(level, offset, "undecodable delayed message skipped: {e}");
                    offset += 1;
                    continue;
                }
            };
            let due = due_time(msg.store_timestamp, delay_ms, now_ms());
            let wait = due - now_ms();
            if wait > 0 {
                debug!(
                    level,
                    offset,
                    wait_ms = wait,
                    "waiting for the next delayed message"
                );
                tokio::time::sleep(Duration::from_millis(wait.unsigned_abs())).await;
            }
            let next = u64::try_from(msg.queue_offset).unwrap_or(offset) + 1;
            let task_state = Arc::clone(&state);
            let delivered = finish_even_if_aborted(async move {
                let outcome = deliver(&task_state, msg).await;
                if matches!(outcome, Delivered::Done) {
                    task_state
                        .schedule
                        .set_delay_offset(level, i64::try_from(next).unwrap_or(0));
                }
                outcome
            })
            .await;
            if !matches!(delivered, Some(Delivered::Done)) {
                tokio::time::sleep(RETRY_PUT_AFTER).await;
                break;
            }
            offset = next;
        }
    }
}

/// Runs a re-put and its progress record to the end even when the calling task is aborted
/// (a broker shutdown): a message already stored again must not be left without its
/// progress, or it would be delivered twice after a restart. The spawned task ends by
/// itself after one put; `None` if it panicked.
pub(super) async fn finish_even_if_aborted<T: Send + 'static>(
    work: impl std::future::Future<Output = T> + Send + 'static,
) -> Option<T> {
    tokio::spawn(work).await.ok()
}

/// When a message stored at `store_time` in a level with this delay is due (Java
/// `computeDeliverTimestamp` + `correctDeliverTimestamp`).
fn due_time(store_time: i64, delay_ms: i64, now: i64) -> i64 {
    let due = store_time.saturating_add(delay_ms);
    if due > now.saturating_add(delay_ms) {
        now
    } else {
        due
    }
}

enum Delivered {
    /// Stored (or skipped for good).
    Done,
    /// The put failed: try again later.
    Retry,
}

/// Re-puts a due message into its real topic (Java `messageTimeUp` + put).
async fn deliver(state: &Arc<State>, delayed: StoredMessage) -> Delivered {
    let Some(msg) = time_up(delayed) else {
        return Delivered::Done;
    };
    let (topic, queue_id) = (msg.message.topic().to_owned(), msg.queue_id);
    match super::put::put_raw(state, msg).await {
        Ok(out) => {
            debug!(topic = %topic, queue_id, offset = out.queue_offset, "delayed message delivered");
            Delivered::Done
        }
        Err(e) => {
            warn!(topic = %topic, queue_id, "delivering a delayed message failed: {e}");
            Delivered::Retry
        }
    }
}

/// The message to re-put for a due delayed message, or `None` to skip it.
fn time_up(delayed: StoredMessage) -> Option<StoredMessage> {
    let mut message = delayed.message;
    let real_topic = message.property(property::REAL_TOPIC).map(str::to_owned);
    let real_queue = message
        .property(property::REAL_QID)
        .and_then(|q| q.parse::<i32>().ok());
    let (Some(topic), Some(queue_id)) = (real_topic, real_queue) else {
        warn!(
            offset = delayed.commit_log_offset,
            "delayed message without a valid REAL_TOPIC/REAL_QID dropped"
        );
        return None;
    };
    if topic == TRANS_HALF_TOPIC {
        warn!(
            offset = delayed.commit_log_offset,
            "delayed message for the half topic dropped"
        );
        return None;
    }
    message.set_topic(topic);
    Some(StoredMessage {
        message,
        queue_id,
        sys_flag: delayed.sys_flag,
        born_timestamp: delayed.born_timestamp,
        born_host: delayed.born_host,
        reconsume_times: delayed.reconsume_times,
        ..StoredMessage::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_dir::TestDir;
    use rocketmq::protocol::message::Message;

    #[test]
    fn offsets_persist_in_java_form() {
        let dir = TestDir::new("delay-offsets");
        let config = BrokerConfig::default();
        let s = Schedule::open(dir.path(), &config).unwrap();
        assert_eq!(s.delay_offset(3), 0);
        s.set_delay_offset(1, 5);
        s.set_delay_offset(3, 2);
        s.persist().unwrap();
        let text = std::fs::read_to_string(dir.path().join("config/delayOffset.json")).unwrap();
        assert!(text.contains(r#""offsetTable":{1:5,3:2}"#), "{text}");
        let again = Schedule::open(dir.path(), &config).unwrap();
        assert_eq!(again.delay_offset(1), 5);
        assert_eq!(again.delay_offsets(), BTreeMap::from([(1, 5), (3, 2)]));
        // Java 4.9.8's file: no data version.
        config_file::write(
            &config_file::path(dir.path(), "delayOffset.json"),
            b"{\"offsetTable\":{2:7}}",
        )
        .unwrap();
        assert_eq!(
            Schedule::open(dir.path(), &config).unwrap().delay_offset(2),
            7
        );
    }

    #[test]
    fn due_times() {
        assert_eq!(due_time(1000, 5000, 2000), 6000);
        assert_eq!(due_time(1000, 5000, 9000), 6000, "overdue");
        // Stored "in the future" (clock stepped back): due now.
        assert_eq!(due_time(100_000, 5000, 2000), 2000);
    }

    #[test]
    fn time_up_restores_the_real_topic() {
        let mut m = Message::new(SCHEDULE_TOPIC, &b"x"[..]);
        m.set_tags("t");
        let p = m.properties_mut();
        p.insert(property::REAL_TOPIC, "T");
        p.insert(property::REAL_QID, "3");
        p.insert(property::DELAY, "2");
        p.insert(property::TIMER_DELAY_SEC, "9");
        let delayed = StoredMessage {
            message: m,
            queue_id: 1,
            reconsume_times: 2,
            born_timestamp: 11,
            ..StoredMessage::default()
        };
        let out = time_up(delayed.clone()).unwrap();
        assert_eq!(out.message.body(), delayed.message.body());
        assert_eq!(out.message.topic(), "T");
        assert_eq!(out.queue_id, 3);
        assert_eq!(out.reconsume_times, 2);
        assert_eq!(out.born_timestamp, 11);
        // The stored properties are kept as they are, as Java stores them.
        assert_eq!(out.message.properties(), delayed.message.properties());

        let mut bad = delayed.clone();
        bad.message.properties_mut().insert(property::REAL_QID, "x");
        assert!(time_up(bad).is_none());
        let mut half = delayed;
        half.message
            .properties_mut()
            .insert(property::REAL_TOPIC, TRANS_HALF_TOPIC);
        assert!(time_up(half).is_none());
    }
}
