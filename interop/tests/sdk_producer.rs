//! The SDK producer against the real Java name server and broker (4.9.8 and the newest
//! 5.x in the cache), and against broker-lite in-process: every send kind, automatic
//! batching, compression types, delay, ordered sends, the three
//! transaction outcomes (including unknown-then-check), failover between two brokers, and
//! the typed errors. Messages are verified by pulling them back with the SDK's transport
//! (`interop::sdk_ops`) and comparing body, tags, keys, properties and flags.
//!
//! The broker runs with `autoCreateTopicEnable=false` (to get the missing-topic error) and
//! transaction checks every second for transactions older than 3 s (instead of every
//! minute after 6 s).
//! Fails (never skips) when Java RocketMQ is not in the cache or does not start.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

#[path = "sdk_consumer_support/names.rs"]
mod names;

#[path = "sdk_producer_support/auto_batch.rs"]
mod auto_batch;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, UNIX_EPOCH};

use anyhow::{Context, bail, ensure};
use broker_lite::config::BrokerLiteConfig;
use broker_lite::{BrokerLite, Listeners};
use bytes::Bytes;
use interop::sdk_ops::{create_topic, pull_raw, wait_for_route};
use interop::{ConsumeSpec, JavaBroker, JavaClient, JavaCluster, JavaVersion};
use names::{now_millis, unique};
use rocketmq::Error;
use rocketmq::producer::{
    LocalTransactionState, Producer, SendResult, SendStatus, TransactionProducer,
};
use rocketmq::protocol::header::{
    CreateTopicRequestHeader, GetMaxOffsetRequestHeader, PutKVConfigRequestHeader,
};
use rocketmq::protocol::message::{
    CompressionType, DecodeOptions, Message, StoredMessage, SysFlag, property,
};
use rocketmq::protocol::request::{CreateTopic, GetMaxOffset, PutKVConfig};
use rocketmq::protocol::{MessageQueue, RemotingCommand, RequestCode, ResponseCode, SerializeType};
use rocketmq::remoting::RemotingClient;
use tokio::net::TcpListener;

const QUEUES: i32 = 4;
/// How long a Java consumer run may take.
const JAVA_LIMIT: Duration = Duration::from_secs(120);
/// How long a stored message may take to become pullable.
const SETTLE: Duration = Duration::from_secs(15);

/// Broker settings for these tests.
const BROKER_CONF: &[(&str, &str)] = &[
    ("autoCreateTopicEnable", "false"),
    ("transactionCheckInterval", "1000"),
    ("transactionTimeOut", "3000"),
    // 5.x writes the op records of ended transactions in batches (every 3 s by default);
    // a check before they are written would ask about decided transactions again.
    ("transactionOpBatchInterval", "200"),
];

/// One broker setup at a time: each starts JVMs or an embedded broker, and the machine
/// may have two cores.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_against_java_4_9_8() -> anyhow::Result<()> {
    run(JavaVersion::V4_9_8).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_against_java_5() -> anyhow::Result<()> {
    run(JavaVersion::V5).await
}

/// Where the producer sends: a name server and one broker (any implementation).
struct Env {
    label: String,
    namesrv: String,
    broker: String,
    broker_name: String,
    /// The broker delivers 5.x timer messages (`TIMER_DELIVER_MS`).
    timer: bool,
    /// The Java client release whose push consumer reads what the SDK sent.
    java: JavaVersion,
    client: RemotingClient,
}

async fn run(version: JavaVersion) -> anyhow::Result<()> {
    let _turn = ONE_AT_A_TIME.lock().await;
    let cluster = JavaCluster::start_with(version, BROKER_CONF)
        .await
        .with_context(|| format!("starting Java RocketMQ {version:?}"))?;
    let env = Env {
        label: cluster.version_label().to_owned(),
        namesrv: cluster.namesrv_addr(),
        broker: cluster.broker_addr(),
        broker_name: cluster.broker_name().to_owned(),
        timer: version == JavaVersion::V5,
        java: version,
        client: RemotingClient::builder().build(),
    };
    let result = async {
        scenarios(&env).await?;
        failover(&env, &cluster)
            .await
            .context("failover between two brokers")
    }
    .await
    .with_context(|| format!("against Java RocketMQ {}", env.label));
    env.client.close().await;
    cluster.stop().await?;
    result
}

