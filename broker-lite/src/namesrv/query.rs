//! Requests clients and admin tools send about routes: GET_ROUTEINFO_BY_TOPIC (105),
//! GET_BROKER_CLUSTER_INFO (106), GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206),
//! GET_TOPICS_BY_CLUSTER (224), GET_SYSTEM_TOPIC_LIST_FROM_NS (304),
//! WIPE_WRITE_PERM_OF_BROKER (205), ADD_WRITE_PERM_OF_BROKER (327),
//! DELETE_TOPIC_IN_NAMESRV (216). Java: the matching `DefaultRequestProcessor` methods.

use std::sync::OnceLock;

use rocketmq::Result;
use rocketmq::protocol::header::{
    AddWritePermOfBrokerRequestHeader, AddWritePermOfBrokerResponseHeader,
    DeleteTopicFromNamesrvRequestHeader, GetRouteInfoRequestHeader,
    GetTopicsByClusterRequestHeader, WipeWritePermOfBrokerRequestHeader,
    WipeWritePermOfBrokerResponseHeader,
};
use rocketmq::protocol::json::{JsonBody, WriteOptions};
use rocketmq::protocol::{RemotingCommand, ResponseCode, Version};
use rocketmq::remoting::RequestContext;
use tracing::info;

use super::Shared;
use super::kv::ORDER_TOPIC_CONFIG;

/// Java `FAQUrl.APPLY_TOPIC_URL` (5.x) wrapped by `FAQUrl.suggestTodo`.
const APPLY_TOPIC_HINT: &str =
    "\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details.";

/// Clients from 4.9.4 on get routes as standard JSON (Java `Version.V4_9_4`).
fn standard_json_since() -> i32 {
    static SINCE: OnceLock<i32> = OnceLock::new();
    *SINCE.get_or_init(|| Version::from_name("V4_9_4").map_or(401, |v| v.0))
}

fn success_with(body: Vec<u8>) -> RemotingCommand {
    RemotingCommand::response(ResponseCode::SUCCESS).with_body(body)
}

pub(super) fn route(
    shared: &Shared,
    _ctx: &RequestContext,
    request: &RemotingCommand,
) -> Result<RemotingCommand> {
    let h: GetRouteInfoRequestHeader = request.read_header()?;
    let Some(mut route) = shared.routes().route(&h.topic) else {
        return Ok(RemotingCommand::error_response(
            ResponseCode::TOPIC_NOT_EXIST,
            format!(
                "No topic route info in name server for the topic: {}{APPLY_TOPIC_HINT}",
                h.topic
            ),
        ));
    };
    if shared.config().order_message_enable {
        route.order_topic_conf = shared
            .kv()
            .get(ORDER_TOPIC_CONFIG, &h.topic)
            .map(str::to_owned);
    }
    let standard =
        request.version.0 >= standard_json_since() || h.accept_standard_json_only == Some(true);
    let options = if standard {
        WriteOptions::STANDARD
    } else {
        WriteOptions::FASTJSON
    };
    Ok(success_with(route.to_json_with(options)))
}

pub(super) fn cluster_info(
    shared: &Shared,
    _ctx: &RequestContext,
    _request: &RemotingCommand,
) -> Result<RemotingCommand> {
    Ok(success_with(shared.routes().cluster_info().to_json()))
}

pub(super) fn all_topics(
    shared: &Shared,
    _ctx: &RequestContext,
    _request: &RemotingCommand,
) -> Result<RemotingCommand> {
    Ok(success_with(shared.routes().all_topics().to_json()))
}

pub(super) fn topics_by_cluster(
    shared: &Shared,
    _ctx: &RequestContext,
    request: &RemotingCommand,
) -> Result<RemotingCommand> {
    let h: GetTopicsByClusterRequestHeader = request.read_header()?;
    Ok(success_with(
        shared.routes().topics_of_cluster(&h.cluster).to_json(),
    ))
}

pub(super) fn system_topics(
    shared: &Shared,
    _ctx: &RequestContext,
    _request: &RemotingCommand,
) -> Result<RemotingCommand> {
    Ok(success_with(shared.routes().system_topics().to_json()))
}

pub(super) fn wipe_write_perm(
    shared: &Shared,
    ctx: &RequestContext,
    request: &RemotingCommand,
) -> Result<RemotingCommand> {
    let h: WipeWritePermOfBrokerRequestHeader = request.read_header()?;
    let count = shared.routes().wipe_write_perm(&h.broker_name);
    info!(broker = %h.broker_name, client = ctx.peer_addr(), count, "wipe write perm");
    Ok(
        RemotingCommand::response(ResponseCode::SUCCESS).with_header(
            &WipeWritePermOfBrokerResponseHeader {
                wipe_topic_count: count,
            },
        ),
    )
}

pub(super) fn add_write_perm(
    shared: &Shared,
    ctx: &RequestContext,
    request: &RemotingCommand,
) -> Result<RemotingCommand> {
    let h: AddWritePermOfBrokerRequestHeader = request.read_header()?;
    let count = shared.routes().add_write_perm(&h.broker_name);
    info!(broker = %h.broker_name, client = ctx.peer_addr(), count, "add write perm");
    Ok(
        RemotingCommand::response(ResponseCode::SUCCESS).with_header(
            &AddWritePermOfBrokerResponseHeader {
                add_topic_count: count,
            },
        ),
    )
}

pub(super) fn delete_topic(
    shared: &Shared,
    _ctx: &RequestContext,
    request: &RemotingCommand,
) -> Result<RemotingCommand> {
    let h: DeleteTopicFromNamesrvRequestHeader = request.read_header()?;
    let cluster = h.cluster_name.as_deref().filter(|c| !c.is_empty());
    shared.routes().delete_topic(&h.topic, cluster);
    Ok(RemotingCommand::response(ResponseCode::SUCCESS))
}

#[cfg(test)]
mod tests {
    #[test]
    fn v4_9_4_is_known() {
        assert_eq!(
            rocketmq::protocol::Version::from_name("V4_9_4").map(|v| v.0),
            Some(super::standard_json_since())
        );
    }
}
