//! Pulling: PULL_MESSAGE and 5.x LITE_PULL_MESSAGE (Java `PullMessageProcessor`,
//! `DefaultMessageStore.getMessage`, `PullRequestHoldService`).
//!
//! Checks in Java's order: broker read permission, subscription group (created on first
//! use when auto-creation is on) and its consume switch, topic and its read permission,
//! queue id; then the subscription: from the header when the sysFlag's subscription bit is
//! set, else the one the group registered by heartbeat (its message model and version
//! checked as Java does). Messages are read from the consume queue with the tag-hash
//! filter (the client matches tags exactly afterwards), at most `maxMsgNums` (capped at
//! 32) and 256 KiB per pull, at least one message, as Java's in-memory transfer limits.
//!
//! Response codes follow the store's status: FOUND -> SUCCESS; nothing new ->
//! PULL_NOT_FOUND; filtered out -> PULL_RETRY_IMMEDIATELY; offset out of range or queue
//! gone -> PULL_OFFSET_MOVED; the remark is the status name. A PULL_NOT_FOUND with the
//! sysFlag's suspend bit set is held (long polling, see `long_poll`) until a message
//! arrives or `suspendTimeoutMillis` (or `short_polling_time` when long polling is off)
//! passes, then answered with the result of a fresh read (taken `pull_wake_delay` after
//! the arrival, so that messages arriving together share one answer, as the Java broker's
//! dispatch passes about 1 ms apart make them); a held pull whose connection closes is
//! dropped. The commit offset carried by the pull (commit bit) is stored first;
//! a pending server-side offset reset (5.x) is answered first instead, with
//! PULL_OFFSET_MOVED / `OFFSET_RESET` and the reset offset as the next one.
//!
//! Not done: Java's OFFSET_MOVED_EVENT message on PULL_OFFSET_MOVED.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use rocketmq::protocol::header::{PullMessageRequestHeader, PullMessageResponseHeader};
use rocketmq::protocol::message::{DecodeOptions, Properties, StoredMessage, property};
use rocketmq::protocol::{ProtocolFlavour, RemotingCommand, RequestCode, ResponseCode};
use rocketmq::remoting::{RemotingServerBuilder, RequestContext};
use tokio::time::Instant;

use super::consumers::PullSubscription;
use super::filter::{MessageFilter, subscription_of_pull};
use super::send::faq;
use super::topics::PERM_READ;
use super::{Reply, State, on};
use crate::store::{GetResult, GetStatus, Store};

/// Pull sysFlag bits (Java `PullSysFlag`).
const FLAG_COMMIT_OFFSET: i32 = 0x1;
const FLAG_SUSPEND: i32 = 0x1 << 1;
const FLAG_SUBSCRIPTION: i32 = 0x1 << 2;
/// Most messages and bytes one pull returns (Java `maxTransferCountOnMessageInMemory`,
/// `maxTransferBytesOnMessageInMemory`).
const MAX_TRANSFER_COUNT: usize = 32;
const MAX_TRANSFER_BYTES: usize = 256 * 1024;
/// Offset of the queue-offset field in a stored record.
const QUEUE_OFFSET_POS: usize = 20;

/// Adds the pull processors.
pub(super) fn register(
    builder: RemotingServerBuilder,
    state: &Arc<State>,
) -> RemotingServerBuilder {
    let builder = on(
        builder,
        RequestCode::PULL_MESSAGE,
        state,
        |state, ctx, req| async move { pull(&state, &ctx, req).await },
    );
    on(
        builder,
        RequestCode::LITE_PULL_MESSAGE,
        state,
        |state, ctx, req| async move { pull(&state, &ctx, req).await },
    )
}

fn refuse(code: ResponseCode, remark: impl Into<String>) -> Reply {
    Ok(Some(RemotingCommand::error_response(code, remark)))
}

/// A pull that passed the checks.
struct Pull {
    header: PullMessageRequestHeader,
    flavour: ProtocolFlavour,
    filter: MessageFilter,
    topic_sys_flag: i32,
    group_sys_flag: i32,
}