/// broker-lite's settings for these tests: the Java broker's, in broker-lite's terms.
fn lite_config() -> BrokerLiteConfig {
    let mut config = BrokerLiteConfig::default();
    config.broker.auto_create_topic_enable = false;
    config.broker.transaction_check_interval = Duration::from_secs(1);
    config.broker.transaction_timeout = Duration::from_secs(3);
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_against_broker_lite() -> anyhow::Result<()> {
    let _turn = ONE_AT_A_TIME.lock().await;
    let config = lite_config();
    let lite = BrokerLite::builder().config(config.clone()).build().await?;
    let env = Env {
        label: "broker-lite".to_owned(),
        namesrv: lite.namesrv_addr().to_string(),
        broker: lite.broker_addr().to_string(),
        broker_name: config.broker.broker_name.clone(),
        timer: true,
        java: JavaVersion::V5,
        client: RemotingClient::builder().build(),
    };
    let result = async {
        scenarios(&env).await?;
        failover_lite(&env, &config)
            .await
            .context("failover between two brokers")
    }
    .await
    .context("against broker-lite");
    env.client.close().await;
    lite.shutdown().await;
    result
}

/// A second broker-lite broker registering with the first's name server, killed (its
/// task aborted, no unregistration) during the stream.
async fn failover_lite(env: &Env, base: &BrokerLiteConfig) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(unique("sdk-producer-lite-b"));
    std::fs::create_dir_all(&dir)?;
    let mut config = base.clone();
    config.broker.broker_name = "broker-b".to_owned();
    config.broker.namesrv_addrs = vec![env.namesrv.clone()];
    config.broker.store.dir = dir.clone();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?.to_string();
    let listeners = Listeners {
        namesrv: None,
        broker: Some(listener),
    };
    let task = tokio::spawn(broker_lite::run(listeners, config, std::future::pending()));
    let result = failover_to(env, &addr, async move || {
        task.abort();
        // The task ends cancelled; its result says nothing more.
        let _ = task.await;
        Ok(())
    })
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn scenarios(env: &Env) -> anyhow::Result<()> {
    send_kinds(env).await.context("send kinds")?;
    compression(env).await.context("compression")?;
    delayed(env).await.context("delay level")?;
    if env.timer {
        timer(env).await.context("5.x delivery time")?;
    }
    ordered(env).await.context("ordered sends")?;
    auto_batch::auto_batch(env)
        .await
        .context("automatic batching")?;
    java_consumers(env)
        .await
        .context("consumed by the real Java push consumer")?;
    transactions(env).await.context("transactions")?;
    typed_errors(env).await.context("typed errors")?;
    Ok(())
}

async fn new_topic(env: &Env, prefix: &str, queues: i32) -> anyhow::Result<String> {
    let topic = unique(prefix);
    create_topic(&env.client, &env.broker, &topic, queues).await?;
    wait_for_route(&env.client, &env.namesrv, &topic).await?;
    Ok(topic)
}

async fn producer(env: &Env, group: &str) -> anyhow::Result<Producer> {
    Ok(Producer::builder()
        .namesrv_addr(env.namesrv.clone())
        .group(unique(group))
        .build()
        .await?)
}

/// Pulls the message a send result points at.
async fn pull_sent(env: &Env, result: &SendResult) -> anyhow::Result<StoredMessage> {
    pull_at(
        env,
        &result.queue.topic,
        result.queue.queue_id,
        result.queue_offset,
        SETTLE,
    )
    .await
}

/// Checks a pulled message against what was sent: body, flag, and every property set
/// (broker-added properties may come on top), and the ids of the send result.
fn check_same(
    sent: &Message,
    got: &StoredMessage,
    result: Option<&SendResult>,
) -> anyhow::Result<()> {
    ensure!(got.message.body() == sent.body(), "body differs");
    ensure!(
        got.message.flag() == sent.flag(),
        "flag {}",
        got.message.flag()
    );
    for (key, value) in sent.properties().iter() {
        ensure!(
            got.message.property(key) == Some(value),
            "property {key}: sent {value:?}, got {:?}",
            got.message.property(key)
        );
    }
    if let Some(result) = result {
        ensure!(
            got.message.unique_key() == Some(result.msg_id.as_str()),
            "UNIQ_KEY {:?} vs msg id {}",
            got.message.unique_key(),
            result.msg_id
        );
        ensure!(
            got.offset_msg_id().to_string() == result.offset_msg_id,
            "offset msg id {} vs {}",
            got.offset_msg_id(),
            result.offset_msg_id
        );
    }
    Ok(())
}

fn message(topic: &str, i: usize) -> Message {
    let mut m = Message::new(topic, format!("body-{i}: ü€ \u{1}"));
    m.set_tags(format!("Tag{}", i % 3));
    m.set_keys([format!("key-{i}"), "shared".to_owned()]);
    m.put_user_property("idx", i.to_string()).unwrap();
    m.put_user_property("color", "blue 🟦").unwrap();
    m.set_flag(i as i32);
    m
}

async fn send_kinds(env: &Env) -> anyhow::Result<()> {
    let topic = new_topic(env, "SdkKinds", QUEUES).await?;
    let producer = producer(env, "kinds").await?;

    // Sync.
    let sent = message(&topic, 1);
    let result = producer.send(sent.clone()).await?;
    ensure!(result.status == SendStatus::SendOk, "{result:?}");
    ensure!(result.queue.broker_name == env.broker_name, "{result:?}");
    check_same(&sent, &pull_sent(env, &result).await?, Some(&result)).context("sync")?;

    // Async, many in flight.
    let mut pending = Vec::new();
    for i in 10..30 {
        let m = message(&topic, i);
        pending.push((m.clone(), producer.send_async(m).await?));
    }
    for (sent, future) in pending {
        let result = future.await?;
        check_same(&sent, &pull_sent(env, &result).await?, Some(&result)).context("async")?;
    }

    // To a given queue, and through a selector.
    let queue = MessageQueue {
        topic: topic.clone(),
        broker_name: env.broker_name.clone(),
        queue_id: 2,
    };
    let sent = message(&topic, 40);
    let result = producer.send_to_queue(sent.clone(), &queue).await?;
    ensure!(result.queue == queue, "{result:?}");
    check_same(&sent, &pull_sent(env, &result).await?, Some(&result)).context("to queue")?;
    let sent = message(&topic, 41);
    let result = producer
        .send_select(sent.clone(), |queues: &[MessageQueue], _: &Message| {
            queues.len() - 1
        })
        .await?;
    ensure!(result.queue.queue_id == QUEUES - 1, "{result:?}");
    check_same(&sent, &pull_sent(env, &result).await?, Some(&result)).context("selector")?;

    // Batch: consecutive offsets in one queue, ids in order.
    let batch: Vec<Message> = (50..55).map(|i| message(&topic, i)).collect();
    let result = producer.send_batch(batch.clone()).await?;
    let ids: Vec<&str> = result.msg_id.split(',').collect();
    ensure!(ids.len() == batch.len(), "{}", result.msg_id);
    for (i, sent) in batch.iter().enumerate() {
        let got = pull_at(
            env,
            &topic,
            result.queue.queue_id,
            result.queue_offset + i as i64,
            SETTLE,
        )
        .await?;
        check_same(sent, &got, None).with_context(|| format!("batch entry {i}"))?;
        ensure!(
            got.message.unique_key() == Some(ids[i]),
            "batch id {i}: stored {:?}, result {ids:?}, props {:?}",
            got.message.unique_key(),
            got.message.properties()
        );
    }

    // Oneway: no answer; the message shows up in its queue.
    let oneway_topic = new_topic(env, "SdkOneway", 1).await?;
    let sent = message(&oneway_topic, 60);
    producer.send_oneway(sent.clone()).await?;
    let got = pull_at(env, &oneway_topic, 0, 0, SETTLE).await?;
    check_same(&sent, &got, None).context("oneway")?;
    ensure!(
        got.message.unique_key().is_some(),
        "oneway message without UNIQ_KEY"
    );

    // ROCKETMQ binary headers work end to end too.
    let binary = Producer::builder()
        .namesrv_addr(env.namesrv.clone())
        .group(unique("binary"))
        .serialize_type(SerializeType::RocketMq)
        .build()
        .await?;
    let sent = message(&topic, 70);
    let result = binary.send(sent.clone()).await?;
    check_same(&sent, &pull_sent(env, &result).await?, Some(&result)).context("binary headers")?;
    binary.close().await;
    producer.close().await;
    Ok(())
}

async fn compression(env: &Env) -> anyhow::Result<()> {
    let topic = new_topic(env, "SdkCompress", 1).await?;
    let body: Vec<u8> = (0..20_000u32)
        .flat_map(|i| (i % 251).to_le_bytes())
        .collect();
    for kind in [
        CompressionType::Zlib,
        CompressionType::Lz4,
        CompressionType::Zstd,
    ] {
        let producer = Producer::builder()
            .namesrv_addr(env.namesrv.clone())
            .group(unique("compress"))
            .compression(kind)
            .build()
            .await?;
        let mut sent = Message::new(topic.clone(), body.clone());
        sent.set_tags(kind.name());
        let result = producer.send(sent.clone()).await?;
        producer.close().await;
        let raw = pull_raw_at(env, &topic, 0, result.queue_offset, SETTLE).await?;
        let stored = StoredMessage::decode_all(
            raw.clone(),
            &DecodeOptions {
                decompress_body: false,
                ..DecodeOptions::default()
            },
        )?
        .pop()
        .context("no record")?;
        let flag = stored.sys_flag;
        ensure!(
            flag.contains(SysFlag::COMPRESSED),
            "{kind:?}: sysFlag {:#x}",
            flag.bits()
        );
        ensure!(
            flag.bits() & SysFlag::COMPRESSION_MASK.bits() == kind.flag_bits(),
            "{kind:?}: sysFlag {:#x}",
            flag.bits()
        );
        ensure!(
            stored.message.body().len() < body.len(),
            "{kind:?}: not smaller"
        );
        let plain = StoredMessage::decode_all(raw, &DecodeOptions::default())?
            .pop()
            .context("no record")?;
        check_same(&sent, &plain, Some(&result)).with_context(|| format!("{kind:?}"))?;
    }
    Ok(())
}

/// Pulls the raw record at `queue`/`offset`, retrying any failure for up to `limit`: a
/// stored message reaches the consume queue a moment after the send returns (the broker
/// dispatches asynchronously), and delayed or transactional ones much later.
async fn pull_raw_at(
    env: &Env,
    topic: &str,
    queue: i32,
    offset: i64,
    limit: Duration,
) -> anyhow::Result<Bytes> {
    let deadline = Instant::now() + limit;
    loop {
        let pulled = pull_raw(
            &env.client,
            &env.broker,
            topic,
            queue,
            offset,
            SerializeType::Json,
        )
        .await;
        match pulled {
            Ok(raw) => return Ok(raw),
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e.context(format!("{topic}/{queue}@{offset} within {limit:?}"))),
        }
    }
}

