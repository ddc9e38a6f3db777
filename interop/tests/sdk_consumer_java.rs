//! The SDK push consumer against the real Java name server and broker (4.9.8 and the
//! newest 5.x in the cache), next to the real Java client: messages from the Java producer
//! consumed once with identical content, a group shared with Java push consumers, orderly
//! order across failures and a rebalance, the retry schedule into the DLQ, broadcasting,
//! `mqadmin resetOffsetByTime` moving the running consumer, `mqadmin consumerStatus`
//! showing its running info, and close/reopen resuming from the committed offset.
//!
//! The broker runs with every delay level at one second (`messageDelayLevel`), so the
//! retry schedule takes seconds. Fails (never skips) when Java RocketMQ is not in the cache.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod sdk_consumer_support;

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, ensure};
use interop::{
    ConsumeSpec, ConsumerEvent, JavaClient, JavaCluster, JavaVersion, ProduceSpec, SendMode,
};
use rocketmq::consumer::{
    AllocateStrategy, AveragelyByCircle, ConsistentHash, ConsumeFrom, MessageModel, PullConsumer,
    PushConsumer,
};
use rocketmq::protocol::header::GetConsumerStatusRequestHeader;
use rocketmq::protocol::request::PullStatus;
use rocketmq::protocol::{RemotingCommand, RequestCode, ResponseCode};
use sdk_consumer_support::{
    Env, Got, OrderlyRecorder, Record, Recorder, each_sent_once, in_queue_order, unique, wait_split,
};

const LIMIT: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumers_against_java_4_9_8() -> anyhow::Result<()> {
    run(JavaVersion::V4_9_8).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumers_against_java_5() -> anyhow::Result<()> {
    run(JavaVersion::V5).await
}

async fn run(version: JavaVersion) -> anyhow::Result<()> {
    let delays = ["1s"; 18].join(" ");
    let cluster = JavaCluster::start_with(
        version,
        &[
            ("messageDelayLevel", delays.as_str()),
            ("enablePropertyFilter", "true"),
        ],
    )
    .await
    .with_context(|| format!("starting Java RocketMQ {version:?}"))?;
    let env = Env::new(
        cluster.version_label(),
        cluster.namesrv_addr(),
        cluster.broker_addr(),
        cluster.broker_name(),
    );
    let java = cluster.client()?;
    let result = scenarios(&env, &java)
        .await
        .with_context(|| format!("against Java RocketMQ {}", env.label));
    cluster.stop().await?;
    result
}

/// The same scenarios with broker-lite as name server and broker, the Java client 5.x
/// next to the SDK, Java's mqadmin talking to broker-lite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumers_against_broker_lite_with_java_clients() -> anyhow::Result<()> {
    let mut config = broker_lite::config::BrokerLiteConfig::default();
    config.broker.message_delay_level = ["1s"; 18].join(" ");
    config.broker.enable_property_filter = true;
    let broker_name = config.broker.broker_name.clone();
    let lite = broker_lite::BrokerLite::builder()
        .config(config)
        .build()
        .await?;
    let env = Env::new(
        "broker-lite",
        lite.namesrv_addr().to_string(),
        lite.broker_addr().to_string(),
        &broker_name,
    );
    let java = JavaClient::new(JavaVersion::V5, &env.namesrv)?;
    let result = scenarios(&env, &java).await.context("against broker-lite");
    lite.shutdown().await;
    result
}

async fn scenarios(env: &Env, java: &JavaClient) -> anyhow::Result<()> {
    java_producer(env, java)
        .await
        .context("Java producer -> SDK")?;
    mixed_group(env, java)
        .await
        .context("group shared with Java")?;
    for strategy in ["AVG_BY_CIRCLE", "CONSISTENT_HASH"] {
        strategy_shared(env, java.version(), strategy)
            .await
            .with_context(|| format!("{strategy} shared with Java"))?;
    }
    sql_filter(env, java).await.context("SQL92 subscription")?;
    orderly(env, java).await.context("orderly")?;
    retry_then_dlq(env)
        .await
        .context("retry schedule and DLQ")?;
    broadcasting(env, java)
        .await
        .context("broadcasting with Java")?;
    reset_by_time(env, java)
        .await
        .context("mqadmin resetOffsetByTime")?;
    consumer_status(env, java)
        .await
        .context("mqadmin consumerStatus")?;
    restart_resumes(env).await.context("close and reopen")
}