async fn pull(state: &Arc<State>, ctx: &RequestContext, request: RemotingCommand) -> Reply {
    let header: PullMessageRequestHeader = request.read_header()?;
    let flavour = request.version.flavour();
    let pull = match check(state, ctx, header, flavour) {
        Ok(p) => p,
        Err(refusal) => return refusal,
    };
    let h = &pull.header;
    // A pending server-side reset (5.x `useServerSideResetOffset`, set by an admin reset)
    // answers at once and keeps the reset offset rather than the pull's commit.
    if let Some(reset) = state
        .offsets
        .take_reset(&h.consumer_group, &h.topic, h.queue_id)
    {
        return Ok(Some(reset_response(state, &pull, reset)));
    }
    if h.sys_flag & FLAG_COMMIT_OFFSET != 0 {
        state
            .offsets
            .commit(&h.consumer_group, &h.topic, h.queue_id, h.commit_offset);
    }
    let config = state.config();
    let hold = if h.sys_flag & FLAG_SUSPEND == 0 {
        None
    } else if config.long_polling_enable {
        Some(Duration::from_millis(
            u64::try_from(h.suspend_timeout_millis).unwrap_or(0),
        ))
    } else {
        Some(config.short_polling_time)
    };
    let deadline = hold.map(|d| Instant::now() + d);
    let mut seen_max: Option<u64> = None;
    loop {
        // Subscribe before reading, so an arrival in between is not missed.
        let mut waiter = deadline.map(|_| state.holds.subscribe(&h.topic, h.queue_id));
        let result = read(state, &pull).await?;
        let code = code_of(&result, h.queue_offset);
        let waiting = match (deadline, waiter.as_mut()) {
            (Some(deadline), Some(waiter))
                if code == ResponseCode::PULL_NOT_FOUND
                    || (code == ResponseCode::PULL_RETRY_IMMEDIATELY && seen_max.is_some()) =>
            {
                Some((deadline, waiter))
            }
            _ => None,
        };
        let Some((deadline, waiter)) = waiting else {
            return Ok(Some(respond(state, &pull, result)));
        };
        let now = Instant::now();
        if now >= deadline {
            return Ok(Some(respond(state, &pull, result)));
        }
        let seen = result.max_offset.max(seen_max.unwrap_or(0));
        seen_max = Some(seen);
        let arrived = tokio::select! {
            arrived = waiter.wait(seen, deadline - now) => arrived,
            () = ctx.connection().closed() => return Ok(None),
            () = state.holds.closing() => false,
        };
        if state.holds.is_closing() {
            let result = read(state, &pull).await?;
            return Ok(Some(respond(state, &pull, result)));
        }
        if arrived && !config.pull_wake_delay.is_zero() {
            // Let the messages arriving right behind this one join its answer.
            let until = deadline.min(Instant::now() + config.pull_wake_delay);
            tokio::select! {
                () = tokio::time::sleep_until(until) => {}
                () = ctx.connection().closed() => return Ok(None),
                () = state.holds.closing() => {}
            }
        }
    }
}