/// [`pull_raw_at`], decoded (body CRC checked, body decompressed).
async fn pull_at(
    env: &Env,
    topic: &str,
    queue: i32,
    offset: i64,
    limit: Duration,
) -> anyhow::Result<StoredMessage> {
    let raw = pull_raw_at(env, topic, queue, offset, limit).await?;
    let opts = DecodeOptions {
        verify_body_crc: true,
        ..DecodeOptions::default()
    };
    let mut records = StoredMessage::decode_all(raw, &opts)?;
    ensure!(records.len() == 1, "{} records", records.len());
    records.pop().context("no record")
}

/// Waits up to `limit` for the message at `offset` of a one-queue topic.
async fn pull_within(
    env: &Env,
    topic: &str,
    offset: i64,
    limit: Duration,
) -> anyhow::Result<StoredMessage> {
    pull_at(env, topic, 0, offset, limit).await
}

async fn delayed(env: &Env) -> anyhow::Result<()> {
    let topic = new_topic(env, "SdkDelay", 1).await?;
    let producer = producer(env, "delay").await?;
    let mut sent = message(&topic, 1);
    sent.set_delay_level(1); // 1 s with the broker's default levels
    let born = now_millis();
    producer.send(sent.clone()).await?;
    let got = pull_within(env, &topic, 0, Duration::from_secs(30)).await?;
    ensure!(
        got.store_timestamp - born >= 900,
        "delivered {} ms after sending",
        got.store_timestamp - born
    );
    ensure!(got.message.body() == sent.body(), "body");
    ensure!(got.message.tags() == sent.tags(), "tags");
    ensure!(
        got.message.real_topic() == Some(topic.as_str()),
        "REAL_TOPIC {:?}",
        got.message.real_topic()
    );
    producer.close().await;
    Ok(())
}

