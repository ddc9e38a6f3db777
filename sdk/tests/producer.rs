//! The producer against scripted brokers on loopback: what goes on the wire, what comes
//! back, retries, failover, bounds and typed errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod producer_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use producer_support::{MockBroker, MockNamesrv};
use rocketmq::Error;
use rocketmq::producer::{
    CommunicationMode, MessageType, Producer, QueueChoice, SendContext, SendHook, SendOutcome,
    SendStatus, hash_index,
};
use rocketmq::protocol::header::SendMessageRequestHeaderV2;
use rocketmq::protocol::message::{
    CompressionType, Message, Properties, SysFlag, decode_batch, property,
};
use rocketmq::protocol::{MessageQueue, RemotingCommand, RequestCode, ResponseCode};

const RW: i32 = 6;

async fn producer(ns: &MockNamesrv) -> Producer {
    Producer::builder()
        .namesrv_addr(ns.addr.clone())
        .group("test_producers")
        .build()
        .await
        .unwrap()
}

fn header(cmd: &RemotingCommand) -> SendMessageRequestHeaderV2 {
    cmd.read_header().unwrap()
}

fn props(cmd: &RemotingCommand) -> Properties {
    Properties::decode(header(cmd).properties.as_deref().unwrap_or(""))
}

#[tokio::test]
async fn sync_send_puts_java_fields_on_the_wire() {
    let ns = MockNamesrv::start().await;
    let broker = MockBroker::start("broker-a").await;
    ns.route("orders", &[&broker], 4, RW);
    let producer = producer(&ns).await;

    let mut msg = Message::new("orders", "hello");
    msg.set_tags("created");
    msg.set_keys(["k1", "k2"]);
    msg.put_user_property("region", "eu").unwrap();
    msg.set_delay_level(3);
    msg.set_flag(9);
    let result = producer.send(msg).await.unwrap();

    let sent = broker.state.seen(RequestCode::SEND_MESSAGE_V2);
    assert_eq!(sent.len(), 1);
    let h = header(&sent[0]);
    assert_eq!(h.producer_group, "test_producers");
    assert_eq!(h.topic, "orders");
    assert_eq!(h.default_topic, "TBW102");
    assert_eq!(h.default_topic_queue_nums, 4);
    assert_eq!(h.flag, 9);
    assert_eq!(h.sys_flag, 0);
    assert_eq!(h.reconsume_times, Some(0));
    assert!(!h.batch);
    assert_eq!(h.broker_name.as_deref(), Some("broker-a"));
    assert!((0..4).contains(&h.queue_id));
    let p = props(&sent[0]);
    assert_eq!(p.get(property::TAGS), Some("created"));
    assert_eq!(p.get(property::KEYS), Some("k1 k2"));
    assert_eq!(p.get("region"), Some("eu"));
    assert_eq!(p.get(property::DELAY), Some("3"));
    assert_eq!(&sent[0].body[..], b"hello");

    assert_eq!(result.status, SendStatus::SendOk);
    assert_eq!(Some(result.msg_id.as_str()), p.get(property::UNIQ_KEY));
    assert_eq!(result.msg_id.len(), 32);
    assert_eq!(result.queue.topic, "orders");
    assert_eq!(result.queue.broker_name, "broker-a");
    assert_eq!(result.queue.queue_id, h.queue_id);
    assert_eq!(result.queue_offset, 0);
    assert!(result.offset_msg_id.ends_with("00000000000003E8"));
    assert_eq!(result.region_id, "DefaultRegion");
    assert!(result.trace_on);

    // The group reaches the broker in a heartbeat once the broker is known.
    let beats = broker.state.wait_for(RequestCode::HEART_BEAT, 1).await;
    let body = String::from_utf8_lossy(&beats[0].body).into_owned();
    assert!(body.contains("\"groupName\":\"test_producers\""), "{body}");
    assert!(body.contains(producer.client().client_id()), "{body}");

    // Closing tells the broker the group is gone.
    producer.close().await;
    let gone = broker.state.seen(RequestCode::UNREGISTER_CLIENT);
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].ext_field("producerGroup"), Some("test_producers"));
    assert!(matches!(
        producer.send(Message::new("orders", "late")).await,
        Err(Error::Shutdown)
    ));
}

