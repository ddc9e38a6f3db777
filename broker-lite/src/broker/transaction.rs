//! Transactions: END_TRANSACTION commits or rolls back a half message kept in
//! `RMQ_SYS_TRANS_HALF_TOPIC`, with op records in `RMQ_SYS_TRANS_OP_HALF_TOPIC`; a periodic
//! check asks producers about old half messages with CHECK_TRANSACTION_STATE (Java
//! `EndTransactionProcessor`, `TransactionalMessageServiceImpl`,
//! `TransactionalMessageBridge`, `TransactionalMessageCheckService`).
//!
//! * **Commit**: the half message is read back by its commit-log offset and checked against
//!   the request (producer group, queue offset, commit-log offset, as Java does); the real
//!   message is put into `REAL_TOPIC`/`REAL_QID` with those two properties and `TRAN_MSG`
//!   removed, its sysFlag marked committed and the half's commit-log offset as its prepared
//!   transaction offset; then an op record marks the half message done.
//! * **Rollback**: only the op record.
//! * An op record is a message in the op topic, queue = the half message's queue, tag `d`,
//!   body = the half message's queue offset in decimal (4.9.8's form; 5.x batches several
//!   as `o1,o2,`, which the reader here also accepts).
//! * **Check** (every `transaction_check_interval`): per half queue, from the progress
//!   kept as the consumer offsets of group `CID_RMQ_SYS_TRANS` (on the half and the op
//!   queue, as Java keeps them), half messages without an op record and older than
//!   `transaction_timeout` (or their `CHECK_IMMUNITY_TIME_IN_SECONDS`) are put back at the
//!   end of the half queue with `TRANSACTION_CHECK_TIMES` raised, and the producer group is
//!   asked about the new copy with a oneway CHECK_TRANSACTION_STATE on one of its
//!   connections (body: the message under its real topic and queue). A message checked
//!   `transaction_check_max` times is moved to `TRANS_CHECK_MAX_TIME_TOPIC` (5.x; 4.9.8
//!   only logs it). The scan stops at the first message still too young.
//!
//! 5.x clients also get Java 5.x's refusal of a late commit/rollback of a message with a
//! check immunity time (ILLEGAL_OPERATION).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rocketmq::protocol::header::{CheckTransactionStateRequestHeader, EndTransactionRequestHeader};
use rocketmq::protocol::message::{
    DecodeOptions, Message, Properties, StoredMessage, SysFlag, TransactionType, property,
};
use rocketmq::protocol::{ProtocolFlavour, RemotingCommand, RequestCode, ResponseCode};
use rocketmq::remoting::{RemotingServerBuilder, RequestContext};
use tokio::task::JoinSet;
use tracing::{debug, info, warn};

use super::put::{self, PutOutcome};
use super::send::{TRANS_HALF_TOPIC, TRANS_OP_HALF_TOPIC, create_topic_in_send_back, random_below};
use super::topics::{PERM_READ, PERM_WRITE};
use super::{Reply, State, now_ms, on};
use crate::store::{GetStatus, Store};

/// The system group whose offsets record the check's progress (Java
/// `TransactionalMessageUtil.buildConsumerGroup`).
pub(crate) const CHECK_GROUP: &str = "CID_RMQ_SYS_TRANS";
/// Where messages checked too often go (Java `TRANS_CHECK_MAX_TIME_TOPIC`).
pub(crate) const CHECK_MAX_TIME_TOPIC: &str = "TRANS_CHECK_MAX_TIME_TOPIC";
/// Tag of op records (Java `TransactionalMessageUtil.REMOVETAG`).
const REMOVE_TAG: &str = "d";
/// How long a oneway check may wait for room in the producer's write queue.
const CHECK_SEND_TIMEOUT: Duration = Duration::from_millis(100);
/// Entries read per store call while scanning.
const SCAN_BATCH: usize = 32;

/// Adds the END_TRANSACTION processor.
pub(super) fn register(
    builder: RemotingServerBuilder,
    state: &Arc<State>,
) -> RemotingServerBuilder {
    on(
        builder,
        RequestCode::END_TRANSACTION,
        state,
        |state, ctx, request| async move { end_transaction(&state, &ctx, request).await },
    )
}

/// Starts the transaction check loop.
pub(super) fn spawn(state: &Arc<State>, tasks: &mut JoinSet<()>) {
    let state = Arc::clone(state);
    tasks.spawn(async move {
        let mut turn = 0usize;
        loop {
            tokio::time::sleep(state.config().transaction_check_interval).await;
            check_all(&state, &mut turn).await;
        }
    });
}