async fn timer(env: &Env) -> anyhow::Result<()> {
    let topic = new_topic(env, "SdkTimer", 1).await?;
    let producer = producer(env, "timer").await?;
    let mut sent = message(&topic, 1);
    let deliver_at = now_millis() + 3_000;
    sent.set_deliver_time(UNIX_EPOCH + Duration::from_millis(deliver_at as u64));
    producer.send(sent.clone()).await?;
    let got = pull_within(env, &topic, 0, Duration::from_secs(40)).await?;
    // The timer wheel works in 1 s slots.
    ensure!(
        got.store_timestamp >= deliver_at - 1_000,
        "delivered at {}, asked for {deliver_at}",
        got.store_timestamp
    );
    ensure!(got.message.body() == sent.body(), "body");
    producer.close().await;
    Ok(())
}

async fn ordered(env: &Env) -> anyhow::Result<()> {
    let topic = new_topic(env, "SdkOrdered", QUEUES).await?;
    let producer = producer(env, "ordered").await?;
    let keys = ["order-1", "order-2", "order-3"];
    let mut placed: BTreeMap<&str, Vec<(i32, i64)>> = BTreeMap::new();
    for step in 0..10 {
        for key in keys {
            let mut m = Message::new(topic.clone(), format!("{key}:{step}"));
            m.set_keys([key]);
            let r = producer.send_ordered(m, key).await?;
            placed
                .entry(key)
                .or_default()
                .push((r.queue.queue_id, r.queue_offset));
        }
    }
    for (key, places) in &placed {
        let queue = places[0].0;
        ensure!(
            places.iter().all(|(q, _)| *q == queue),
            "{key} spread over queues: {places:?}"
        );
        ensure!(
            places.windows(2).all(|w| w[0].1 < w[1].1),
            "{key} offsets not increasing"
        );
        // Read the queue back: the key's messages come in send order.
        let mut steps = Vec::new();
        for (_, offset) in places {
            let got = pull_at(env, &topic, queue, *offset, SETTLE).await?;
            let text = String::from_utf8_lossy(got.message.body()).into_owned();
            let (k, step) = text.split_once(':').context("body")?;
            ensure!(k == *key, "{text} in {key}'s place");
            steps.push(step.parse::<u32>()?);
        }
        ensure!(steps == (0..10).collect::<Vec<_>>(), "{key}: {steps:?}");
    }
    producer.close().await;
    Ok(())
}