#[tokio::test]
async fn compression_sets_java_sys_flags() {
    let ns = MockNamesrv::start().await;
    let broker = MockBroker::start("broker-a").await;
    ns.route("big", &[&broker], 1, RW);
    let body: Vec<u8> = (0..10_000u32).flat_map(|i| (i % 7).to_be_bytes()).collect();
    for (kind, bits) in [
        (CompressionType::Zlib, 0x300),
        (CompressionType::Lz4, 0x100),
        (CompressionType::Zstd, 0x200),
    ] {
        let producer = Producer::builder()
            .namesrv_addr(ns.addr.clone())
            .compression(kind)
            .build()
            .await
            .unwrap();
        producer
            .send(Message::new("big", body.clone()))
            .await
            .unwrap();
        // Below the threshold nothing is compressed.
        producer
            .send(Message::new("big", vec![1u8; 4095]))
            .await
            .unwrap();
        producer.close().await;
        let sent = broker.state.seen(RequestCode::SEND_MESSAGE_V2);
        let (big, small) = (&sent[sent.len() - 2], &sent[sent.len() - 1]);
        let flag = SysFlag::from_bits(header(big).sys_flag);
        assert_eq!(flag.bits(), 0x1 | bits, "{kind:?}");
        assert!(big.body.len() < body.len());
        assert_eq!(kind.decompress(&big.body, 1 << 20).unwrap(), body);
        assert_eq!(header(small).sys_flag, 0);
        assert_eq!(small.body.len(), 4095);
    }
}

/// One attempt as a hook saw it: broker, mode, message type, success.
type Attempt = (String, CommunicationMode, MessageType, bool);

#[derive(Default)]
struct Recorder(Arc<Mutex<Vec<Attempt>>>);

impl SendHook for Recorder {
    fn before_send(&self, ctx: &mut SendContext) {
        ctx.props.insert("seen".into(), "yes".into());
    }

    fn after_send(&self, ctx: &SendContext, outcome: SendOutcome<'_>) {
        assert_eq!(ctx.props.get("seen").map(String::as_str), Some("yes"));
        let ok = !matches!(outcome, SendOutcome::Failed(_));
        self.0.lock().unwrap().push((
            ctx.queue.broker_name.clone(),
            ctx.mode,
            ctx.message_type,
            ok,
        ));
    }
}

#[tokio::test]
async fn failed_attempts_retry_on_another_broker() {
    let ns = MockNamesrv::start().await;
    let a = MockBroker::start("broker-a").await;
    let b = MockBroker::start("broker-b").await;
    ns.route("t", &[&a, &b], 2, RW);
    let log = Recorder::default();
    let attempts = Arc::clone(&log.0);
    let producer = Producer::builder()
        .namesrv_addr(ns.addr.clone())
        .send_hook(log)
        .build()
        .await
        .unwrap();
    // A refusal Java retries (SYSTEM_BUSY) on one broker: every send lands on the other.
    *a.state.refuse.lock().unwrap() = Some((ResponseCode::SYSTEM_BUSY, "busy".into()));
    for i in 0..6 {
        let result = producer
            .send(Message::new("t", format!("m{i}")))
            .await
            .unwrap();
        assert_eq!(result.queue.broker_name, "broker-b");
    }
    let seen = attempts.lock().unwrap().clone();
    assert!(
        seen.iter()
            .all(|(_, mode, kind, _)| *mode == CommunicationMode::Sync
                && *kind == MessageType::Normal)
    );
    assert!(
        seen.iter()
            .any(|(broker, _, _, ok)| broker == "broker-a" && !ok)
    );
    assert_eq!(seen.iter().filter(|(_, _, _, ok)| *ok).count(), 6);

    // A refusal Java does not retry comes back typed, with the broker's code and remark.
    *a.state.refuse.lock().unwrap() = Some((ResponseCode::MESSAGE_ILLEGAL, "bad".into()));
    *b.state.refuse.lock().unwrap() = Some((ResponseCode::MESSAGE_ILLEGAL, "bad".into()));
    let err = producer.send(Message::new("t", "x")).await.unwrap_err();
    assert!(
        matches!(&err, Error::Broker { code, remark: Some(r) } if *code == ResponseCode::MESSAGE_ILLEGAL && r == "bad"),
        "{err:?}"
    );
    *a.state.refuse.lock().unwrap() = None;
    *b.state.refuse.lock().unwrap() = None;

    // A stopped broker: sends fail over to the live one, none is lost.
    let mut a = a;
    a.stop().await;
    for i in 0..6 {
        let result = producer
            .send(Message::new("t", format!("after{i}")))
            .await
            .unwrap();
        assert_eq!(result.queue.broker_name, "broker-b");
    }
    // Retries exhausted (both refuse with a retried code): the last error is returned.
    *b.state.refuse.lock().unwrap() = Some((ResponseCode::SYSTEM_ERROR, "down".into()));
    let err = producer.send(Message::new("t", "x")).await.unwrap_err();
    assert!(
        matches!(&err, Error::Broker { code, .. } if *code == ResponseCode::SYSTEM_ERROR)
            || matches!(&err, Error::Connect { .. }),
        "{err:?}"
    );
    producer.close().await;
}

