//! Consumer offsets and queue offsets: QUERY_CONSUMER_OFFSET, UPDATE_CONSUMER_OFFSET,
//! GET_MIN_OFFSET, GET_MAX_OFFSET, SEARCH_OFFSET_BY_TIMESTAMP, GET_EARLIEST_MSG_STORETIME
//! (Java `ConsumerManageProcessor`, `ConsumerOffsetManager`, the offset requests of
//! `AdminBrokerProcessor`).
//!
//! Offsets live in memory by `topic@group` and queue id and are written to
//! `config/consumerOffset.json` in Java's JSON, integer queue ids as bare keys as
//! fastjson writes them: `{"dataVersion":{..},"offsetTable":{"t@g":{0:5,1:7}}}`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rocketmq::protocol::body::DataVersion;
use rocketmq::protocol::header::{
    BoundaryType, GetEarliestMsgStoretimeRequestHeader, GetEarliestMsgStoretimeResponseHeader,
    GetMaxOffsetRequestHeader, GetMaxOffsetResponseHeader, GetMinOffsetRequestHeader,
    GetMinOffsetResponseHeader, QueryConsumerOffsetRequestHeader,
    QueryConsumerOffsetResponseHeader, SearchOffsetRequestHeader, SearchOffsetResponseHeader,
    UpdateConsumerOffsetRequestHeader,
};
use rocketmq::protocol::json::JsonBody;
use rocketmq::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketmq::remoting::{RemotingServerBuilder, RequestContext};
use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;

use super::{Reply, State, config_file, lock, now_ms, on};
use crate::Result;
use crate::store::Store;

/// Separates topic and group in the table's keys (Java `TOPIC_GROUP_SEPARATOR`).
const SEPARATOR: char = '@';

/// Java `ConsumerOffsetManager`'s JSON (what `consumerOffset.json` and
/// GET_ALL_CONSUMER_OFFSET carry).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct OffsetFile {
    /// Offset per queue id per `topic@group`.
    pub(crate) offset_table: BTreeMap<String, BTreeMap<i32, i64>>,
    /// The table's version (5.x).
    pub(crate) data_version: Option<DataVersion>,
}

impl JsonBody for OffsetFile {}

/// Committed offsets by `topic@group` and queue id.
#[derive(Debug)]
pub(crate) struct OffsetTable {
    path: PathBuf,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    offsets: BTreeMap<String, BTreeMap<i32, i64>>,
    /// Offsets reset by an admin that the group's next pull must start from (5.x
    /// server-side reset; not persisted, as in Java).
    resets: BTreeMap<String, BTreeMap<i32, i64>>,
    version: DataVersion,
    dirty: bool,
}

fn key(group: &str, topic: &str) -> String {
    format!("{topic}{SEPARATOR}{group}")
}

/// `(topic, group)` of a table key.
fn split(key: &str) -> Option<(&str, &str)> {
    key.split_once(SEPARATOR)
}

