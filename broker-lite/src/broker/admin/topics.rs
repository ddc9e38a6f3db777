//! Topic admin: UPDATE_AND_CREATE_TOPIC, DELETE_TOPIC_IN_BROKER, GET_ALL_TOPIC_CONFIG,
//! GET_TOPIC_STATS_INFO, QUERY_TOPIC_CONSUME_BY_WHO, GET_TOPIC_CONFIG (5.x).
//!
//! A changed topic table reaches the name servers through the registration loop, which
//! registers whenever the table's data version moves (Java registers at once).

use std::collections::BTreeSet;
use std::sync::Arc;

use rocketmq::protocol::RemotingCommand;
use rocketmq::protocol::RequestCode;
use rocketmq::protocol::ResponseCode;
use rocketmq::protocol::body::{
    DataVersion, LinkedMap, TopicConfig, TopicFilterType, TopicOffset, TopicStats,
};
use rocketmq::protocol::header::{
    CreateTopicRequestHeader, DeleteTopicRequestHeader, GetTopicConfigRequestHeader,
    GetTopicStatsInfoRequestHeader, QueryTopicConsumeByWhoRequestHeader,
};
use rocketmq::protocol::json::JsonBody;
use rocketmq::remoting::{RemotingServerBuilder, RequestContext};

use super::bodies::GroupList;
use super::{blocking, is_v5, queue, refuse, success, success_with, u64_to_i64};
use crate::broker::send::topic_problem;
use crate::broker::stats::TOPIC_PUT_NUMS;
use crate::broker::topics::{AUTO_CREATE_TOPIC, SCHEDULE_TOPIC};
use crate::broker::{Reply, State, on};

pub(super) fn register(
    builder: RemotingServerBuilder,
    state: &Arc<State>,
) -> RemotingServerBuilder {
    let b = on(builder, RequestCode::UPDATE_AND_CREATE_TOPIC, state, create);
    let b = on(b, RequestCode::DELETE_TOPIC_IN_BROKER, state, delete);
    let b = on(b, RequestCode::GET_ALL_TOPIC_CONFIG, state, all_configs);
    let b = on(b, RequestCode::GET_TOPIC_STATS_INFO, state, stats_info);
    let b = on(b, RequestCode::GET_TOPIC_CONFIG, state, one_config);
    on(
        b,
        RequestCode::QUERY_TOPIC_CONSUME_BY_WHO,
        state,
        consumed_by,
    )
}

/// GET_TOPIC_CONFIG (5.x `AdminBrokerProcessor.getTopicConfig`): the topic's config as
/// JSON (5.x writes `attributes` as `{}` when there are none; broker-lite keeps no static
/// topics, so no `mappingDetail`), or TOPIC_NOT_EXIST with Java's remark.
async fn one_config(state: Arc<State>, _ctx: RequestContext, request: RemotingCommand) -> Reply {
    let h: GetTopicConfigRequestHeader = request.read_header()?;
    match state.topics.get(&h.topic) {
        Some(mut config) => {
            config.attributes.get_or_insert_with(LinkedMap::default);
            success_with(config.to_json())
        }
        None => refuse(
            ResponseCode::TOPIC_NOT_EXIST,
            format!("No topic in this broker. topic: {}", h.topic),
        ),
    }
}

/// Java `TopicValidator.isSystemTopic` plus the topics the broker adds to the system
/// set at start (cluster and broker name, reply topic, broker member sync topic).
pub(super) fn is_system_topic(state: &State, topic: &str) -> bool {
    const FIXED: [&str; 10] = [
        AUTO_CREATE_TOPIC,
        SCHEDULE_TOPIC,
        "BenchmarkTest",
        "RMQ_SYS_TRANS_HALF_TOPIC",
        "RMQ_SYS_TRACE_TOPIC",
        "RMQ_SYS_TRANS_OP_HALF_TOPIC",
        "TRANS_CHECK_MAX_TIME_TOPIC",
        "SELF_TEST_TOPIC",
        "OFFSET_MOVED_EVENT",
        "CHECKPOINT_TOPIC",
    ];
    let config = state.config();
    FIXED.contains(&topic)
        || topic.starts_with("rmq_sys_")
        || topic == config.cluster_name
        || topic == config.broker_name
        || topic == format!("{}_REPLY_TOPIC", config.cluster_name)
}

