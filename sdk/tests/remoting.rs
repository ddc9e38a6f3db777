//! The remoting layer end to end, in process on 127.0.0.1:0: a `RemotingServer` and a
//! `RemotingClient` talking to each other, plus raw TCP peers for hostile input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod remoting_util;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use rocketmq::Error;
use rocketmq::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketmq::remoting::{RemotingClient, RemotingServer, RequestContext};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

use remoting_util::*;

#[tokio::test]
async fn request_response_round_trip() {
    let server = echo_server().await;
    let client = RemotingClient::builder().build();
    let addr = server.local_addr().to_string();

    let request = RemotingCommand::request(ECHO)
        .with_ext_field("k", "v")
        .with_body(&b"hello"[..]);
    let response = client.invoke(&addr, request, LONG).await.unwrap();

    assert!(response.is_response());
    assert_eq!(response.response_code(), ResponseCode::SUCCESS);
    assert_eq!(response.body, Bytes::from_static(b"hello"));
    assert_eq!(response.ext_field("k"), Some("v"));
    let connection = client.connection(&addr).await.unwrap();
    assert_eq!(connection.pending_requests(), 0);
    client.close().await;
    server.shutdown().await;
}

#[tokio::test]
async fn typed_call_uses_the_default_timeout_and_maps_errors() {
    let server = RemotingServer::builder()
        .handler(
            ECHO,
            |_ctx: RequestContext, _req: RemotingCommand| async move {
                Err(Error::Broker {
                    code: ResponseCode(17),
                    remark: Some("topic not exist".into()),
                })
            },
        )
        .handler(
            SLOW,
            |_ctx: RequestContext, _req: RemotingCommand| async move { Err(Error::Shutdown) },
        )
        .serve(listener().await)
        .unwrap();
    let client = RemotingClient::builder().build();
    let addr = server.local_addr().to_string();

    let err = client.call(&addr, &Ping).await.unwrap_err();
    match err {
        Error::Broker { code, remark } => {
            assert_eq!(code, ResponseCode(17));
            assert_eq!(remark.as_deref(), Some("topic not exist"));
        }
        other => panic!("unexpected {other:?}"),
    }
    let response = client
        .invoke(&addr, RemotingCommand::request(SLOW), LONG)
        .await
        .unwrap();
    assert_eq!(response.response_code(), ResponseCode::SYSTEM_ERROR);
    assert_eq!(response.remark.as_deref(), Some("shut down"));
    client.close().await;
    server.shutdown().await;
}

#[tokio::test]
async fn oneway_is_delivered_and_never_answered() {
    let (seen_tx, mut seen_rx) = mpsc::channel(4);
    let server = RemotingServer::builder()
        .handler(NOTE, move |_ctx: RequestContext, req: RemotingCommand| {
            let seen_tx = seen_tx.clone();
            async move {
                seen_tx.send(req).await.unwrap();
                // Answering a oneway request must not put anything on the wire.
                Ok(Some(RemotingCommand::response(ResponseCode::SUCCESS)))
            }
        })
        .handler(ECHO, echo)
        .serve(listener().await)
        .unwrap();

    // Through the client: the handler sees the request flagged oneway.
    let client = RemotingClient::builder().build();
    let addr = server.local_addr().to_string();
    client
        .invoke_oneway(
            &addr,
            RemotingCommand::request(NOTE).with_body(&b"x"[..]),
            LONG,
        )
        .await
        .unwrap();
    let seen = seen_rx.recv().await.unwrap();
    assert!(seen.is_oneway());
    assert_eq!(seen.body, Bytes::from_static(b"x"));

    // On a raw socket: after a oneway request and a normal one, the first frame that
    // comes back is the normal request's response.
    let mut raw = RawPeer::connect(server.local_addr()).await;
    raw.send(RemotingCommand::request(NOTE).with_opaque(1).oneway())
        .await;
    raw.send(RemotingCommand::request(ECHO).with_opaque(2))
        .await;
    seen_rx.recv().await.unwrap();
    let first = raw.recv().await.unwrap().unwrap();
    assert_eq!(first.opaque, 2);
    client.close().await;
    server.shutdown().await;
}