#[tokio::test]
async fn latency_fault_tolerance_avoids_a_failed_broker() {
    let ns = MockNamesrv::start().await;
    let mut a = MockBroker::start("broker-a").await;
    let b = MockBroker::start("broker-b").await;
    ns.route("t", &[&a, &b], 4, RW);
    let log = Recorder::default();
    let attempts = Arc::clone(&log.0);
    let producer = Producer::builder()
        .namesrv_addr(ns.addr.clone())
        .latency_fault_tolerance(true)
        .send_hook(log)
        .build()
        .await
        .unwrap();
    a.stop().await;
    for i in 0..10 {
        producer
            .send(Message::new("t", format!("m{i}")))
            .await
            .unwrap();
    }
    // Once broker-a failed it is isolated (10 s in Java 5.x's table): at most one
    // attempt went there.
    let to_a = attempts
        .lock()
        .unwrap()
        .iter()
        .filter(|(broker, ..)| broker == "broker-a")
        .count();
    assert!(to_a <= 1, "{to_a} attempts to the stopped broker");
    producer.close().await;
}

#[tokio::test]
async fn typed_errors() {
    let ns = MockNamesrv::start().await;
    let broker = MockBroker::start("broker-a").await;
    ns.route("t", &[&broker], 1, RW);
    ns.route("readonly", &[&broker], 1, 4);
    let producer = Producer::builder()
        .namesrv_addr(ns.addr.clone())
        .max_message_size(1024)
        .build()
        .await
        .unwrap();
    // Unknown topic and no auto-creation template: the name server's TOPIC_NOT_EXIST.
    let err = producer
        .send(Message::new("missing", "x"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Broker { code, remark: Some(r) } if *code == ResponseCode::TOPIC_NOT_EXIST && r.contains("missing")),
        "{err:?}"
    );
    // Too large.
    let err = producer
        .send(Message::new("t", vec![0u8; 1025]))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooLarge {
                what: "message body",
                len: 1025,
                max: 1024
            }
        ),
        "{err:?}"
    );
    // No writable queue.
    let err = producer
        .send(Message::new("readonly", "x"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::NoRoute { topic } if topic == "readonly"),
        "{err:?}"
    );
    // Bad input.
    assert!(matches!(
        producer.send(Message::new("t", Bytes::new())).await,
        Err(Error::InvalidField { .. })
    ));
    assert!(matches!(
        producer.send(Message::new("bad topic", "x")).await,
        Err(Error::InvalidField { .. })
    ));
    assert!(matches!(
        Producer::builder()
            .namesrv_addr(ns.addr.clone())
            .group("bad group")
            .build()
            .await,
        Err(Error::InvalidField { .. })
    ));
    // One group per client.
    let shared = producer.client().clone();
    assert!(matches!(
        Producer::builder()
            .client(shared.clone())
            .group("DEFAULT_PRODUCER")
            .build()
            .await,
        Err(Error::Config(_))
    ));
    assert!(matches!(
        Producer::builder()
            .client(shared)
            .namesrv_addr("x:1")
            .group("other")
            .build()
            .await,
        Err(Error::Config(_))
    ));
    assert!(
        producer
            .send(Message::new("t", vec![0u8; 1024]))
            .await
            .is_ok(),
        "a body of exactly the limit is accepted"
    );
    producer.close().await;
}

#[tokio::test]
async fn unknown_topic_borrows_the_template_route() {
    let ns = MockNamesrv::start().await;
    let broker = MockBroker::start("broker-a").await;
    ns.route("TBW102", &[&broker], 8, 7);
    let producer = producer(&ns).await;
    let result = producer.send(Message::new("fresh", "x")).await.unwrap();
    assert_eq!(result.queue.topic, "fresh");
    // At most default_topic_queue_nums (4) queues are used.
    assert!((0..4).contains(&result.queue.queue_id));
    let sent = broker.state.seen(RequestCode::SEND_MESSAGE_V2);
    assert_eq!(header(&sent[0]).topic, "fresh");
    producer.close().await;
}

