//! The SDK consumers against broker-lite in-process: push (concurrent and orderly,
//! clustering and broadcasting, retry to DLQ), offsets across restarts, offset reset,
//! running info through the broker, a broker task aborted mid-stream while the name
//! server stays up. Delay levels are all one second so retries come quickly.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod sdk_consumer_support;

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use anyhow::{Context, ensure};
use broker_lite::BrokerLite;
use broker_lite::config::BrokerLiteConfig;
use rocketmq::consumer::{
    AveragelyByCircle, ConsumeFrom, MessageModel, PullConsumer, PushConsumer,
};
use rocketmq::protocol::MessageQueue;
use rocketmq::protocol::header::{GetConsumerRunningInfoRequestHeader, ResetOffsetRequestHeader};
use rocketmq::protocol::request::{GetConsumerRunningInfo, InvokeBrokerToResetOffset, PullStatus};
use sdk_consumer_support::{
    Env, Got, OrderlyRecorder, Record, Recorder, exactly_once, in_queue_order, unique, wait_split,
};

const LIMIT: Duration = Duration::from_secs(60);

async fn lite() -> anyhow::Result<(BrokerLite, Env)> {
    let mut config = BrokerLiteConfig::default();
    config.broker.message_delay_level = ["1s"; 18].join(" ");
    let broker_name = config.broker.broker_name.clone();
    let lite = BrokerLite::builder().config(config).build().await?;
    let env = Env::new(
        "broker-lite",
        lite.namesrv_addr().to_string(),
        lite.broker_addr().to_string(),
        &broker_name,
    );
    Ok((lite, env))
}

fn bodies(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("body-{i}")).collect()
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_against_broker_lite() -> anyhow::Result<()> {
    let (lite, env) = lite().await?;
    let result = async {
        concurrent_exactly_once(&env)
            .await
            .context("concurrent, exactly once")?;
        two_members_split(&env)
            .await
            .context("two members split the queues")?;
        retry_then_dlq(&env)
            .await
            .context("retry schedule and DLQ")?;
        orderly_in_order(&env).await.context("orderly order")?;
        broadcasting(&env).await.context("broadcasting")?;
        restart_resumes(&env).await.context("close and reopen")?;
        reset_and_running_info(&env)
            .await
            .context("offset reset, running info")?;
        raw_pull(&env).await.context("raw pull consumer")?;
        orderly_dlq(&env).await.context("orderly to DLQ")?;
        shared_client(&env)
            .await
            .context("two groups on one client")?;
        pause_and_resume(&env).await.context("pause and resume")?;
        consume_timeout(&env).await.context("consume timeout")?;
        flow_control_and_hooks(&env)
            .await
            .context("flow control and hooks")
    }
    .await;
    lite.shutdown().await;
    result
}

/// Every message once, with its tags, keys and properties as sent.
async fn concurrent_exactly_once(env: &Env) -> anyhow::Result<()> {
    let topic = env.topic("h7_push", 4).await?;
    let sent = env.produce(&topic, 40, "TagA").await?;
    let record = Record::new();
    let consumer = push(env, &unique("h7_cg"), &topic)
        .subscribe(topic.as_str(), "TagA || TagB")
        .listener(Recorder {
            name: "a".into(),
            record: record.clone(),
            fail_below: 0,
        })
        .build()
        .await?;
    let got = record.wait_count(sent.len(), LIMIT).await?;
    exactly_once(&got, &bodies(0..40))?;
    for g in &got {
        let i: usize = g.body_text()["body-".len()..].parse()?;
        ensure!(
            g.tags.as_deref() == Some("TagA"),
            "tags of {i}: {:?}",
            g.tags
        );
        ensure!(g.keys == [format!("k{i}")], "keys of {i}: {:?}", g.keys);
        ensure!(g.props.get("idx") == Some(&i.to_string()), "idx of {i}");
        ensure!(g.msg_id == sent[i].msg_id, "msg id of {i}");
        ensure!(g.topic == topic && g.reconsume_times == 0);
    }
    // Nothing more arrives.
    tokio::time::sleep(Duration::from_millis(500)).await;
    ensure!(record.len() == 40, "extra deliveries: {}", record.len());
    consumer.close().await;
    Ok(())
}

