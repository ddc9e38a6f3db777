//! The client core under a producer: route refresh, heartbeats, a shared client, and the
//! hooks consumers plug into (consumer groups in heartbeats, handlers for requests the
//! broker sends to the client).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod producer_support;

use std::sync::Arc;
use std::time::Duration;

use producer_support::{MockBroker, MockNamesrv};
use rocketmq::Error;
use rocketmq::client::{Client, ConsumerGroup};
use rocketmq::producer::Producer;
use rocketmq::protocol::body::{ConsumerData, Heartbeat};
use rocketmq::protocol::json::JsonBody;
use rocketmq::protocol::message::Message;
use rocketmq::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketmq::remoting::RequestContext;
use tokio::sync::mpsc;

fn heartbeat(cmd: &RemotingCommand) -> Heartbeat {
    Heartbeat::from_json(&cmd.body).unwrap()
}

#[tokio::test]
async fn routes_refresh_and_new_brokers_get_heartbeats() {
    let ns = MockNamesrv::start().await;
    let a = MockBroker::start("broker-a").await;
    let b = MockBroker::start("broker-b").await;
    ns.route("t", &[&a], 2, 6);
    let client = Client::builder()
        .namesrv_addr(ns.addr.clone())
        .route_refresh_interval(Duration::from_millis(100))
        .heartbeat_interval(Duration::from_millis(100))
        .build()
        .unwrap();
    let producer = Producer::builder()
        .client(client.clone())
        .group("pg")
        .build()
        .await
        .unwrap();
    assert_eq!(
        producer
            .send(Message::new("t", "1"))
            .await
            .unwrap()
            .queue
            .broker_name,
        "broker-a"
    );
    // Periodic heartbeats to the known broker.
    let beats = a.state.wait_for(RequestCode::HEART_BEAT, 3).await;
    let hb = heartbeat(&beats[0]);
    assert_eq!(hb.client_id, client.client_id());
    assert_eq!(hb.producer_data_set[0].group_name, "pg");
    assert!(hb.consumer_data_set.is_empty());
    // The topic moves to broker-b: the refresh finds it and broker-b hears of the group.
    ns.route("t", &[&b], 2, 6);
    b.state.wait_for(RequestCode::HEART_BEAT, 1).await;
    assert_eq!(
        producer
            .send(Message::new("t", "2"))
            .await
            .unwrap()
            .queue
            .broker_name,
        "broker-b"
    );
    assert_eq!(client.brokers().keys().collect::<Vec<_>>(), ["broker-b"]);
    // Closing the producer leaves the shared client running.
    producer.close().await;
    assert!(!client.is_closed());
    client.close().await;
    assert!(client.is_closed());
    assert!(matches!(
        client.topic_route("t").await,
        Err(Error::Shutdown)
    ));
}

struct Group(&'static str);

impl ConsumerGroup for Group {
    fn consumer_data(&self) -> ConsumerData {
        ConsumerData {
            group_name: self.0.to_owned(),
            ..Default::default()
        }
    }
}

#[tokio::test]
async fn consumers_plug_in_groups_and_request_handlers() {
    let ns = MockNamesrv::start().await;
    let broker = MockBroker::start("broker-a").await;
    ns.route("t", &[&broker], 1, 6);
    let client = Client::builder()
        .namesrv_addr(ns.addr.clone())
        .instance_name("consumer-test")
        .build()
        .unwrap();
    assert!(client.client_id().ends_with("@consumer-test"));
    let (tx, mut rx) = mpsc::channel(4);
    client.set_request_handler(
        RequestCode::NOTIFY_CONSUMER_IDS_CHANGED,
        move |_ctx: RequestContext, request: RemotingCommand| {
            let tx = tx.clone();
            async move {
                tx.send(request.ext_field("consumerGroup").map(str::to_owned))
                    .await
                    .unwrap();
                Ok(None)
            }
        },
    );
    let registration = client
        .register_consumer("cg", Arc::new(Group("cg")))
        .unwrap();
    assert!(matches!(
        client.register_consumer("cg", Arc::new(Group("cg"))),
        Err(Error::Config(_))
    ));
    // A route brings the broker into the table; the heartbeat carries the consumer group.
    client.topic_route("t").await.unwrap();
    let beats = broker.state.wait_for(RequestCode::HEART_BEAT, 1).await;
    let hb = heartbeat(beats.last().unwrap());
    assert_eq!(hb.consumer_data_set[0].group_name, "cg");
    assert!(hb.producer_data_set.is_empty());

    // Requests the broker sends to the client reach the handler set for their code.
    let connection = broker.state.client.lock().unwrap().clone().unwrap();
    let notify = RemotingCommand::request(RequestCode::NOTIFY_CONSUMER_IDS_CHANGED)
        .with_ext_field("consumerGroup", "cg");
    connection
        .invoke_oneway(notify, Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(rx.recv().await.unwrap().as_deref(), Some("cg"));
    // Codes without a handler are answered as Java answers them.
    let unknown = RemotingCommand::request(RequestCode::GET_CONSUMER_RUNNING_INFO);
    let reply = connection
        .invoke(unknown, Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(
        reply.response_code(),
        ResponseCode::REQUEST_CODE_NOT_SUPPORTED
    );

    registration.unregister().await;
    let gone = broker
        .state
        .wait_for(RequestCode::UNREGISTER_CLIENT, 1)
        .await;
    assert_eq!(gone[0].ext_field("consumerGroup"), Some("cg"));
    assert_eq!(gone[0].ext_field("clientID"), Some(client.client_id()));
    client.close().await;
}

#[test]
fn a_client_needs_a_runtime() {
    let built = Client::builder().namesrv_addr("127.0.0.1:9876").build();
    assert!(matches!(built, Err(Error::Config(_))));
}