#[tokio::test]
async fn queue_choice_and_ordered_sends() {
    let ns = MockNamesrv::start().await;
    let broker = MockBroker::start("broker-a").await;
    ns.route("t", &[&broker], 8, RW);
    let producer = producer(&ns).await;
    let queue = MessageQueue {
        topic: "t".into(),
        broker_name: "broker-a".into(),
        queue_id: 5,
    };
    let r = producer
        .send_to_queue(Message::new("t", "q"), &queue)
        .await
        .unwrap();
    assert_eq!(r.queue, queue);
    // Same key, same queue; the queue Java's SelectMessageQueueByHash would pick.
    let want = hash_index("order-7", 8) as i32;
    for i in 0..5 {
        let r = producer
            .send_ordered(Message::new("t", format!("step{i}")), "order-7")
            .await
            .unwrap();
        assert_eq!(r.queue.queue_id, want);
    }
    let r = producer
        .send_select(
            Message::new("t", "last"),
            |qs: &[MessageQueue], _: &Message| qs.len() - 1,
        )
        .await
        .unwrap();
    assert_eq!(r.queue.queue_id, 7);
    let pending = producer
        .send_async_with(Message::new("t", "a"), QueueChoice::by_key("order-7"))
        .await
        .unwrap();
    assert_eq!(pending.await.unwrap().queue.queue_id, want);
    producer.close().await;
}