/// The checks before reading; `Err` is the refusal to send.
fn check(
    state: &State,
    ctx: &RequestContext,
    header: PullMessageRequestHeader,
    flavour: ProtocolFlavour,
) -> Result<Pull, Reply> {
    let config = state.config();
    if config.broker_permission & PERM_READ == 0 {
        return Err(refuse(
            ResponseCode::NO_PERMISSION,
            format!(
                "the broker[{}] pulling message is forbidden",
                state.addr.ip()
            ),
        ));
    }
    let group = header.consumer_group.as_str();
    // The three fields the pull needs, read in place.
    let Some((consume_enable, broadcast_enable, group_sys_flag)) =
        state.groups.find_with(group, |g| {
            (
                g.consume_enable,
                g.consume_broadcast_enable,
                g.group_sys_flag.unwrap_or(0),
            )
        })
    else {
        return Err(refuse(
            ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!(
                "subscription group [{group}] does not exist, {}",
                faq(flavour)
            ),
        ));
    };
    if !consume_enable {
        return Err(refuse(
            ResponseCode::NO_PERMISSION,
            format!("subscription group no permission, {group}"),
        ));
    }
    let topic = header.topic.as_str();
    let Some((perm, read_queue_nums, topic_sys_flag)) = state
        .topics
        .with(topic, |t| (t.perm, t.read_queue_nums, t.topic_sys_flag))
    else {
        return Err(refuse(
            ResponseCode::TOPIC_NOT_EXIST,
            format!(
                "topic[{topic}] not exist, apply first please! {}",
                faq(flavour)
            ),
        ));
    };
    if perm & PERM_READ == 0 {
        return Err(refuse(
            ResponseCode::NO_PERMISSION,
            format!("the topic[{topic}] pulling message is forbidden"),
        ));
    }
    if header.queue_id < 0 || header.queue_id >= read_queue_nums {
        let code = match flavour {
            ProtocolFlavour::V4 => ResponseCode::SYSTEM_ERROR,
            _ => ResponseCode::INVALID_PARAMETER,
        };
        return Err(refuse(
            code,
            format!(
                "queueId[{}] is illegal, topic:[{topic}] topicConfig.readQueueNums:[{}] consumer:[/{}]",
                header.queue_id,
                read_queue_nums,
                ctx.peer_addr()
            ),
        ));
    }
    let from_header = header.sys_flag & FLAG_SUBSCRIPTION != 0;
    let property_filter = config.enable_property_filter;
    let filter = if from_header {
        let subscription = subscription_of_pull(
            topic,
            header.subscription.as_deref().unwrap_or(""),
            header.expression_type.as_deref(),
            header.sub_version,
        );
        MessageFilter::build(&subscription, property_filter)
    } else {
        let same_group_faq = faq(flavour);
        let view = state.clients.pull_view(group, topic, property_filter);
        let Some((broadcasting, registered)) = view else {
            return Err(refuse(
                ResponseCode::SUBSCRIPTION_NOT_EXIST,
                format!("the consumer's group info not exist{same_group_faq}"),
            ));
        };
        if !broadcast_enable && broadcasting {
            return Err(refuse(
                ResponseCode::NO_PERMISSION,
                format!("the consumer group[{group}] can not consume by broadcast way"),
            ));
        }
        let Some(PullSubscription {
            sub_version,
            filter,
        }) = registered
        else {
            return Err(refuse(
                ResponseCode::SUBSCRIPTION_NOT_EXIST,
                format!("the consumer's subscription not exist{same_group_faq}"),
            ));
        };
        if sub_version < header.sub_version {
            return Err(refuse(
                ResponseCode::SUBSCRIPTION_NOT_LATEST,
                "the consumer's subscription not latest",
            ));
        }
        filter
    };
    let filter = filter.map_err(|e| Ok(Some(e.pull_response(from_header))))?;
    Ok(Pull {
        header,
        flavour,
        filter,
        topic_sys_flag,
        group_sys_flag,
    })
}

/// A pull at most this many entries behind its queue's end reads on the calling thread
/// (the records were just written: page-cache copies); further behind, on a blocking
/// thread.
const HOT_TAIL_ENTRIES: u64 = 1024;

/// Reads the queue and applies the transfer limits.
async fn read(state: &Arc<State>, pull: &Pull) -> rocketmq::Result<GetResult> {
    let h = &pull.header;
    let max = usize::try_from(h.max_msg_nums)
        .unwrap_or(0)
        .clamp(1, MAX_TRANSFER_COUNT);
    let max_bytes = h
        .max_msg_bytes
        .and_then(|b| usize::try_from(b).ok())
        .map_or(MAX_TRANSFER_BYTES, |b| b.min(MAX_TRANSFER_BYTES));
    let offset = u64::try_from(h.queue_offset).unwrap_or(0);
    let store = state.store.clone();
    let topic = h.topic.clone();
    let queue_id = h.queue_id;
    let filter = pull.filter.clone();
    let get = move || {
        let by_tag = |hash: i64| filter.matches_tag_hash(hash);
        let by_tag: Option<&dyn Fn(i64) -> bool> = match filter {
            MessageFilter::Tags(_) => Some(&by_tag),
            _ => None,
        };
        // As stored: `respond` writes each as clients see it, without a copy first.
        let mut result = store.get_stored_messages(&topic, queue_id, offset, max, by_tag)?;
        if filter.needs_properties() {
            result
                .records
                .retain(|r| properties_of(r).is_some_and(|p| filter.matches_properties(&p)));
            if result.records.is_empty() && result.status == GetStatus::Found {
                result.status = GetStatus::NoMatchedMessage;
            }
        }
        Ok::<_, crate::Error>(result)
    };
    // A consumer near the tail of its queue reads what was just written: page-cache
    // copies, read here (as ASYNC_FLUSH appends are written here) rather than paying two
    // thread hops. One further behind may read from the disk: on a blocking thread.
    let tail = state.store.max_offset(&h.topic, h.queue_id);
    let got = if tail.saturating_sub(offset) <= HOT_TAIL_ENTRIES {
        get()
    } else {
        tokio::task::spawn_blocking(get)
            .await
            .map_err(|e| std::io::Error::other(format!("store read task failed: {e}")))?
    };
    let mut result = got.map_err(|e| match e {
        crate::Error::Rocketmq(e) => e,
        other => rocketmq::Error::Io(std::io::Error::other(other.to_string())),
    })?;
    // A negative request offset reads as 0 above; Java treats it as too small.
    if h.queue_offset < 0 && result.status != GetStatus::NoMessageInQueue {
        result.status = GetStatus::OffsetTooSmall;
        result.records.clear();
        result.next_begin_offset = result.min_offset;
    }
    trim_to_bytes(&mut result, max_bytes);
    Ok(result)
}