fn refuse(code: ResponseCode, remark: &str) -> Reply {
    Ok(Some(RemotingCommand::error_response(code, remark)))
}

/// Reads a record back without decompressing its body (as Java's `lookMessageByOffset`).
async fn look(state: &Arc<State>, phys_offset: i64) -> Option<StoredMessage> {
    let offset = u64::try_from(phys_offset).ok()?;
    let store = state.store.clone();
    let record = tokio::task::spawn_blocking(move || store.read_by_phys_offset(offset))
        .await
        .ok()?
        .ok()??;
    decode_raw(&record)
}

fn decode_raw(record: &Bytes) -> Option<StoredMessage> {
    let opts = DecodeOptions {
        decompress_body: false,
        ..DecodeOptions::default()
    };
    let mut buf = record.clone();
    StoredMessage::decode(&mut buf, &opts).ok()
}

async fn end_transaction(
    state: &Arc<State>,
    ctx: &RequestContext,
    request: RemotingCommand,
) -> Reply {
    let h: EndTransactionRequestHeader = request.read_header()?;
    let commit = TransactionType::Commit.bits();
    let rollback = TransactionType::Rollback.bits();
    if h.commit_or_rollback != commit && h.commit_or_rollback != rollback {
        // Unknown (or an invalid value): nothing to do, no answer (Java returns null).
        debug!(peer = ctx.peer_addr(), msg_id = %h.msg_id, "transaction still unknown");
        return Ok(None);
    }
    let Some(half) = look(state, h.commit_log_offset).await else {
        return refuse(
            ResponseCode::SYSTEM_ERROR,
            "Find prepared transaction message failed",
        );
    };
    if request.version.flavour() != ProtocolFlavour::V4 && too_late(state, &h, &half) {
        warn!(msg_id = %h.msg_id, "late end of transaction refused; the check will ask");
        return Ok(Some(RemotingCommand::response(
            ResponseCode::ILLEGAL_OPERATION,
        )));
    }
    if half.message.producer_group() != Some(h.producer_group.as_str()) {
        return refuse(ResponseCode::SYSTEM_ERROR, "The producer group wrong");
    }
    if half.queue_offset != h.tran_state_table_offset {
        return refuse(
            ResponseCode::SYSTEM_ERROR,
            "The transaction state table offset wrong",
        );
    }
    if half.commit_log_offset != h.commit_log_offset {
        return refuse(ResponseCode::SYSTEM_ERROR, "The commit log offset wrong");
    }
    if h.commit_or_rollback == commit {
        let Some(real) = committed(&half) else {
            return refuse(
                ResponseCode::SYSTEM_ERROR,
                "Find prepared transaction message failed",
            );
        };
        if let Err(e) = put::put(state, real).await {
            return Ok(Some(final_put_failure(state, &e)));
        }
        info!(msg_id = %h.msg_id, "transaction committed");
    } else {
        info!(msg_id = %h.msg_id, "transaction rolled back");
    }
    if let Err(e) = put_op(state, &half).await {
        warn!("cannot write the transaction op record: {e}");
    }
    Ok(Some(RemotingCommand::response(ResponseCode::SUCCESS)))
}

/// Java 5.x `rejectCommitOrRollback`: a producer's own end of a message with a check
/// immunity time, arriving after that time, is refused (the check decides).
fn too_late(state: &State, h: &EndTransactionRequestHeader, half: &StoredMessage) -> bool {
    if h.from_transaction_check {
        return false;
    }
    let Some(immunity) = half
        .message
        .property(property::CHECK_IMMUNITY_TIME_IN_SECONDS)
    else {
        return false;
    };
    let timeout = timeout_ms(state);
    now_ms() - half.born_timestamp > immunity_ms(Some(immunity), timeout)
}

fn timeout_ms(state: &State) -> i64 {
    i64::try_from(state.config().transaction_timeout.as_millis()).unwrap_or(i64::MAX)
}

/// Java `TransactionalMessageUtil.getImmunityTime`: the property in seconds, at least the
/// transaction timeout.
fn immunity_ms(property: Option<&str>, timeout_ms: i64) -> i64 {
    property
        .and_then(|s| s.parse::<i64>().ok())
        .map_or(timeout_ms, |s| s.saturating_mul(1000))
        .max(timeout_ms)
}

