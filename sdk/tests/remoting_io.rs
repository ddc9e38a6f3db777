//! The remoting layer over a custom byte stream (an in-memory pipe through a custom
//! `Connect`), cancellation mid-flight, and frames too large to encode.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod remoting_util;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use rocketmq::Error;
use rocketmq::codec::RemotingCodec;
use rocketmq::protocol::{RemotingCommand, ResponseCode};
use rocketmq::remoting::{Connect, RemotingClient, RemotingServer, RequestContext};
use tokio::io::DuplexStream;
use tokio::sync::mpsc;
use tokio_util::codec::Framed;

use remoting_util::*;

/// Connects through an in-memory pipe with a tiny buffer, handing the far end to the test.
struct Pipe {
    far_ends: mpsc::Sender<DuplexStream>,
}

impl Connect for Pipe {
    type Stream = DuplexStream;

    async fn connect(&self, _addr: &str) -> std::io::Result<DuplexStream> {
        let (near, far) = tokio::io::duplex(64);
        self.far_ends
            .send(far)
            .await
            .map_err(|_| std::io::Error::other("test gone"))?;
        Ok(near)
    }
}

#[tokio::test]
async fn cancelled_callers_never_leave_half_written_frames() {
    const BODY: usize = 10_000;
    let (far_ends, mut far_rx) = mpsc::channel(1);
    let client = RemotingClient::builder()
        .connector(Pipe { far_ends })
        .build();
    let connection = client.connection("pipe:1").await.unwrap();
    let far = far_rx.recv().await.unwrap();

    // The peer checks every frame arrives whole and echoes it.
    let peer = tokio::spawn(async move {
        let mut framed = Framed::new(far, RemotingCodec::new());
        let mut seen = 0usize;
        while let Some(frame) = framed.next().await {
            let request = frame.expect("every frame decodes");
            assert_eq!(request.body.len(), BODY);
            assert!(request.body.iter().all(|b| *b == request.body[0]));
            let response = RemotingCommand::response(ResponseCode::SUCCESS)
                .with_body(request.body.clone())
                .reply_to(&request);
            framed.send(response).await.unwrap();
            seen += 1;
        }
        seen
    });

    let mut callers = Vec::new();
    for i in 0..40u8 {
        let connection = connection.clone();
        callers.push(tokio::spawn(async move {
            let request = RemotingCommand::request(ECHO).with_body(vec![i; BODY]);
            connection.invoke(request, LONG).await
        }));
    }
    // Cancel every other caller, wherever it has got to.
    for caller in callers.iter().skip(1).step_by(2) {
        caller.abort();
    }
    for (i, caller) in callers.into_iter().enumerate() {
        match caller.await {
            Ok(result) => {
                let response = result.unwrap();
                assert_eq!(response.body, Bytes::from(vec![i as u8; BODY]));
            }
            Err(join) => {
                assert!(join.is_cancelled());
                assert_eq!(i % 2, 1, "only cancelled callers may fail");
            }
        }
    }
    assert_eq!(connection.pending_requests(), 0);
    client.close().await;
    let seen = peer.await.unwrap();
    assert!(
        seen >= 20,
        "every surviving request reached the peer ({seen})"
    );
}

#[tokio::test]
async fn frames_too_large_to_encode_fail_alone() {
    let server = RemotingServer::builder()
        .handler(ECHO, echo)
        .max_frame_size(4096)
        .serve(listener().await)
        .unwrap();
    let client = RemotingClient::builder().max_frame_size(4096).build();
    let addr = server.local_addr().to_string();
    let connection = client.connection(&addr).await.unwrap();

    // A request over the limit fails by itself...
    let err = connection
        .invoke(
            RemotingCommand::request(ECHO).with_body(vec![0; 8192]),
            LONG,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    assert_eq!(connection.pending_requests(), 0);

    // ...and a response over the limit is replaced by SYSTEM_ERROR; the connection lives.
    let big_answer = RemotingServer::builder()
        .handler(
            ECHO,
            |_ctx: RequestContext, _req: RemotingCommand| async move {
                Ok(Some(
                    RemotingCommand::response(ResponseCode::SUCCESS).with_body(vec![0; 8192]),
                ))
            },
        )
        .max_frame_size(4096)
        .serve(listener().await)
        .unwrap();
    let big_addr = big_answer.local_addr().to_string();
    let response = client
        .invoke(&big_addr, RemotingCommand::request(ECHO), LONG)
        .await
        .unwrap();
    assert_eq!(response.response_code(), ResponseCode::SYSTEM_ERROR);
    assert!(response.remark.unwrap().contains("exceeds the limit"));

    ping(&client, &addr).await;
    assert_eq!(
        client.connection(&addr).await.unwrap().id(),
        connection.id()
    );
    client.close().await;
    server.shutdown().await;
    big_answer.shutdown().await;
}