/// The properties of a raw record (body not read).
fn properties_of(record: &Bytes) -> Option<Properties> {
    let opts = DecodeOptions {
        read_body: false,
        decompress_body: false,
        ..DecodeOptions::default()
    };
    let mut buf = record.clone();
    let mut props = StoredMessage::decode(&mut buf, &opts)
        .ok()
        .map(|m| m.message.properties().clone())?;
    // The record is as stored: the filter sees the properties as clients will.
    props.remove(property::CRC32);
    Some(props)
}

/// Keeps at most `max_bytes` of records (at least one) and moves the next offset after
/// the last one kept.
fn trim_to_bytes(result: &mut GetResult, max_bytes: usize) {
    let mut total = 0;
    let mut keep = 0;
    for r in &result.records {
        let len = Store::client_record_len(r);
        if keep > 0 && total + len > max_bytes {
            break;
        }
        total += len;
        keep += 1;
    }
    if keep < result.records.len() {
        result.records.truncate(keep);
        if let Some(last) = result.records.last()
            && let Some(b) = last.get(QUEUE_OFFSET_POS..QUEUE_OFFSET_POS + 8)
        {
            let mut o = [0u8; 8];
            o.copy_from_slice(b);
            result.next_begin_offset = u64::try_from(i64::from_be_bytes(o) + 1).unwrap_or(0);
        }
    }
}

/// Java's response code for a store status.
fn code_of(result: &GetResult, request_offset: i64) -> ResponseCode {
    match result.status {
        GetStatus::Found => ResponseCode::SUCCESS,
        GetStatus::NoMatchedMessage => ResponseCode::PULL_RETRY_IMMEDIATELY,
        GetStatus::NoMatchedLogicQueue | GetStatus::NoMessageInQueue => {
            if request_offset != 0 {
                ResponseCode::PULL_OFFSET_MOVED
            } else {
                ResponseCode::PULL_NOT_FOUND
            }
        }
        GetStatus::OffsetOverflowOne => ResponseCode::PULL_NOT_FOUND,
        GetStatus::OffsetOverflowBadly | GetStatus::OffsetTooSmall => {
            ResponseCode::PULL_OFFSET_MOVED
        }
    }
}

/// Java's `GetMessageStatus` name, the remark of every pull response.
fn status_name(status: GetStatus) -> &'static str {
    match status {
        GetStatus::Found => "FOUND",
        GetStatus::NoMatchedMessage => "NO_MATCHED_MESSAGE",
        GetStatus::NoMessageInQueue => "NO_MESSAGE_IN_QUEUE",
        GetStatus::OffsetTooSmall => "OFFSET_TOO_SMALL",
        GetStatus::OffsetOverflowOne => "OFFSET_OVERFLOW_ONE",
        GetStatus::OffsetOverflowBadly => "OFFSET_OVERFLOW_BADLY",
        GetStatus::NoMatchedLogicQueue => "NO_MATCHED_LOGIC_QUEUE",
    }
}

fn as_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Java 5.x's OFFSET_RESET answer: PULL_OFFSET_MOVED to the reset offset.
fn reset_response(state: &State, pull: &Pull, offset: i64) -> RemotingCommand {
    let h = &pull.header;
    let result = GetResult {
        status: GetStatus::Found,
        records: Vec::new(),
        next_begin_offset: u64::try_from(offset).unwrap_or(0),
        min_offset: state.store.min_offset(&h.topic, h.queue_id),
        max_offset: state.store.max_offset(&h.topic, h.queue_id),
    };
    let mut r = respond(state, pull, result);
    r.code = ResponseCode::PULL_OFFSET_MOVED.0;
    r.remark = Some("OFFSET_RESET".into());
    r
}