/// Two members of one group: disjoint queues covering the topic, each message once.
async fn two_members_split(env: &Env) -> anyhow::Result<()> {
    let topic = env.topic("h7_split", 8).await?;
    let group = unique("h7_split_cg");
    let record = Record::new();
    let mut members = Vec::new();
    for name in ["m1", "m2"] {
        members.push(
            push(env, &group, &topic)
                .instance_name(name)
                .allocate_strategy(AveragelyByCircle)
                .listener(Recorder {
                    name: name.into(),
                    record: record.clone(),
                    fail_below: 0,
                })
                .build()
                .await?,
        );
    }
    let queues = wait_split(&members, &topic, 8).await?;
    ensure!(queues[0].len() == 4 && queues[1].len() == 4, "{queues:?}");
    // AVG_BY_CIRCLE: queue i to the member at position i mod 2 of the sorted ids.
    let sent = env.produce(&topic, 64, "T").await?;
    let got = record.wait_count(sent.len(), LIMIT).await?;
    exactly_once(&got, &bodies(0..64))?;
    for g in &got {
        let owner = if queues[0].iter().any(|q| q.queue_id == g.queue.queue_id) {
            "m1"
        } else {
            "m2"
        };
        ensure!(
            g.consumer == owner,
            "queue {} consumed by {}",
            g.queue.queue_id,
            g.consumer
        );
    }
    for m in members {
        m.close().await;
    }
    Ok(())
}

/// A message failing every time arrives 1 + max times with reconsume counts 0, 1, ...
/// and then lands in `%DLQ%<group>`; one failing twice arrives three times and stays.
async fn retry_then_dlq(env: &Env) -> anyhow::Result<()> {
    let topic = env.topic("h7_retry", 1).await?;
    let group = unique("h7_retry_cg");
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
            .all(|g| g.body_text() == "body-0" && g.topic == topic)
    );
    let dlq = format!("%DLQ%{group}");
    let found = pull_all(env, &dlq).await?;
    ensure!(
        found.len() == 1 && found[0].body_text() == "body-0",
        "DLQ: {found:?}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    ensure!(
        record.len() == 3,
        "delivered again after DLQ: {}",
        record.len()
    );
    consumer.close().await;

    let topic = env.topic("h7_retry_ok", 1).await?;
    let group = unique("h7_retry_ok_cg");
    let record = Record::new();
    let consumer = push(env, &group, &topic)
        .listener(Recorder {
            name: "r".into(),
            record: record.clone(),
            fail_below: 2,
        })
        .build()
        .await?;
    env.produce(&topic, 1, "T").await?;
    let got = record.wait_count(3, LIMIT).await?;
    let times: Vec<i32> = got.iter().map(|g| g.reconsume_times).collect();
    ensure!(times == [0, 1, 2], "reconsume counts {times:?}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    ensure!(
        record.len() == 3,
        "delivered after success: {}",
        record.len()
    );
    consumer.close().await;
    Ok(())
}

/// Every message of a topic (all queues), read with the raw pull consumer.
async fn pull_all(env: &Env, topic: &str) -> anyhow::Result<Vec<Got>> {
    interop::sdk_ops::wait_for_route(&env.remoting, &env.namesrv, topic).await?;
    let puller = PullConsumer::builder()
        .namesrv_addr(env.namesrv.as_str())
        .group(unique("h7_reader"))
        .build()
        .await?;
    let mut out = Vec::new();
    for queue in puller.queues(topic).await? {
        let mut offset = 0;
        loop {
            let found = puller.pull(&queue, "*", offset, 32).await?;
            out.extend(found.messages.iter().map(|m| Got::of("pull", m)));
            offset = found.next_begin_offset;
            if found.status != PullStatus::Found {
                break;
            }
        }
    }
    puller.close().await;
    Ok(out)
}

