//! Requests whose reply (or request) is a JSON body from [`crate::protocol::body`].

use crate::Result;
use crate::protocol::body::{
    ClusterInfo, ConsumeStats, ConsumerConnection, ConsumerList, ConsumerRunningInfo, Heartbeat,
    KvTable, LockBatchRequest, LockBatchResponse, ProducerConnection, ResetOffset, TopicList,
    TopicRoute, TopicStats, UnlockBatchRequest,
};
use crate::protocol::header::{
    GetConsumeStatsRequestHeader, GetConsumerConnectionListRequestHeader,
    GetConsumerListByGroupRequestHeader, GetConsumerRunningInfoRequestHeader,
    GetKVListByNamespaceRequestHeader, GetProducerConnectionListRequestHeader,
    GetRouteInfoRequestHeader, GetTopicStatsInfoRequestHeader, GetTopicsByClusterRequestHeader,
    HeartbeatRequestHeader, LockBatchMqRequestHeader, ResetOffsetRequestHeader,
    UnlockBatchMqRequestHeader,
};
use crate::protocol::json::JsonBody;
use crate::protocol::request::ensure_success;
use crate::protocol::{FromResponse, RemotingCommand, RequestCode, Rpc};

/// Implements `FromResponse` for JSON bodies: success parses the body.
macro_rules! json_response {
    ($($body:ty),* $(,)?) => {
        $(
            impl FromResponse for $body {
                fn from_response(reply: RemotingCommand) -> Result<Self> {
                    ensure_success(&reply)?;
                    <$body>::from_json(&reply.body)
                }
            }
        )*
    };
}

json_response!(
    TopicRoute,
    ClusterInfo,
    TopicList,
    KvTable,
    ConsumerList,
    LockBatchResponse,
    ConsumeStats,
    TopicStats,
    ConsumerConnection,
    ProducerConnection,
    ConsumerRunningInfo,
    ResetOffset,
);

/// Declares a request without header or body.
macro_rules! bare_rpc {
    ($(#[$meta:meta])* $name:ident => $code:ident -> $response:ty) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $name;

        impl Rpc for $name {
            const CODE: RequestCode = RequestCode::$code;
            type Response = $response;

            fn to_command(&self) -> RemotingCommand {
                RemotingCommand::request(Self::CODE)
            }
        }
    };
}

/// Declares a request with a header and a JSON body. The header is left out when it is
/// all defaults (what 4.9.x sends: these requests have no header class there).
macro_rules! body_rpc {
    ($(#[$meta:meta])* $name:ident($header:ty, $body:ty) => $code:ident -> $response:ty) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $name {
            /// The header (5.x RPC fields only; none for 4.9.x).
            pub header: $header,
            /// The body.
            pub body: $body,
        }

        impl Rpc for $name {
            const CODE: RequestCode = RequestCode::$code;
            type Response = $response;

            fn to_command(&self) -> RemotingCommand {
                let command = RemotingCommand::request(Self::CODE).with_body(self.body.to_json());
                if self.header == <$header>::default() {
                    command
                } else {
                    command.with_header(&self.header)
                }
            }
        }
    };
}

header_rpc! {
    /// `GET_ROUTEINFO_BY_TOPIC` (105): a missing topic is `TOPIC_NOT_EXIST` (an error).
    GetRouteInfo(GetRouteInfoRequestHeader) => GET_ROUTEINFO_BY_TOPIC -> TopicRoute
}

impl GetRouteInfo {
    /// The route request for `topic`.
    pub fn new(topic: impl Into<String>) -> Self {
        Self(GetRouteInfoRequestHeader {
            topic: topic.into(),
            ..Default::default()
        })
    }
}

bare_rpc! {
    /// `GET_BROKER_CLUSTER_INFO` (106): every broker and cluster the name server knows.
    GetClusterInfo => GET_BROKER_CLUSTER_INFO -> ClusterInfo
}

bare_rpc! {
    /// `GET_ALL_TOPIC_LIST_FROM_NAMESERVER` (206).
    GetAllTopicList => GET_ALL_TOPIC_LIST_FROM_NAMESERVER -> TopicList
}

header_rpc! {
    /// `GET_TOPICS_BY_CLUSTER` (224).
    GetTopicsByCluster(GetTopicsByClusterRequestHeader) => GET_TOPICS_BY_CLUSTER -> TopicList
}

header_rpc! {
    /// `GET_KVLIST_BY_NAMESPACE` (219).
    GetKVListByNamespace(GetKVListByNamespaceRequestHeader) => GET_KVLIST_BY_NAMESPACE -> KvTable
}

body_rpc! {
    /// `HEART_BEAT` (34): the client's producer and consumer groups.
    HeartBeat(HeartbeatRequestHeader, Heartbeat) => HEART_BEAT -> ()
}

body_rpc! {
    /// `LOCK_BATCH_MQ` (41): lock queues for ordered consumption.
    LockBatchMq(LockBatchMqRequestHeader, LockBatchRequest) => LOCK_BATCH_MQ -> LockBatchResponse
}

body_rpc! {
    /// `UNLOCK_BATCH_MQ` (42).
    UnlockBatchMq(UnlockBatchMqRequestHeader, UnlockBatchRequest) => UNLOCK_BATCH_MQ -> ()
}

header_rpc! {
    /// `GET_CONSUMER_LIST_BY_GROUP` (38).
    GetConsumerListByGroup(GetConsumerListByGroupRequestHeader) => GET_CONSUMER_LIST_BY_GROUP
        -> ConsumerList
}

header_rpc! {
    /// `GET_CONSUME_STATS` (208).
    GetConsumeStats(GetConsumeStatsRequestHeader) => GET_CONSUME_STATS -> ConsumeStats
}

header_rpc! {
    /// `GET_TOPIC_STATS_INFO` (202).
    GetTopicStatsInfo(GetTopicStatsInfoRequestHeader) => GET_TOPIC_STATS_INFO -> TopicStats
}

header_rpc! {
    /// `GET_CONSUMER_CONNECTION_LIST` (203).
    GetConsumerConnectionList(GetConsumerConnectionListRequestHeader)
        => GET_CONSUMER_CONNECTION_LIST -> ConsumerConnection
}

header_rpc! {
    /// `GET_PRODUCER_CONNECTION_LIST` (204).
    GetProducerConnectionList(GetProducerConnectionListRequestHeader)
        => GET_PRODUCER_CONNECTION_LIST -> ProducerConnection
}

header_rpc! {
    /// `GET_CONSUMER_RUNNING_INFO` (307), admin -> broker -> client.
    GetConsumerRunningInfo(GetConsumerRunningInfoRequestHeader) => GET_CONSUMER_RUNNING_INFO
        -> ConsumerRunningInfo
}

header_rpc! {
    /// `INVOKE_BROKER_TO_RESET_OFFSET` (222), admin -> broker; the reply lists the new
    /// offsets.
    InvokeBrokerToResetOffset(ResetOffsetRequestHeader) => INVOKE_BROKER_TO_RESET_OFFSET
        -> ResetOffset
}

/// `RESET_CONSUMER_CLIENT_OFFSET` (220), broker -> client, oneway: apply these offsets.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResetConsumerClientOffset {
    /// The header.
    pub header: ResetOffsetRequestHeader,
    /// The offsets to apply.
    pub body: ResetOffset,
}

