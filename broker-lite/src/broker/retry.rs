//! Retry and dead letter: CONSUMER_SEND_MSG_BACK re-puts a failed message into
//! `%RETRY%<group>` with the next delay level, or into `%DLQ%<group>` after the group's
//! maximum reconsume times (Java `AbstractSendMessageProcessor.consumerSendMsgBack`, 5.x,
//! and `SendMessageProcessor.asyncConsumerSendMsgBack`, 4.9.8 — the same rules).
//!
//! The message is read back by its commit-log offset and stored again with the same
//! body, flag, sysFlag, born time and host, `reconsumeTimes + 1`, and its properties plus:
//! `RETRY_TOPIC` (the original topic, unless already set), `WAIT=false`,
//! `ORIGIN_MESSAGE_ID` (kept if set, else the original's offset message id) and `DELAY`:
//! the requested level, `3 + reconsumeTimes` for level 0, or `0` for the DLQ. The DLQ is
//! chosen when the message was already consumed `maxReconsumeTimes` times (from the
//! header for clients since V3_4_9, else the group's `retryMaxTimes`) or the level is
//! negative. Both topics are created on demand, read-write (1 DLQ queue, the group's retry
//! queue count). The put path ([`super::put::put`]) turns the delay into the schedule
//! topic.

use std::sync::{Arc, LazyLock};

use rocketmq::protocol::header::ConsumerSendMsgBackRequestHeader;
use rocketmq::protocol::message::{DecodeOptions, StoredMessage, property};
use rocketmq::protocol::{RemotingCommand, RequestCode, ResponseCode, Version};
use rocketmq::remoting::{RemotingServerBuilder, RequestContext};
use tracing::info;

use super::consumers::{dlq_topic, retry_topic};
use super::send::{create_topic_in_send_back, random_below};
use super::topics::{PERM_READ, PERM_WRITE};
use super::{Reply, State, on};

/// Queues of a dead-letter topic (Java `DLQ_NUMS_PER_GROUP`).
const DLQ_QUEUES: i32 = 1;
/// Java `TopicSysFlag.buildSysFlag(false, true)`: a unit-mode subscriber's topic.
const TOPIC_FLAG_UNIT_SUB: i32 = 0x2;
/// The first client version whose `maxReconsumeTimes` header the broker honours.
static V3_4_9: LazyLock<Option<Version>> = LazyLock::new(|| Version::from_name("V3_4_9"));

/// Adds the send-back processor.
pub(super) fn register(
    builder: RemotingServerBuilder,
    state: &Arc<State>,
) -> RemotingServerBuilder {
    on(
        builder,
        RequestCode::CONSUMER_SEND_MSG_BACK,
        state,
        send_back,
    )
}

fn refuse(code: ResponseCode, remark: impl Into<String>) -> Reply {
    Ok(Some(RemotingCommand::error_response(code, remark)))
}

/// CONSUMER_SEND_MSG_BACK.
async fn send_back(state: Arc<State>, _ctx: RequestContext, request: RemotingCommand) -> Reply {
    let h: ConsumerSendMsgBackRequestHeader = request.read_header()?;
    handle(&state, &h, request.version).await
}

async fn handle(
    state: &Arc<State>,
    h: &ConsumerSendMsgBackRequestHeader,
    version: Version,
) -> Reply {
    let Some(group) = state.groups.find(&h.group) else {
        return refuse(
            ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!("subscription group not exist, {} ", h.group),
        );
    };
    if state.config().broker_permission & PERM_WRITE == 0 {
        return refuse(
            ResponseCode::NO_PERMISSION,
            format!(
                "the broker[{}] sending message is forbidden",
                state.addr.ip()
            ),
        );
    }
    if group.retry_queue_nums <= 0 {
        return Ok(Some(RemotingCommand::response(ResponseCode::SUCCESS)));
    }
    let sys_flag = if h.unit_mode { TOPIC_FLAG_UNIT_SUB } else { 0 };
    let mut topic = retry_topic(&h.group);
    let retry = create_topic_in_send_back(
        state,
        &topic,
        group.retry_queue_nums,
        PERM_READ | PERM_WRITE,
        sys_flag,
    );
    if retry.perm & PERM_WRITE == 0 {
        return refuse(
            ResponseCode::NO_PERMISSION,
            format!("the topic[{topic}] sending message is forbidden"),
        );
    }
    let mut queue_id = random_below(group.retry_queue_nums);

    let Some(original) = look_up(state, h.offset).await? else {
        return refuse(
            ResponseCode::SYSTEM_ERROR,
            format!("look message by offset failed, {}", h.offset),
        );
    };

    let max_times = match (h.max_reconsume_times, *V3_4_9) {
        (Some(times), Some(v)) if version >= v => times,
        _ => group.retry_max_times,
    };
    let to_dlq = original.reconsume_times >= max_times || h.delay_level < 0;
    let delay = if to_dlq {
        topic = dlq_topic(&h.group);
        queue_id = random_below(DLQ_QUEUES);
        create_topic_in_send_back(state, &topic, DLQ_QUEUES, PERM_READ | PERM_WRITE, 0);
        0
    } else if h.delay_level == 0 {
        3 + original.reconsume_times
    } else {
        h.delay_level
    };
    let msg = retry_message(&original, &topic, queue_id, delay);
    let stored = super::put::put(state, msg).await;
    match stored {
        Ok(out) => {
            if to_dlq {
                info!(group = %h.group, topic = %topic, origin_topic = ?h.origin_topic,
                    reconsume_times = original.reconsume_times, "message sent to the DLQ");
            }
            tracing::debug!(group = %h.group, stored_in = %out.topic, queue = out.queue_id,
                delay, "message sent back");
            Ok(Some(RemotingCommand::response(ResponseCode::SUCCESS)))
        }
        Err(e) => refuse(ResponseCode::SYSTEM_ERROR, e.to_string()),
    }
}