/// What the SDK sent, keyed by body (bodies are unique in a run).
struct Sent {
    message: Message,
    /// The id the send result reported (none for oneway sends).
    msg_id: Option<String>,
    /// The message was sent with a delay level.
    delayed: bool,
}

/// Every send kind, consumed by the real Java push consumer (concurrent listener), then
/// ordered sends consumed by the Java orderly listener: what Java receives is what was
/// sent (body, decompressed body, tags, keys, properties, unique id, delay).
async fn java_consumers(env: &Env) -> anyhow::Result<()> {
    let topic = new_topic(env, "SdkToJava", QUEUES).await?;
    let producer = producer(env, "to_java").await?;
    let mut sent: Vec<Sent> = Vec::new();
    let record = |sent: &mut Vec<Sent>, message: &Message, msg_id: Option<String>| {
        sent.push(Sent {
            message: message.clone(),
            msg_id,
            delayed: message.delay_level().ok().flatten().is_some(),
        });
    };
    for i in 0..3 {
        let m = message(&topic, 100 + i);
        let r = producer.send(m.clone()).await?;
        record(&mut sent, &m, Some(r.msg_id));
    }
    let mut pending = Vec::new();
    for i in 0..3 {
        let m = message(&topic, 200 + i);
        pending.push((m.clone(), producer.send_async(m).await?));
    }
    for (m, f) in pending {
        let r = f.await?;
        record(&mut sent, &m, Some(r.msg_id));
    }
    for i in 0..2 {
        let m = message(&topic, 300 + i);
        producer.send_oneway(m.clone()).await?;
        record(&mut sent, &m, None);
    }
    let batch: Vec<Message> = (0..4).map(|i| message(&topic, 400 + i)).collect();
    let r = producer.send_batch(batch.clone()).await?;
    for (m, id) in batch.iter().zip(r.msg_id.split(',')) {
        record(&mut sent, m, Some(id.to_owned()));
    }
    for (i, kind) in [
        CompressionType::Zlib,
        CompressionType::Lz4,
        CompressionType::Zstd,
    ]
    .into_iter()
    .enumerate()
    {
        let compressing = Producer::builder()
            .namesrv_addr(env.namesrv.clone())
            .group(unique("to_java_compress"))
            .compression(kind)
            .build()
            .await?;
        let mut m = message(&topic, 500 + i);
        let text = format!("{} {} ", kind.name(), String::from_utf8_lossy(m.body()));
        m.set_body(text.repeat(400));
        let r = compressing.send(m.clone()).await?;
        compressing.close().await;
        record(&mut sent, &m, Some(r.msg_id));
    }
    let mut delayed = message(&topic, 600);
    delayed.set_delay_level(1);
    let r = producer.send(delayed.clone()).await?;
    record(&mut sent, &delayed, Some(r.msg_id));

    let client = JavaClient::new(env.java, &env.namesrv)?;
    let mut spec = ConsumeSpec::new(&topic, &unique("SdkToJavaG"));
    spec.expect = sent.len();
    let run = client.consume(&spec)?.finish(JAVA_LIMIT).await?;
    for s in &sent {
        let got: Vec<_> = run
            .deliveries
            .iter()
            .filter(|d| d.message.body == s.message.body().as_ref())
            .collect();
        ensure!(
            got.len() == 1,
            "{} deliveries of {:?} ({} deliveries in all)",
            got.len(),
            String::from_utf8_lossy(&s.message.body()[..s.message.body().len().min(40)]),
            run.deliveries.len()
        );
        let got = &got[0].message;
        ensure!(got.topic == topic, "topic {}", got.topic);
        ensure!(
            got.tags.as_deref() == s.message.tags(),
            "tags {:?}",
            got.tags
        );
        let keys = s.message.property(property::KEYS);
        ensure!(got.keys.as_deref() == keys, "keys {:?}", got.keys);
        for (k, v) in s.message.properties().iter() {
            if k == property::DELAY {
                continue;
            }
            ensure!(
                got.properties.get(k).map(String::as_str) == Some(v),
                "property {k}: sent {v:?}, got {:?}",
                got.properties.get(k)
            );
        }
        let uniq = got
            .properties
            .get(property::UNIQ_KEY)
            .context("no UNIQ_KEY")?;
        if let Some(id) = &s.msg_id {
            ensure!(
                uniq == id && &got.msg_id == id,
                "ids {uniq} / {} vs {id}",
                got.msg_id
            );
        }
        if s.delayed {
            ensure!(got.delay_level == 1, "delay level {}", got.delay_level);
            ensure!(
                got.store_timestamp - got.born_timestamp >= 900,
                "delayed message stored {} ms after birth",
                got.store_timestamp - got.born_timestamp
            );
        }
    }

    // Ordered sends, read by the Java orderly listener: per-key order holds.
    let ordered_topic = new_topic(env, "SdkToJavaOrdered", QUEUES).await?;
    let keys = ["o-1", "o-2", "o-3", "o-4"];
    for step in 0..8 {
        for key in keys {
            let m = Message::new(ordered_topic.clone(), format!("{key}:{step}"));
            producer.send_ordered(m, key).await?;
        }
    }
    let mut spec = ConsumeSpec::new(&ordered_topic, &unique("SdkToJavaOrderly"));
    spec.orderly = true;
    spec.expect = keys.len() * 8;
    let run = client.consume(&spec)?.finish(JAVA_LIMIT).await?;
    for key in keys {
        let steps: Vec<u32> = run
            .deliveries
            .iter()
            .filter_map(|d| {
                let text = String::from_utf8_lossy(&d.message.body).into_owned();
                let (k, step) = text.split_once(':')?;
                (k == key).then(|| step.parse().ok()).flatten()
            })
            .collect();
        ensure!(
            steps == (0..8).collect::<Vec<_>>(),
            "{key}: Java saw {steps:?}"
        );
    }
    producer.close().await;
    Ok(())
}

