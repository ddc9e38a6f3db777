//! Offset requests: consumer offsets and queue offsets.

use crate::Result;
use crate::protocol::header::{
    GetEarliestMsgStoretimeRequestHeader, GetEarliestMsgStoretimeResponseHeader,
    GetMaxOffsetRequestHeader, GetMaxOffsetResponseHeader, GetMinOffsetRequestHeader,
    GetMinOffsetResponseHeader, QueryConsumerOffsetRequestHeader,
    QueryConsumerOffsetResponseHeader, SearchOffsetRequestHeader, SearchOffsetResponseHeader,
    UpdateConsumerOffsetRequestHeader,
};
use crate::protocol::request::ensure_success;
use crate::protocol::{FromResponse, RemotingCommand, ResponseCode};

/// The reply to [`QueryConsumerOffset`]: the stored offset, or `None` when the broker
/// has none for the group and queue (`QUERY_NOT_FOUND`, 22), which Java clients treat as
/// "no offset yet" rather than as a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsumerOffset(pub Option<i64>);

impl FromResponse for ConsumerOffset {
    fn from_response(reply: RemotingCommand) -> Result<Self> {
        if reply.response_code() == ResponseCode::QUERY_NOT_FOUND {
            return Ok(ConsumerOffset(None));
        }
        ensure_success(&reply)?;
        let header: QueryConsumerOffsetResponseHeader = reply.read_header()?;
        Ok(ConsumerOffset(Some(header.offset)))
    }
}

header_rpc! {
    /// `QUERY_CONSUMER_OFFSET` (14).
    QueryConsumerOffset(QueryConsumerOffsetRequestHeader) => QUERY_CONSUMER_OFFSET -> ConsumerOffset
}

header_rpc! {
    /// `UPDATE_CONSUMER_OFFSET` (15); Java usually sends it oneway.
    UpdateConsumerOffset(UpdateConsumerOffsetRequestHeader) => UPDATE_CONSUMER_OFFSET -> ()
}

header_rpc! {
    /// `GET_MAX_OFFSET` (30).
    GetMaxOffset(GetMaxOffsetRequestHeader) => GET_MAX_OFFSET -> GetMaxOffsetResponseHeader
}

header_rpc! {
    /// `GET_MIN_OFFSET` (31).
    GetMinOffset(GetMinOffsetRequestHeader) => GET_MIN_OFFSET -> GetMinOffsetResponseHeader
}

header_rpc! {
    /// `SEARCH_OFFSET_BY_TIMESTAMP` (29).
    SearchOffset(SearchOffsetRequestHeader) => SEARCH_OFFSET_BY_TIMESTAMP -> SearchOffsetResponseHeader
}

header_rpc! {
    /// `GET_EARLIEST_MSG_STORETIME` (32).
    GetEarliestMsgStoretime(GetEarliestMsgStoretimeRequestHeader) => GET_EARLIEST_MSG_STORETIME
        -> GetEarliestMsgStoretimeResponseHeader
}

header_response!(
    QueryConsumerOffsetResponseHeader,
    GetMaxOffsetResponseHeader,
    GetMinOffsetResponseHeader,
    SearchOffsetResponseHeader,
    GetEarliestMsgStoretimeResponseHeader,
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Rpc;
    use crate::protocol::request::test_util::{assert_broker_error, reply};

    #[test]
    fn consumer_offset_not_found_is_a_result() {
        let found = ConsumerOffset::from_response(reply(
            ResponseCode::SUCCESS,
            &QueryConsumerOffsetResponseHeader { offset: 42 },
        ));
        assert_eq!(found.ok(), Some(ConsumerOffset(Some(42))));
        let none = ConsumerOffset::from_response(RemotingCommand::error_response(
            ResponseCode::QUERY_NOT_FOUND,
            "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first",
        ));
        assert_eq!(none.ok(), Some(ConsumerOffset(None)));
        assert_broker_error(
            ConsumerOffset::from_response(RemotingCommand::error_response(
                ResponseCode::SYSTEM_ERROR,
                "x",
            )),
            ResponseCode::SYSTEM_ERROR,
            "x",
        );
    }

    #[test]
    fn offset_commands_and_replies() {
        let cmd = GetMaxOffset(GetMaxOffsetRequestHeader {
            topic: "t".into(),
            queue_id: 1,
            ..Default::default()
        })
        .to_command();
        assert_eq!(cmd.code, 30);
        assert_eq!(cmd.ext_field("queueId"), Some("1"));
        assert_eq!(cmd.ext_field("committed"), Some("true"));
        assert_eq!(GetMinOffset::default().to_command().code, 31);
        assert_eq!(SearchOffset::default().to_command().code, 29);
        assert_eq!(GetEarliestMsgStoretime::default().to_command().code, 32);
        assert_eq!(QueryConsumerOffset::default().to_command().code, 14);
        assert_eq!(UpdateConsumerOffset::default().to_command().code, 15);
        let max = GetMaxOffsetResponseHeader::from_response(reply(
            ResponseCode::SUCCESS,
            &GetMaxOffsetResponseHeader { offset: 100 },
        ));
        assert_eq!(max.ok().map(|h| h.offset), Some(100));
        assert_broker_error(
            GetMinOffsetResponseHeader::from_response(RemotingCommand::error_response(
                ResponseCode::SYSTEM_ERROR,
                "e",
            )),
            ResponseCode::SYSTEM_ERROR,
            "e",
        );
    }
}
