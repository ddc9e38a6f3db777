//! Message queries (Java `QueryMessageProcessor`): QUERY_MESSAGE by key or unique key
//! through the store's index, and VIEW_MESSAGE_BY_ID by commit-log offset (the offset
//! encoded in an offset message id).
//!
//! Java's client sends QUERY_MESSAGE to every broker of the topic and merges the answers,
//! keeping the messages whose keys (or unique key) really match: the index matches by
//! 32-bit hash only, and so do these answers.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use rocketmq::protocol::header::{
    QueryMessageRequestHeader, QueryMessageResponseHeader, ViewMessageRequestHeader,
};
use rocketmq::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketmq::remoting::{RemotingServerBuilder, RequestContext};

use super::admin::blocking;
use super::{Reply, State, on};
use crate::store::{QueryResult, Store};

/// Messages a unique-key query returns at most (Java `defaultQueryMaxNum`).
const UNIQUE_KEY_QUERY_MAX: i32 = 32;

/// Adds the query processors.
pub(super) fn register(
    builder: RemotingServerBuilder,
    state: &Arc<State>,
) -> RemotingServerBuilder {
    let b = on(builder, RequestCode::QUERY_MESSAGE, state, query_message);
    on(b, RequestCode::VIEW_MESSAGE_BY_ID, state, view_message)
}

/// QUERY_MESSAGE: the records indexed under `topic#key` stored within the time range,
/// concatenated, with the index's progress in the header; QUERY_NOT_FOUND when none.
/// With the `_UNIQUE_KEY_QUERY` flag the key is a unique id and at most 32 come back.
async fn query_message(state: Arc<State>, _ctx: RequestContext, request: RemotingCommand) -> Reply {
    let h: QueryMessageRequestHeader = request.read_header()?;
    let max_num = if h.unique_key_query == Some(true) {
        UNIQUE_KEY_QUERY_MAX
    } else {
        h.max_num
    };
    let max = usize::try_from(max_num).unwrap_or(0);
    let (topic, key) = (h.topic.clone(), h.key.clone());
    let (begin, end) = (h.begin_timestamp, h.end_timestamp);
    let found: QueryResult = blocking(&state, move |store| {
        store.query_messages(&topic, &key, max, begin, end)
    })
    .await?;
    let header = QueryMessageResponseHeader {
        index_last_update_timestamp: found.last_update_timestamp,
        index_last_update_phyoffset: found.last_update_phys_offset,
    };
    if found.records.is_empty() {
        return Ok(Some(
            RemotingCommand::error_response(
                ResponseCode::QUERY_NOT_FOUND,
                "can not find message, maybe time range not correct",
            )
            .with_header(&header),
        ));
    }
    Ok(Some(
        RemotingCommand::response(ResponseCode::SUCCESS)
            .with_header(&header)
            .with_body(concat(&found.records)),
    ))
}

/// VIEW_MESSAGE_BY_ID: the record at the commit-log offset; SYSTEM_ERROR with Java's
/// remark when there is none (also when the offset is not the start of a record).
async fn view_message(state: Arc<State>, _ctx: RequestContext, request: RemotingCommand) -> Reply {
    let h: ViewMessageRequestHeader = request.read_header()?;
    let offset = h.offset;
    let record = match u64::try_from(offset) {
        Ok(at) => {
            blocking(&state, move |store| {
                let Some(record) = store.read_by_phys_offset(at)? else {
                    return Ok(None);
                };
                // Only a record that says it starts here (a wrong id could point inside one).
                Ok(Store::decode(&record)
                    .ok()
                    .filter(|m| m.commit_log_offset == offset)
                    .map(|_| record))
            })
            .await?
        }
        Err(_) => None,
    };
    Ok(Some(match record {
        Some(record) => RemotingCommand::response(ResponseCode::SUCCESS).with_body(record),
        None => RemotingCommand::error_response(
            ResponseCode::SYSTEM_ERROR,
            format!("can not find message by the offset, {offset}"),
        ),
    }))
}

fn concat(records: &[Bytes]) -> Bytes {
    let mut body = BytesMut::with_capacity(records.iter().map(Bytes::len).sum());
    for r in records {
        body.extend_from_slice(r);
    }
    body.freeze()
}
