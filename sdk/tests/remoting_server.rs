//! The server side of the remoting layer: fallback handlers, reaching a client back,
//! overload, graceful shutdown and clients sending garbage.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod remoting_util;

use std::sync::Arc;

use rocketmq::Error;
use rocketmq::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketmq::remoting::{RemotingClient, RemotingServer, RequestContext};
use tokio::sync::{Notify, mpsc};

use remoting_util::*;

#[tokio::test]
async fn server_can_reach_a_client_it_remembered() {
    // A processor keeps the connection (like a broker's consumer table) and the test
    // later sends NOTIFY_CONSUMER_IDS_CHANGED oneway through it.
    let (conn_tx, mut conn_rx) = mpsc::channel(1);
    let server = RemotingServer::builder()
        .handler(
            RequestCode::HEART_BEAT,
            move |ctx: RequestContext, _req: RemotingCommand| {
                let conn_tx = conn_tx.clone();
                async move {
                    conn_tx.send(ctx.connection().clone()).await.unwrap();
                    Ok(Some(RemotingCommand::response(ResponseCode::SUCCESS)))
                }
            },
        )
        .serve(listener().await)
        .unwrap();
    let (notified_tx, mut notified_rx) = mpsc::channel(1);
    let client = RemotingClient::builder()
        .handler(
            RequestCode::NOTIFY_CONSUMER_IDS_CHANGED,
            move |_ctx: RequestContext, req: RemotingCommand| {
                let notified_tx = notified_tx.clone();
                async move {
                    notified_tx.send(req).await.unwrap();
                    Ok(None)
                }
            },
        )
        .build();
    let addr = server.local_addr().to_string();
    client
        .invoke(
            &addr,
            RemotingCommand::request(RequestCode::HEART_BEAT),
            LONG,
        )
        .await
        .unwrap();
    let to_client = conn_rx.recv().await.unwrap();
    to_client
        .invoke_oneway(
            RemotingCommand::request(RequestCode::NOTIFY_CONSUMER_IDS_CHANGED)
                .with_ext_field("consumerGroup", "g"),
            LONG,
        )
        .await
        .unwrap();
    let notified = notified_rx.recv().await.unwrap();
    assert!(notified.is_oneway());
    assert_eq!(notified.ext_field("consumerGroup"), Some("g"));
    client.close().await;
    server.shutdown().await;
}

#[tokio::test]
async fn fallback_handler_takes_unregistered_codes() {
    let server = RemotingServer::builder()
        .fallback_handler(|_ctx: RequestContext, req: RemotingCommand| async move {
            Ok(Some(
                RemotingCommand::response(ResponseCode::SUCCESS)
                    .with_remark(format!("fallback {}", req.code)),
            ))
        })
        .serve(listener().await)
        .unwrap();
    let client = RemotingClient::builder().build();
    let response = client
        .invoke(
            &server.local_addr().to_string(),
            RemotingCommand::request(RequestCode(4242)),
            LONG,
        )
        .await
        .unwrap();
    assert_eq!(response.remark.as_deref(), Some("fallback 4242"));
    client.close().await;
    server.shutdown().await;
}

#[tokio::test]
async fn busy_server_answers_system_busy() {
    let hang = Hang::default();
    let server = RemotingServer::builder()
        .handler(SLOW, hang.handler())
        .max_concurrent_handlers(1)
        .serve(listener().await)
        .unwrap();
    let client = RemotingClient::builder().build();
    let addr = server.local_addr().to_string();
    let _stuck = client
        .invoke_async(&addr, RemotingCommand::request(SLOW), LONG)
        .await
        .unwrap();
    hang.started.recv_one().await;
    let response = client
        .invoke(&addr, RemotingCommand::request(SLOW), LONG)
        .await
        .unwrap();
    assert_eq!(response.response_code(), ResponseCode::SYSTEM_BUSY);
    client.close().await;
    drop(server);
}

#[tokio::test]
async fn graceful_shutdown_lets_in_flight_requests_finish() {
    let release = Arc::new(Notify::new());
    let (started_tx, mut started_rx) = mpsc::channel(1);
    let server = {
        let release = Arc::clone(&release);
        RemotingServer::builder()
            .handler(SLOW, move |_ctx: RequestContext, _req: RemotingCommand| {
                let release = Arc::clone(&release);
                let started_tx = started_tx.clone();
                async move {
                    started_tx.send(()).await.unwrap();
                    release.notified().await;
                    Ok(Some(
                        RemotingCommand::response(ResponseCode::SUCCESS).with_remark("finished"),
                    ))
                }
            })
            .grace_period(LONG)
            .serve(listener().await)
            .unwrap()
    };
    let addr = server.local_addr();
    let client = RemotingClient::builder().build();
    let in_flight = client
        .invoke_async(&addr.to_string(), RemotingCommand::request(SLOW), LONG)
        .await
        .unwrap();
    started_rx.recv().await.unwrap();

    let shutdown = tokio::spawn(server.shutdown());
    // Wait until the listener is gone (shutdown has begun), then let the handler finish.
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        tokio::task::yield_now().await;
    }
    assert!(!shutdown.is_finished());
    release.notify_one();

    let response = in_flight.await.unwrap();
    assert_eq!(response.remark.as_deref(), Some("finished"));
    shutdown.await.unwrap();
    client.close().await;
}

#[tokio::test]
async fn shutdown_aborts_handlers_after_the_grace_period() {
    let hang = Hang::default();
    let server = RemotingServer::builder()
        .handler(SLOW, hang.handler())
        .grace_period(SHORT)
        .serve(listener().await)
        .unwrap();
    let client = RemotingClient::builder().build();
    let addr = server.local_addr().to_string();
    let in_flight = client
        .invoke_async(&addr, RemotingCommand::request(SLOW), LONG)
        .await
        .unwrap();
    hang.started.recv_one().await;
    server.shutdown().await;
    assert!(matches!(
        in_flight.await,
        Err(Error::ConnectionClosed { .. })
    ));
    client.close().await;
}

#[tokio::test]
async fn server_drops_a_client_sending_garbage_and_keeps_serving() {
    let server = echo_server().await;
    for frame in [oversized_frame(), malformed_frame()] {
        let mut raw = RawPeer::connect(server.local_addr()).await;
        raw.send_bytes(&frame).await;
        // The server closes the connection without answering.
        assert!(matches!(raw.recv().await, None | Some(Err(_))));
    }
    let client = RemotingClient::builder().build();
    ping(&client, &server.local_addr().to_string()).await;
    client.close().await;
    server.shutdown().await;
}

#[tokio::test]
async fn serve_until_runs_until_the_signal() {
    let listener = listener().await;
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(RemotingServer::builder().handler(ECHO, echo).serve_until(
        listener,
        async move {
            let _ = stop_rx.await;
        },
    ));
    let client = RemotingClient::builder().build();
    ping(&client, &addr.to_string()).await;
    assert!(!served.is_finished());
    stop_tx.send(()).unwrap();
    served.await.unwrap().unwrap();
    // The listener is closed once it returns.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    client.close().await;
}