fn push(env: &Env, group: &str, topic: &str) -> rocketmq::consumer::PushConsumerBuilder {
    PushConsumer::builder()
        .namesrv_addr(env.namesrv.as_str())
        .group(group)
        .subscribe(topic, "*")
        .consume_from(ConsumeFrom::FirstOffset)
        .persist_interval(Duration::from_millis(500))
        .rebalance_interval(Duration::from_secs(2))
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// Java's producer sends plain, large (compressed) and differently tagged messages; the
/// SDK consumer subscribed to `TagA` gets each `TagA` message once, identical.
async fn java_producer(env: &Env, java: &JavaClient) -> anyhow::Result<()> {
    let topic = env.topic("h7_jprod", 4).await?;
    let mut sent = java
        .produce(&ProduceSpec::new(&topic, SendMode::Sync, 30))
        .await?;
    let mut big = ProduceSpec::new(&topic, SendMode::Async, 5);
    big.body_size = 6000;
    big.body_prefix = "big".into();
    sent.extend(java.produce(&big).await?);
    let mut other = ProduceSpec::new(&topic, SendMode::Sync, 5);
    other.tags = "TagB".into();
    other.body_prefix = "other".into();
    java.produce(&other).await?;
    let record = Record::new();
    let consumer = push(env, &unique("h7_jprod_cg"), &topic)
        .subscribe(topic.as_str(), "TagA")
        .listener(Recorder {
            name: "sdk".into(),
            record: record.clone(),
            fail_below: 0,
        })
        .build()
        .await?;
    record.wait_count(sent.len(), LIMIT).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    each_sent_once(&sent, &record.all())?;
    consumer.close().await;
    Ok(())
}

/// The last allocation a Java consumer reported for `topic`.
fn java_allocation(events: &[ConsumerEvent], topic: &str) -> Option<(usize, Vec<String>)> {
    events.iter().rev().find_map(|e| match e {
        ConsumerEvent::Allocate(a) if a.topic.as_deref() == Some(topic) => {
            Some((a.cids.len(), a.mine.clone()))
        }
        _ => None,
    })
}

/// An SDK and a Java push consumer in one group split the queues (Java's averagely
/// strategy on both sides) with no overlap and none left out; every message is consumed
/// once; when the SDK member leaves, the Java member takes everything without loss.
async fn mixed_group(env: &Env, java: &JavaClient) -> anyhow::Result<()> {
    let topic = env.topic("h7_mixed", 8).await?;
    let group = unique("h7_mixed_cg");
    let mut spec = ConsumeSpec::new(&topic, &group);
    spec.timeout = Duration::from_secs(240);
    let jc = java.consume(&spec)?;
    jc.wait_ready(LIMIT).await?;
    let record = Record::new();
    let sdk = push(env, &group, &topic)
        .listener(Recorder {
            name: "sdk".into(),
            record: record.clone(),
            fail_below: 0,
        })
        .build()
        .await?;
    let deadline = std::time::Instant::now() + LIMIT;
    let (sdk_queues, java_queues) = loop {
        let mine: BTreeSet<String> = sdk
            .assigned_queues()
            .into_iter()
            .filter(|q| q.topic == topic)
            .map(|q| format!("{}:{}", q.broker_name, q.queue_id))
            .collect();
        let theirs = java_allocation(&jc.events(), &topic);
        if let Some((2, theirs)) = theirs {
            let theirs: BTreeSet<String> = theirs.into_iter().collect();
            if mine.len() + theirs.len() == 8 && mine.union(&theirs).count() == 8 {
                break (mine, theirs);
            }
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "no clean split: sdk {mine:?}, java {:?}",
            java_allocation(&jc.events(), &topic)
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    ensure!(sdk_queues.len() == 4 && java_queues.len() == 4);
    let sent = java
        .produce(&ProduceSpec::new(&topic, SendMode::Sync, 64))
        .await?;
    let ids: BTreeSet<String> = sent.iter().map(|s| s.msg_id.clone()).collect();
    let deadline = std::time::Instant::now() + LIMIT;
    loop {
        let n = record.len() + jc.deliveries().len();
        if n >= sent.len() {
            break;
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "{n} of {} delivered",
            sent.len()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut all: Vec<Got> = record.all();
    for d in jc.deliveries() {
        let queue = format!("{}:{}", d.mq_broker, d.mq_queue_id);
        ensure!(
            java_queues.contains(&queue),
            "Java consumed {queue}, not its queue"
        );
        all.push(got_from_java(&d));
    }
    for g in record.all() {
        let queue = format!("{}:{}", g.queue.broker_name, g.queue.queue_id);
        ensure!(
            sdk_queues.contains(&queue),
            "SDK consumed {queue}, not its queue"
        );
    }
    each_sent_once(&sent, &all)?;
    // The SDK member leaves: Java gets all eight queues and what follows.
    sdk.close().await;
    let deadline = std::time::Instant::now() + LIMIT;
    while !matches!(java_allocation(&jc.events(), &topic), Some((1, ref m)) if m.len() == 8) {
        ensure!(
            std::time::Instant::now() < deadline,
            "Java never took all queues"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let before = jc.deliveries().len();
    let more = java
        .produce(&ProduceSpec::new(&topic, SendMode::Sync, 16))
        .await?;
    jc.wait_deliveries(before + more.len(), LIMIT).await?;
    let run = jc.stop().await?;
    let late: BTreeSet<String> = run.deliveries[before..]
        .iter()
        .map(|d| d.message.msg_id.clone())
        .collect();
    ensure!(
        more.iter().all(|s| late.contains(&s.msg_id)),
        "messages lost after the SDK member left"
    );
    ensure!(ids.len() == 64);
    Ok(())
}

/// Orderly: Java's ordered sends (one queue per key) consumed in queue order by the SDK,
/// each batch failing once, while a second SDK member joins and takes half the queues.
async fn orderly(env: &Env, java: &JavaClient) -> anyhow::Result<()> {
    let topic = env.topic("h7_jorder", 4).await?;
    let group = unique("h7_jorder_cg");
    let record = Record::new();
    let member = |name: &str| {
        push(env, &group, &topic)
            .instance_name(name)
            .suspend_time(Duration::from_millis(100))
            .orderly_listener(OrderlyRecorder {
                name: name.into(),
                record: record.clone(),
                fail_below: 1,
            })
    };
    let first = member("o1").build().await?;
    let mut spec = ProduceSpec::new(&topic, SendMode::Orderly, 40);
    spec.order_keys = 4;
    java.produce(&spec).await?;
    record
        .wait("half consumed", LIMIT, |g| {
            g.iter().filter(|x| x.reconsume_times >= 1).count() >= 20
        })
        .await?;
    let second = member("o2").build().await?;
    spec.body_prefix = "late".into();
    java.produce(&spec).await?;
    let got = record
        .wait("80 consumed", LIMIT, |g| {
            g.iter()
                .filter(|x| x.reconsume_times >= 1)
                .map(Got::body_text)
                .collect::<BTreeSet<_>>()
                .len()
                >= 80
        })
        .await?;
    in_queue_order(&got, 80)?;
    let split = wait_split(&[first.clone(), second.clone()], &topic, 4).await?;
    ensure!(split.iter().all(|s| s.len() == 2), "{split:?}");
    first.close().await;
    second.close().await;
    Ok(())
}

/// A message failing every time arrives 1 + 2 times with growing reconsume counts, then
/// lands in `%DLQ%<group>` (read back with the SDK's pull consumer).
async fn retry_then_dlq(env: &Env) -> anyhow::Result<()> {
    let topic = env.topic("h7_jretry", 1).await?;
    let group = unique("h7_jretry_cg");
    let record = Record::new();
    let consumer = push(env, &group, &topic)
        .max_reconsume_times(2)
        .listener(Recorder {
            name: "r".into(),
            record: record.clone(),
            fail_below: i32::MAX,
        })
        .build()
        .await?;
    env.produce(&topic, 1, "T").await?;
    let got = record.wait_count(3, LIMIT).await?;
    let times: Vec<i32> = got.iter().map(|g| g.reconsume_times).collect();
    ensure!(times == [0, 1, 2], "reconsume counts {times:?}");
    ensure!(
        got.iter()
            .all(|g| g.topic == topic && g.body_text() == "body-0")
    );
    let dlq = format!("%DLQ%{group}");
    interop::sdk_ops::wait_for_route(&env.remoting, &env.namesrv, &dlq).await?;
    let puller = PullConsumer::builder()
        .namesrv_addr(env.namesrv.as_str())
        .group(unique("h7_dlq_reader"))
        .build()
        .await?;
    let mut found = Vec::new();
    for q in puller.queues(&dlq).await? {
        let r = puller.pull(&q, "*", 0, 32).await?;
        if r.status == PullStatus::Found {
            found.extend(r.messages.iter().map(|m| Got::of("dlq", m)));
        }
    }
    ensure!(
        found.len() == 1 && found[0].body_text() == "body-0",
        "DLQ: {found:?}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    ensure!(record.len() == 3, "delivered after DLQ: {}", record.len());
    consumer.close().await;

    // Orderly: retried in place, then through the retry topic into the DLQ; the queue
    // moves on.
    let topic = env.topic("h7_jorder_dlq", 1).await?;
    let group = unique("h7_jorder_dlq_cg");
    let record = Record::new();
    let consumer = push(env, &group, &topic)
        .max_reconsume_times(2)
        .suspend_time(Duration::from_millis(100))
        .orderly_listener(sdk_consumer_support::FailBody {
            record: record.clone(),
            fail: "body-0".into(),
        })
        .build()
        .await?;
    env.produce(&topic, 2, "T").await?;
    let got = record
        .wait("body-1 after the DLQ", LIMIT, |g| {
            g.iter().any(|x| x.body_text() == "body-1")
        })
        .await?;
    let first: Vec<i32> = got
        .iter()
        .filter(|g| g.body_text() == "body-0")
        .map(|g| g.reconsume_times)
        .collect();
    ensure!(first == [0, 1, 2], "orderly body-0 deliveries {first:?}");
    // 4.9.8 stores the message with the DELAY it was sent with (the broker's reset of
    // the delay level is overwritten by the sent properties), so it reaches the DLQ only
    // after that delay: poll.
    let dlq = format!("%DLQ%{group}");
    interop::sdk_ops::wait_for_route(&env.remoting, &env.namesrv, &dlq).await?;
    let deadline = std::time::Instant::now() + LIMIT;
    let found = loop {
        let mut found = Vec::new();
        for q in puller.queues(&dlq).await? {
            let r = puller.pull(&q, "*", 0, 32).await?;
            found.extend(r.messages.iter().map(|m| Got::of("dlq", m)));
        }
        if !found.is_empty() || std::time::Instant::now() > deadline {
            break found;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    ensure!(
        found.len() == 1 && found[0].body_text() == "body-0",
        "orderly DLQ: {found:?}"
    );
    puller.close().await;
    consumer.close().await;
    Ok(())
}

/// Broadcasting: an SDK member and a Java member each get every message.
async fn broadcasting(env: &Env, java: &JavaClient) -> anyhow::Result<()> {
    let topic = env.topic("h7_jbcast", 4).await?;
    let group = unique("h7_jbcast_cg");
    let mut spec = ConsumeSpec::new(&topic, &group);
    spec.broadcast = true;
    let jc = java.consume(&spec)?;
    jc.wait_ready(LIMIT).await?;
    let dir = std::env::temp_dir().join(unique("h7-joffsets"));
    let record = Record::new();
    let sdk = push(env, &group, &topic)
        .message_model(MessageModel::Broadcasting)
        .offset_store_dir(&dir)
        .listener(Recorder {
            name: "sdk".into(),
            record: record.clone(),
            fail_below: 0,
        })
        .build()
        .await?;
    // Broadcasting consumers do not allocate (so Java reports nothing); both start from
    // the first offset, so messages sent before they pull are still theirs.
    let deadline = std::time::Instant::now() + LIMIT;
    while sdk.assigned_queues().len() < 4 {
        ensure!(std::time::Instant::now() < deadline, "queues not assigned");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let sent = java
        .produce(&ProduceSpec::new(&topic, SendMode::Sync, 20))
        .await?;
    record.wait_count(20, LIMIT).await?;
    jc.wait_deliveries(20, LIMIT).await?;
    each_sent_once(&sent, &record.all())?;
    let run = jc.stop().await?;
    let java_ids: BTreeSet<String> = run
        .deliveries
        .iter()
        .map(|d| d.message.msg_id.clone())
        .collect();
    ensure!(
        sent.iter().all(|s| java_ids.contains(&s.msg_id)),
        "Java missed messages"
    );
    sdk.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// `mqadmin resetOffsetByTime` to before the first message moves the running SDK
/// consumer back: every message comes again.
async fn reset_by_time(env: &Env, java: &JavaClient) -> anyhow::Result<()> {
    let topic = env.topic("h7_jreset", 2).await?;
    let group = unique("h7_jreset_cg");
    let before = now_millis() - 1000;
    env.produce(&topic, 10, "T").await?;
    let record = Record::new();
    let consumer = push(env, &group, &topic)
        .listener(Recorder {
            name: "c".into(),
            record: record.clone(),
            fail_below: 0,
        })
        .build()
        .await?;
    record.wait_count(10, LIMIT).await?;
    // Offsets of both queues on the broker (4.9.8 refuses a reset without them).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let out = java
        .admin(&[
            "resetOffsetByTime",
            "-g",
            &group,
            "-t",
            &topic,
            "-s",
            &before.to_string(),
        ])
        .await?;
    let got = record
        .wait_count(20, LIMIT)
        .await
        .with_context(|| format!("after reset:\n{out}"))?;
    let again: BTreeSet<String> = got[10..].iter().map(Got::body_text).collect();
    ensure!(again.len() == 10, "redelivered {again:?}");
    consumer.close().await;
    Ok(())
}

/// `mqadmin consumerStatus` prints the SDK consumer's running info: properties,
/// subscriptions, queues with offsets; and judges the group's subscriptions the same.
async fn consumer_status(env: &Env, java: &JavaClient) -> anyhow::Result<()> {
    let topic = env.topic("h7_jstatus", 2).await?;
    let group = unique("h7_jstatus_cg");
    let sent = env.produce(&topic, 4, "T").await?;
    let record = Record::new();
    let consumer = push(env, &group, &topic)
        .listener(Recorder {
            name: "c".into(),
            record: record.clone(),
            fail_below: 0,
        })
        .build()
        .await?;
    record.wait_count(4, LIMIT).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let client_id = consumer.client().client_id().to_owned();
    // The broker asks the consumer for its offsets (GET_CONSUMER_STATUS_FROM_CLIENT).
    let status = env
        .remoting
        .invoke(
            &env.broker,
            RemotingCommand::request(RequestCode::INVOKE_BROKER_TO_GET_CONSUMER_STATUS)
                .with_header(&GetConsumerStatusRequestHeader {
                    topic: topic.clone(),
                    group: group.clone(),
                    client_addr: None,
                    rpc: Default::default(),
                }),
            Duration::from_secs(10),
        )
        .await?;
    let body = String::from_utf8_lossy(&status.body);
    ensure!(
        status.response_code() == ResponseCode::SUCCESS
            && body.contains(&client_id)
            && body.contains(&topic),
        "consumer status through the broker: {:?} {body}",
        status.remark
    );
    // mqadmin queryMsgById -g -d: the broker has the consumer consume one message directly.
    let mut args = vec![
        "queryMsgById".to_owned(),
        "-i".to_owned(),
        sent[0].offset_msg_id.clone(),
        "-g".to_owned(),
        group.clone(),
        "-d".to_owned(),
        client_id.clone(),
    ];
    if java.version() == JavaVersion::V5 {
        args.extend(["-t".to_owned(), topic.clone()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let direct = java.admin(&args).await?;
    ensure!(direct.contains("CR_SUCCESS"), "consume directly:\n{direct}");
    record
        .wait_count(5, LIMIT)
        .await
        .context("the direct consumption")?;
    let out = java
        .admin(&["consumerStatus", "-g", &group, "-i", &client_id])
        .await?;
    for needle in [
        "#Consumer Properties#",
        "PROP_CONSUME_TYPE",
        "CONSUME_PASSIVELY",
        "PROP_CONSUMER_START_TIMESTAMP",
        "#Consumer Subscription#",
        topic.as_str(),
        "#Consumer Offset#",
        "#Consumer MQ Detail#",
        "#Consumer RT&TPS#",
    ] {
        ensure!(
            out.contains(needle),
            "consumerStatus lacks {needle:?}:\n{out}"
        );
    }
    let offsets = out
        .lines()
        .filter(|l| l.starts_with(topic.as_str()) && l.split_whitespace().count() == 4)
        .count();
    ensure!(offsets >= 2, "no offset lines for both queues:\n{out}");
    let all = java.admin(&["consumerStatus", "-g", &group]).await?;
    ensure!(
        all.contains("Same subscription in the same group of consumer")
            && all.contains("Rebalance OK"),
        "consumerStatus of the group:\n{all}"
    );
    consumer.close().await;
    Ok(())
}

/// Close writes offsets; a new consumer of the group resumes after them.
async fn restart_resumes(env: &Env) -> anyhow::Result<()> {
    let topic = env.topic("h7_jrestart", 2).await?;
    let group = unique("h7_jrestart_cg");
    env.produce(&topic, 10, "T").await?;
    let record = Record::new();
    let consumer = push(env, &group, &topic)
        .persist_interval(Duration::from_secs(3600))
        .listener(Recorder {
            name: "before".into(),
            record: record.clone(),
            fail_below: 0,
        })
        .build()
        .await?;
    record.wait_count(10, LIMIT).await?;
    consumer.close().await;
    let producer = env.producer().await?;
    for i in 10..20 {
        producer
            .send(rocketmq::protocol::message::Message::new(
                topic.as_str(),
                format!("body-{i}"),
            ))
            .await?;
    }
    producer.close().await;
    let consumer = push(env, &group, &topic)
        .listener(Recorder {
            name: "after".into(),
            record: record.clone(),
            fail_below: 0,
        })
        .build()
        .await?;
    record.wait_count(20, LIMIT).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let expected: Vec<String> = (0..20).map(|i| format!("body-{i}")).collect();
    sdk_consumer_support::exactly_once(&record.all(), &expected)?;
    consumer.close().await;
    Ok(())
}

/// A Java push consumer with a chosen strategy (`ConsumerStrategyMember`), its output
/// lines collected while it runs.
struct JavaMember {
    child: tokio::process::Child,
    stdin: Option<tokio::process::ChildStdin>,
    events: std::sync::Arc<std::sync::Mutex<Vec<ConsumerEvent>>>,
    _home: std::path::PathBuf,
}

impl JavaMember {
    fn start(
        version: JavaVersion,
        namesrv: &str,
        topic: &str,
        group: &str,
        strategy: &str,
    ) -> anyhow::Result<JavaMember> {
        use tokio::io::AsyncBufReadExt;
        let home = std::env::temp_dir().join(unique("h7-java-member"));
        std::fs::create_dir_all(home.join("rocketmq_home").join("conf"))?;
        let mut cmd = version.java_command(
            "rocketmqrs.tools.ConsumerStrategyMember",
            &["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"],
            &home,
        )?;
        cmd.args([
            "--namesrv",
            namesrv,
            "--topic",
            topic,
            "--group",
            group,
            "--strategy",
            strategy,
            "--instance",
            "java-member",
        ])
        .env("ROCKETMQ_HOME", home.join("rocketmq_home"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
        let mut child = cmd.spawn().context("starting ConsumerStrategyMember")?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().context("stdout")?;
        let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = std::sync::Arc::clone(&events);
        tokio::spawn(async move {
            let mut lines = tokio::io::BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Ok(ev) = serde_json::from_str::<ConsumerEvent>(&line) {
                    sink.lock().unwrap().push(ev);
                }
            }
        });
        Ok(JavaMember {
            child,
            stdin,
            events,
            _home: home,
        })
    }

    fn events(&self) -> Vec<ConsumerEvent> {
        self.events.lock().unwrap().clone()
    }

    fn deliveries(&self) -> Vec<interop::Delivery> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                ConsumerEvent::Msg(d) => Some(*d),
                _ => None,
            })
            .collect()
    }

    async fn stop(mut self) {
        use tokio::io::AsyncWriteExt;
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(b"stop\n").await;
            let _ = stdin.shutdown().await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await;
        let _ = std::fs::remove_dir_all(&self._home);
    }
}

/// A Java member and an SDK member of one group using the same strategy split the queues
/// exactly as the strategy says (no overlap, none left out) and consume each message once.
async fn strategy_shared(env: &Env, version: JavaVersion, strategy: &str) -> anyhow::Result<()> {
    let topic = env.topic("h7_strategy", 8).await?;
    let group = unique("h7_strategy_cg");
    let java = JavaMember::start(version, &env.namesrv, &topic, &group, strategy)?;
    let record = Record::new();
    let ours: Box<dyn Fn() -> rocketmq::consumer::PushConsumerBuilder> = Box::new(|| {
        push(env, &group, &topic).listener(Recorder {
            name: "sdk".into(),
            record: record.clone(),
            fail_below: 0,
        })
    });
    let sdk = match strategy {
        "AVG_BY_CIRCLE" => ours().allocate_strategy(AveragelyByCircle).build().await?,
        _ => {
            ours()
                .allocate_strategy(ConsistentHash::default())
                .build()
                .await?
        }
    };
    let deadline = std::time::Instant::now() + LIMIT;
    let (mine, theirs, cids) = loop {
        let mine: BTreeSet<String> = sdk
            .assigned_queues()
            .into_iter()
            .filter(|q| q.topic == topic)
            .map(|q| format!("{}:{}", q.broker_name, q.queue_id))
            .collect();
        let last = java.events().into_iter().rev().find_map(|e| match e {
            ConsumerEvent::Allocate(a) if a.topic.as_deref() == Some(topic.as_str()) => Some(a),
            _ => None,
        });
        if let Some(a) = last
            && a.cids.len() == 2
        {
            let theirs: BTreeSet<String> = a.mine.iter().cloned().collect();
            if mine.len() + theirs.len() == 8 && mine.union(&theirs).count() == 8 {
                break (mine, theirs, a.cids);
            }
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "no clean split: sdk {mine:?}, java {:?}",
            java.events()
                .iter()
                .rev()
                .find(|e| matches!(e, ConsumerEvent::Allocate(_)))
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    // The split is the strategy's, computed here from the same member list.
    let mut all: Vec<rocketmq::protocol::MessageQueue> = (0..8)
        .map(|i| rocketmq::protocol::MessageQueue {
            topic: topic.clone(),
            broker_name: env.broker_name.clone(),
            queue_id: i,
        })
        .collect();
    all.sort();
    let mut ids = cids.clone();
    ids.sort();
    let expected: BTreeSet<String> = match strategy {
        "AVG_BY_CIRCLE" => AveragelyByCircle.allocate(&group, sdk.client().client_id(), &all, &ids),
        _ => ConsistentHash::default().allocate(&group, sdk.client().client_id(), &all, &ids),
    }
    .into_iter()
    .map(|q| format!("{}:{}", q.broker_name, q.queue_id))
    .collect();
    ensure!(
        mine == expected,
        "sdk holds {mine:?}, the strategy says {expected:?}"
    );
    let sent = env.produce(&topic, 32, "T").await?;
    let deadline = std::time::Instant::now() + LIMIT;
    while record.len() + java.deliveries().len() < sent.len() {
        ensure!(std::time::Instant::now() < deadline, "not all delivered");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut bodies: Vec<Got> = record.all();
    for d in java.deliveries() {
        let queue = format!("{}:{}", d.mq_broker, d.mq_queue_id);
        ensure!(
            theirs.contains(&queue),
            "Java consumed {queue}, not its queue"
        );
        bodies.push(got_from_java(&d));
    }
    for g in record.all() {
        let queue = format!("{}:{}", g.queue.broker_name, g.queue.queue_id);
        ensure!(mine.contains(&queue), "SDK consumed {queue}, not its queue");
    }
    let expected: Vec<String> = (0..32).map(|i| format!("body-{i}")).collect();
    sdk_consumer_support::exactly_once(&bodies, &expected)?;
    sdk.close().await;
    java.stop().await;
    Ok(())
}

/// A Java delivery in the shape of the SDK's.
fn got_from_java(d: &interop::Delivery) -> Got {
    Got {
        consumer: "java".into(),
        msg_id: d.message.msg_id.clone(),
        topic: d.message.topic.clone(),
        body: d.message.body.clone().into(),
        tags: d.message.tags.clone(),
        keys: d
            .message
            .keys
            .clone()
            .map(|k| k.split(' ').map(str::to_owned).collect())
            .unwrap_or_default(),
        props: d.message.properties.clone(),
        queue: rocketmq::protocol::MessageQueue {
            topic: d.mq_topic.clone(),
            broker_name: d.mq_broker.clone(),
            queue_id: d.mq_queue_id,
        },
        offset: d.message.queue_offset,
        reconsume_times: d.message.reconsume_times,
        at: std::time::Instant::now(),
    }
}

/// An SQL-92 subscription: the broker (with `enablePropertyFilter=true`) delivers only
/// the messages whose properties match.
async fn sql_filter(env: &Env, java: &JavaClient) -> anyhow::Result<()> {
    let topic = env.topic("h7_jsql", 2).await?;
    let sent = java
        .produce(&ProduceSpec::new(&topic, SendMode::Sync, 20))
        .await?;
    let record = Record::new();
    let consumer = push(env, &unique("h7_jsql_cg"), &topic)
        .subscribe(
            topic.as_str(),
            rocketmq::consumer::Expression::sql("n = 'v3' OR (idx >= 15 AND colour = 'blue')"),
        )
        .listener(Recorder {
            name: "sql".into(),
            record: record.clone(),
            fail_below: 0,
        })
        .build()
        .await?;
    let wanted: Vec<interop::SentMessage> = sent
        .into_iter()
        .filter(|s| s.index == 3 || s.index >= 15)
        .collect();
    record.wait_count(wanted.len(), LIMIT).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    each_sent_once(&wanted, &record.all())?;
    consumer.close().await;
    Ok(())
}
