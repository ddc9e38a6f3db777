//! KV config requests: PUT_KV_CONFIG (100), GET_KV_CONFIG (101), DELETE_KV_CONFIG (102),
//! GET_KVLIST_BY_NAMESPACE (219). Java: the matching `DefaultRequestProcessor` methods.

use rocketmq::Result;
use rocketmq::protocol::header::{
    DeleteKVConfigRequestHeader, GetKVConfigRequestHeader, GetKVConfigResponseHeader,
    GetKVListByNamespaceRequestHeader, PutKVConfigRequestHeader,
};
use rocketmq::protocol::json::JsonBody;
use rocketmq::protocol::{RemotingCommand, ResponseCode};
use rocketmq::remoting::RequestContext;

use super::Shared;

pub(super) fn put(
    shared: &Shared,
    _ctx: &RequestContext,
    request: &RemotingCommand,
) -> Result<RemotingCommand> {
    let h: PutKVConfigRequestHeader = request.read_header()?;
    shared.kv().put(&h.namespace, &h.key, &h.value);
    Ok(RemotingCommand::response(ResponseCode::SUCCESS))
}

pub(super) fn get(
    shared: &Shared,
    _ctx: &RequestContext,
    request: &RemotingCommand,
) -> Result<RemotingCommand> {
    let h: GetKVConfigRequestHeader = request.read_header()?;
    let value = shared.kv().get(&h.namespace, &h.key).map(str::to_owned);
    Ok(match value {
        Some(value) => RemotingCommand::response(ResponseCode::SUCCESS)
            .with_header(&GetKVConfigResponseHeader { value: Some(value) }),
        None => RemotingCommand::error_response(
            ResponseCode::QUERY_NOT_FOUND,
            format!("No config item, Namespace: {} Key: {}", h.namespace, h.key),
        ),
    })
}

pub(super) fn delete(
    shared: &Shared,
    _ctx: &RequestContext,
    request: &RemotingCommand,
) -> Result<RemotingCommand> {
    let h: DeleteKVConfigRequestHeader = request.read_header()?;
    shared.kv().delete(&h.namespace, &h.key);
    Ok(RemotingCommand::response(ResponseCode::SUCCESS))
}

pub(super) fn list(
    shared: &Shared,
    _ctx: &RequestContext,
    request: &RemotingCommand,
) -> Result<RemotingCommand> {
    let h: GetKVListByNamespaceRequestHeader = request.read_header()?;
    let table = shared.kv().list(&h.namespace);
    Ok(match table {
        Some(table) => RemotingCommand::response(ResponseCode::SUCCESS).with_body(table.to_json()),
        None => RemotingCommand::error_response(
            ResponseCode::QUERY_NOT_FOUND,
            format!("No config item, Namespace: {}", h.namespace),
        ),
    })
}