/// Java `endMessageTransaction`: the real message of a half message, committed.
fn committed(half: &StoredMessage) -> Option<StoredMessage> {
    let topic = half.message.real_topic()?.to_owned();
    let queue_id = half.message.real_queue_id().ok()??;
    let mut props: Properties = half.message.properties().clone();
    props.remove(property::REAL_TOPIC);
    props.remove(property::REAL_QID);
    props.remove(property::TRAN_MSG);
    Some(StoredMessage {
        message: Message::from_parts(
            topic,
            half.message.flag(),
            props,
            half.message.body().clone(),
        ),
        queue_id,
        sys_flag: half
            .sys_flag
            .without(SysFlag::TRANSACTION_ROLLBACK)
            .with(SysFlag::TRANSACTION_COMMIT),
        born_timestamp: half.born_timestamp,
        born_host: half.born_host,
        reconsume_times: half.reconsume_times,
        prepared_transaction_offset: half.commit_log_offset,
        ..StoredMessage::default()
    })
}

/// Java `sendFinalMessage`'s answer to a failed put.
fn final_put_failure(state: &State, e: &crate::Error) -> RemotingCommand {
    let (code, remark) = match e {
        crate::Error::MessageTooLarge { .. }
        | crate::Error::Rocketmq(rocketmq::Error::TooLarge { .. }) => (
            ResponseCode::MESSAGE_ILLEGAL,
            format!(
                "The message is illegal, maybe msg body or properties length not matched. msg body length limit {}B, msg properties length limit 32KB.",
                state.config().store.max_message_size
            ),
        ),
        crate::Error::DiskFull { .. } | crate::Error::Shutdown => (
            ResponseCode::SERVICE_NOT_AVAILABLE,
            "Service not available now.".to_owned(),
        ),
        other => {
            warn!("committing a transaction failed: {other}");
            (ResponseCode::SYSTEM_ERROR, "UNKNOWN_ERROR".to_owned())
        }
    };
    RemotingCommand::error_response(code, remark)
}

/// Writes the op record that marks `half` done (Java `addRemoveTagInTransactionOp`).
async fn put_op(state: &Arc<State>, half: &StoredMessage) -> crate::Result<PutOutcome> {
    create_topic_in_send_back(state, TRANS_OP_HALF_TOPIC, 1, PERM_READ | PERM_WRITE, 0);
    let mut message = Message::new(TRANS_OP_HALF_TOPIC, half.queue_offset.to_string());
    message.set_tags(REMOVE_TAG);
    message.set_wait_store_msg_ok(false);
    message.set_unique_key(super::send::next_unique_id());
    let op = StoredMessage {
        message,
        queue_id: half.queue_id,
        born_timestamp: now_ms(),
        born_host: state.addr,
        ..StoredMessage::default()
    };
    put::put_raw(state, op).await
}

/// One check round over every half queue.
async fn check_all(state: &Arc<State>, turn: &mut usize) {
    let store = state.store.clone();
    let queues = tokio::task::spawn_blocking(move || store.queue_ids(TRANS_HALF_TOPIC))
        .await
        .unwrap_or_default();
    for queue_id in queues {
        if let Err(e) = check_queue(state, queue_id, turn).await {
            warn!(queue_id, "transaction check failed: {e}");
        }
    }
}

/// The records of `topic`/`queue_id` in `from..to`, with their queue offsets.
async fn read_range(
    store: &Store,
    topic: &'static str,
    queue_id: i32,
    from: u64,
    to: u64,
) -> crate::Result<Vec<(u64, StoredMessage)>> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        let mut next = from;
        while next < to {
            let r = store.get_messages(topic, queue_id, next, SCAN_BATCH, None)?;
            if r.status != GetStatus::Found && r.status != GetStatus::NoMatchedMessage {
                break;
            }
            for rec in &r.records {
                if let Some(m) = decode_raw(rec) {
                    let at = u64::try_from(m.queue_offset).unwrap_or(0);
                    if at < to {
                        out.push((at, m));
                    }
                }
            }
            if r.next_begin_offset <= next {
                break;
            }
            next = r.next_begin_offset;
        }
        Ok(out)
    })
    .await
    .map_err(|e| std::io::Error::other(format!("store read task failed: {e}")))?
}

/// The half-queue offsets an op record marks done.
fn op_targets(op: &StoredMessage) -> Vec<u64> {
    if op.message.tags() != Some(REMOVE_TAG) {
        return Vec::new();
    }
    String::from_utf8_lossy(op.message.body())
        .split(',')
        .filter_map(|s| s.trim().parse::<u64>().ok())
        .collect()
}

fn stored_offset(state: &State, topic: &str, queue_id: i32, min: u64) -> u64 {
    state
        .offsets
        .query(CHECK_GROUP, topic, queue_id)
        .and_then(|o| u64::try_from(o).ok())
        .map_or(min, |o| o.max(min))
}