impl OffsetTable {
    /// Loads `config/consumerOffset.json` under `root`, if any.
    pub(crate) fn open(root: &Path) -> Result<Self> {
        let path = config_file::path(root, "consumerOffset.json");
        let mut inner = Inner {
            offsets: BTreeMap::new(),
            resets: BTreeMap::new(),
            version: DataVersion {
                state_version: Some(0),
                timestamp: now_ms(),
                counter: 0,
            },
            dirty: false,
        };
        if let Some(bytes) = config_file::read(&path)? {
            let file = OffsetFile::from_json(&bytes).map_err(|e| crate::Error::Corrupt {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            inner.offsets = file.offset_table;
            if let Some(v) = file.data_version {
                inner.version = v;
            }
        }
        Ok(OffsetTable {
            path,
            inner: Mutex::new(inner),
        })
    }

    /// The committed offset of `group` on a queue, if any; a pending reset comes first
    /// (Java `queryOffset` with `useServerSideResetOffset`).
    pub(crate) fn query(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        let inner = lock(&self.inner);
        let k = key(group, topic);
        inner
            .resets
            .get(&k)
            .and_then(|m| m.get(&queue_id))
            .or_else(|| inner.offsets.get(&k).and_then(|m| m.get(&queue_id)))
            .copied()
    }

    /// An admin reset: the offset is stored and the group's next pull of the queue starts
    /// there; commits are ignored until then (Java `assignResetOffset`). Negative offsets
    /// and queue ids are ignored.
    #[cfg(test)]
    pub(crate) fn assign_reset(&self, group: &str, topic: &str, queue_id: i32, offset: i64) {
        if queue_id < 0 || offset < 0 || group.is_empty() || topic.is_empty() {
            return;
        }
        let mut inner = lock(&self.inner);
        let k = key(group, topic);
        inner
            .resets
            .entry(k.clone())
            .or_default()
            .insert(queue_id, offset);
        inner.offsets.entry(k).or_default().insert(queue_id, offset);
        inner.dirty = true;
    }

    /// Whether a reset of the queue is pending (Java `hasOffsetReset`).
    pub(crate) fn has_reset(&self, group: &str, topic: &str, queue_id: i32) -> bool {
        lock(&self.inner)
            .resets
            .get(&key(group, topic))
            .is_some_and(|m| m.contains_key(&queue_id))
    }

    /// Takes a pending reset (Java `queryThenEraseResetOffset`): the pull answers
    /// OFFSET_RESET with this as the next offset.
    pub(crate) fn take_reset(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        let mut inner = lock(&self.inner);
        let k = key(group, topic);
        let m = inner.resets.get_mut(&k)?;
        let offset = m.remove(&queue_id);
        if m.is_empty() {
            inner.resets.remove(&k);
        }
        offset
    }

    /// Stores the offset of `group` on a queue (it may move backwards, as in Java).
    pub(crate) fn commit(&self, group: &str, topic: &str, queue_id: i32, offset: i64) {
        let mut inner = lock(&self.inner);
        let old = inner
            .offsets
            .entry(key(group, topic))
            .or_default()
            .insert(queue_id, offset);
        if old != Some(offset) {
            inner.dirty = true;
        }
    }

    /// Every committed offset of `group` on `topic`, by queue id.
    pub(crate) fn offsets(&self, group: &str, topic: &str) -> BTreeMap<i32, i64> {
        lock(&self.inner)
            .offsets
            .get(&key(group, topic))
            .cloned()
            .unwrap_or_default()
    }

    /// Topics `group` has offsets on (Java `whichTopicByConsumer`).
    pub(crate) fn topics_of_group(&self, group: &str) -> Vec<String> {
        lock(&self.inner)
            .offsets
            .keys()
            .filter_map(|k| {
                split(k)
                    .filter(|(_, g)| *g == group)
                    .map(|(t, _)| t.to_owned())
            })
            .collect()
    }

    /// Groups with offsets on `topic` (Java `whichGroupByTopic`).
    pub(crate) fn groups_of_topic(&self, topic: &str) -> Vec<String> {
        lock(&self.inner)
            .offsets
            .keys()
            .filter_map(|k| {
                split(k)
                    .filter(|(t, _)| *t == topic)
                    .map(|(_, g)| g.to_owned())
            })
            .collect()
    }

    /// Drops every offset of `group` (DELETE_SUBSCRIPTIONGROUP with clean offsets).
    pub(crate) fn remove_group(&self, group: &str) {
        let mut inner = lock(&self.inner);
        let before = inner.offsets.len();
        inner
            .offsets
            .retain(|k, _| split(k).is_none_or(|(_, g)| g != group));
        inner
            .resets
            .retain(|k, _| split(k).is_none_or(|(_, g)| g != group));
        if inner.offsets.len() != before {
            inner.dirty = true;
        }
    }

    /// Drops every offset on `topic` (topic deletion).
    pub(crate) fn remove_topic(&self, topic: &str) {
        let mut inner = lock(&self.inner);
        let before = inner.offsets.len();
        inner
            .offsets
            .retain(|k, _| split(k).is_none_or(|(t, _)| t != topic));
        inner
            .resets
            .retain(|k, _| split(k).is_none_or(|(t, _)| t != topic));
        if inner.offsets.len() != before {
            inner.dirty = true;
        }
    }

    /// The whole table in Java's JSON form (GET_ALL_CONSUMER_OFFSET's body).
    pub(crate) fn snapshot(&self) -> OffsetFile {
        let inner = lock(&self.inner);
        OffsetFile {
            offset_table: inner.offsets.clone(),
            data_version: Some(inner.version.clone()),
        }
    }

    /// Writes `config/consumerOffset.json` if anything changed since the last write.
    pub(crate) fn persist(&self) -> Result<()> {
        let bytes = {
            let mut inner = lock(&self.inner);
            if !inner.dirty {
                return Ok(());
            }
            inner.dirty = false;
            inner.version.timestamp = now_ms();
            inner.version.counter += 1;
            drop(inner);
            self.snapshot().to_json()
        };
        let written = config_file::write(&self.path, &bytes);
        if written.is_err() {
            lock(&self.inner).dirty = true;
        }
        written
    }
}

/// Adds the offset processors.
pub(super) fn register(
    builder: RemotingServerBuilder,
    state: &Arc<State>,
) -> RemotingServerBuilder {
    let b = on(
        builder,
        RequestCode::QUERY_CONSUMER_OFFSET,
        state,
        query_consumer_offset,
    );
    let b = on(
        b,
        RequestCode::UPDATE_CONSUMER_OFFSET,
        state,
        update_consumer_offset,
    );
    let b = on(b, RequestCode::GET_MAX_OFFSET, state, max_offset);
    let b = on(b, RequestCode::GET_MIN_OFFSET, state, min_offset);
    let b = on(
        b,
        RequestCode::SEARCH_OFFSET_BY_TIMESTAMP,
        state,
        search_offset,
    );
    on(
        b,
        RequestCode::GET_EARLIEST_MSG_STORETIME,
        state,
        earliest_store_time,
    )
}

/// Background work for offsets (none beyond the broker-wide persistence).
pub(super) fn spawn(_state: &Arc<State>, _tasks: &mut JoinSet<()>) {}

/// Runs a blocking store call off the async workers.
async fn blocking<T: Send + 'static>(
    state: &State,
    f: impl FnOnce(&Store) -> Result<T> + Send + 'static,
) -> rocketmq::Result<T> {
    let store = state.store.clone();
    let joined = tokio::task::spawn_blocking(move || f(&store)).await;
    match joined {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(rocketmq::Error::Broker {
            code: ResponseCode::SYSTEM_ERROR,
            remark: Some(e.to_string()),
        }),
        Err(e) => Err(rocketmq::Error::Broker {
            code: ResponseCode::SYSTEM_ERROR,
            remark: Some(format!("store task failed: {e}")),
        }),
    }
}

fn u64_to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The share of physical memory Java treats as the page cache holding recent messages
/// (`accessMessageInMemoryMaxRatio`, 40%).
fn in_memory_window() -> u64 {
    static WINDOW: OnceLock<u64> = OnceLock::new();
    *WINDOW.get_or_init(|| {
        let total = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| {
                let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
                let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
                kb.checked_mul(1024)
            })
            .unwrap_or(8 << 30);
        total / 100 * 40
    })
}