#[tokio::test]
async fn timeout_fails_the_request_and_clears_its_slot() {
    let hang = Hang::default();
    let server = hang_server(&hang).await;
    let client = RemotingClient::builder().build();
    let addr = server.local_addr().to_string();

    let err = client
        .invoke(&addr, RemotingCommand::request(SLOW), SHORT)
        .await
        .unwrap_err();
    match err {
        Error::Timeout { addr: a, timeout } => {
            assert_eq!(a, addr);
            assert_eq!(timeout, SHORT);
        }
        other => panic!("unexpected {other:?}"),
    }
    let connection = client.connection(&addr).await.unwrap();
    assert_eq!(connection.pending_requests(), 0);
    // The connection is still usable.
    let response = client
        .invoke(&addr, RemotingCommand::request(ECHO), LONG)
        .await
        .unwrap();
    assert_eq!(response.response_code(), ResponseCode::SUCCESS);
    client.close().await;
    drop(server);
}

#[tokio::test]
async fn dropped_caller_leaves_no_reply_slot() {
    let hang = Hang::default();
    let server = hang_server(&hang).await;
    let client = RemotingClient::builder().build();
    let addr = server.local_addr().to_string();
    let connection = client.connection(&addr).await.unwrap();

    let caller = {
        let connection = connection.clone();
        tokio::spawn(async move {
            connection
                .invoke(RemotingCommand::request(SLOW), LONG)
                .await
        })
    };
    hang.started.recv_one().await;
    assert_eq!(connection.pending_requests(), 1);
    caller.abort();
    assert!(caller.await.unwrap_err().is_cancelled());
    assert_eq!(connection.pending_requests(), 0);

    // Same for a dropped `ResponseFuture`.
    let future = connection
        .invoke_async(RemotingCommand::request(SLOW), LONG)
        .await
        .unwrap();
    hang.started.recv_one().await;
    assert_eq!(connection.pending_requests(), 1);
    drop(future);
    assert_eq!(connection.pending_requests(), 0);
    client.close().await;
    drop(server);
}