/// Reads the message at a commit-log offset (body as stored, not decompressed).
async fn look_up(state: &State, offset: i64) -> rocketmq::Result<Option<StoredMessage>> {
    let Ok(offset) = u64::try_from(offset) else {
        return Ok(None);
    };
    let store = state.store.clone();
    let found = tokio::task::spawn_blocking(move || -> crate::Result<Option<StoredMessage>> {
        let Some(record) = store.read_by_phys_offset(offset)? else {
            return Ok(None);
        };
        let opts = DecodeOptions {
            decompress_body: false,
            ..DecodeOptions::default()
        };
        let mut buf = record;
        Ok(Some(StoredMessage::decode(&mut buf, &opts)?))
    })
    .await;
    match found {
        Ok(Ok(m)) => Ok(m),
        // A record that cannot be read is answered like a missing one.
        Ok(Err(e)) => {
            tracing::warn!(offset, "send back: cannot read the message: {e}");
            Ok(None)
        }
        Err(e) => Err(rocketmq::Error::Broker {
            code: ResponseCode::SYSTEM_ERROR,
            remark: Some(format!("store task failed: {e}")),
        }),
    }
}

/// The message to store in `topic`/`queue_id` for a send-back of `original` (see the
/// module docs for the properties).
fn retry_message(
    original: &StoredMessage,
    topic: &str,
    queue_id: i32,
    delay: i32,
) -> StoredMessage {
    let mut message = original.message.clone();
    let props = message.properties_mut();
    if props.get(property::RETRY_TOPIC).is_none() {
        props.insert(property::RETRY_TOPIC, original.message.topic());
    }
    props.insert(property::WAIT, "false");
    props.insert(property::DELAY, delay.to_string());
    let origin_id = match props.get(property::ORIGIN_MESSAGE_ID) {
        Some(id) if !id.trim().is_empty() => id.to_owned(),
        _ => original.offset_msg_id().to_string(),
    };
    props.insert(property::ORIGIN_MESSAGE_ID, origin_id);
    message.set_topic(topic);
    StoredMessage {
        message,
        queue_id,
        sys_flag: original.sys_flag,
        born_timestamp: original.born_timestamp,
        born_host: original.born_host,
        reconsume_times: original.reconsume_times + 1,
        ..StoredMessage::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rocketmq::protocol::message::Message;

    #[test]
    fn retry_and_dlq_properties() {
        let mut m = Message::new("T", &b"body"[..]);
        m.set_tags("tag");
        let original = StoredMessage {
            message: m,
            queue_id: 3,
            commit_log_offset: 1234,
            reconsume_times: 2,
            born_timestamp: 77,
            ..StoredMessage::default()
        };
        let r = retry_message(&original, "%RETRY%g", 0, 5);
        assert_eq!(r.message.topic(), "%RETRY%g");
        assert_eq!(r.reconsume_times, 3);
        assert_eq!(r.born_timestamp, 77);
        let p = r.message.properties();
        assert_eq!(p.get(property::RETRY_TOPIC), Some("T"));
        assert_eq!(p.get(property::DELAY), Some("5"));
        assert_eq!(p.get(property::WAIT), Some("false"));
        assert_eq!(p.get(property::TAGS), Some("tag"));
        let origin = original.offset_msg_id().to_string();
        assert_eq!(p.get(property::ORIGIN_MESSAGE_ID), Some(origin.as_str()));

        // A second round keeps the first RETRY_TOPIC and ORIGIN_MESSAGE_ID.
        let again = StoredMessage {
            commit_log_offset: 9999,
            ..r.clone()
        };
        let d = retry_message(&again, "%DLQ%g", 0, 0);
        let p = d.message.properties();
        assert_eq!(p.get(property::RETRY_TOPIC), Some("T"));
        assert_eq!(p.get(property::ORIGIN_MESSAGE_ID), Some(origin.as_str()));
        assert_eq!(p.get(property::DELAY), Some("0"));
        assert_eq!(d.reconsume_times, 4);
    }

    async fn stored(state: &State, topic: &str, queue_id: i32) -> Vec<StoredMessage> {
        let got = state
            .store
            .get_messages(topic, queue_id, 0, 32, None)
            .unwrap();
        got.records
            .iter()
            .map(|r| crate::store::Store::decode(r).unwrap())
            .collect()
    }

    fn header(offset: u64, delay_level: i32, max: Option<i32>) -> ConsumerSendMsgBackRequestHeader {
        ConsumerSendMsgBackRequestHeader {
            offset: i64::try_from(offset).unwrap(),
            group: "g".into(),
            delay_level,
            origin_msg_id: None,
            origin_topic: Some("T".into()),
            unit_mode: false,
            max_reconsume_times: max,
            rpc: Default::default(),
        }
    }

    #[tokio::test]
    async fn send_back_to_retry_then_dlq() {
        use crate::broker::put::{put, test_support::test_state};
        use crate::broker::topics::SCHEDULE_TOPIC;

        let (state, _dir) = test_state("retry");
        let mut m = Message::new("T", &b"payload"[..]);
        m.set_tags("tg");
        let original = put(
            &state,
            StoredMessage {
                message: m,
                queue_id: 1,
                born_timestamp: 5,
                ..StoredMessage::default()
            },
        )
        .await
        .unwrap();
        let v = Version::CURRENT;

        // Level 0: the broker picks 3 + reconsumeTimes (0) = 3 -> schedule queue 2.
        let r = handle(&state, &header(original.phys_offset, 0, None), v)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.code, 0, "{:?}", r.remark);
        let delayed = stored(&state, SCHEDULE_TOPIC, 2).await;
        assert_eq!(delayed.len(), 1);
        let d = &delayed[0];
        let p = d.message.properties();
        assert_eq!(p.get(property::REAL_TOPIC), Some("%RETRY%g"));
        assert_eq!(p.get(property::REAL_QID), Some("0"));
        assert_eq!(p.get(property::RETRY_TOPIC), Some("T"));
        assert_eq!(p.get(property::DELAY), Some("3"));
        assert_eq!(p.get(property::TAGS), Some("tg"));
        assert_eq!(
            p.get(property::ORIGIN_MESSAGE_ID),
            Some(original.offset_msg_id().as_str())
        );
        assert_eq!(d.reconsume_times, 1);
        assert_eq!(d.born_timestamp, 5);
        assert_eq!(d.message.body().as_ref(), b"payload");
        let retry = state.topics.get("%RETRY%g").unwrap();
        assert_eq!((retry.read_queue_nums, retry.perm), (1, 6));

        // A explicit level is kept.
        handle(&state, &header(original.phys_offset, 1, None), v)
            .await
            .unwrap();
        assert_eq!(stored(&state, SCHEDULE_TOPIC, 0).await.len(), 1);

        // The delayed copy (reconsumeTimes 1) with max 1 from the header: DLQ.
        let r = handle(&state, &header(d.commit_log_offset as u64, 0, Some(1)), v)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.code, 0);
        let dead = stored(&state, "%DLQ%g", 0).await;
        assert_eq!(dead.len(), 1);
        let p = dead[0].message.properties();
        assert_eq!(p.get(property::DELAY), Some("0"));
        assert_eq!(p.get(property::RETRY_TOPIC), Some("T"));
        assert_eq!(
            p.get(property::ORIGIN_MESSAGE_ID),
            Some(original.offset_msg_id().as_str())
        );
        assert_eq!(dead[0].reconsume_times, 2);
        let dlq = state.topics.get("%DLQ%g").unwrap();
        assert_eq!((dlq.read_queue_nums, dlq.perm), (1, 6));

        // Level -1 goes straight to the DLQ; an unknown offset is refused.
        handle(&state, &header(original.phys_offset, -1, None), v)
            .await
            .unwrap();
        assert_eq!(stored(&state, "%DLQ%g", 0).await.len(), 2);
        let r = handle(&state, &header(1 << 40, 0, None), v)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.0);
        assert_eq!(
            r.remark.as_deref(),
            Some(format!("look message by offset failed, {}", 1u64 << 40).as_str())
        );
    }

    #[tokio::test]
    async fn group_retry_max_times_applies_without_the_header() {
        use crate::broker::put::{put, test_support::test_state};

        let (state, _dir) = test_state("retry-max");
        let mut g = state.groups.find("g").unwrap();
        g.retry_max_times = 0;
        state.groups.put(g);
        let original = put(
            &state,
            StoredMessage {
                message: Message::new("T", &b"x"[..]),
                ..StoredMessage::default()
            },
        )
        .await
        .unwrap();
        // An old client (before V3_4_9) sending a max is ignored: the group's 0 applies.
        let old = Version::from_name("V3_4_8").unwrap();
        handle(&state, &header(original.phys_offset, 0, Some(16)), old)
            .await
            .unwrap();
        assert_eq!(stored(&state, "%DLQ%g", 0).await.len(), 1);
    }
}