/// Orderly: per-queue order with suspends (each message fails once), then a second
/// member joins mid-stream and takes queues over.
async fn orderly_in_order(env: &Env) -> anyhow::Result<()> {
    let topic = env.topic("h7_orderly", 4).await?;
    let group = unique("h7_orderly_cg");
    let record = Record::new();
    let first = push(env, &group, &topic)
        .instance_name("o1")
        .suspend_time(Duration::from_millis(100))
        .orderly_listener(OrderlyRecorder {
            name: "o1".into(),
            record: record.clone(),
            fail_below: 1,
        })
        .build()
        .await?;
    let producer = env.producer().await?;
    for i in 0..40 {
        let mut m = rocketmq::protocol::message::Message::new(topic.as_str(), format!("body-{i}"));
        m.set_keys([format!("k{i}")]);
        producer
            .send_ordered(m, &format!("order-{}", i % 4))
            .await?;
    }
    record
        .wait("half", LIMIT, |g| {
            g.iter().filter(|x| x.reconsume_times == 1).count() >= 20
        })
        .await?;
    let second = push(env, &group, &topic)
        .instance_name("o2")
        .suspend_time(Duration::from_millis(100))
        .orderly_listener(OrderlyRecorder {
            name: "o2".into(),
            record: record.clone(),
            fail_below: 1,
        })
        .build()
        .await?;
    for i in 40..80 {
        let m = rocketmq::protocol::message::Message::new(topic.as_str(), format!("body-{i}"));
        producer
            .send_ordered(m, &format!("order-{}", i % 4))
            .await?;
    }
    let got = record
        .wait("80 successful deliveries", LIMIT, |g| {
            g.iter()
                .filter(|x| x.reconsume_times >= 1)
                .map(|x| x.body_text())
                .collect::<BTreeSet<_>>()
                .len()
                >= 80
        })
        .await?;
    in_queue_order(&got, 80)?;
    let split = wait_split(&[first.clone(), second.clone()], &topic, 4).await?;
    ensure!(
        split.iter().all(|s| s.len() == 2),
        "orderly split {split:?}"
    );
    producer.close().await;
    first.close().await;
    second.close().await;
    Ok(())
}