impl Rpc for ResetConsumerClientOffset {
    const CODE: RequestCode = RequestCode::RESET_CONSUMER_CLIENT_OFFSET;
    type Response = ();

    fn to_command(&self) -> RemotingCommand {
        RemotingCommand::request(Self::CODE)
            .with_header(&self.header)
            .with_body(self.body.to_json())
            .oneway()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ResponseCode;
    use crate::protocol::header::RpcFields;
    use crate::protocol::request::test_util::assert_broker_error;

    #[test]
    fn route_request_and_reply() {
        let cmd = GetRouteInfo::new("TopicTest").to_command();
        assert_eq!(cmd.code, 105);
        assert_eq!(cmd.ext_field("topic"), Some("TopicTest"));
        let body = br#"{"brokerDatas":[{"brokerAddrs":{0:"127.0.0.1:10911"},"brokerName":"b","cluster":"c"}],"filterServerTable":{},"queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}"#;
        let reply = RemotingCommand::response(ResponseCode::SUCCESS).with_body(&body[..]);
        let route = TopicRoute::from_response(reply);
        assert!(route.is_ok(), "{route:?}");
        if let Ok(route) = route {
            assert_eq!(route.brokers.len(), 1);
            assert_eq!(route.queues[0].write_queue_nums, 4);
        }
        assert_broker_error(
            TopicRoute::from_response(RemotingCommand::error_response(
                ResponseCode::TOPIC_NOT_EXIST,
                "No topic route info in name server for the topic: TopicTest",
            )),
            ResponseCode::TOPIC_NOT_EXIST,
            "No topic route info in name server for the topic: TopicTest",
        );
        let garbage = RemotingCommand::response(ResponseCode::SUCCESS).with_body(&b"{"[..]);
        assert!(TopicRoute::from_response(garbage).is_err());
    }

    #[test]
    fn bare_requests_have_no_fields() {
        let cmd = GetClusterInfo.to_command();
        assert_eq!(cmd.code, 106);
        assert!(cmd.ext_fields.is_none());
        assert_eq!(GetAllTopicList.to_command().code, 206);
    }

    #[test]
    fn heartbeat_header_only_when_set() {
        let plain = HeartBeat::default().to_command();
        assert_eq!(plain.code, 34);
        assert!(plain.ext_fields.is_none());
        assert_eq!(
            Heartbeat::from_json(&plain.body).ok(),
            Some(Heartbeat::default())
        );
        let routed = HeartBeat {
            header: HeartbeatRequestHeader {
                rpc: RpcFields {
                    namespace: Some("ns".into()),
                    ..Default::default()
                },
            },
            body: Heartbeat::default(),
        }
        .to_command();
        assert_eq!(routed.ext_field("ns"), Some("ns"));
    }

    #[test]
    fn other_codes() {
        assert_eq!(LockBatchMq::default().to_command().code, 41);
        assert_eq!(UnlockBatchMq::default().to_command().code, 42);
        assert_eq!(GetConsumerListByGroup::default().to_command().code, 38);
        assert_eq!(GetConsumeStats::default().to_command().code, 208);
        assert_eq!(GetTopicStatsInfo::default().to_command().code, 202);
        assert_eq!(GetConsumerConnectionList::default().to_command().code, 203);
        assert_eq!(GetProducerConnectionList::default().to_command().code, 204);
        assert_eq!(GetConsumerRunningInfo::default().to_command().code, 307);
        assert_eq!(GetTopicsByCluster::default().to_command().code, 224);
        assert_eq!(GetKVListByNamespace::default().to_command().code, 219);
        assert_eq!(InvokeBrokerToResetOffset::default().to_command().code, 222);
        let reset = ResetConsumerClientOffset::default().to_command();
        assert_eq!(reset.code, 220);
        assert!(reset.is_oneway());
        assert_eq!(reset.ext_field("queueId"), Some("-1"));
    }
}
