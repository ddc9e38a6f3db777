//! Producer requests: send (V1, V2, batch), send back, transactions, recall.

use bytes::Bytes;

use crate::Result;
use crate::protocol::header::{
    CheckTransactionStateRequestHeader, ConsumerSendMsgBackRequestHeader,
    EndTransactionRequestHeader, RecallMessageRequestHeader, RecallMessageResponseHeader,
    SendMessageRequestHeader, SendMessageRequestHeaderV2, SendMessageResponseHeader,
};
use crate::protocol::request::broker_error;
use crate::protocol::{FromResponse, RemotingCommand, RequestCode, ResponseCode, Rpc};

/// How a sent message was stored (Java `SendStatus`), from the reply code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SendStatus {
    /// `SUCCESS` (0).
    SendOk,
    /// `FLUSH_DISK_TIMEOUT` (10): stored, but the synchronous flush timed out.
    FlushDiskTimeout,
    /// `FLUSH_SLAVE_TIMEOUT` (12): stored, but the slave did not confirm in time.
    FlushSlaveTimeout,
    /// `SLAVE_NOT_AVAILABLE` (11): stored, but no slave is available for sync replication.
    SlaveNotAvailable,
}

impl SendStatus {
    /// The status for a reply code, or `None` for a code that is an error.
    pub fn from_code(code: ResponseCode) -> Option<Self> {
        match code {
            ResponseCode::SUCCESS => Some(SendStatus::SendOk),
            ResponseCode::FLUSH_DISK_TIMEOUT => Some(SendStatus::FlushDiskTimeout),
            ResponseCode::FLUSH_SLAVE_TIMEOUT => Some(SendStatus::FlushSlaveTimeout),
            ResponseCode::SLAVE_NOT_AVAILABLE => Some(SendStatus::SlaveNotAvailable),
            _ => None,
        }
    }

    /// The reply code for this status.
    pub fn code(self) -> ResponseCode {
        match self {
            SendStatus::SendOk => ResponseCode::SUCCESS,
            SendStatus::FlushDiskTimeout => ResponseCode::FLUSH_DISK_TIMEOUT,
            SendStatus::FlushSlaveTimeout => ResponseCode::FLUSH_SLAVE_TIMEOUT,
            SendStatus::SlaveNotAvailable => ResponseCode::SLAVE_NOT_AVAILABLE,
        }
    }
}

/// The reply to a send: status and where the message went. Every other code is
/// [`crate::Error::Broker`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendResponse {
    /// The status from the reply code.
    pub status: SendStatus,
    /// The reply header.
    pub header: SendMessageResponseHeader,
}

impl FromResponse for SendResponse {
    fn from_response(reply: RemotingCommand) -> Result<Self> {
        let status =
            SendStatus::from_code(reply.response_code()).ok_or_else(|| broker_error(&reply))?;
        Ok(SendResponse {
            status,
            header: reply.read_header()?,
        })
    }
}

/// `SEND_MESSAGE` (10) with the long-named header; the body is the message body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SendMessage {
    /// The header.
    pub header: SendMessageRequestHeader,
    /// The message body.
    pub body: Bytes,
}

/// `SEND_MESSAGE_V2` (310), what Java producers send; the body is the message body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SendMessageV2 {
    /// The header.
    pub header: SendMessageRequestHeaderV2,
    /// The message body.
    pub body: Bytes,
}

/// `SEND_BATCH_MESSAGE` (320) with the V2 header; the body is the batch encoding.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SendBatchMessage {
    /// The header (`batch` should be true).
    pub header: SendMessageRequestHeaderV2,
    /// The encoded batch.
    pub body: Bytes,
}

macro_rules! send_rpc {
    ($($name:ident => $code:ident),* $(,)?) => {
        $(
            impl Rpc for $name {
                const CODE: RequestCode = RequestCode::$code;
                type Response = SendResponse;

                fn to_command(&self) -> RemotingCommand {
                    RemotingCommand::request(Self::CODE)
                        .with_header(&self.header)
                        .with_body(self.body.clone())
                }
            }
        )*
    };
}

send_rpc! {
    SendMessage => SEND_MESSAGE,
    SendMessageV2 => SEND_MESSAGE_V2,
    SendBatchMessage => SEND_BATCH_MESSAGE,
}

header_rpc! {
    /// `CONSUMER_SEND_MSG_BACK` (36): hand a message back for redelivery.
    ConsumerSendMsgBack(ConsumerSendMsgBackRequestHeader) => CONSUMER_SEND_MSG_BACK -> ()
}

header_rpc! {
    /// `END_TRANSACTION` (37): commit or roll back a half message. Java sends it oneway;
    /// as a two-way request the broker answers with an empty reply.
    EndTransaction(EndTransactionRequestHeader) => END_TRANSACTION -> ()
}

