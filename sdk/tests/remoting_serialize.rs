//! Which serialize type a `RemotingServer`'s responses go out in: JSON by default (as from
//! a Java 5.x server), the request's own type for handled requests when the server is
//! built with `reply_in_request_serialize_type(true)` (as from a Java 4.9.x server), and
//! JSON for the remoting layer's own refusals either way.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod remoting_util;

use rocketmq::Error;
use rocketmq::protocol::{RemotingCommand, RequestCode, ResponseCode, SerializeType};
use rocketmq::remoting::{RemotingClient, RemotingServer, RequestContext};

use remoting_util::*;

/// ECHO echoes, SLOW fails with a broker error (a response the handler chose), ASK fails
/// with any other error (answered like a Java exception).
async fn server(in_request_type: bool) -> RemotingServer {
    RemotingServer::builder()
        .reply_in_request_serialize_type(in_request_type)
        .handler(ECHO, echo)
        .handler(
            SLOW,
            |_ctx: RequestContext, _req: RemotingCommand| async move {
                Err(Error::Broker {
                    code: ResponseCode(17),
                    remark: Some("topic not exist".into()),
                })
            },
        )
        .handler(
            ASK,
            |_ctx: RequestContext, _req: RemotingCommand| async move { Err(Error::Shutdown) },
        )
        .serve(listener().await)
        .unwrap()
}

/// The serialize type of the response to a request with `code` sent as `sent`.
async fn answer_type(
    server: &RemotingServer,
    code: RequestCode,
    sent: SerializeType,
) -> SerializeType {
    let client = RemotingClient::builder().build();
    let addr = server.local_addr().to_string();
    let request = RemotingCommand::request(code)
        .with_ext_field("k", "v")
        .with_serialize_type(sent);
    let response = client.invoke(&addr, request, LONG).await.unwrap();
    assert!(response.is_response());
    client.close().await;
    response.serialize_type
}

#[tokio::test]
async fn responses_follow_the_servers_reply_setting() {
    use SerializeType::{Json, RocketMq};
    let unknown = RequestCode(4242);

    let java5 = server(false).await;
    for sent in [Json, RocketMq] {
        for code in [ECHO, SLOW, ASK, unknown] {
            assert_eq!(
                answer_type(&java5, code, sent).await,
                Json,
                "{code:?} sent as {sent:?}"
            );
        }
    }
    java5.shutdown().await;

    let java4 = server(true).await;
    for sent in [Json, RocketMq] {
        assert_eq!(
            answer_type(&java4, ECHO, sent).await,
            sent,
            "handled, sent as {sent:?}"
        );
        assert_eq!(
            answer_type(&java4, SLOW, sent).await,
            sent,
            "broker error, sent as {sent:?}"
        );
        assert_eq!(
            answer_type(&java4, ASK, sent).await,
            Json,
            "failure, sent as {sent:?}"
        );
        assert_eq!(
            answer_type(&java4, unknown, sent).await,
            Json,
            "no handler, sent as {sent:?}"
        );
    }
    java4.shutdown().await;
}
