//! Broker requests that need no JSON body type: topics, subscription groups, client
//! notices, message lookup.

use bytes::Bytes;

use crate::Result;
use crate::protocol::header::{
    CreateTopicRequestHeader, DeleteSubscriptionGroupRequestHeader, DeleteTopicRequestHeader,
    NotifyConsumerIdsChangedRequestHeader, QueryMessageRequestHeader, QueryMessageResponseHeader,
    UnregisterClientRequestHeader, ViewMessageRequestHeader,
};
use crate::protocol::request::ensure_success;
use crate::protocol::{FromResponse, RemotingCommand, RequestCode, Rpc};

header_rpc! {
    /// `UPDATE_AND_CREATE_TOPIC` (17).
    CreateTopic(CreateTopicRequestHeader) => UPDATE_AND_CREATE_TOPIC -> ()
}

header_rpc! {
    /// `DELETE_TOPIC_IN_BROKER` (215).
    DeleteTopic(DeleteTopicRequestHeader) => DELETE_TOPIC_IN_BROKER -> ()
}

header_rpc! {
    /// `DELETE_SUBSCRIPTIONGROUP` (207).
    DeleteSubscriptionGroup(DeleteSubscriptionGroupRequestHeader) => DELETE_SUBSCRIPTIONGROUP -> ()
}

header_rpc! {
    /// `UNREGISTER_CLIENT` (35).
    UnregisterClient(UnregisterClientRequestHeader) => UNREGISTER_CLIENT -> ()
}

/// `NOTIFY_CONSUMER_IDS_CHANGED` (40), broker -> client, sent oneway.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotifyConsumerIdsChanged(pub NotifyConsumerIdsChangedRequestHeader);

impl Rpc for NotifyConsumerIdsChanged {
    const CODE: RequestCode = RequestCode::NOTIFY_CONSUMER_IDS_CHANGED;
    type Response = ();

    fn to_command(&self) -> RemotingCommand {
        RemotingCommand::request(Self::CODE)
            .with_header(&self.0)
            .oneway()
    }
}

header_rpc! {
    /// `VIEW_MESSAGE_BY_ID` (33): the reply body is one stored message record.
    ViewMessage(ViewMessageRequestHeader) => VIEW_MESSAGE_BY_ID -> Bytes
}

/// The reply to [`QueryMessage`]: index times and the matching message records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryMessageResponse {
    /// The reply header.
    pub header: QueryMessageResponseHeader,
    /// Message records back to back.
    pub body: Bytes,
}

impl FromResponse for QueryMessageResponse {
    fn from_response(reply: RemotingCommand) -> Result<Self> {
        ensure_success(&reply)?;
        Ok(QueryMessageResponse {
            header: reply.read_header()?,
            body: reply.body,
        })
    }
}

header_rpc! {
    /// `QUERY_MESSAGE` (12); nothing found is `QUERY_NOT_FOUND` (an error, as in Java).
    QueryMessage(QueryMessageRequestHeader) => QUERY_MESSAGE -> QueryMessageResponse
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ResponseCode;
    use crate::protocol::request::test_util::{assert_broker_error, reply};

    #[test]
    fn admin_commands() {
        let create = CreateTopic(CreateTopicRequestHeader {
            topic: "t".into(),
            perm: 6,
            ..Default::default()
        })
        .to_command();
        assert_eq!(create.code, 17);
        assert_eq!(create.ext_field("perm"), Some("6"));
        assert_eq!(DeleteTopic::default().to_command().code, 215);
        let del = DeleteSubscriptionGroup(DeleteSubscriptionGroupRequestHeader::new("g", true))
            .to_command();
        assert_eq!(del.code, 207);
        assert_eq!(del.ext_field("cleanOffset"), Some("true"));
        assert_eq!(UnregisterClient::default().to_command().code, 35);
        let notify = NotifyConsumerIdsChanged::default().to_command();
        assert_eq!(notify.code, 40);
        assert!(notify.is_oneway());
        assert_eq!(ViewMessage::default().to_command().code, 33);
        assert_eq!(QueryMessage::default().to_command().code, 12);
    }

    #[test]
    fn query_message_reply() {
        let h = QueryMessageResponseHeader {
            index_last_update_timestamp: 1,
            index_last_update_phyoffset: 2,
        };
        let r = QueryMessageResponse::from_response(
            reply(ResponseCode::SUCCESS, &h).with_body(Bytes::from_static(b"m")),
        );
        assert_eq!(
            r.ok(),
            Some(QueryMessageResponse {
                header: h,
                body: Bytes::from_static(b"m")
            })
        );
        assert_broker_error(
            QueryMessageResponse::from_response(RemotingCommand::error_response(
                ResponseCode::QUERY_NOT_FOUND,
                "no message",
            )),
            ResponseCode::QUERY_NOT_FOUND,
            "no message",
        );
    }
}