/// Topic attributes Java knows (`TopicAttributes.ALL`) with their allowed values
/// (`None`: a number).
const ATTRIBUTES: [(&str, Option<&[&str]>); 4] = [
    ("queue.type", Some(&["BatchCQ", "SimpleCQ"])),
    ("cleanup.policy", Some(&["DELETE", "COMPACTION"])),
    (
        "message.type",
        Some(&[
            "UNSPECIFIED",
            "NORMAL",
            "FIFO",
            "DELAY",
            "TRANSACTION",
            "MIXED",
        ]),
    ),
    ("reserve.time", None),
];

/// Applies an attribute change list `+k=v,-k` to `current` (Java `AttributeParser` +
/// `AttributeUtil.alterCurrentAttributes`); the error is Java's message.
fn alter_attributes(
    current: Option<&LinkedMap<String, String>>,
    change: &str,
    create: bool,
) -> Result<LinkedMap<String, String>, String> {
    let mut out = current.cloned().unwrap_or_default();
    let mut seen = BTreeSet::new();
    for item in change.split(',').filter(|s| !s.is_empty()) {
        let (key, value) = match item.split_once('=') {
            Some((k, v)) if k.starts_with('+') => (k, Some(v)),
            Some((k, _)) => return Err(format!("add/alter attribute format is wrong: {k}")),
            None if item.starts_with('-') => (item, None),
            None => return Err(format!("delete attribute format is wrong: {item}")),
        };
        let real = &key[1..];
        if real.is_empty() || real.contains(['+', '-']) {
            return Err("kv string format wrong.".into());
        }
        if !seen.insert(real.to_owned()) {
            return Err(format!("alter duplication key. key: {real}"));
        }
        let Some((_, allowed)) = ATTRIBUTES.iter().find(|(k, _)| *k == real) else {
            return Err(format!("unsupported key: {real}"));
        };
        match value {
            Some(v) => {
                let ok = match allowed {
                    Some(values) => values.contains(&v),
                    None => v.parse::<i64>().is_ok(),
                };
                if !ok {
                    return Err(format!("value is not in set: {v}"));
                }
                out.insert(real.to_owned(), v.to_owned());
            }
            None if create => {
                return Err(format!(
                    "only add attribute is supported while creating topic. key: {real}"
                ));
            }
            None => {
                if out.remove(real).is_none() {
                    return Err(format!("attempt to delete a nonexistent key: {real}"));
                }
            }
        }
    }
    Ok(out)
}

/// UPDATE_AND_CREATE_TOPIC: validates the name (INVALID_PARAMETER with Java's remarks),
/// refuses system topics, then creates or replaces the topic.
async fn create(state: Arc<State>, ctx: RequestContext, request: RemotingCommand) -> Reply {
    let h: CreateTopicRequestHeader = request.read_header()?;
    let topic = h.topic.as_str();
    if let Some(remark) = topic_problem(topic) {
        return refuse(ResponseCode::INVALID_PARAMETER, remark);
    }
    if is_system_topic(&state, topic) {
        return refuse(
            ResponseCode::INVALID_PARAMETER,
            format!("The topic[{topic}] is conflict with system topic."),
        );
    }
    let existing = state.topics.get(topic);
    let attributes = match h.attributes.as_deref() {
        Some(change) if !change.is_empty() => {
            let current = existing.as_ref().and_then(|t| t.attributes.as_ref());
            match alter_attributes(current, change, existing.is_none()) {
                Ok(a) => Some(a),
                Err(remark) => return refuse(ResponseCode::SYSTEM_ERROR, remark),
            }
        }
        _ => existing.as_ref().and_then(|t| t.attributes.clone()),
    };
    if attributes
        .as_ref()
        .and_then(|a| a.get("message.type"))
        .is_some_and(|v| v == "MIXED")
    {
        return refuse(
            ResponseCode::INVALID_PARAMETER,
            "MIXED message type is not supported.",
        );
    }
    let config = TopicConfig {
        topic_name: topic.to_owned(),
        read_queue_nums: h.read_queue_nums,
        write_queue_nums: h.write_queue_nums,
        perm: h.perm,
        topic_filter_type: TopicFilterType::from_name(&h.topic_filter_type),
        topic_sys_flag: h.topic_sys_flag.unwrap_or(0),
        order: h.order,
        attributes,
    };
    if state.topics.put(config) {
        tracing::info!(%topic, peer = ctx.peer_addr(), "topic created or updated");
    }
    success()
}

