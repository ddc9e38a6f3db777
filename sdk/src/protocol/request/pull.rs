//! `PULL_MESSAGE` and 5.x `LITE_PULL_MESSAGE`.

use bytes::Bytes;

use crate::Result;
use crate::protocol::header::{PullMessageRequestHeader, PullMessageResponseHeader};
use crate::protocol::request::broker_error;
use crate::protocol::{FromResponse, RemotingCommand, ResponseCode};

/// The outcome of a pull (Java `PullStatus`), from the reply code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PullStatus {
    /// `SUCCESS` (0): messages in the body.
    Found,
    /// `PULL_NOT_FOUND` (19): nothing new at this offset.
    NoNewMsg,
    /// `PULL_RETRY_IMMEDIATELY` (20): messages were there but none matched the filter.
    NoMatchedMsg,
    /// `PULL_OFFSET_MOVED` (21): the offset is out of range; use `next_begin_offset`.
    OffsetIllegal,
}

impl PullStatus {
    /// The status for a reply code, or `None` for a code that is an error.
    pub fn from_code(code: ResponseCode) -> Option<Self> {
        match code {
            ResponseCode::SUCCESS => Some(PullStatus::Found),
            ResponseCode::PULL_NOT_FOUND => Some(PullStatus::NoNewMsg),
            ResponseCode::PULL_RETRY_IMMEDIATELY => Some(PullStatus::NoMatchedMsg),
            ResponseCode::PULL_OFFSET_MOVED => Some(PullStatus::OffsetIllegal),
            _ => None,
        }
    }

    /// The reply code for this status.
    pub fn code(self) -> ResponseCode {
        match self {
            PullStatus::Found => ResponseCode::SUCCESS,
            PullStatus::NoNewMsg => ResponseCode::PULL_NOT_FOUND,
            PullStatus::NoMatchedMsg => ResponseCode::PULL_RETRY_IMMEDIATELY,
            PullStatus::OffsetIllegal => ResponseCode::PULL_OFFSET_MOVED,
        }
    }
}

/// The reply to a pull. Every code other than the four [`PullStatus`] ones is
/// [`crate::Error::Broker`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullResponse {
    /// The status from the reply code.
    pub status: PullStatus,
    /// Offsets and the suggested broker (present for every status).
    pub header: PullMessageResponseHeader,
    /// Message records back to back (empty unless [`PullStatus::Found`]).
    pub body: Bytes,
}

impl FromResponse for PullResponse {
    fn from_response(reply: RemotingCommand) -> Result<Self> {
        let status =
            PullStatus::from_code(reply.response_code()).ok_or_else(|| broker_error(&reply))?;
        Ok(PullResponse {
            status,
            header: reply.read_header()?,
            body: reply.body,
        })
    }
}

header_rpc! {
    /// `PULL_MESSAGE` (11).
    PullMessage(PullMessageRequestHeader) => PULL_MESSAGE -> PullResponse
}

header_rpc! {
    /// `LITE_PULL_MESSAGE` (361, 5.x): the same header and reply as [`PullMessage`], used
    /// by the lite pull consumer so the broker can tell the two apart.
    LitePullMessage(PullMessageRequestHeader) => LITE_PULL_MESSAGE -> PullResponse
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Rpc;
    use crate::protocol::request::test_util::{assert_broker_error, reply};

    fn header() -> PullMessageResponseHeader {
        PullMessageResponseHeader {
            suggest_which_broker_id: 0,
            next_begin_offset: 10,
            min_offset: 0,
            max_offset: 20,
            ..Default::default()
        }
    }

    #[test]
    fn pull_statuses() {
        for (code, status) in [
            (0, PullStatus::Found),
            (19, PullStatus::NoNewMsg),
            (20, PullStatus::NoMatchedMsg),
            (21, PullStatus::OffsetIllegal),
        ] {
            let r = reply(ResponseCode(code), &header()).with_body(Bytes::from_static(b"x"));
            let resp = PullResponse::from_response(r);
            assert!(resp.is_ok(), "{code}: {resp:?}");
            if let Ok(resp) = resp {
                assert_eq!(resp.status, status);
                assert_eq!(resp.header, header());
                assert_eq!(&resp.body[..], b"x");
            }
            assert_eq!(status.code(), ResponseCode(code));
        }
        assert_broker_error(
            PullResponse::from_response(RemotingCommand::error_response(
                ResponseCode::SUBSCRIPTION_NOT_LATEST,
                "old",
            )),
            ResponseCode::SUBSCRIPTION_NOT_LATEST,
            "old",
        );
    }

    #[test]
    fn pull_commands() {
        let h = PullMessageRequestHeader {
            consumer_group: "g".into(),
            topic: "t".into(),
            queue_offset: 5,
            ..Default::default()
        };
        let cmd = PullMessage(h.clone()).to_command();
        assert_eq!(cmd.code, 11);
        assert_eq!(cmd.ext_field("queueOffset"), Some("5"));
        assert_eq!(LitePullMessage::from(h).to_command().code, 361);
    }
}