/// `CHECK_TRANSACTION_STATE` (39), broker -> producer, oneway: the half message record is
/// the body. The producer answers with [`EndTransaction`], not with a reply.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckTransactionState {
    /// The header.
    pub header: CheckTransactionStateRequestHeader,
    /// The half message, as a stored message record.
    pub body: Bytes,
}

impl Rpc for CheckTransactionState {
    const CODE: RequestCode = RequestCode::CHECK_TRANSACTION_STATE;
    type Response = ();

    fn to_command(&self) -> RemotingCommand {
        RemotingCommand::request(Self::CODE)
            .with_header(&self.header)
            .with_body(self.body.clone())
            .oneway()
    }
}

header_rpc! {
    /// `RECALL_MESSAGE` (370, 5.3+): cancel a timer message by its recall handle.
    RecallMessage(RecallMessageRequestHeader) => RECALL_MESSAGE -> RecallMessageResponseHeader
}

header_response!(RecallMessageResponseHeader);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::request::test_util::{assert_broker_error, reply};

    fn response_header() -> SendMessageResponseHeader {
        SendMessageResponseHeader {
            msg_id: "7F00000100002A9F0000000000001F40".into(),
            queue_id: 2,
            queue_offset: 77,
            ..Default::default()
        }
    }

    #[test]
    fn send_v2_command() {
        let req = SendMessageV2 {
            header: SendMessageRequestHeaderV2 {
                producer_group: "pg".into(),
                topic: "t".into(),
                ..Default::default()
            },
            body: Bytes::from_static(b"hello"),
        };
        let cmd = req.to_command();
        assert_eq!(cmd.code, 310);
        assert_eq!(cmd.ext_field("a"), Some("pg"));
        assert_eq!(cmd.ext_field("b"), Some("t"));
        assert_eq!(&cmd.body[..], b"hello");
        assert!(!cmd.is_oneway() && !cmd.is_response());
        let batch = SendBatchMessage {
            header: req.header.clone(),
            body: req.body.clone(),
        };
        assert_eq!(batch.to_command().code, 320);
        let v1 = SendMessage {
            header: req.header.clone().into(),
            body: req.body,
        };
        let cmd = v1.to_command();
        assert_eq!(cmd.code, 10);
        assert_eq!(cmd.ext_field("producerGroup"), Some("pg"));
    }

    #[test]
    fn send_statuses_from_codes() {
        for (code, status) in [
            (0, SendStatus::SendOk),
            (10, SendStatus::FlushDiskTimeout),
            (11, SendStatus::SlaveNotAvailable),
            (12, SendStatus::FlushSlaveTimeout),
        ] {
            let resp = SendResponse::from_response(reply(ResponseCode(code), &response_header()));
            assert_eq!(resp.as_ref().map(|r| r.status).ok(), Some(status));
            assert_eq!(resp.ok().map(|r| r.header), Some(response_header()));
            assert_eq!(status.code(), ResponseCode(code));
        }
        let refused = RemotingCommand::error_response(ResponseCode::NO_PERMISSION, "no");
        assert_broker_error(
            SendResponse::from_response(refused),
            ResponseCode::NO_PERMISSION,
            "no",
        );
        // A success without the required header fields is a decode error, not a result.
        let empty = RemotingCommand::response(ResponseCode::SUCCESS);
        assert!(matches!(
            SendResponse::from_response(empty),
            Err(crate::Error::MissingField { .. })
        ));
    }

    #[test]
    fn transaction_and_recall() {
        let check = CheckTransactionState {
            header: CheckTransactionStateRequestHeader {
                tran_state_table_offset: 1,
                commit_log_offset: 2,
                ..Default::default()
            },
            body: Bytes::from_static(b"msg"),
        };
        let cmd = check.to_command();
        assert_eq!(cmd.code, 39);
        assert!(cmd.is_oneway());
        assert_eq!(cmd.ext_field("commitLogOffset"), Some("2"));
        let end = EndTransaction::from(EndTransactionRequestHeader {
            producer_group: "pg".into(),
            msg_id: "m".into(),
            ..Default::default()
        });
        assert_eq!(end.to_command().code, 37);
        let back = ConsumerSendMsgBack::default();
        assert_eq!(back.to_command().ext_field("delayLevel"), Some("0"));
        let recall = RecallMessage::default().to_command();
        assert_eq!(recall.code, 370);
        let r = RecallMessageResponseHeader::from_response(reply(
            ResponseCode::SUCCESS,
            &RecallMessageResponseHeader {
                msg_id: "id".into(),
            },
        ));
        assert_eq!(r.ok().map(|r| r.msg_id), Some("id".to_owned()));
    }
}