#[tokio::test]
async fn server_going_away_fails_every_pending_request_at_once() {
    let hang = Hang::default();
    let server = hang_server(&hang).await;
    let client = RemotingClient::builder().build();
    let addr = server.local_addr().to_string();
    let connection = client.connection(&addr).await.unwrap();

    let mut callers = Vec::new();
    for _ in 0..5 {
        let connection = connection.clone();
        callers.push(tokio::spawn(async move {
            connection
                .invoke(RemotingCommand::request(SLOW), LONG)
                .await
        }));
    }
    for _ in 0..5 {
        hang.started.recv_one().await;
    }
    assert_eq!(connection.pending_requests(), 5);
    drop(server); // aborts every server task; the sockets close

    for caller in callers {
        match caller.await.unwrap().unwrap_err() {
            Error::ConnectionClosed { addr: a, cause } => {
                assert_eq!(a, addr);
                assert!(
                    cause.contains("closed by peer") || cause.contains("reset"),
                    "{cause}"
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(connection.is_closed());
    assert_eq!(connection.pending_requests(), 0);
    // Later requests on the dead handle fail the same way, without waiting.
    assert!(matches!(
        connection
            .invoke(RemotingCommand::request(ECHO), LONG)
            .await,
        Err(Error::ConnectionClosed { .. })
    ));
    client.close().await;
}

#[tokio::test]
async fn reconnects_on_next_use_after_the_server_restarts() {
    let first = echo_server().await;
    let addr = first.local_addr();
    let client = RemotingClient::builder().build();
    let before = client.connection(&addr.to_string()).await.unwrap();
    ping(&client, &addr.to_string()).await;

    first.shutdown().await;
    before.closed().await;
    assert!(before.is_closed());
    // Nobody listens: the next request fails to connect.
    assert!(matches!(
        client
            .invoke(&addr.to_string(), RemotingCommand::request(ECHO), LONG)
            .await,
        Err(Error::Connect { .. })
    ));

    let second = RemotingServer::builder()
        .handler(ECHO, echo)
        .serve(TcpListener::bind(addr).await.unwrap())
        .unwrap();
    ping(&client, &addr.to_string()).await;
    let after = client.connection(&addr.to_string()).await.unwrap();
    assert_ne!(before.id(), after.id());
    assert!(!after.is_closed());
    client.close().await;
    second.shutdown().await;
}

#[tokio::test]
async fn concurrent_requests_on_one_connection_get_their_own_replies() {
    let server = echo_server().await;
    let client = RemotingClient::builder().build();
    let addr = server.local_addr().to_string();

    let mut callers = Vec::new();
    for i in 0..300u32 {
        let client = client.clone();
        let addr = addr.clone();
        callers.push(tokio::spawn(async move {
            let request = RemotingCommand::request(ECHO)
                .with_ext_field("i", i.to_string())
                .with_body(i.to_be_bytes().to_vec());
            let response = client.invoke(&addr, request, LONG).await.unwrap();
            (i, response)
        }));
    }
    for caller in callers {
        let (i, response) = caller.await.unwrap();
        assert_eq!(response.body.as_ref(), i.to_be_bytes());
        assert_eq!(response.ext_field("i"), Some(i.to_string().as_str()));
    }
    let connection = client.connection(&addr).await.unwrap();
    assert_eq!(
        connection.id(),
        1,
        "every request shared the first connection"
    );
    assert_eq!(server.connections().len(), 1);
    client.close().await;
    server.shutdown().await;
}

#[tokio::test]
async fn peer_initiated_requests_reach_client_handlers() {
    // The server answers ASK by asking the client GET_CONSUMER_RUNNING_INFO (and an
    // unknown code) on the same connection, as a broker asks its clients.
    let server = RemotingServer::builder()
        .handler(
            ASK,
            |ctx: RequestContext, _req: RemotingCommand| async move {
                let client = ctx.connection().clone();
                let info = client
                    .invoke(
                        RemotingCommand::request(RequestCode::GET_CONSUMER_RUNNING_INFO)
                            .with_ext_field("consumerGroup", "g1"),
                        LONG,
                    )
                    .await?;
                let unknown = client
                    .invoke(RemotingCommand::request(RequestCode(9999)), LONG)
                    .await?;
                Ok(Some(
                    RemotingCommand::response(ResponseCode::SUCCESS)
                        .with_body(info.body)
                        .with_ext_field("unknownCode", unknown.code.to_string())
                        .with_ext_field("unknownRemark", unknown.remark.unwrap_or_default())
                        .with_ext_field("peer", ctx.peer_addr().to_owned())
                        .with_ext_field("id", ctx.connection_id().to_string()),
                ))
            },
        )
        .serve(listener().await)
        .unwrap();
    let client = RemotingClient::builder()
        .handler(
            RequestCode::GET_CONSUMER_RUNNING_INFO,
            |ctx: RequestContext, req: RemotingCommand| async move {
                let group = req.ext_field("consumerGroup").unwrap_or("?").to_owned();
                assert!(!ctx.peer_addr().is_empty());
                Ok(Some(
                    RemotingCommand::response(ResponseCode::SUCCESS)
                        .with_body(format!("running info of {group}")),
                ))
            },
        )
        .build();
    let addr = server.local_addr().to_string();

    let response = client
        .invoke(&addr, RemotingCommand::request(ASK), LONG)
        .await
        .unwrap();
    assert_eq!(response.body, Bytes::from_static(b"running info of g1"));
    assert_eq!(response.ext_field("unknownCode"), Some("3"));
    assert_eq!(
        response.ext_field("unknownRemark"),
        Some(" request type 9999 not supported")
    );
    let local = client.connection(&addr).await.unwrap();
    assert_eq!(local.pending_requests(), 0);
    let id: u64 = response.ext_field("id").unwrap().parse().unwrap();
    let on_server = server.connection(id).expect("server tracks the connection");
    assert_eq!(Some(on_server.peer_addr()), response.ext_field("peer"));
    client.close().await;
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_request_code_is_answered_not_supported() {
    let server = echo_server().await;
    let client = RemotingClient::builder().build();
    let addr = server.local_addr().to_string();
    let response = client
        .invoke(&addr, RemotingCommand::request(RequestCode(4242)), LONG)
        .await
        .unwrap();
    assert_eq!(
        response.response_code(),
        ResponseCode::REQUEST_CODE_NOT_SUPPORTED
    );
    assert_eq!(
        response.remark.as_deref(),
        Some(" request type 4242 not supported")
    );
    client.close().await;
    server.shutdown().await;
}

#[tokio::test]
async fn hooks_run_before_and_after_on_both_sides() {
    let client_hook = RecordingHook::new("client-signature");
    let server_hook = RecordingHook::new("server-seen");
    let server = RemotingServer::builder()
        .handler(ECHO, echo)
        .hook(server_hook.clone())
        .serve(listener().await)
        .unwrap();
    let client = RemotingClient::builder().hook(client_hook.clone()).build();
    let addr = server.local_addr().to_string();

    let response = client
        .invoke(&addr, RemotingCommand::request(ECHO), LONG)
        .await
        .unwrap();
    // The echo handler returns the ext fields it received: the client's hook signed the
    // request before it left, the server's hook amended it before the handler ran.
    assert_eq!(response.ext_field("client-signature"), Some("1"));
    assert_eq!(response.ext_field("server-seen"), Some("1"));

    let client_calls = client_hook.calls();
    assert_eq!(
        client_calls,
        vec![
            Call::Before {
                addr: addr.clone(),
                code: ECHO.0
            },
            Call::After {
                addr: addr.clone(),
                code: ECHO.0,
                response_code: 0,
                signed: true,
            },
        ]
    );
    let server_calls = server_hook.calls();
    assert_eq!(server_calls.len(), 2);
    assert!(matches!(server_calls[0], Call::Before { code, .. } if code == ECHO.0));
    assert!(matches!(
        server_calls[1],
        Call::After { code, response_code: 0, signed: true, .. } if code == ECHO.0
    ));

    // Oneway requests get `before` only; async ones get both.
    client
        .invoke_oneway(&addr, RemotingCommand::request(NOTE), LONG)
        .await
        .unwrap();
    let future = client
        .invoke_async(&addr, RemotingCommand::request(ECHO), LONG)
        .await
        .unwrap();
    future.await.unwrap();
    let calls = client_hook.calls();
    assert_eq!(calls.len(), 5);
    assert!(matches!(calls[2], Call::Before { code, .. } if code == NOTE.0));
    assert!(matches!(calls[4], Call::After { code, .. } if code == ECHO.0));
    client.close().await;
    server.shutdown().await;
}

#[tokio::test]
async fn hook_refusal_stops_the_request() {
    let server = echo_server().await;
    let client = RemotingClient::builder().hook(RefuseAll).build();
    let addr = server.local_addr().to_string();
    let err = client
        .invoke(&addr, RemotingCommand::request(ECHO), LONG)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Broker {
            code: ResponseCode(16),
            ..
        }
    ));
    assert_eq!(
        client.connection(&addr).await.unwrap().pending_requests(),
        0
    );
    client.close().await;
    server.shutdown().await;

    // On the server, a refusal is the response and the handler never runs.
    let ran = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&ran);
    let server = RemotingServer::builder()
        .handler(ECHO, move |_ctx: RequestContext, req: RemotingCommand| {
            counter.fetch_add(1, Ordering::SeqCst);
            async move { Ok(Some(req)) }
        })
        .hook(RefuseAll)
        .serve(listener().await)
        .unwrap();
    let client = RemotingClient::builder().build();
    let response = client
        .invoke(
            &server.local_addr().to_string(),
            RemotingCommand::request(ECHO),
            LONG,
        )
        .await
        .unwrap();
    assert_eq!(response.code, 16);
    assert_eq!(response.remark.as_deref(), Some("no access"));
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    client.close().await;
    server.shutdown().await;
}

#[tokio::test]
async fn async_requests_are_limited_by_permits() {
    let hang = Hang::default();
    let server = hang_server(&hang).await;
    let client = RemotingClient::builder().max_async_requests(2).build();
    let addr = server.local_addr().to_string();

    let first = client
        .invoke_async(&addr, RemotingCommand::request(SLOW), LONG)
        .await
        .unwrap();
    let second = client
        .invoke_async(&addr, RemotingCommand::request(ECHO), LONG)
        .await
        .unwrap();
    let err = client
        .invoke_async(&addr, RemotingCommand::request(ECHO), SHORT)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TooManyRequests { limit: 2 }));

    // A completed request gives its permit back.
    assert_eq!(second.await.unwrap().response_code(), ResponseCode::SUCCESS);
    let third = client
        .invoke_async(&addr, RemotingCommand::request(ECHO), LONG)
        .await
        .unwrap();
    third.await.unwrap();
    // So does an abandoned one.
    drop(first);
    let a = client
        .invoke_async(&addr, RemotingCommand::request(ECHO), LONG)
        .await
        .unwrap();
    let b = client
        .invoke_async(&addr, RemotingCommand::request(ECHO), LONG)
        .await
        .unwrap();
    a.await.unwrap();
    b.await.unwrap();
    client.close().await;
    drop(server);
}