fn respond(state: &State, pull: &Pull, result: GetResult) -> RemotingCommand {
    let h = &pull.header;
    let code = code_of(&result, h.queue_offset);
    let v5 = pull.flavour != ProtocolFlavour::V4;
    let header = PullMessageResponseHeader {
        suggest_which_broker_id: 0,
        next_begin_offset: as_i64(result.next_begin_offset),
        min_offset: as_i64(result.min_offset),
        max_offset: as_i64(result.max_offset),
        offset_delta: None,
        topic_sys_flag: v5.then_some(pull.topic_sys_flag),
        group_sys_flag: v5.then_some(pull.group_sys_flag),
        forbidden_type: None,
    };
    let count = result.records.len();
    let body: Bytes = if count == 0 {
        Bytes::new()
    } else {
        // The stored lengths bound the answer's (each at most a CRC property longer).
        let mut body = BytesMut::with_capacity(result.records.iter().map(Bytes::len).sum());
        for r in &result.records {
            Store::put_client_record(&mut body, r);
        }
        body.freeze()
    };
    state
        .stats
        .record_get(&h.topic, &h.consumer_group, count as u64, body.len() as u64);
    RemotingCommand::response(code)
        .with_remark(status_name(result.status))
        .with_header(&header)
        .with_body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        let r = |status| GetResult {
            status,
            records: Vec::new(),
            next_begin_offset: 0,
            min_offset: 0,
            max_offset: 0,
        };
        assert_eq!(code_of(&r(GetStatus::Found), 0), ResponseCode::SUCCESS);
        assert_eq!(
            code_of(&r(GetStatus::OffsetOverflowOne), 5),
            ResponseCode::PULL_NOT_FOUND
        );
        assert_eq!(
            code_of(&r(GetStatus::NoMessageInQueue), 0),
            ResponseCode::PULL_NOT_FOUND
        );
        assert_eq!(
            code_of(&r(GetStatus::NoMessageInQueue), 3),
            ResponseCode::PULL_OFFSET_MOVED
        );
        assert_eq!(
            code_of(&r(GetStatus::NoMatchedMessage), 3),
            ResponseCode::PULL_RETRY_IMMEDIATELY
        );
        assert_eq!(
            code_of(&r(GetStatus::OffsetTooSmall), 3),
            ResponseCode::PULL_OFFSET_MOVED
        );
    }

    #[tokio::test]
    async fn pending_reset_moves_the_consumer() {
        use crate::broker::put::{put, test_support::test_state};
        use rocketmq::protocol::message::{Message, StoredMessage};
        let (state, _dir) = test_state("pull-reset");
        for _ in 0..3 {
            let msg = StoredMessage {
                message: Message::new("R", &b"x"[..]),
                ..StoredMessage::default()
            };
            put(&state, msg).await.unwrap();
        }
        state.offsets.assign_reset("g", "R", 0, 1);
        let pull = Pull {
            header: PullMessageRequestHeader {
                consumer_group: "g".into(),
                topic: "R".into(),
                ..Default::default()
            },
            flavour: ProtocolFlavour::V5,
            filter: MessageFilter::All,
            topic_sys_flag: 0,
            group_sys_flag: 0,
        };
        let reset = state.offsets.take_reset("g", "R", 0).unwrap();
        let r = reset_response(&state, &pull, reset);
        assert_eq!(r.response_code(), ResponseCode::PULL_OFFSET_MOVED);
        assert_eq!(r.remark.as_deref(), Some("OFFSET_RESET"));
        let h: PullMessageResponseHeader = r.read_header().unwrap();
        assert_eq!((h.next_begin_offset, h.min_offset, h.max_offset), (1, 0, 3));
        assert!(state.offsets.take_reset("g", "R", 0).is_none());
    }

    #[test]
    fn byte_limit_keeps_one_and_moves_next() {
        let rec = |offset: i64, len: usize| {
            let mut v = vec![0u8; len];
            v[QUEUE_OFFSET_POS..QUEUE_OFFSET_POS + 8].copy_from_slice(&offset.to_be_bytes());
            Bytes::from(v)
        };
        let mut r = GetResult {
            status: GetStatus::Found,
            records: vec![rec(4, 100), rec(5, 100), rec(6, 100)],
            next_begin_offset: 7,
            min_offset: 0,
            max_offset: 7,
        };
        trim_to_bytes(&mut r, 250);
        assert_eq!(r.records.len(), 2);
        assert_eq!(r.next_begin_offset, 6);
        trim_to_bytes(&mut r, 10);
        assert_eq!(r.records.len(), 1);
        assert_eq!(r.next_begin_offset, 5);
    }
}