#[tokio::test]
async fn async_sends_are_bounded_and_oneway_has_no_reply() {
    let ns = MockNamesrv::start().await;
    let broker = MockBroker::start("broker-a").await;
    ns.route("t", &[&broker], 2, RW);
    let producer = Producer::builder()
        .namesrv_addr(ns.addr.clone())
        .max_async_in_flight(1)
        .build()
        .await
        .unwrap();
    // Warm the route so the held send is the only thing in flight.
    producer.send(Message::new("t", "warm")).await.unwrap();
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    *broker.state.gate.lock().unwrap() = Some(Arc::clone(&gate));
    let first = producer
        .send_async(Message::new("t", "held"))
        .await
        .unwrap();
    broker.state.wait_for(RequestCode::SEND_MESSAGE_V2, 2).await;
    // The limit is reached: the next send waits for the first to finish.
    let second = {
        let producer = producer.clone();
        tokio::spawn(async move { producer.send_async(Message::new("t", "next")).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        !second.is_finished(),
        "a second async send started past the limit"
    );
    assert_eq!(broker.state.seen(RequestCode::SEND_MESSAGE_V2).len(), 2);
    gate.add_permits(2);
    assert_eq!(first.await.unwrap().status, SendStatus::SendOk);
    let second = second.await.unwrap().unwrap();
    assert_eq!(second.await.unwrap().status, SendStatus::SendOk);
    *broker.state.gate.lock().unwrap() = None;

    let many: Vec<_> = {
        let producer = Producer::builder()
            .namesrv_addr(ns.addr.clone())
            .group("many")
            .max_async_in_flight(8)
            .build()
            .await
            .unwrap();
        let mut futures = Vec::new();
        for i in 0..50 {
            futures.push(
                producer
                    .send_async(Message::new("t", format!("{i}")))
                    .await
                    .unwrap(),
            );
        }
        let mut results = Vec::new();
        for f in futures {
            results.push(f.await.unwrap());
        }
        producer.close().await;
        results
    };
    let mut ids: Vec<&str> = many.iter().map(|r| r.msg_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 50);

    producer
        .send_oneway(Message::new("t", "fire"))
        .await
        .unwrap();
    let sent = broker
        .state
        .wait_for(RequestCode::SEND_MESSAGE_V2, 3 + 50 + 1)
        .await;
    let oneway = sent.iter().find(|c| &c.body[..] == b"fire").unwrap();
    assert!(oneway.is_oneway());
    producer.close().await;
}

#[tokio::test]
async fn batches_follow_java_rules() {
    let ns = MockNamesrv::start().await;
    let broker = MockBroker::start("broker-a").await;
    ns.route("t", &[&broker], 2, RW);
    let producer = Producer::builder()
        .namesrv_addr(ns.addr.clone())
        .max_message_size(4096)
        .build()
        .await
        .unwrap();
    let messages: Vec<Message> = (0..3)
        .map(|i| {
            let mut m = Message::new("t", vec![b'a' + i; 5000 * usize::from(i == 9)]);
            m.set_body(format!("body{i}"));
            m.set_tags(format!("tag{i}"));
            m
        })
        .collect();
    let result = producer.send_batch(messages.clone()).await.unwrap();
    let sent = broker.state.seen(RequestCode::SEND_BATCH_MESSAGE);
    assert_eq!(sent.len(), 1);
    let h = header(&sent[0]);
    assert!(h.batch);
    assert_eq!(h.sys_flag, 0, "batches are never compressed");
    let decoded = decode_batch(&sent[0].body, "t").unwrap();
    assert_eq!(decoded.len(), 3);
    let ids: Vec<&str> = decoded.iter().map(|m| m.unique_key().unwrap()).collect();
    assert_eq!(result.msg_id, ids.join(","));
    for (got, want) in decoded.iter().zip(&messages) {
        assert_eq!(got.body(), want.body());
        assert_eq!(got.tags(), want.tags());
    }
    // Rules.
    let mut delayed = Message::new("t", "d");
    delayed.set_delay_level(1);
    assert!(producer.send_batch(vec![delayed]).await.is_err());
    assert!(
        producer
            .send_batch(vec![Message::new("t", "a"), Message::new("u", "b")])
            .await
            .is_err()
    );
    assert!(producer.send_batch(Vec::new()).await.is_err());
    let big: Vec<Message> = (0..10)
        .map(|_| Message::new("t", vec![1u8; 1000]))
        .collect();
    assert!(matches!(
        producer.send_batch(big.clone()).await,
        Err(Error::TooLarge {
            what: "message batch",
            ..
        })
    ));
    // The splitter sends them in several batches under the limit.
    let results = producer.send_batch_split(big).await.unwrap();
    assert!(results.len() >= 3);
    let count: usize = results.iter().map(|r| r.msg_id.split(',').count()).sum();
    assert_eq!(count, 10);
    producer.close().await;
}

#[tokio::test]
async fn namespace_wraps_topic_and_group() {
    let ns = MockNamesrv::start().await;
    let broker = MockBroker::start("broker-a").await;
    ns.route("inst1%orders", &[&broker], 1, RW);
    let producer = Producer::builder()
        .namesrv_addr(ns.addr.clone())
        .namespace("inst1")
        .group("pg")
        .build()
        .await
        .unwrap();
    assert_eq!(producer.group(), "inst1%pg");
    let result = producer.send(Message::new("orders", "x")).await.unwrap();
    assert_eq!(result.queue.topic, "orders");
    let sent = broker.state.seen(RequestCode::SEND_MESSAGE_V2);
    let h = header(&sent[0]);
    assert_eq!(h.topic, "inst1%orders");
    assert_eq!(h.producer_group, "inst1%pg");
    assert_eq!(props(&sent[0]).get(property::INSTANCE_ID), Some("inst1"));
    let queues = producer.publish_queues("orders").await.unwrap();
    assert_eq!(queues[0].topic, "orders");
    producer.close().await;
}

#[tokio::test]
async fn env_and_builder_name_servers() {
    // No name server anywhere: a typed configuration error (the test environment has no
    // NAMESRV_ADDR; the builder's value wins when both exist).
    if std::env::var_os("NAMESRV_ADDR").is_none()
        && std::env::var_os("rocketmq.namesrv.addr").is_none()
    {
        assert!(matches!(
            Producer::builder().build().await,
            Err(Error::Config(_))
        ));
    }
    let ns = MockNamesrv::start().await;
    let broker = MockBroker::start("broker-a").await;
    ns.route("t", &[&broker], 1, RW);
    // Several addresses: an unreachable first name server is skipped.
    let producer = Producer::builder()
        .namesrv_addr(format!("127.0.0.1:1;{}", ns.addr))
        .build()
        .await
        .unwrap();
    producer.send(Message::new("t", "x")).await.unwrap();
    assert_eq!(ns.lookups.lock().unwrap().as_slice(), ["t"]);
    producer.close().await;
}

/// Adds a field to every request, as an ACL hook adds its signature.
struct Stamp;

impl rocketmq::remoting::RpcHook for Stamp {
    fn before_request(&self, _addr: &str, request: &mut RemotingCommand) -> rocketmq::Result<()> {
        request.ext_fields_mut().insert("Stamp", "rs");
        Ok(())
    }
}

#[tokio::test]
async fn vip_channel_and_rpc_hooks() {
    let ns = MockNamesrv::start().await;
    let (broker, vip) = MockBroker::start_with_vip("broker-a").await;
    ns.route("t", &[&broker], 1, RW);
    let producer = Producer::builder()
        .namesrv_addr(ns.addr.clone())
        .vip_channel(true)
        .rpc_hook(Stamp)
        .build()
        .await
        .unwrap();
    producer.send(Message::new("t", "fast")).await.unwrap();
    // The send went to port - 2, with the hook's field.
    assert!(broker.state.seen(RequestCode::SEND_MESSAGE_V2).is_empty());
    let sent = vip.state.seen(RequestCode::SEND_MESSAGE_V2);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].ext_field("Stamp"), Some("rs"));
    producer.close().await;
}