/// QUERY_CONSUMER_OFFSET: the committed offset; for a group with none, 0 when the queue
/// still starts at 0 and its first message is recent enough to be in memory (Java's rule
/// for a group consuming a new queue), else QUERY_NOT_FOUND. A 5.x client's
/// `setZeroIfNotFound=false` always gets QUERY_NOT_FOUND.
async fn query_consumer_offset(
    state: Arc<State>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Reply {
    let h: QueryConsumerOffsetRequestHeader = request.read_header()?;
    query_offset(&state, &h).await
}

async fn query_offset(state: &State, h: &QueryConsumerOffsetRequestHeader) -> Reply {
    let found = |offset: i64| {
        Ok(Some(
            RemotingCommand::response(ResponseCode::SUCCESS)
                .with_header(&QueryConsumerOffsetResponseHeader { offset }),
        ))
    };
    if let Some(offset) = state.offsets.query(&h.consumer_group, &h.topic, h.queue_id) {
        return found(offset);
    }
    if h.set_zero_if_not_found == Some(false) {
        return Ok(Some(RemotingCommand::error_response(
            ResponseCode::QUERY_NOT_FOUND,
            "Not found, do not set to zero, maybe this group boot first",
        )));
    }
    let (topic, queue_id) = (h.topic.clone(), h.queue_id);
    let first_in_memory = blocking(state, move |store| {
        if store.min_offset(&topic, queue_id) > 0 {
            return Ok(false);
        }
        let got = store.get_messages(&topic, queue_id, 0, 1, None)?;
        let Some(record) = got.records.first() else {
            return Ok(false);
        };
        let phys = Store::decode(record)?.commit_log_offset;
        let phys = u64::try_from(phys).unwrap_or(0);
        Ok(store.max_phys_offset().saturating_sub(phys) <= in_memory_window())
    })
    .await?;
    if first_in_memory {
        return found(0);
    }
    Ok(Some(RemotingCommand::error_response(
        ResponseCode::QUERY_NOT_FOUND,
        "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first",
    )))
}

/// UPDATE_CONSUMER_OFFSET (usually oneway): stores the offset; the group and topic must
/// exist, and a commit while an admin reset of the queue is pending is ignored (Java 5.x).
async fn update_consumer_offset(
    state: Arc<State>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Reply {
    let h: UpdateConsumerOffsetRequestHeader = request.read_header()?;
    update_offset(&state, &h)
}

fn update_offset(state: &State, h: &UpdateConsumerOffsetRequestHeader) -> Reply {
    if !state.groups.contains(&h.consumer_group) {
        return Ok(Some(RemotingCommand::error_response(
            ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!("Group {} not exist!", h.consumer_group),
        )));
    }
    if !state.topics.contains(&h.topic) {
        return Ok(Some(RemotingCommand::error_response(
            ResponseCode::TOPIC_NOT_EXIST,
            format!("Topic {} not exist!", h.topic),
        )));
    }
    if state
        .offsets
        .has_reset(&h.consumer_group, &h.topic, h.queue_id)
    {
        return Ok(Some(
            RemotingCommand::response(ResponseCode::SUCCESS)
                .with_remark("Offset has been previously reset"),
        ));
    }
    state
        .offsets
        .commit(&h.consumer_group, &h.topic, h.queue_id, h.commit_offset);
    Ok(Some(RemotingCommand::response(ResponseCode::SUCCESS)))
}

/// GET_MAX_OFFSET: one past the queue's last message.
async fn max_offset(state: Arc<State>, _ctx: RequestContext, request: RemotingCommand) -> Reply {
    let h: GetMaxOffsetRequestHeader = request.read_header()?;
    let offset = u64_to_i64(state.store.max_offset(&h.topic, h.queue_id));
    Ok(Some(
        RemotingCommand::response(ResponseCode::SUCCESS)
            .with_header(&GetMaxOffsetResponseHeader { offset }),
    ))
}

/// GET_MIN_OFFSET: the queue's first offset still stored.
async fn min_offset(state: Arc<State>, _ctx: RequestContext, request: RemotingCommand) -> Reply {
    let h: GetMinOffsetRequestHeader = request.read_header()?;
    let offset = u64_to_i64(state.store.min_offset(&h.topic, h.queue_id));
    Ok(Some(
        RemotingCommand::response(ResponseCode::SUCCESS)
            .with_header(&GetMinOffsetResponseHeader { offset }),
    ))
}

/// SEARCH_OFFSET_BY_TIMESTAMP: with the lower boundary (the default) the first offset
/// stored at or after the time (the max offset when all are older); with the upper
/// boundary (5.x) the last offset stored at or before it (0 when all are newer).
async fn search_offset(state: Arc<State>, _ctx: RequestContext, request: RemotingCommand) -> Reply {
    let h: SearchOffsetRequestHeader = request.read_header()?;
    let upper = h.boundary_type == Some(BoundaryType::Upper);
    let (topic, queue_id, ts) = (h.topic.clone(), h.queue_id, h.timestamp);
    let offset = blocking(&state, move |store| {
        if !upper {
            return store.offset_by_time(&topic, queue_id, ts);
        }
        let (min, max) = (
            store.min_offset(&topic, queue_id),
            store.max_offset(&topic, queue_id),
        );
        if max == 0 {
            return Ok(0);
        }
        let after = store.offset_by_time(&topic, queue_id, ts.saturating_add(1))?;
        Ok(if after <= min { 0 } else { after - 1 })
    })
    .await?;
    Ok(Some(
        RemotingCommand::response(ResponseCode::SUCCESS).with_header(&SearchOffsetResponseHeader {
            offset: u64_to_i64(offset),
        }),
    ))
}

/// GET_EARLIEST_MSG_STORETIME: store time of the queue's first stored message, -1 when
/// it has none.
async fn earliest_store_time(
    state: Arc<State>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Reply {
    let h: GetEarliestMsgStoretimeRequestHeader = request.read_header()?;
    let (topic, queue_id) = (h.topic.clone(), h.queue_id);
    let timestamp = blocking(&state, move |store| {
        let min = store.min_offset(&topic, queue_id);
        let got = store.get_messages(&topic, queue_id, min, 1, None)?;
        match got.records.first() {
            Some(record) => Ok(Store::decode(record)?.store_timestamp),
            None => Ok(-1),
        }
    })
    .await?;
    Ok(Some(
        RemotingCommand::response(ResponseCode::SUCCESS)
            .with_header(&GetEarliestMsgStoretimeResponseHeader { timestamp }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_dir::TestDir;

    #[test]
    fn commit_query_persist_reload() {
        let dir = TestDir::new("offsets");
        let table = OffsetTable::open(dir.path()).unwrap();
        assert_eq!(table.query("g", "t", 0), None);
        table.commit("g", "t", 0, 5);
        table.commit("g", "t", 1, 7);
        table.commit("h", "t", 0, 1);
        table.commit("g", "u", 3, 9);
        assert_eq!(table.query("g", "t", 1), Some(7));
        assert_eq!(table.offsets("g", "t"), BTreeMap::from([(0, 5), (1, 7)]));
        assert_eq!(table.topics_of_group("g"), ["t", "u"]);
        assert_eq!(table.groups_of_topic("t"), ["g", "h"]);
        table.persist().unwrap();
        let text = std::fs::read_to_string(dir.path().join("config/consumerOffset.json")).unwrap();
        assert!(
            text.contains(r#""offsetTable":{"t@g":{0:5,1:7},"t@h":{0:1},"u@g":{3:9}}"#),
            "{text}"
        );
        let again = OffsetTable::open(dir.path()).unwrap();
        assert_eq!(again.query("g", "u", 3), Some(9));
        again.remove_group("g");
        assert_eq!(again.query("g", "t", 0), None);
        assert_eq!(again.query("h", "t", 0), Some(1));
        again.remove_topic("t");
        assert_eq!(again.query("h", "t", 0), None);
    }

    #[tokio::test]
    async fn commits_wait_for_a_pending_reset() {
        use crate::broker::put::test_support::test_state;

        let (state, _dir) = test_state("offsets-update");
        state.groups.find("g").unwrap();
        let h = UpdateConsumerOffsetRequestHeader {
            consumer_group: "g".into(),
            topic: "SELF_TEST_TOPIC".into(),
            queue_id: 0,
            commit_offset: 9,
            rpc: Default::default(),
        };
        state.offsets.assign_reset("g", "SELF_TEST_TOPIC", 0, 3);
        let r = update_offset(&state, &h).unwrap().unwrap();
        assert_eq!(
            r.remark.as_deref(),
            Some("Offset has been previously reset")
        );
        assert_eq!(state.offsets.query("g", "SELF_TEST_TOPIC", 0), Some(3));
        state.offsets.take_reset("g", "SELF_TEST_TOPIC", 0);
        let r = update_offset(&state, &h).unwrap().unwrap();
        assert_eq!((r.code, r.remark), (0, None));
        assert_eq!(state.offsets.query("g", "SELF_TEST_TOPIC", 0), Some(9));
    }

    #[test]
    fn server_side_reset() {
        let dir = TestDir::new("offsets-reset");
        let table = OffsetTable::open(dir.path()).unwrap();
        table.commit("g", "t", 0, 50);
        table.assign_reset("g", "t", 0, 10);
        table.assign_reset("g", "t", -1, 10);
        assert!(table.has_reset("g", "t", 0));
        assert!(!table.has_reset("g", "t", 1));
        assert_eq!(table.query("g", "t", 0), Some(10));
        assert_eq!(table.take_reset("g", "t", 0), Some(10));
        assert_eq!(table.take_reset("g", "t", 0), None);
        assert!(!table.has_reset("g", "t", 0));
        assert_eq!(table.query("g", "t", 0), Some(10), "the reset was stored");
    }

    #[tokio::test]
    async fn new_group_starts_at_zero_only_when_the_queue_starts_in_memory() {
        use crate::broker::put::{put, test_support::test_state};
        use rocketmq::protocol::message::{Message, StoredMessage};

        let (state, _dir) = test_state("offsets-query");
        let header = |topic: &str, zero: Option<bool>| QueryConsumerOffsetRequestHeader {
            consumer_group: "g".into(),
            topic: topic.into(),
            queue_id: 0,
            set_zero_if_not_found: zero,
            rpc: Default::default(),
        };
        let code = |r: &Reply| r.as_ref().unwrap().as_ref().unwrap().code;
        // An empty queue: not found.
        let r = query_offset(&state, &header("T", None)).await;
        assert_eq!(code(&r), ResponseCode::QUERY_NOT_FOUND.0);
        let m = StoredMessage {
            message: Message::new("T", &b"x"[..]),
            ..StoredMessage::default()
        };
        put(&state, m).await.unwrap();
        let r = query_offset(&state, &header("T", None))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.code, 0);
        let h: QueryConsumerOffsetResponseHeader = r.read_header().unwrap();
        assert_eq!(h.offset, 0);
        let r = query_offset(&state, &header("T", Some(false))).await;
        assert_eq!(code(&r), ResponseCode::QUERY_NOT_FOUND.0);
        state.offsets.commit("g", "T", 0, 1);
        let r = query_offset(&state, &header("T", Some(false)))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            r.read_header::<QueryConsumerOffsetResponseHeader>()
                .unwrap()
                .offset,
            1
        );
    }

    #[test]
    fn reads_java_pretty_file_with_quoted_or_bare_keys() {
        let dir = TestDir::new("offsets-java");
        let java = "{\n\t\"offsetTable\":{\n\t\t\"%RETRY%g@g\":{0:0\n\t\t},\n\t\t\"t@g\":{\"1\":12,2:3}\n\t}\n}";
        config_file::write(
            &config_file::path(dir.path(), "consumerOffset.json"),
            java.as_bytes(),
        )
        .unwrap();
        let table = OffsetTable::open(dir.path()).unwrap();
        assert_eq!(table.query("g", "t", 1), Some(12));
        assert_eq!(table.query("g", "%RETRY%g", 0), Some(0));
    }
}
