//! 5.x timer messages (Java `HookUtils.transformTimerMessage` on the put path and
//! `TimerMessageStore` delivering them).
//!
//! On the put path, [`rewrite_timer`] moves a message with `TIMER_DELAY_SEC`,
//! `TIMER_DELAY_MS` or `TIMER_DELIVER_MS` (and no delay level) that is due in the future
//! into `rmq_sys_wheel_timer` queue 0, with `TIMER_OUT_MS` (the delivery time rounded
//! down to the 1 s precision as Java does: an exact second goes one second down),
//! `REAL_TOPIC` and `REAL_QID`. A delay longer than 3 days, an unparsable time, or a
//! past-due delete marker (`TIMER_DEL_UNIQKEY`) is refused (MESSAGE_ILLEGAL). A message
//! with a delay level loses its timer properties and takes the delay-level path.
//!
//! The timer task keeps every stored, undelivered timer message in a min-heap by due time
//! (`TIMER_OUT_MS` + 1 s, so never before the requested time), rebuilt on start by
//! reading the timer queue from the persisted low-water mark. Due messages are re-put into
//! their real topic and queue with `TIMER_ENQUEUE_MS` (the timer message's store time)
//! and `TIMER_DEQUEUE_MS` (now) added to the stored properties, which otherwise stay as
//! they are (`REAL_TOPIC`, `REAL_QID`, `TIMER_OUT_MS` included: Java removes the real
//! topic and sets `WAIT=false` only after serializing the properties it stores).
//!
//! A delete marker (a timer message with `TIMER_DEL_UNIQKEY=<topic>+<uniqKey>`, what a 5.3
//! recall stores) is never delivered: the timer of that topic and unique key due at the
//! same time is dropped instead.
//!
//! Progress lives in `config/timerOffset.json` (broker-lite's own format):
//! `{"watermark":N,"delivered":[..]}` — every entry below `watermark` is delivered, plus
//! the listed ones above it. Deliveries after the last write are repeated after a crash
//! (at-least-once, like Java's timer).

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rocketmq::protocol::body::TopicConfig;
use rocketmq::protocol::json::JsonBody;
use rocketmq::protocol::message::{DecodeOptions, StoredMessage, SysFlag, property};
use rocketmq::protocol::{RemotingCommand, ResponseCode};
use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;
use tracing::{debug, info, warn};

use super::super::topics::{PERM_READ, PERM_WRITE};
use super::super::{State, config_file, lock, now_ms};
use super::{BATCH, IDLE_RECHECK, RETRY_PUT_AFTER};
use crate::Result;
use crate::store::GetStatus;

/// The timer's topic (Java `TimerMessageStore.TIMER_TOPIC`).
pub(crate) const TIMER_TOPIC: &str = "rmq_sys_wheel_timer";
/// Java `timerPrecisionMs`.
const PRECISION_MS: i64 = 1000;
/// Java `timerMaxDelaySec` (3 days), in ms.
const MAX_DELAY_MS: i64 = 3 * 24 * 3600 * 1000;

/// A timer message refused on the put path (Java `WHEEL_TIMER_MSG_ILLEGAL`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TimerRefusal;

impl TimerRefusal {
    /// The send response Java gives.
    pub(crate) fn response(&self) -> RemotingCommand {
        RemotingCommand::error_response(
            ResponseCode::MESSAGE_ILLEGAL,
            format!(
                "timer message illegal, the delay time should not be bigger than the max delay {MAX_DELAY_MS}ms; or if set del msg, the delay time should be bigger than the current time"
            ),
        )
    }
}

