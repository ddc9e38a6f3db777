//! 5.x pop consumption: `POP_MESSAGE`, `ACK_MESSAGE`, `CHANGE_MESSAGE_INVISIBLETIME`.

use bytes::Bytes;

use crate::Result;
use crate::protocol::header::{
    AckMessageRequestHeader, ChangeInvisibleTimeRequestHeader, ChangeInvisibleTimeResponseHeader,
    PopMessageRequestHeader, PopMessageResponseHeader,
};
use crate::protocol::request::broker_error;
use crate::protocol::{FromResponse, RemotingCommand, ResponseCode};

/// The outcome of a pop (Java `PopStatus`), from the reply code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PopStatus {
    /// `SUCCESS`: messages in the body.
    Found,
    /// `POLLING_FULL` (209): too many pops are waiting on the broker.
    PollingFull,
    /// `POLLING_TIMEOUT` (210) or `PULL_NOT_FOUND` (19): nothing arrived in time.
    PollingNotFound,
}

/// The reply to a pop. Other codes are [`crate::Error::Broker`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PopResponse {
    /// The status from the reply code.
    pub status: PopStatus,
    /// The reply header; required when messages were found, read if present otherwise.
    pub header: Option<PopMessageResponseHeader>,
    /// Message records back to back (empty unless [`PopStatus::Found`]).
    pub body: Bytes,
}

impl FromResponse for PopResponse {
    fn from_response(reply: RemotingCommand) -> Result<Self> {
        let status = match reply.response_code() {
            ResponseCode::SUCCESS => PopStatus::Found,
            ResponseCode::POLLING_FULL => PopStatus::PollingFull,
            ResponseCode::POLLING_TIMEOUT | ResponseCode::PULL_NOT_FOUND => {
                PopStatus::PollingNotFound
            }
            _ => return Err(broker_error(&reply)),
        };
        let header = match status {
            PopStatus::Found => Some(reply.read_header()?),
            _ => reply.read_header().ok(),
        };
        Ok(PopResponse {
            status,
            header,
            body: reply.body,
        })
    }
}

header_rpc! {
    /// `POP_MESSAGE` (200050).
    PopMessage(PopMessageRequestHeader) => POP_MESSAGE -> PopResponse
}

header_rpc! {
    /// `ACK_MESSAGE` (200051).
    AckMessage(AckMessageRequestHeader) => ACK_MESSAGE -> ()
}

header_rpc! {
    /// `CHANGE_MESSAGE_INVISIBLETIME` (200053).
    ChangeInvisibleTime(ChangeInvisibleTimeRequestHeader) => CHANGE_MESSAGE_INVISIBLETIME
        -> ChangeInvisibleTimeResponseHeader
}

header_response!(ChangeInvisibleTimeResponseHeader);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Rpc;
    use crate::protocol::request::test_util::{assert_broker_error, reply};

    #[test]
    fn pop_statuses() {
        let header = PopMessageResponseHeader {
            pop_time: 1,
            invisible_time: 2,
            revive_qid: 0,
            rest_num: 3,
            ..Default::default()
        };
        let found = PopResponse::from_response(reply(ResponseCode::SUCCESS, &header));
        assert_eq!(
            found.ok().map(|r| (r.status, r.header)),
            Some((PopStatus::Found, Some(header)))
        );
        let missing = PopResponse::from_response(RemotingCommand::response(ResponseCode::SUCCESS));
        assert!(matches!(missing, Err(crate::Error::MissingField { .. })));
        for (code, status) in [
            (ResponseCode::POLLING_FULL, PopStatus::PollingFull),
            (ResponseCode::POLLING_TIMEOUT, PopStatus::PollingNotFound),
            (ResponseCode::PULL_NOT_FOUND, PopStatus::PollingNotFound),
        ] {
            let r = PopResponse::from_response(RemotingCommand::response(code));
            assert_eq!(r.ok().map(|r| (r.status, r.header)), Some((status, None)));
        }
        assert_broker_error(
            PopResponse::from_response(RemotingCommand::error_response(
                ResponseCode::SYSTEM_BUSY,
                "busy",
            )),
            ResponseCode::SYSTEM_BUSY,
            "busy",
        );
    }

    #[test]
    fn ack_and_change_invisible() {
        assert_eq!(AckMessage::default().to_command().code, 200051);
        assert_eq!(ChangeInvisibleTime::default().to_command().code, 200053);
        assert_eq!(PopMessage::default().to_command().code, 200050);
        let h = ChangeInvisibleTimeResponseHeader {
            pop_time: 5,
            invisible_time: 6,
            revive_qid: 1,
        };
        let r = ChangeInvisibleTimeResponseHeader::from_response(reply(ResponseCode::SUCCESS, &h));
        assert_eq!(r.ok(), Some(h));
    }
}