#[tokio::test]
async fn oneway_requests_are_limited_by_permits() {
    let server = echo_server().await;
    let client = RemotingClient::builder().max_oneway_requests(0).build();
    let err = client
        .invoke_oneway(
            &server.local_addr().to_string(),
            RemotingCommand::request(NOTE),
            SHORT,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TooManyRequests { limit: 0 }));
    client.close().await;
    server.shutdown().await;
}

#[tokio::test]
async fn client_close_fails_pending_and_refuses_new_requests() {
    let hang = Hang::default();
    let server = hang_server(&hang).await;
    let client = RemotingClient::builder().build();
    let addr = server.local_addr().to_string();
    let connection = client.connection(&addr).await.unwrap();
    let pending = connection
        .invoke_async(RemotingCommand::request(SLOW), LONG)
        .await
        .unwrap();
    hang.started.recv_one().await;

    let other = client.clone();
    other.close().await;
    assert!(connection.is_closed());
    connection.closed().await;
    assert!(matches!(pending.await, Err(Error::ConnectionClosed { .. })));
    assert!(matches!(
        client
            .invoke(&addr, RemotingCommand::request(ECHO), LONG)
            .await,
        Err(Error::Shutdown)
    ));
    drop(server);
}

#[tokio::test]
async fn close_connection_makes_the_next_request_reconnect() {
    let server = echo_server().await;
    let client = RemotingClient::builder().build();
    let addr = server.local_addr().to_string();
    let before = client.connection(&addr).await.unwrap();
    client.close_connection(&addr).await;
    assert!(before.is_closed());
    ping(&client, &addr).await;
    assert_ne!(client.connection(&addr).await.unwrap().id(), before.id());
    client.close().await;
    server.shutdown().await;
}

