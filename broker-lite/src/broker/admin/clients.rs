//! Admin requests about connected clients (Java `AdminBrokerProcessor` +
//! `Broker2Client`): connection lists, requests passed to one consumer
//! (GET_CONSUMER_RUNNING_INFO, CONSUME_MESSAGE_DIRECTLY), offset resets and consumer
//! status (INVOKE_BROKER_TO_RESET_OFFSET, INVOKE_BROKER_TO_GET_CONSUMER_STATUS).

use std::sync::Arc;
use std::time::Duration;

use rocketmq::protocol::body::{LinkedMap, ResetOffset};
use rocketmq::protocol::header::{
    ConsumeMessageDirectlyResultRequestHeader, GetConsumerConnectionListRequestHeader,
    GetConsumerRunningInfoRequestHeader, GetConsumerStatusRequestHeader,
    GetProducerConnectionListRequestHeader, ResetOffsetRequestHeader,
};
use rocketmq::protocol::json::JsonBody;
use rocketmq::protocol::message::OffsetMsgId;
use rocketmq::protocol::{ExtFields, RemotingCommand, RequestCode, ResponseCode, Version};
use rocketmq::remoting::{RemotingServerBuilder, RequestContext};

use super::bodies::ConsumerStatus;
use super::{blocking, queue, refuse, success_with, u64_to_i64};
use crate::broker::{Reply, State, on};