/// Java `Long.parseLong`: optional sign and decimal digits.
fn parse_long(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The put path's timer rewrite (see the module docs); call it before the delay-level
/// rewrite. `now` is epoch ms.
pub(crate) fn rewrite_timer(msg: &mut StoredMessage, now: i64) -> Result<(), TimerRefusal> {
    let tran = msg.sys_flag.bits() & SysFlag::TRANSACTION_ROLLBACK.bits();
    if tran != 0 && tran != SysFlag::TRANSACTION_COMMIT.bits() {
        return Ok(());
    }
    if msg.message.topic() == TIMER_TOPIC {
        return Ok(());
    }
    let delay_level = msg.message.delay_level().ok().flatten().unwrap_or(0);
    let props = msg.message.properties_mut();
    if delay_level > 0 {
        props.remove(property::TIMER_DELIVER_MS);
        props.remove(property::TIMER_DELAY_SEC);
        props.remove(property::TIMER_DELAY_MS);
        return Ok(());
    }
    if props.contains_key(property::TIMER_OUT_MS) {
        return Ok(());
    }
    let deliver = if let Some(sec) = props.get(property::TIMER_DELAY_SEC) {
        parse_long(sec)
            .and_then(|s| s.checked_mul(1000))
            .and_then(|ms| now.checked_add(ms))
    } else if let Some(ms) = props.get(property::TIMER_DELAY_MS) {
        parse_long(ms).and_then(|ms| now.checked_add(ms))
    } else if let Some(at) = props.get(property::TIMER_DELIVER_MS) {
        parse_long(at)
    } else {
        return Ok(());
    };
    let Some(mut deliver) = deliver else {
        return Err(TimerRefusal);
    };
    if deliver > now {
        if deliver - now > MAX_DELAY_MS {
            return Err(TimerRefusal);
        }
        deliver = if deliver % PRECISION_MS == 0 {
            deliver - PRECISION_MS
        } else {
            deliver / PRECISION_MS * PRECISION_MS
        };
        let real_topic = msg.message.topic().to_owned();
        let props = msg.message.properties_mut();
        props.insert(property::TIMER_OUT_MS, deliver.to_string());
        props.insert(property::REAL_TOPIC, real_topic);
        props.insert(property::REAL_QID, msg.queue_id.to_string());
        msg.message.set_topic(TIMER_TOPIC);
        msg.queue_id = 0;
    } else if props.contains_key(property::TIMER_DEL_UNIQKEY) {
        return Err(TimerRefusal);
    }
    Ok(())
}

/// `config/timerOffset.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
struct ProgressFile {
    watermark: u64,
    delivered: Vec<u64>,
}

impl JsonBody for ProgressFile {}

/// Which timer-queue entries are delivered.
#[derive(Debug)]
pub(super) struct TimerProgress {
    path: PathBuf,
    inner: Mutex<Progress>,
}

#[derive(Debug, Default)]
struct Progress {
    /// Every entry below is delivered.
    watermark: u64,
    /// Entries read so far (one past the last).
    scanned: u64,
    /// Read, not delivered.
    pending: BTreeSet<u64>,
    /// Delivered at or above the watermark.
    delivered: BTreeSet<u64>,
    /// `REAL_TOPIC+UNIQ_KEY` of timers recalled by a pending delete marker (rebuilt from
    /// the markers when the queue is read again after a restart).
    cancelled: std::collections::HashSet<String>,
    dirty: bool,
}

impl Progress {
    fn advance(&mut self) {
        let low = self
            .pending
            .first()
            .copied()
            .unwrap_or(self.scanned)
            .max(self.watermark);
        if low != self.watermark {
            self.watermark = low;
            self.delivered = self.delivered.split_off(&low);
            self.dirty = true;
        }
    }
}

impl TimerProgress {
    pub(super) fn open(root: &Path) -> Result<Self> {
        let path = config_file::path(root, "timerOffset.json");
        let mut p = Progress::default();
        if let Some(bytes) = config_file::read(&path)? {
            let file = ProgressFile::from_json(&bytes).map_err(|e| crate::Error::Corrupt {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            p.watermark = file.watermark;
            p.scanned = file.watermark;
            p.delivered = file
                .delivered
                .into_iter()
                .filter(|&o| o >= file.watermark)
                .collect();
        }
        Ok(TimerProgress {
            path,
            inner: Mutex::new(p),
        })
    }

    #[cfg(test)]
    pub(super) fn pending(&self) -> usize {
        lock(&self.inner).pending.len()
    }

    fn scanned(&self) -> u64 {
        lock(&self.inner).scanned
    }

    /// Records a read entry; false when it was already delivered.
    fn read(&self, offset: u64) -> bool {
        let mut p = lock(&self.inner);
        if offset < p.watermark || p.delivered.contains(&offset) {
            return false;
        }
        p.pending.insert(offset);
        true
    }

    fn set_scanned(&self, scanned: u64) {
        let mut p = lock(&self.inner);
        if scanned > p.scanned {
            p.scanned = scanned;
            p.advance();
        }
    }

    /// A delete marker for `key` (`topic+uniqKey`) was read.
    fn cancel(&self, key: &str) {
        lock(&self.inner).cancelled.insert(key.to_owned());
    }

    fn is_cancelled(&self, key: &str) -> bool {
        lock(&self.inner).cancelled.contains(key)
    }

    fn uncancel(&self, key: &str) {
        lock(&self.inner).cancelled.remove(key);
    }

    fn delivered(&self, offset: u64) {
        let mut p = lock(&self.inner);
        p.pending.remove(&offset);
        p.delivered.insert(offset);
        p.dirty = true;
        p.advance();
    }

    pub(super) fn persist(&self) -> Result<()> {
        let bytes = {
            let mut p = lock(&self.inner);
            if !p.dirty {
                return Ok(());
            }
            p.dirty = false;
            ProgressFile {
                watermark: p.watermark,
                delivered: p.delivered.iter().copied().collect(),
            }
            .to_json()
        };
        let written = config_file::write(&self.path, &bytes);
        if written.is_err() {
            lock(&self.inner).dirty = true;
        }
        written
    }
}

/// One waiting timer message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Due {
    at: i64,
    queue_offset: u64,
    phys_offset: u64,
}

/// Creates the timer topic if needed and starts the timer task.
pub(super) fn spawn(state: &Arc<State>, tasks: &mut JoinSet<()>) {
    let (_, created) = state.topics.get_or_create(TIMER_TOPIC, || TopicConfig {
        topic_name: TIMER_TOPIC.to_owned(),
        read_queue_nums: 1,
        write_queue_nums: 1,
        perm: PERM_READ | PERM_WRITE,
        ..TopicConfig::default()
    });
    if created {
        info!(topic = TIMER_TOPIC, "timer topic created");
    }
    let state = Arc::clone(state);
    tasks.spawn(async move { run(state).await });
}

fn decode(record: &bytes::Bytes) -> Option<StoredMessage> {
    let opts = DecodeOptions {
        decompress_body: false,
        ..DecodeOptions::default()
    };
    let mut buf = record.clone();
    StoredMessage::decode(&mut buf, &opts).ok()
}

/// When a stored timer message is due: one precision step after `TIMER_OUT_MS` (now
/// when it is missing).
fn due_of(msg: &StoredMessage, now: i64) -> i64 {
    msg.message
        .property(property::TIMER_OUT_MS)
        .and_then(parse_long)
        .map_or(now, |out| out.saturating_add(PRECISION_MS))
}

async fn run(state: Arc<State>) {
    let mut arrivals = state.holds.subscribe(TIMER_TOPIC, 0);
    let mut heap: BinaryHeap<Reverse<Due>> = BinaryHeap::new();
    loop {
        ingest(&state, &mut heap).await;
        while let Some(Reverse(next)) = heap.peek().copied() {
            if next.at > now_ms() {
                break;
            }
            heap.pop();
            let delivered = super::finish_even_if_aborted(deliver(Arc::clone(&state), next)).await;
            if delivered != Some(true) {
                heap.push(Reverse(Due {
                    at: now_ms().saturating_add(
                        i64::try_from(RETRY_PUT_AFTER.as_millis()).unwrap_or(i64::MAX),
                    ),
                    ..next
                }));
            }
        }
        let wait = heap.peek().map_or(IDLE_RECHECK, |Reverse(d)| {
            Duration::from_millis(d.at.saturating_sub(now_ms()).max(0).unsigned_abs())
                .min(IDLE_RECHECK)
        });
        arrivals.wait(state.schedule.timer.scanned(), wait).await;
    }
}

/// Reads the timer queue from where it was last read, adding undelivered entries.
async fn ingest(state: &Arc<State>, heap: &mut BinaryHeap<Reverse<Due>>) {
    loop {
        let from = state.schedule.timer.scanned();
        let store = state.store.clone();
        let read = tokio::task::spawn_blocking(move || {
            store.get_messages(TIMER_TOPIC, 0, from, BATCH, None)
        })
        .await;
        let got = match read {
            Ok(Ok(got)) => got,
            Ok(Err(e)) => {
                warn!(offset = from, "timer queue unreadable: {e}");
                return;
            }
            Err(e) => {
                warn!("timer queue read task failed: {e}");
                return;
            }
        };
        let now = now_ms();
        for record in &got.records {
            let Some(msg) = decode(record) else {
                warn!("undecodable timer message skipped");
                continue;
            };
            let (Ok(queue_offset), Ok(phys_offset)) = (
                u64::try_from(msg.queue_offset),
                u64::try_from(msg.commit_log_offset),
            ) else {
                continue;
            };
            if state.schedule.timer.read(queue_offset) {
                if let Some(key) = msg.message.property(property::TIMER_DEL_UNIQKEY) {
                    state.schedule.timer.cancel(key);
                }
                heap.push(Reverse(Due {
                    at: due_of(&msg, now),
                    queue_offset,
                    phys_offset,
                }));
            }
        }
        let moved = matches!(
            got.status,
            GetStatus::Found
                | GetStatus::NoMatchedMessage
                | GetStatus::OffsetTooSmall
                | GetStatus::OffsetOverflowBadly
        ) && got.next_begin_offset != from;
        if moved {
            state.schedule.timer.set_scanned(got.next_begin_offset);
        }
        if !moved || got.records.len() < BATCH {
            return;
        }
    }
}

/// Re-puts one due timer message; false when the put failed and should be retried.
async fn deliver(state: Arc<State>, due: Due) -> bool {
    let store = state.store.clone();
    let read =
        tokio::task::spawn_blocking(move || store.read_by_phys_offset(due.phys_offset)).await;
    let record = match read {
        Ok(Ok(Some(r))) => r,
        Ok(Ok(None)) => {
            warn!(
                offset = due.queue_offset,
                "timer message no longer stored, dropped"
            );
            state.schedule.timer.delivered(due.queue_offset);
            return true;
        }
        Ok(Err(e)) => {
            warn!(offset = due.queue_offset, "timer message unreadable: {e}");
            return false;
        }
        Err(e) => {
            warn!("timer read task failed: {e}");
            return false;
        }
    };
    let Some(timer) = decode(&record) else {
        warn!(
            offset = due.queue_offset,
            "undecodable timer message dropped"
        );
        state.schedule.timer.delivered(due.queue_offset);
        return true;
    };
    // A delete marker (5.3 recall) is never delivered; it cancels the timer it names.
    if let Some(key) = timer.message.property(property::TIMER_DEL_UNIQKEY) {
        state.schedule.timer.uncancel(key);
        state.schedule.timer.delivered(due.queue_offset);
        return true;
    }
    if let (Some(topic), Some(uniq)) = (
        timer.message.property(property::REAL_TOPIC),
        timer.message.property(property::UNIQ_KEY),
    ) && state
        .schedule
        .timer
        .is_cancelled(&format!("{topic}+{uniq}"))
    {
        debug!(offset = due.queue_offset, "recalled timer message dropped");
        state.schedule.timer.delivered(due.queue_offset);
        return true;
    }
    let Some(msg) = time_up(timer, now_ms()) else {
        warn!(
            offset = due.queue_offset,
            "timer message without a valid real topic dropped"
        );
        state.schedule.timer.delivered(due.queue_offset);
        return true;
    };
    let topic = msg.message.topic().to_owned();
    match super::super::put::put_raw(&state, msg).await {
        Ok(_) => {
            debug!(topic = %topic, offset = due.queue_offset, "timer message delivered");
            state.schedule.timer.delivered(due.queue_offset);
            true
        }
        Err(e) => {
            warn!(topic = %topic, "delivering a timer message failed: {e}");
            false
        }
    }
}

/// The message to re-put for a due timer message (Java `convert` + `convertMessage`, as
/// stored).
fn time_up(timer: StoredMessage, now: i64) -> Option<StoredMessage> {
    let mut message = timer.message;
    let topic = message.property(property::REAL_TOPIC)?.to_owned();
    let queue_id = message.property(property::REAL_QID)?.parse::<i32>().ok()?;
    let props = message.properties_mut();
    props.insert(
        property::TIMER_ENQUEUE_MS,
        timer.store_timestamp.to_string(),
    );
    props.insert(property::TIMER_DEQUEUE_MS, now.to_string());
    message.set_topic(topic);
    Some(StoredMessage {
        message,
        queue_id,
        sys_flag: timer.sys_flag,
        born_timestamp: timer.born_timestamp,
        born_host: timer.born_host,
        reconsume_times: timer.reconsume_times,
        ..StoredMessage::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_dir::TestDir;
    use rocketmq::protocol::message::Message;

    fn msg(props: &[(&str, &str)]) -> StoredMessage {
        let mut m = Message::new("T", &b"x"[..]);
        for (k, v) in props {
            m.properties_mut().insert(*k, *v);
        }
        StoredMessage {
            message: m,
            queue_id: 2,
            ..StoredMessage::default()
        }
    }

    #[test]
    fn rewrite_rules() {
        let now = 1_700_000_000_500;
        // Delay in seconds: 10.5 s after now rounds down to the second.
        let mut m = msg(&[(property::TIMER_DELAY_SEC, "10")]);
        rewrite_timer(&mut m, now).unwrap();
        assert_eq!(m.message.topic(), TIMER_TOPIC);
        assert_eq!(m.queue_id, 0);
        let p = m.message.properties();
        assert_eq!(p.get(property::TIMER_OUT_MS), Some("1700000010000"));
        assert_eq!(p.get(property::REAL_TOPIC), Some("T"));
        assert_eq!(p.get(property::REAL_QID), Some("2"));
        assert_eq!(due_of(&m, 0), 1_700_000_011_000, "never before the request");
        // An exact second goes one second down (Java), delivered at the second.
        let mut m = msg(&[(property::TIMER_DELIVER_MS, "1700000020000")]);
        rewrite_timer(&mut m, now).unwrap();
        assert_eq!(
            m.message.property(property::TIMER_OUT_MS),
            Some("1700000019000")
        );
        assert_eq!(due_of(&m, 0), 1_700_000_020_000);
        // Milliseconds, landing on an exact second.
        let mut m = msg(&[(property::TIMER_DELAY_MS, "1500")]);
        rewrite_timer(&mut m, now).unwrap();
        assert_eq!(
            m.message.property(property::TIMER_OUT_MS),
            Some("1700000001000")
        );
        // Already due: stays where it is.
        let mut m = msg(&[(property::TIMER_DELIVER_MS, "5")]);
        rewrite_timer(&mut m, now).unwrap();
        assert_eq!(m.message.topic(), "T");
        // A delay level wins and strips the timer properties.
        let mut m = msg(&[(property::DELAY, "2"), (property::TIMER_DELAY_SEC, "5")]);
        rewrite_timer(&mut m, now).unwrap();
        assert_eq!(m.message.topic(), "T");
        assert_eq!(m.message.property(property::TIMER_DELAY_SEC), None);
        // Refusals.
        for bad in [
            msg(&[(property::TIMER_DELAY_SEC, "soon")]),
            msg(&[(property::TIMER_DELAY_SEC, "259201")]),
            msg(&[
                (property::TIMER_DELIVER_MS, "5"),
                (property::TIMER_DEL_UNIQKEY, "k"),
            ]),
        ] {
            let mut b = bad;
            assert_eq!(rewrite_timer(&mut b, now), Err(TimerRefusal));
        }
        assert_eq!(
            TimerRefusal.response().code,
            ResponseCode::MESSAGE_ILLEGAL.0
        );
        // Half messages and re-puts of timer messages are left alone.
        let mut half = msg(&[(property::TIMER_DELAY_SEC, "10")]);
        half.sys_flag = SysFlag::TRANSACTION_PREPARED;
        rewrite_timer(&mut half, now).unwrap();
        assert_eq!(half.message.topic(), "T");
        let mut done = msg(&[
            (property::TIMER_DELAY_SEC, "10"),
            (property::TIMER_OUT_MS, "1"),
        ]);
        rewrite_timer(&mut done, now).unwrap();
        assert_eq!(done.message.topic(), "T");
    }

    #[test]
    fn time_up_restores_and_stamps() {
        let mut m = msg(&[
            (property::REAL_TOPIC, "Real"),
            (property::REAL_QID, "1"),
            (property::TIMER_OUT_MS, "99"),
        ]);
        m.message.set_topic(TIMER_TOPIC);
        m.store_timestamp = 42;
        let out = time_up(m, 1000).unwrap();
        assert_eq!((out.message.topic(), out.queue_id), ("Real", 1));
        let p = out.message.properties();
        assert_eq!(p.get(property::TIMER_ENQUEUE_MS), Some("42"));
        assert_eq!(p.get(property::TIMER_DEQUEUE_MS), Some("1000"));
        assert_eq!(p.get(property::TIMER_OUT_MS), Some("99"));
        assert_eq!(
            p.get(property::REAL_TOPIC),
            Some("Real"),
            "kept, as Java stores it"
        );
        assert_eq!(p.get(property::WAIT), None);
        assert!(time_up(msg(&[]), 0).is_none());
    }

    #[test]
    fn progress_watermark_and_persistence() {
        let dir = TestDir::new("timer-progress");
        let p = TimerProgress::open(dir.path()).unwrap();
        for o in 0..5 {
            assert!(p.read(o));
        }
        p.set_scanned(5);
        p.delivered(1);
        p.delivered(3);
        assert_eq!(lock(&p.inner).watermark, 0);
        p.delivered(0);
        assert_eq!(lock(&p.inner).watermark, 2);
        p.persist().unwrap();
        let again = TimerProgress::open(dir.path()).unwrap();
        assert_eq!(again.scanned(), 2);
        assert!(again.read(2));
        assert!(!again.read(3), "delivered before the restart");
        assert!(again.read(4));
        assert!(!again.read(1));
        assert_eq!(again.pending(), 2);
    }

    fn open_state(dir: &TestDir) -> Arc<State> {
        let mut config = crate::config::BrokerConfig::default();
        config.store.dir = dir.path().to_path_buf();
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 10911));
        let store = crate::store::Store::open(config.store.store_config(addr)).unwrap();
        Arc::new(State::new(config, addr, store).unwrap())
    }

    async fn wait_for(state: &State, topic: &str, count: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while state.store.max_offset(topic, 0) < count {
            assert!(tokio::time::Instant::now() < deadline, "timer never fired");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    #[tokio::test]
    async fn a_delete_marker_recalls_its_timer() {
        use super::super::super::put::put_raw;

        let dir = TestDir::new("timer-recall");
        let state = open_state(&dir);
        let mut tasks = JoinSet::new();
        spawn(&state, &mut tasks);
        let at = (now_ms() + 400).to_string();
        for (uniq, del) in [("A", None), ("B", None), ("X", Some("RT+A"))] {
            let mut m = msg(&[(property::TIMER_DELIVER_MS, at.as_str())]);
            m.message.set_topic("RT");
            m.queue_id = 0;
            m.message.properties_mut().insert(property::UNIQ_KEY, uniq);
            if let Some(key) = del {
                m.message
                    .properties_mut()
                    .insert(property::TIMER_DEL_UNIQKEY, key);
            }
            rewrite_timer(&mut m, now_ms()).unwrap();
            put_raw(&state, m).await.unwrap();
        }
        wait_for(&state, "RT", 1).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while state.schedule.timers_pending() != 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "timers left pending"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let got = state.store.get_messages("RT", 0, 0, 8, None).unwrap();
        assert_eq!(got.records.len(), 1, "A recalled, the marker not delivered");
        let m = decode(&got.records[0]).unwrap();
        assert_eq!(m.message.property(property::UNIQ_KEY), Some("B"));
        tasks.shutdown().await;
        state.store.close().unwrap();
    }

    #[tokio::test]
    async fn timers_fire_when_due_and_survive_a_restart() {
        use super::super::super::put::put_raw;

        let dir = TestDir::new("timer-e2e");
        let state = open_state(&dir);
        let mut tasks = JoinSet::new();
        spawn(&state, &mut tasks);
        let start = now_ms();
        for delay in ["300", "1200"] {
            let mut m = msg(&[(property::TIMER_DELAY_MS, delay)]);
            m.message.set_topic("TT");
            m.queue_id = 0;
            rewrite_timer(&mut m, now_ms()).unwrap();
            put_raw(&state, m).await.unwrap();
        }
        assert_eq!(state.store.max_offset(TIMER_TOPIC, 0), 2);
        wait_for(&state, "TT", 1).await;
        assert!(now_ms() - start >= 300);
        // The progress is recorded right after the put returns. On a loaded machine the
        // second timer may be due (and delivered) already, so at most one is pending.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while state.schedule.timers_pending() > 1 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "progress not recorded"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tasks.shutdown().await;
        state.persist_all();
        state.store.close().unwrap();
        drop(state);

        let state = open_state(&dir);
        let mut tasks = JoinSet::new();
        spawn(&state, &mut tasks);
        wait_for(&state, "TT", 2).await;
        assert!(now_ms() - start >= 1200);
        let got = state.store.get_messages("TT", 0, 0, 8, None).unwrap();
        assert_eq!(got.records.len(), 2, "the first timer fired once");
        let m = decode(&got.records[1]).unwrap();
        assert!(m.message.property(property::TIMER_DEQUEUE_MS).is_some());
        assert_eq!(m.message.property(property::TIMER_DELAY_MS), Some("1200"));
        tasks.shutdown().await;
        state.store.close().unwrap();
    }
}