#[tokio::test]
async fn on_connect_sees_every_new_connection_once() {
    let server = echo_server().await;
    let addr = server.local_addr().to_string();
    let (tx, mut opened) = mpsc::unbounded_channel();
    let client = RemotingClient::builder()
        .on_connect(move |connection| {
            // What a hook may do: send on the new connection from a task of its own.
            let connection = connection.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                let echoed = connection
                    .invoke(RemotingCommand::request(ECHO), LONG)
                    .await
                    .map(|r| r.code);
                let _ = tx.send((connection.id(), connection.peer_addr().to_owned(), echoed));
            });
        })
        .build();

    // Concurrent first requests share one connection: one call.
    tokio::join!(ping(&client, &addr), ping(&client, &addr));
    let first = client.connection(&addr).await.unwrap();
    let (id, peer, echoed) = opened.recv().await.unwrap();
    assert_eq!((id, peer.as_str()), (first.id(), addr.as_str()));
    assert_eq!(echoed.unwrap(), ResponseCode::SUCCESS.0);

    // A replacement connection is reported too.
    client.close_connection(&addr).await;
    ping(&client, &addr).await;
    let second = client.connection(&addr).await.unwrap();
    assert_ne!(second.id(), first.id());
    let (id, _, echoed) = opened.recv().await.unwrap();
    assert_eq!(id, second.id());
    assert_eq!(echoed.unwrap(), ResponseCode::SUCCESS.0);

    client.close().await;
    drop(client); // and with it the hook's sender
    server.shutdown().await;
    let rest = tokio::time::timeout(LONG, opened.recv()).await;
    assert!(matches!(rest, Ok(None)), "no third connection: {rest:?}");
}

#[tokio::test]
async fn connect_failures_are_typed() {
    let addr = {
        let listener = listener().await;
        listener.local_addr().unwrap()
    };
    let client = RemotingClient::builder().build();
    match client
        .invoke(&addr.to_string(), RemotingCommand::request(ECHO), LONG)
        .await
    {
        Err(Error::Connect { addr: a, .. }) => assert_eq!(a, addr.to_string()),
        other => panic!("unexpected {other:?}"),
    }
    client.close().await;
}

#[tokio::test]
async fn oversized_or_malformed_response_closes_the_connection_with_a_typed_error() {
    for (what, frame, expect) in [
        ("oversized", oversized_frame(), "exceeds the limit"),
        ("malformed", malformed_frame(), "cannot decode"),
    ] {
        let listener = listener().await;
        let addr = listener.local_addr().unwrap().to_string();
        let (done_tx, done_rx) = oneshot::channel::<()>();
        let peer = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            drop(listener);
            let mut raw = RawPeer::from_stream(stream);
            raw.recv().await.unwrap().unwrap();
            raw.send_bytes(&frame).await;
            // Keep the socket open: the client must close on its own.
            let _ = done_rx.await;
        });
        let client = RemotingClient::builder().max_frame_size(1 << 20).build();
        let err = client
            .invoke(&addr, RemotingCommand::request(ECHO), LONG)
            .await
            .unwrap_err();
        match err {
            Error::ConnectionClosed { cause, .. } => {
                assert!(cause.contains(expect), "{what}: {cause}");
            }
            other => panic!("{what}: unexpected {other:?}"),
        }
        let connection = client.connection(&addr).await;
        // The broken connection was dropped; nobody listens any more, so no new one.
        assert!(connection.is_err(), "{what}");
        done_tx.send(()).unwrap();
        peer.await.unwrap();
        client.close().await;
    }
}