/// How long a consumer has to answer a forwarded request (Java `callClient`'s 10 s).
const CALL_CLIENT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a consumer has to answer GET_CONSUMER_STATUS_FROM_CLIENT (Java's 5 s).
const STATUS_TIMEOUT: Duration = Duration::from_secs(5);

pub(super) fn register(
    builder: RemotingServerBuilder,
    state: &Arc<State>,
) -> RemotingServerBuilder {
    let b = on(
        builder,
        RequestCode::GET_CONSUMER_CONNECTION_LIST,
        state,
        consumer_connections,
    );
    let b = on(
        b,
        RequestCode::GET_PRODUCER_CONNECTION_LIST,
        state,
        producer_connections,
    );
    let b = on(
        b,
        RequestCode::GET_CONSUMER_RUNNING_INFO,
        state,
        running_info,
    );
    let b = on(
        b,
        RequestCode::CONSUME_MESSAGE_DIRECTLY,
        state,
        consume_directly,
    );
    let b = on(
        b,
        RequestCode::INVOKE_BROKER_TO_RESET_OFFSET,
        state,
        reset_offset,
    );
    on(
        b,
        RequestCode::INVOKE_BROKER_TO_GET_CONSUMER_STATUS,
        state,
        consumer_status,
    )
}

/// GET_CONSUMER_CONNECTION_LIST: the group's clients, subscriptions and settings;
/// CONSUMER_NOT_ONLINE when none is connected.
async fn consumer_connections(
    state: Arc<State>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Reply {
    let h: GetConsumerConnectionListRequestHeader = request.read_header()?;
    match state.clients.consumer_connection(&h.consumer_group) {
        Some(c) => success_with(c.to_json()),
        None => refuse(
            ResponseCode::CONSUMER_NOT_ONLINE,
            format!("the consumer group[{}] not online", h.consumer_group),
        ),
    }
}

/// GET_PRODUCER_CONNECTION_LIST: the group's producers; SYSTEM_ERROR when none.
async fn producer_connections(
    state: Arc<State>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Reply {
    let h: GetProducerConnectionListRequestHeader = request.read_header()?;
    match state.clients.producer_connection(&h.producer_group) {
        Some(c) => success_with(c.to_json()),
        None => refuse(
            ResponseCode::SYSTEM_ERROR,
            format!("the producer group[{}] not exist", h.producer_group),
        ),
    }
}

/// Java `callConsumer`: sends `code` with the request's header fields and body to the
/// consumer's connection and answers with its response.
async fn call_consumer(
    state: &State,
    code: RequestCode,
    ext_fields: Option<ExtFields>,
    body: bytes::Bytes,
    group: &str,
    client_id: &str,
) -> Reply {
    let Some(client) = state.clients.find_consumer(group, client_id) else {
        return refuse(
            ResponseCode::SYSTEM_ERROR,
            format!("The Consumer <{group}> <{client_id}> not online"),
        );
    };
    let oldest = Version::from_name("V3_1_8_SNAPSHOT").map_or(0, |v| v.0);
    if client.version < oldest {
        let name = Version(client.version).to_string();
        return refuse(
            ResponseCode::SYSTEM_ERROR,
            format!(
                "The Consumer <{client_id}> Version <{name}> too low to finish, please upgrade it to V3_1_8_SNAPSHOT"
            ),
        );
    }
    let mut forward = RemotingCommand::request(code).with_body(body);
    forward.ext_fields = ext_fields;
    match client.connection.invoke(forward, CALL_CLIENT_TIMEOUT).await {
        Ok(response) => Ok(Some(response)),
        Err(e @ rocketmq::Error::Timeout { .. }) => refuse(
            ResponseCode::CONSUME_MSG_TIMEOUT,
            format!("consumer <{group}> <{client_id}> Timeout: {e}"),
        ),
        Err(e) => refuse(
            ResponseCode::SYSTEM_ERROR,
            format!("invoke consumer <{group}> <{client_id}> Exception: {e}"),
        ),
    }
}

/// GET_CONSUMER_RUNNING_INFO: asked of the consumer itself.
async fn running_info(state: Arc<State>, _ctx: RequestContext, request: RemotingCommand) -> Reply {
    let h: GetConsumerRunningInfoRequestHeader = request.read_header()?;
    call_consumer(
        &state,
        RequestCode::GET_CONSUMER_RUNNING_INFO,
        request.ext_fields,
        request.body,
        &h.consumer_group,
        &h.client_id,
    )
    .await
}

/// CONSUME_MESSAGE_DIRECTLY: adds the broker name, the topic's and group's system flags
/// and the message (read by its offset id) to the request, then asks the consumer.
async fn consume_directly(
    state: Arc<State>,
    _ctx: RequestContext,
    mut request: RemotingCommand,
) -> Reply {
    let h: ConsumeMessageDirectlyResultRequestHeader = request.read_header()?;
    let mut fields = request.ext_fields.take().unwrap_or_default();
    fields.insert("brokerName", state.config().broker_name.clone());
    if let Some(t) = h.topic.as_deref().filter(|t| !t.is_empty())
        && let Some(config) = state.topics.get(t)
    {
        fields.insert("topicSysFlag", config.topic_sys_flag.to_string());
    }
    if let Some(g) = state.groups.find(&h.consumer_group) {
        fields.insert("groupSysFlag", g.group_sys_flag.unwrap_or(0).to_string());
    }
    let mut body = request.body;
    if let Some(id) = h
        .msg_id
        .as_deref()
        .and_then(|id| id.parse::<OffsetMsgId>().ok())
        && let Ok(offset) = u64::try_from(id.commit_log_offset())
        && let Some(record) = blocking(&state, move |s| s.read_by_phys_offset(offset)).await?
    {
        body = record;
    }
    let client_id = h.client_id.unwrap_or_default();
    call_consumer(
        &state,
        RequestCode::CONSUME_MESSAGE_DIRECTLY,
        Some(fields),
        body,
        &h.consumer_group,
        &client_id,
    )
    .await
}

/// INVOKE_BROKER_TO_RESET_OFFSET (what `mqadmin resetOffsetByTime` sends): computes each
/// queue's new offset (the first message stored at or after `timestamp`, the max offset
/// for -1, or the given offset for one queue; without `isForce` an offset only moves
/// back), commits it for the group (as 5.x's server-side reset does) and sends it to every
/// connected consumer of the group with RESET_CONSUMER_CLIENT_OFFSET (as 4.x does), so
/// both kinds of client follow. The body lists the new offsets.
async fn reset_offset(state: Arc<State>, _ctx: RequestContext, request: RemotingCommand) -> Reply {
    let h: ResetOffsetRequestHeader = request.read_header()?;
    let (topic, group) = (h.topic.clone(), h.group.clone());
    let Some(config) = state.topics.get(&topic) else {
        return refuse(
            ResponseCode::TOPIC_NOT_EXIST,
            format!("[reset-offset] reset offset failed, no topic in this broker. topic={topic}"),
        );
    };
    let queues: Vec<i32> = if h.queue_id >= 0 {
        vec![h.queue_id]
    } else {
        (0..config.read_queue_nums.max(0)).collect()
    };
    let wanted = h.offset.filter(|o| *o != -1 && h.queue_id >= 0);
    let (t, timestamp) = (topic.clone(), h.timestamp);
    let targets = blocking(&state, move |store| {
        let mut out = Vec::new();
        for id in queues {
            let (min, max) = (store.min_offset(&t, id), store.max_offset(&t, id));
            let target = match wanted {
                Some(o) => {
                    if o < u64_to_i64(min) || o > u64_to_i64(max) + 1 {
                        return Ok(Err(format!(
                            "Target offset {o} not in consume queue range [{min}-{max}]"
                        )));
                    }
                    o
                }
                None if timestamp == -1 => u64_to_i64(max),
                None => u64_to_i64(store.offset_by_time(&t, id, timestamp)?),
            };
            out.push((id, target));
        }
        Ok(Ok(out))
    })
    .await?;
    let targets = match targets {
        Ok(t) => t,
        Err(remark) => return refuse(ResponseCode::SYSTEM_ERROR, remark),
    };
    let mut table = LinkedMap::default();
    for (id, target) in targets {
        let new = match state.offsets.query(&group, &topic, id) {
            Some(current) if !h.is_force && target >= current => current,
            _ => target,
        };
        state.offsets.commit(&group, &topic, id, new);
        table.insert(queue(&state, &topic, id), new);
    }
    let body = ResetOffset {
        offset_table: table,
    };
    if let Some(members) = state.clients.consumer_group(&group) {
        let notice = ResetOffsetRequestHeader {
            topic: topic.clone(),
            group: group.clone(),
            timestamp: h.timestamp,
            is_force: h.is_force,
            queue_id: -1,
            offset: None,
            rpc: Default::default(),
        };
        let command = RemotingCommand::request(RequestCode::RESET_CONSUMER_CLIENT_OFFSET)
            .with_header(&notice)
            .with_body(body.to_json());
        for client in members.clients.values() {
            if let Err(e) = client
                .connection
                .invoke_oneway(command.clone(), STATUS_TIMEOUT)
                .await
            {
                tracing::warn!(client = %client.client_id, error = %e, "reset offset notice not sent");
            }
        }
    }
    tracing::info!(%topic, %group, timestamp = h.timestamp, force = h.is_force, "consumer offsets reset");
    success_with(body.to_json())
}

/// INVOKE_BROKER_TO_GET_CONSUMER_STATUS: asks each consumer of the group (or the one
/// whose client id is `clientAddr`) for its offsets on the topic.
async fn consumer_status(
    state: Arc<State>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Reply {
    let h: GetConsumerStatusRequestHeader = request.read_header()?;
    let members = state
        .clients
        .consumer_group(&h.group)
        .map(|g| g.clients.into_values().collect::<Vec<_>>())
        .unwrap_or_default();
    if members.is_empty() {
        return refuse(
            ResponseCode::SYSTEM_ERROR,
            format!(
                "No Any Consumer online in the consumer group: [{}]",
                h.group
            ),
        );
    }
    let only = h
        .client_addr
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let ask = GetConsumerStatusRequestHeader {
        topic: h.topic.clone(),
        group: h.group.clone(),
        client_addr: None,
        rpc: Default::default(),
    };
    let mut status = ConsumerStatus::default();
    for client in members {
        if only.is_some_and(|c| c != client.client_id) {
            continue;
        }
        let command = RemotingCommand::request(RequestCode::GET_CONSUMER_STATUS_FROM_CLIENT)
            .with_header(&ask);
        match client.connection.invoke(command, STATUS_TIMEOUT).await {
            Ok(r) if r.code == ResponseCode::SUCCESS.0 && !r.body.is_empty() => {
                match ConsumerStatus::from_json(&r.body) {
                    Ok(s) => {
                        status
                            .consumer_table
                            .insert(client.client_id.clone(), s.message_queue_table);
                    }
                    Err(e) => {
                        tracing::warn!(client = %client.client_id, error = %e, "bad consumer status")
                    }
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(client = %client.client_id, error = %e, "consumer status not received")
            }
        }
        if only.is_some() {
            break;
        }
    }
    success_with(status.to_json())
}