/// Broadcasting: every member gets every message; offsets in each member's own file.
async fn broadcasting(env: &Env) -> anyhow::Result<()> {
    let topic = env.topic("h7_bcast", 4).await?;
    let group = unique("h7_bcast_cg");
    let dir = std::env::temp_dir().join(unique("h7-offsets"));
    let record = Record::new();
    let mut members = Vec::new();
    for name in ["b1", "b2"] {
        members.push(
            push(env, &group, &topic)
                .instance_name(name)
                .message_model(MessageModel::Broadcasting)
                .offset_store_dir(&dir)
                .listener(Recorder {
                    name: name.into(),
                    record: record.clone(),
                    fail_below: 0,
                })
                .build()
                .await?,
        );
    }
    env.produce(&topic, 20, "T").await?;
    let got = record.wait_count(40, LIMIT).await?;
    for name in ["b1", "b2"] {
        let mine: Vec<Got> = got.iter().filter(|g| g.consumer == name).cloned().collect();
        exactly_once(&mine, &bodies(0..20)).with_context(|| name.to_owned())?;
    }
    for m in members {
        m.close().await;
    }
    let files: Vec<_> = std::fs::read_dir(&dir)?.collect();
    ensure!(
        files.len() == 2,
        "one offsets directory per member: {files:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Close persists offsets; a new consumer of the group starts where the old one stopped.
async fn restart_resumes(env: &Env) -> anyhow::Result<()> {
    let topic = env.topic("h7_restart", 4).await?;
    let group = unique("h7_restart_cg");
    env.produce(&topic, 20, "T").await?;
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
    record.wait_count(20, LIMIT).await?;
    consumer.close().await;
    let producer = env.producer().await?;
    for i in 20..40 {
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
    let got = record.wait_count(40, LIMIT).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    exactly_once(&record.all(), &bodies(0..40))?;
    ensure!(
        got.iter()
            .filter(|g| g.consumer == "after")
            .all(|g| g.body_text()["body-".len()..].parse::<usize>().unwrap_or(0) >= 20),
        "the reopened consumer got old messages"
    );
    consumer.close().await;
    Ok(())
}

/// The broker's offset reset (what mqadmin resetOffsetByTime sends) moves the running
/// consumer back; GET_CONSUMER_RUNNING_INFO through the broker shows its state.
async fn reset_and_running_info(env: &Env) -> anyhow::Result<()> {
    let topic = env.topic("h7_reset", 2).await?;
    let group = unique("h7_reset_cg");
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
    tokio::time::sleep(Duration::from_secs(1)).await;
    let reset = InvokeBrokerToResetOffset(ResetOffsetRequestHeader {
        topic: topic.clone(),
        group: group.clone(),
        timestamp: 0,
        is_force: true,
        ..Default::default()
    });
    let table = env.remoting.call(&env.broker, &reset).await?;
    ensure!(table.offset_table.values().all(|o| *o == 0), "{table:?}");
    let got = record
        .wait_count(20, LIMIT)
        .await
        .context("redelivery after reset")?;
    let again: Vec<Got> = got[10..].to_vec();
    exactly_once(&again, &bodies(0..10))?;

    let info = env
        .remoting
        .call(
            &env.broker,
            &GetConsumerRunningInfo(GetConsumerRunningInfoRequestHeader {
                consumer_group: group.clone(),
                client_id: consumer.client().client_id().to_owned(),
                jstack_enable: false,
                rpc: Default::default(),
            }),
        )
        .await?;
    ensure!(
        info.properties.get("PROP_CONSUME_TYPE").map(String::as_str) == Some("CONSUME_PASSIVELY"),
        "{info:?}"
    );
    ensure!(
        info.properties
            .get("PROP_CONSUMEORDERLY")
            .map(String::as_str)
            == Some("false")
    );
    let mine: Vec<&MessageQueue> = info.mq_table.keys().filter(|q| q.topic == topic).collect();
    ensure!(
        mine.len() == 2,
        "queues in running info: {:?}",
        info.mq_table.keys()
    );
    ensure!(info.subscription_set.iter().any(|s| s.topic == topic));
    ensure!(info.status_table.contains_key(&topic));
    consumer.close().await;
    Ok(())
}

/// The raw pull consumer: offsets, time search, commit and read back.
async fn raw_pull(env: &Env) -> anyhow::Result<()> {
    let topic = env.topic("h7_raw", 1).await?;
    let before = SystemTime::now();
    env.produce(&topic, 5, "TagA").await?;
    let puller = PullConsumer::builder()
        .namesrv_addr(env.namesrv.as_str())
        .group(unique("h7_raw_cg"))
        .build()
        .await?;
    let queues = puller.queues(&topic).await?;
    ensure!(queues.len() == 1);
    let q = &queues[0];
    ensure!(puller.min_offset(q).await? == 0);
    ensure!(puller.max_offset(q).await? == 5);
    ensure!(puller.offset_for_time(q, before).await? == 0);
    ensure!(puller.earliest_store_time(q).await? >= before - Duration::from_secs(1));
    let found = puller.pull(q, "TagA", 2, 2).await?;
    ensure!(found.status == PullStatus::Found);
    let offsets: Vec<i64> = found.messages.iter().map(|m| m.queue_offset()).collect();
    ensure!(offsets == [2, 3], "{offsets:?}");
    ensure!(found.next_begin_offset == 4);
    let none = puller.pull(q, "TagB", 0, 32).await?;
    ensure!(none.messages.is_empty(), "TagB matched {:?}", none.messages);
    let empty = puller.pull(q, "*", 5, 32).await?;
    ensure!(empty.status == PullStatus::NoNewMsg, "{:?}", empty.status);
    ensure!(puller.committed_offset(q).await?.unwrap_or(0) == 0);
    puller.commit_offset(q, 4).await?;
    ensure!(puller.committed_offset(q).await? == Some(4));
    puller.close().await;
    Ok(())
}

/// A broker-lite broker run as a task that can be killed: its task aborted (no
/// unregistration, no clean store close; what it wrote stays, as after SIGKILL).
async fn start_broker(
    addr: std::net::SocketAddr,
    namesrv: &str,
    dir: &std::path::Path,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let mut config = BrokerLiteConfig::default();
    config.broker.namesrv_addrs = vec![namesrv.to_owned()];
    config.broker.store.dir = dir.to_path_buf();
    config.broker.persist_interval = Duration::from_millis(200);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let listener = loop {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => break l,
            Err(e) if std::time::Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e.into()),
        }
    };
    let listeners = broker_lite::Listeners {
        namesrv: None,
        broker: Some(listener),
    };
    Ok(tokio::spawn(async move {
        if let Err(err) = broker_lite::run(listeners, config, std::future::pending()).await {
            eprintln!("broker-lite stopped: {err}");
        }
    }))
}

/// The broker (only the broker: the name server stays up and keeps its route) is
/// stopped in the middle of a stream by aborting its task, and restarted on the same
/// store and address: every message whose send was acknowledged reaches the push
/// consumer. Not a process kill; the SIGKILL of the real `broker-lite` process (name
/// server and broker together) is `broker-lite/tests/consumer_kill.rs`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_task_aborted_with_namesrv_up_loses_nothing_acknowledged() -> anyhow::Result<()> {
    let ns_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let namesrv = ns_listener.local_addr()?.to_string();
    let ns_task = tokio::spawn(broker_lite::run(
        broker_lite::Listeners {
            namesrv: Some(ns_listener),
            broker: None,
        },
        BrokerLiteConfig::default(),
        std::future::pending(),
    ));
    let dir = std::env::temp_dir().join(unique("h7-crash"));
    std::fs::create_dir_all(&dir)?;
    let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
    let broker_addr = probe.local_addr()?;
    drop(probe);
    let broker = start_broker(broker_addr, &namesrv, &dir).await?;
    let env = Env::new(
        "broker-lite",
        namesrv.clone(),
        broker_addr.to_string(),
        "broker-a",
    );
    let result = async {
        let topic = env.topic("h7_crash", 4).await?;
        let record = Record::new();
        let consumer = push(&env, &unique("h7_crash_cg"), &topic)
            .route_refresh_interval(Duration::from_secs(1))
            .listener(Recorder {
                name: "c".into(),
                record: record.clone(),
                fail_below: 0,
            })
            .build()
            .await?;
        let producer_client = rocketmq::client::Client::builder()
            .namesrv_addr(namesrv.as_str())
            .route_refresh_interval(Duration::from_secs(1))
            .build()?;
        let producer = rocketmq::producer::Producer::builder()
            .client(producer_client.clone())
            .group(unique("h7_crash_pg"))
            .build()
            .await?;
        let mut acked = Vec::new();
        let mut broker = Some(broker);
        for i in 0..300 {
            if i == 100 {
                if let Some(task) = broker.take() {
                    task.abort();
                    let _ = task.await;
                }
                broker = Some(start_broker(broker_addr, &namesrv, &dir).await?);
            }
            let body = format!("body-{i}");
            let msg = rocketmq::protocol::message::Message::new(topic.as_str(), body.clone());
            if let Ok(sent) = producer.send(msg).await
                && sent.status == rocketmq::producer::SendStatus::SendOk
            {
                acked.push(body);
            }
        }
        ensure!(
            acked.len() >= 200,
            "only {} sends acknowledged",
            acked.len()
        );
        let want: BTreeSet<String> = acked.iter().cloned().collect();
        record
            .wait("every acknowledged message", LIMIT, |g| {
                let got: BTreeSet<String> = g.iter().map(Got::body_text).collect();
                want.is_subset(&got)
            })
            .await?;
        eprintln!(
            "crash: {} of 300 sends acknowledged, {} deliveries",
            acked.len(),
            record.len()
        );
        producer.close().await;
        producer_client.close().await;
        consumer.close().await;
        if let Some(task) = broker {
            task.abort();
        }
        anyhow::Ok(())
    }
    .await;
    ns_task.abort();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// Orderly: a message failing every time is retried in place (the reconsume count is
/// the consumer's own), and after the maximum goes to `%DLQ%<group>`; the queue then
/// moves on.
async fn orderly_dlq(env: &Env) -> anyhow::Result<()> {
    let topic = env.topic("h7_orderly_dlq", 1).await?;
    let group = unique("h7_orderly_dlq_cg");
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
    ensure!(first == [0, 1, 2], "body-0 deliveries {first:?}");
    let dlq = pull_all(env, &format!("%DLQ%{group}")).await?;
    ensure!(
        dlq.len() == 1 && dlq[0].body_text() == "body-0",
        "DLQ: {dlq:?}"
    );
    consumer.close().await;
    Ok(())
}

/// A message held by the listener past the consume timeout is sent back and comes again
/// (with a reconsume count of 1) while the first call still runs.
async fn consume_timeout(env: &Env) -> anyhow::Result<()> {
    let topic = env.topic("h7_timeout", 1).await?;
    let record = Record::new();
    let consumer = push(env, &unique("h7_timeout_cg"), &topic)
        .consume_timeout(Duration::from_secs(1))
        .listener(sdk_consumer_support::SlowFirst {
            record: record.clone(),
            hold: Duration::from_secs(6),
        })
        .build()
        .await?;
    env.produce(&topic, 1, "T").await?;
    let got = record
        .wait("the redelivery", LIMIT, |g| {
            g.iter().any(|x| x.reconsume_times >= 1)
        })
        .await?;
    ensure!(got[0].reconsume_times == 0 && got[0].body_text() == "body-0");
    consumer.close().await;
    Ok(())
}

/// A blocked listener: the queue holds at most the cached-message limit plus one pull;
/// hooks see every batch before and after.
async fn flow_control_and_hooks(env: &Env) -> anyhow::Result<()> {
    let topic = env.topic("h7_flow", 1).await?;
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(0));
    let hooks = std::sync::Arc::new(sdk_consumer_support::CountingHook::default());
    let g2 = std::sync::Arc::clone(&gate);
    let consumer = push(env, &unique("h7_flow_cg"), &topic)
        .pull_threshold_for_queue(10)
        .pull_batch_size(8)
        .consume_threads(2)
        .consume_hook(sdk_consumer_support::SharedHook(std::sync::Arc::clone(
            &hooks,
        )))
        .listener_fn(move |_msgs| {
            let gate = std::sync::Arc::clone(&g2);
            async move {
                let _ = gate
                    .acquire()
                    .await
                    .map(tokio::sync::SemaphorePermit::forget);
                rocketmq::consumer::ConsumeStatus::Success
            }
        })
        .build()
        .await?;
    env.produce(&topic, 100, "T").await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let info = consumer.running_info().await;
    let cached: i32 = info.mq_table.values().map(|p| p.cached_msg_count).sum();
    ensure!(
        (10..=10 + 8).contains(&cached),
        "cached {cached} with a limit of 10 and pulls of 8"
    );
    ensure!(hooks.before() == 2 && hooks.after() == 0, "hooks {hooks:?}");
    gate.add_permits(1000);
    let deadline = std::time::Instant::now() + LIMIT;
    while hooks.after() < 100 {
        ensure!(std::time::Instant::now() < deadline, "hooks {hooks:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ensure!(hooks.before() == 100, "hooks {hooks:?}");
    consumer.close().await;
    Ok(())
}

/// Two push consumers of different groups on one client: each gets every message, and
/// the broker's requests reach the consumer of the group they name.
async fn shared_client(env: &Env) -> anyhow::Result<()> {
    let topic = env.topic("h7_shared", 2).await?;
    let client = rocketmq::client::Client::builder()
        .namesrv_addr(env.namesrv.as_str())
        .build()?;
    let record = Record::new();
    let mut consumers = Vec::new();
    let groups = [unique("h7_shared_a"), unique("h7_shared_b")];
    for (i, group) in groups.iter().enumerate() {
        consumers.push(
            PushConsumer::builder()
                .client(client.clone())
                .group(group.as_str())
                .subscribe(topic.as_str(), "*")
                .consume_from(ConsumeFrom::FirstOffset)
                .listener(Recorder {
                    name: format!("c{i}"),
                    record: record.clone(),
                    fail_below: 0,
                })
                .build()
                .await?,
        );
    }
    env.produce(&topic, 6, "T").await?;
    let got = record.wait_count(12, LIMIT).await?;
    for name in ["c0", "c1"] {
        let mine: Vec<Got> = got.iter().filter(|g| g.consumer == name).cloned().collect();
        exactly_once(&mine, &bodies(0..6)).with_context(|| name.to_owned())?;
    }
    for group in &groups {
        let info = env
            .remoting
            .call(
                &env.broker,
                &GetConsumerRunningInfo(GetConsumerRunningInfoRequestHeader {
                    consumer_group: group.clone(),
                    client_id: client.client_id().to_owned(),
                    jstack_enable: true,
                    rpc: Default::default(),
                }),
            )
            .await?;
        ensure!(
            info.properties.get("consumerGroup") == Some(group),
            "running info of {group}: {:?}",
            info.properties.get("consumerGroup")
        );
        ensure!(info.jstack.is_some(), "no task summary asked for");
    }
    for c in consumers {
        c.close().await;
    }
    // The consumers did not close the shared client.
    ensure!(!client.is_closed());
    client.close().await;
    Ok(())
}

/// A paused consumer pulls nothing (a pull waiting at the broker is abandoned) until
/// resumed. (Where a new group starts by time is not visible here: like Java's brokers,
/// broker-lite answers a new group's offset query with 0 while the queue's messages are
/// in memory, so every `ConsumeFrom` starts at 0.)
async fn pause_and_resume(env: &Env) -> anyhow::Result<()> {
    let topic = env.topic("h7_pause", 2).await?;
    env.produce(&topic, 6, "T").await?;
    let record = Record::new();
    let consumer = push(env, &unique("h7_pause_cg"), &topic)
        .listener(Recorder {
            name: "p".into(),
            record: record.clone(),
            fail_below: 0,
        })
        .build()
        .await?;
    record.wait_count(6, LIMIT).await?;
    consumer.pause();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let producer = env.producer().await?;
    producer
        .send(rocketmq::protocol::message::Message::new(
            topic.as_str(),
            "body-6",
        ))
        .await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    ensure!(record.len() == 6, "consumed while paused: {}", record.len());
    consumer.resume();
    record.wait_count(7, LIMIT).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    exactly_once(&record.all(), &bodies(0..7))?;
    producer.close().await;
    consumer.close().await;
    Ok(())
}