/// DELETE_TOPIC_IN_BROKER: drops the topic's config, its consumer offsets and its
/// consume queues (its records stay in the commit log until retention).
async fn delete(state: Arc<State>, _ctx: RequestContext, request: RemotingCommand) -> Reply {
    let h: DeleteTopicRequestHeader = request.read_header()?;
    let topic = h.topic;
    if topic.trim().is_empty() {
        return refuse(
            ResponseCode::INVALID_PARAMETER,
            "The specified topic is blank.",
        );
    }
    if is_system_topic(&state, &topic) {
        return refuse(
            ResponseCode::INVALID_PARAMETER,
            format!("The topic[{topic}] is conflict with system topic."),
        );
    }
    state.topics.delete(&topic);
    state.offsets.remove_topic(&topic);
    if topic_problem(&topic).is_none() {
        blocking(&state, move |store| store.delete_topic(&topic)).await?;
    }
    success()
}

/// GET_ALL_TOPIC_CONFIG: the topic table with its data version (5.x adds the empty
/// static-topic mapping tables).
async fn all_configs(state: Arc<State>, _ctx: RequestContext, request: RemotingCommand) -> Reply {
    let mut table = state.topics.snapshot();
    if is_v5(&request) {
        table.topic_queue_mapping_detail_map = Some(LinkedMap::default());
        table.mapping_data_version = Some(DataVersion {
            state_version: Some(0),
            timestamp: state.boot_timestamp,
            counter: 0,
        });
    }
    success_with(table.to_json())
}

/// GET_TOPIC_STATS_INFO: min/max offset and last store time of every queue.
async fn stats_info(state: Arc<State>, _ctx: RequestContext, request: RemotingCommand) -> Reply {
    let h: GetTopicStatsInfoRequestHeader = request.read_header()?;
    let topic = h.topic;
    let Some(config) = state.topics.get(&topic) else {
        return refuse(
            ResponseCode::TOPIC_NOT_EXIST,
            format!("topic[{topic}] not exist"),
        );
    };
    let queues = config.write_queue_nums.max(config.read_queue_nums).max(0);
    let t = topic.clone();
    let offsets = blocking(&state, move |store| {
        let mut out = Vec::new();
        for id in 0..queues {
            let (min, max) = (store.min_offset(&t, id), store.max_offset(&t, id));
            let last = match max.checked_sub(1) {
                Some(o) => store.message_store_time(&t, id, o)?.unwrap_or(0),
                None => 0,
            };
            out.push((id, min, max, last));
        }
        Ok(out)
    })
    .await?;
    let mut stats = TopicStats::default();
    for (id, min, max, last) in offsets {
        stats.offset_table.insert(
            queue(&state, &topic, id),
            TopicOffset {
                min_offset: u64_to_i64(min),
                max_offset: u64_to_i64(max),
                last_update_timestamp: last,
            },
        );
    }
    if is_v5(&request) {
        let tps = state
            .stats
            .item(TOPIC_PUT_NUMS, &topic)
            .map_or(0.0, |s| s.minute.tps);
        stats.topic_put_tps = Some(tps);
    }
    success_with(stats.to_json())
}

/// QUERY_TOPIC_CONSUME_BY_WHO: groups subscribed to the topic or holding offsets on it.
async fn consumed_by(state: Arc<State>, _ctx: RequestContext, request: RemotingCommand) -> Reply {
    let h: QueryTopicConsumeByWhoRequestHeader = request.read_header()?;
    let mut groups: BTreeSet<String> = state
        .clients
        .groups_of_topic(&h.topic)
        .into_iter()
        .collect();
    groups.extend(state.offsets.groups_of_topic(&h.topic));
    let body = GroupList {
        group_list: groups.into_iter().collect(),
    };
    success_with(body.to_json())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_changes_as_java() {
        let a = alter_attributes(None, "+message.type=FIFO,+queue.type=SimpleCQ", true)
            .unwrap_or_default();
        assert_eq!(a.get("message.type").map(String::as_str), Some("FIFO"));
        assert_eq!(a.len(), 2);
        assert_eq!(
            alter_attributes(None, "-message.type", true),
            Err("only add attribute is supported while creating topic. key: message.type".into())
        );
        let b = alter_attributes(Some(&a), "-queue.type,+message.type=NORMAL", false)
            .unwrap_or_default();
        assert_eq!(b.len(), 1);
        assert_eq!(b.get("message.type").map(String::as_str), Some("NORMAL"));
        assert_eq!(
            alter_attributes(None, "+nope=1", true),
            Err("unsupported key: nope".into())
        );
        assert!(alter_attributes(None, "message.type=FIFO", true).is_err());
        assert!(alter_attributes(None, "+message.type=FIFO,+message.type=NORMAL", true).is_err());
        assert!(alter_attributes(None, "+reserve.time=x", true).is_err());
        assert!(alter_attributes(Some(&b), "-queue.type", false).is_err());
    }
}