async fn max_offset(env: &Env, topic: &str) -> anyhow::Result<i64> {
    let request = GetMaxOffset(GetMaxOffsetRequestHeader {
        topic: topic.to_owned(),
        queue_id: 0,
        ..Default::default()
    });
    Ok(env.client.call(&env.broker, &request).await?.offset)
}

async fn transactions(env: &Env) -> anyhow::Result<()> {
    let topic = new_topic(env, "SdkTx", 1).await?;
    let checks: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = Arc::clone(&checks);
    let producer = TransactionProducer::builder(move |half: StoredMessage| {
        let seen = Arc::clone(&seen);
        async move {
            let body = String::from_utf8_lossy(half.message.body()).into_owned();
            seen.lock().unwrap().push(body.clone());
            if body.starts_with("check-commit") {
                LocalTransactionState::Commit
            } else {
                LocalTransactionState::Rollback
            }
        }
    })
    .namesrv_addr(env.namesrv.clone())
    .group(unique("tx"))
    .build()
    .await?;
    let decide = |state| move |_: &Message| async move { state };
    let committed = producer
        .send(
            Message::new(topic.clone(), "commit"),
            decide(LocalTransactionState::Commit),
        )
        .await?;
    ensure!(
        committed.local_state == LocalTransactionState::Commit,
        "{committed:?}"
    );
    producer
        .send(
            Message::new(topic.clone(), "rollback"),
            decide(LocalTransactionState::Rollback),
        )
        .await?;
    let unknown_commit = producer
        .send(
            Message::new(topic.clone(), "check-commit"),
            decide(LocalTransactionState::Unknown),
        )
        .await?;
    producer
        .send(
            Message::new(topic.clone(), "check-rollback"),
            decide(LocalTransactionState::Unknown),
        )
        .await?;

    // The committed message is delivered at once.
    let first = pull_within(env, &topic, 0, Duration::from_secs(10)).await?;
    ensure!(
        &first.message.body()[..] == b"commit",
        "first delivered: {:?}",
        first.message.body()
    );
    ensure!(
        first.message.unique_key() == Some(committed.send.msg_id.as_str()),
        "commit id"
    );
    // The unknown ones are checked by the broker; the checker commits one.
    let second = pull_within(env, &topic, 1, Duration::from_secs(60)).await?;
    ensure!(
        &second.message.body()[..] == b"check-commit",
        "second: {:?}",
        second.message.body()
    );
    ensure!(
        second.message.unique_key() == Some(unknown_commit.send.msg_id.as_str()),
        "check id"
    );
    // Both undecided ones were checked; nothing else arrives.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let seen = checks.lock().unwrap().clone();
        if seen.iter().any(|b| b == "check-rollback") && seen.iter().any(|b| b == "check-commit") {
            ensure!(
                !seen.iter().any(|b| b == "commit" || b == "rollback"),
                "decided ones checked: {seen:?}"
            );
            break;
        }
        ensure!(Instant::now() < deadline, "checks seen: {seen:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Give the rollback answer time to be applied, then only two messages exist.
    tokio::time::sleep(Duration::from_secs(2)).await;
    ensure!(
        max_offset(env, &topic).await? == 2,
        "rolled back messages were delivered"
    );
    producer.close().await;
    Ok(())
}

async fn typed_errors(env: &Env) -> anyhow::Result<()> {
    let producer = producer(env, "errors").await?;
    // A topic that does not exist (auto-creation off): the name server's refusal.
    match producer.send(Message::new(unique("SdkMissing"), "x")).await {
        Err(Error::Broker { code, remark }) if code == ResponseCode::TOPIC_NOT_EXIST => {
            ensure!(remark.is_some(), "no remark");
        }
        other => bail!("missing topic: {other:?}"),
    }
    // Oversized, refused by the client.
    let topic = new_topic(env, "SdkErrors", 1).await?;
    match producer
        .send(Message::new(topic.clone(), vec![b'x'; 4 * 1024 * 1024 + 1]))
        .await
    {
        Err(Error::TooLarge {
            what: "message body",
            ..
        }) => {}
        other => bail!("oversized: {other:?}"),
    }
    // Oversized, refused by the broker (client limit raised above the broker's 4 MiB).
    let loose = Producer::builder()
        .namesrv_addr(env.namesrv.clone())
        .group(unique("loose"))
        .max_message_size(8 * 1024 * 1024)
        .compress_threshold(usize::MAX)
        .build()
        .await?;
    match loose
        .send(Message::new(topic.clone(), vec![b'y'; 5 * 1024 * 1024]))
        .await
    {
        Err(Error::Broker { code, .. }) if code == ResponseCode::MESSAGE_ILLEGAL => {}
        other => bail!("oversized at the broker: {:?}", other.map(|r| r.status)),
    }
    loose.close().await;
    // A read-only topic (perm 4): no writable queue in the route, and the broker refuses
    // a send aimed at one of its queues.
    let readonly = unique("SdkReadOnly");
    let create = CreateTopic(CreateTopicRequestHeader {
        topic: readonly.clone(),
        default_topic: "TBW102".to_owned(),
        read_queue_nums: 1,
        write_queue_nums: 1,
        perm: 4,
        topic_filter_type: "SINGLE_TAG".to_owned(),
        ..Default::default()
    });
    env.client.call(&env.broker, &create).await?;
    wait_for_route(&env.client, &env.namesrv, &readonly).await?;
    match producer.send(Message::new(readonly.clone(), "x")).await {
        Err(Error::NoRoute { topic }) if topic == readonly => {}
        other => bail!("read-only topic: {other:?}"),
    }
    let queue = MessageQueue {
        topic: readonly.clone(),
        broker_name: env.broker_name.clone(),
        queue_id: 0,
    };
    // Java brokers (4.9.x and 5.x) do not check a topic's own permission on a send aimed
    // at one of its queues; only the route keeps producers away.
    let aimed = producer
        .send_to_queue(Message::new(readonly.clone(), "x"), &queue)
        .await;
    ensure!(
        aimed.is_ok(),
        "a send aimed at a read-only topic: {aimed:?}"
    );
    // The broker's refusal: a broker whose write permission is withdrawn refuses sends to
    // its ordered topics. A topic is ordered once the name server holds an order
    // configuration for it (namespace ORDER_TOPIC_CONFIG) when the broker registers it.
    let ordered = unique("SdkOrderedPerm");
    let conf = PutKVConfig(PutKVConfigRequestHeader {
        namespace: "ORDER_TOPIC_CONFIG".to_owned(),
        key: ordered.clone(),
        value: format!("{}:1", env.broker_name),
    });
    env.client.call(&env.namesrv, &conf).await?;
    let create = CreateTopic(CreateTopicRequestHeader {
        topic: ordered.clone(),
        default_topic: "TBW102".to_owned(),
        read_queue_nums: 1,
        write_queue_nums: 1,
        perm: 6,
        topic_filter_type: "SINGLE_TAG".to_owned(),
        order: true,
        ..Default::default()
    });
    env.client.call(&env.broker, &create).await?;
    wait_for_route(&env.client, &env.namesrv, &ordered).await?;
    let ordered_queue = MessageQueue {
        topic: ordered.clone(),
        broker_name: env.broker_name.clone(),
        queue_id: 0,
    };
    set_broker_permission(env, 4).await?;
    let refused = producer
        .send_to_queue(Message::new(ordered.clone(), "x"), &ordered_queue)
        .await;
    set_broker_permission(env, 6).await?;
    match refused {
        Err(Error::Broker { code, remark }) if code == ResponseCode::NO_PERMISSION => {
            ensure!(
                remark.as_deref().is_some_and(|r| r.contains("forbidden")),
                "{remark:?}"
            );
        }
        other => bail!("broker without write permission: {other:?}"),
    }
    producer.close().await;
    Ok(())
}

/// UPDATE_BROKER_CONFIG `brokerPermission` (what `mqadmin wipeWritePerm`/`updateBrokerConfig`
/// change): 6 read-write, 4 read-only.
async fn set_broker_permission(env: &Env, perm: i32) -> anyhow::Result<()> {
    let request = RemotingCommand::request(RequestCode::UPDATE_BROKER_CONFIG)
        .with_body(format!("brokerPermission={perm}\n"));
    let reply = env
        .client
        .invoke(&env.broker, request, Duration::from_secs(5))
        .await?;
    ensure!(
        reply.response_code() == ResponseCode::SUCCESS,
        "updateBrokerConfig: {:?} {:?}",
        reply.response_code(),
        reply.remark
    );
    Ok(())
}

/// Two brokers serve a topic; one is killed during a stream of sync sends: every send
/// succeeds, and what broker-a acknowledged is there.
async fn failover(env: &Env, cluster: &JavaCluster) -> anyhow::Result<()> {
    let second = JavaBroker::start(
        cluster.version(),
        &env.namesrv,
        cluster.cluster_name(),
        "broker-b",
    )
    .await?;
    let addr = second.addr();
    failover_to(env, &addr, async move || second.stop().await).await
}

/// The failover stream: a topic on `env`'s broker and on broker-b at `second`, sync sends,
/// `stop` called on broker-b after 30 of them.
async fn failover_to(
    env: &Env,
    second: &str,
    stop: impl AsyncFnOnce() -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let topic = unique("SdkFailover");
    create_topic(&env.client, &env.broker, &topic, 2).await?;
    create_topic(&env.client, second, &topic, 2).await?;
    let deadline = Instant::now() + Duration::from_secs(45);
    loop {
        let route = wait_for_route(&env.client, &env.namesrv, &topic).await?;
        if route.brokers.len() == 2 {
            break;
        }
        ensure!(
            Instant::now() < deadline,
            "route never listed both brokers: {route:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let producer = Producer::builder()
        .namesrv_addr(env.namesrv.clone())
        .group(unique("failover"))
        .send_timeout(Duration::from_secs(10))
        .build()
        .await?;
    let mut acked = Vec::new();
    let mut stop = Some(stop);
    for i in 0..80 {
        if i == 30 {
            let on_b = acked
                .iter()
                .filter(|(r, _): &&(SendResult, Bytes)| r.queue.broker_name == "broker-b")
                .count();
            ensure!(on_b > 0, "no send went to broker-b before it stopped");
            if let Some(stop) = stop.take() {
                stop().await?;
            }
        }
        let body = Bytes::from(format!("failover-{i}"));
        let result = producer
            .send(Message::new(topic.clone(), body.clone()))
            .await
            .with_context(|| format!("send {i}"))?;
        acked.push((result, body));
    }
    let after: Vec<_> = acked[30..].iter().collect();
    ensure!(
        after
            .iter()
            .all(|(r, _)| r.queue.broker_name == env.broker_name),
        "sends after the stop went elsewhere"
    );
    for (result, body) in acked
        .iter()
        .filter(|(r, _)| r.queue.broker_name == env.broker_name)
    {
        let got = pull_sent(env, result).await?;
        ensure!(
            got.message.body() == body,
            "acknowledged message {} lost",
            result.msg_id
        );
    }
    producer.close().await;
    Ok(())
}