/// Checks one half queue (see the module docs).
async fn check_queue(state: &Arc<State>, queue_id: i32, turn: &mut usize) -> crate::Result<()> {
    let store = &state.store;
    let (half_min, half_max) = (
        store.min_offset(TRANS_HALF_TOPIC, queue_id),
        store.max_offset(TRANS_HALF_TOPIC, queue_id),
    );
    let half_from = stored_offset(state, TRANS_HALF_TOPIC, queue_id, half_min);
    if half_from >= half_max {
        return Ok(());
    }
    let (op_min, op_max) = (
        store.min_offset(TRANS_OP_HALF_TOPIC, queue_id),
        store.max_offset(TRANS_OP_HALF_TOPIC, queue_id),
    );
    let op_from = stored_offset(state, TRANS_OP_HALF_TOPIC, queue_id, op_min);
    let ops: Vec<(u64, Vec<u64>)> =
        read_range(store, TRANS_OP_HALF_TOPIC, queue_id, op_from, op_max)
            .await?
            .into_iter()
            .map(|(at, m)| (at, op_targets(&m)))
            .collect();
    let done: HashSet<u64> = ops.iter().flat_map(|(_, t)| t.iter().copied()).collect();
    let config = state.config();
    let timeout = timeout_ms(state);
    let check_max = config.transaction_check_max;
    let halves = read_range(store, TRANS_HALF_TOPIC, queue_id, half_from, half_max).await?;
    let mut next = half_from;
    for (at, half) in halves {
        if at < next {
            continue;
        }
        if done.contains(&at) {
            next = at + 1;
            continue;
        }
        let times = half
            .message
            .property(property::TRANSACTION_CHECK_TIMES)
            .and_then(|t| t.parse::<i32>().ok())
            .unwrap_or(0);
        if times >= check_max {
            discard(state, &half).await;
            next = at + 1;
            continue;
        }
        let age = now_ms() - half.born_timestamp;
        let immunity = immunity_ms(
            half.message
                .property(property::CHECK_IMMUNITY_TIME_IN_SECONDS),
            timeout,
        );
        if (0..immunity).contains(&age) {
            // This one and (mostly) the ones after it are too young.
            break;
        }
        if let Err(e) = check_one(state, half, times + 1, turn).await {
            warn!("cannot check a half message: {e}");
            break;
        }
        next = at + 1;
    }
    let as_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    state
        .offsets
        .commit(CHECK_GROUP, TRANS_HALF_TOPIC, queue_id, as_i64(next));
    // The op offset moves past the records that only mark messages before `next`.
    let op_next = ops
        .iter()
        .find(|(_, targets)| targets.iter().any(|&t| t >= next))
        .map_or_else(
            || ops.last().map_or(op_from, |(at, _)| at + 1),
            |(at, _)| *at,
        );
    state
        .offsets
        .commit(CHECK_GROUP, TRANS_OP_HALF_TOPIC, queue_id, as_i64(op_next));
    Ok(())
}

/// Puts a half message back at the end of its queue with the new check count and asks
/// its producer group about the new copy (Java `putBackHalfMsgQueue` + `resolveHalfMsg`).
async fn check_one(
    state: &Arc<State>,
    half: StoredMessage,
    times: i32,
    turn: &mut usize,
) -> crate::Result<()> {
    let mut renewed = half.clone();
    renewed
        .message
        .properties_mut()
        .insert(property::TRANSACTION_CHECK_TIMES, times.to_string());
    renewed.message.set_wait_store_msg_ok(false);
    renewed.reconsume_times = 0;
    renewed.prepared_transaction_offset = 0;
    let copy = renewed.clone();
    let outcome = put::put_raw(state, renewed).await?;
    let Some(group) = copy.message.producer_group().map(str::to_owned) else {
        warn!("half message without producer group; cannot check it");
        return Ok(());
    };
    let Some(connection) = state.clients.producer_channel(&group, *turn) else {
        warn!(group, "no producer connection to check a transaction with");
        return Ok(());
    };
    *turn = turn.wrapping_add(1);
    let offset_msg_id = outcome.offset_msg_id();
    let uniq = copy.message.unique_key().map(str::to_owned);
    let header = CheckTransactionStateRequestHeader {
        tran_state_table_offset: i64::try_from(outcome.queue_offset).unwrap_or(i64::MAX),
        commit_log_offset: i64::try_from(outcome.phys_offset).unwrap_or(i64::MAX),
        msg_id: uniq.clone(),
        transaction_id: uniq,
        offset_msg_id: Some(offset_msg_id),
        topic: Some(TRANS_HALF_TOPIC.to_owned()),
        rpc: rocketmq::protocol::header::RpcFields {
            broker_name: Some(state.config().broker_name.clone()),
            ..Default::default()
        },
    };
    // The body: the message under its real topic and queue, at the new offsets.
    let mut body_msg = copy;
    if let Some(real) = body_msg.message.real_topic().map(str::to_owned) {
        body_msg.message.set_topic(real);
    }
    if let Ok(Some(q)) = body_msg.message.real_queue_id() {
        body_msg.queue_id = q;
    }
    body_msg.queue_offset = header.tran_state_table_offset;
    body_msg.commit_log_offset = header.commit_log_offset;
    body_msg.store_timestamp = half.store_timestamp;
    body_msg.store_host = state.addr;
    body_msg.store_size = 0;
    let body = body_msg.to_bytes()?;
    let request = RemotingCommand::request(RequestCode::CHECK_TRANSACTION_STATE)
        .with_header(&header)
        .with_body(body);
    if let Err(e) = connection.invoke_oneway(request, CHECK_SEND_TIMEOUT).await {
        warn!(group, "cannot send CHECK_TRANSACTION_STATE: {e}");
    } else {
        debug!(group, times, "transaction check sent");
    }
    Ok(())
}

/// Moves a message checked too often to `TRANS_CHECK_MAX_TIME_TOPIC` (Java 5.x
/// `resolveDiscardMsg`).
async fn discard(state: &Arc<State>, half: &StoredMessage) {
    warn!(
        real_topic = half.message.real_topic().unwrap_or(""),
        "half message checked too many times; moving it to {CHECK_MAX_TIME_TOPIC}"
    );
    create_topic_in_send_back(state, CHECK_MAX_TIME_TOPIC, 1, PERM_READ | PERM_WRITE, 0);
    let mut msg = half.clone();
    msg.message.set_topic(CHECK_MAX_TIME_TOPIC);
    msg.message.set_wait_store_msg_ok(false);
    msg.queue_id = random_below(1);
    if let Err(e) = put::put_raw(state, msg).await {
        warn!("cannot move a half message to {CHECK_MAX_TIME_TOPIC}: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn immunity_is_at_least_the_timeout() {
        assert_eq!(immunity_ms(None, 6000), 6000);
        assert_eq!(immunity_ms(Some("60"), 6000), 60_000);
        assert_eq!(immunity_ms(Some("1"), 6000), 6000);
        assert_eq!(immunity_ms(Some("x"), 6000), 6000);
    }

    #[test]
    fn commit_restores_the_real_message() {
        let mut props = Properties::new();
        for (k, v) in [
            ("REAL_TOPIC", "T"),
            ("REAL_QID", "3"),
            ("TRAN_MSG", "true"),
            ("PGROUP", "PG"),
            ("TAGS", "t"),
        ] {
            props.insert(k, v);
        }
        let half = StoredMessage {
            message: Message::from_parts(TRANS_HALF_TOPIC, 5, props, &b"b"[..]),
            queue_id: 0,
            commit_log_offset: 1234,
            sys_flag: SysFlag::COMPRESSED,
            born_timestamp: 99,
            ..StoredMessage::default()
        };
        let real = committed(&half).unwrap();
        assert_eq!(real.message.topic(), "T");
        assert_eq!(real.queue_id, 3);
        assert_eq!(real.message.flag(), 5);
        assert_eq!(real.prepared_transaction_offset, 1234);
        assert_eq!(
            real.sys_flag,
            SysFlag::COMPRESSED.with(SysFlag::TRANSACTION_COMMIT)
        );
        let p = real.message.properties();
        assert_eq!(p.get("REAL_TOPIC"), None);
        assert_eq!(p.get("TRAN_MSG"), None);
        assert_eq!(p.get("PGROUP"), Some("PG"));
        assert_eq!(p.get("TAGS"), Some("t"));
    }

    #[test]
    fn op_bodies_of_both_versions() {
        let op = |body: &'static str, tag: &str| {
            let mut m = Message::new(TRANS_OP_HALF_TOPIC, body);
            m.set_tags(tag);
            StoredMessage {
                message: m,
                ..StoredMessage::default()
            }
        };
        assert_eq!(op_targets(&op("7", "d")), [7]);
        assert_eq!(op_targets(&op("7,8,", "d")), [7, 8]);
        assert!(op_targets(&op("7", "x")).is_empty());
    }
}
