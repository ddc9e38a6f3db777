//! The SDK's lite pull consumer against broker-lite in-process: subscriptions shared by
//! rebalancing, manual commit surviving a restart, assigned queues with seek (offset,
//! begin, end, time), pause/resume, and the message stream.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod sdk_consumer_support;

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant, SystemTime};

use anyhow::ensure;
use broker_lite::config::BrokerLiteConfig;
use futures_util::StreamExt;
use rocketmq::consumer::{ConsumeFrom, LitePullConsumer, ReceivedMessage};
use rocketmq::protocol::MessageQueue;
use sdk_consumer_support::{Env, Got, Target, bodies, exactly_once, send_bodies, unique};

const LIMIT: Duration = Duration::from_secs(60);

fn lite_consumer(env: &Env, group: &str) -> rocketmq::consumer::LitePullConsumerBuilder {
    LitePullConsumer::builder()
        .namesrv_addr(env.namesrv.as_str())
        .group(group)
        .consume_from(ConsumeFrom::FirstOffset)
        .poll_timeout(Duration::from_millis(500))
        .rebalance_interval(Duration::from_secs(2))
}

/// Polls `consumers` round robin until `n` messages came (bounded).
async fn poll_until(consumers: &[(&str, &LitePullConsumer)], n: usize) -> anyhow::Result<Vec<Got>> {
    let deadline = Instant::now() + LIMIT;
    let mut got = Vec::new();
    while got.len() < n {
        ensure!(Instant::now() < deadline, "{} of {n} polled", got.len());
        for (name, c) in consumers {
            for m in c.poll().await? {
                got.push(Got::of(name, &m));
            }
        }
    }
    Ok(got)
}

fn offsets(batch: &[ReceivedMessage]) -> Vec<i64> {
    batch.iter().map(ReceivedMessage::queue_offset).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lite_pull_against_broker_lite() -> anyhow::Result<()> {
    let target = Target::start_lite(BrokerLiteConfig::default()).await?;
    let env = &target.env;
    let result = async {
        subscribe_shared(env).await?;
        commit_and_restart(env).await?;
        assign_and_seek(env).await
    }
    .await;
    target.finish(result).await
}

/// Two subscribers of one group: disjoint assignments, every message once.
async fn subscribe_shared(env: &Env) -> anyhow::Result<()> {
    let topic = env.topic("h7_lite", 4).await?;
    let group = unique("h7_lite_cg");
    let a = lite_consumer(env, &group)
        .instance_name("la")
        .subscribe(topic.as_str(), "*")
        .build()
        .await?;
    let b = lite_consumer(env, &group)
        .instance_name("lb")
        .subscribe(topic.as_str(), "*")
        .build()
        .await?;
    let deadline = Instant::now() + LIMIT;
    loop {
        let (qa, qb) = (a.assignment(), b.assignment());
        let all: BTreeSet<&MessageQueue> = qa.iter().chain(&qb).collect();
        if qa.len() == 2 && qb.len() == 2 && all.len() == 4 {
            break;
        }
        ensure!(Instant::now() < deadline, "no split: {qa:?} {qb:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    env.produce(&topic, 40, "T").await?;
    let got = poll_until(&[("a", &a), ("b", &b)], 40).await?;
    exactly_once(&got, &bodies(0..40))?;
    a.close().await;
    b.close().await;
    Ok(())
}

/// Without auto-commit, `commit_sync` stores the polled position; a new consumer of the
/// group starts there.
async fn commit_and_restart(env: &Env) -> anyhow::Result<()> {
    let topic = env.topic("h7_lite_commit", 2).await?;
    let group = unique("h7_lite_commit_cg");
    env.produce(&topic, 20, "T").await?;
    let c = lite_consumer(env, &group)
        .auto_commit(false)
        .subscribe(topic.as_str(), "*")
        .build()
        .await?;
    let first = poll_until(&[("c", &c)], 20).await?;
    c.commit_sync().await?;
    let positions = c.positions();
    ensure!(positions.values().sum::<i64>() == 20, "{positions:?}");
    for (q, o) in &positions {
        ensure!(c.committed(q).await? == Some(*o), "committed of {q:?}");
    }
    c.close().await;
    let producer = env.producer().await?;
    send_bodies(&producer, &topic, 20..30).await?;
    producer.close().await;
    let c = lite_consumer(env, &group)
        .subscribe(topic.as_str(), "*")
        .build()
        .await?;
    let second = poll_until(&[("c2", &c)], 10).await?;
    let mut all = first;
    all.extend(second);
    exactly_once(&all, &bodies(0..30))?;
    // Explicit commit of a chosen offset.
    let q = c.assignment()[0].clone();
    c.commit(&HashMap::from([(q.clone(), 3)]), true).await?;
    ensure!(c.committed(&q).await? == Some(3));
    c.close().await;
    Ok(())
}

/// An assigned queue: seek to an offset, to the beginning, to the end, by time; pause and
/// resume; the stream of messages.
async fn assign_and_seek(env: &Env) -> anyhow::Result<()> {
    let topic = env.topic("h7_lite_assign", 1).await?;
    env.produce(&topic, 10, "T").await?;
    // `middle` falls strictly between the store times (ms) of offsets 9 and 10: taken
    // right after the send returns, it can share offset 9's millisecond, and the search
    // then rightly answers 9.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let middle = SystemTime::now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let producer = env.producer().await?;
    send_bodies(&producer, &topic, 10..15).await?;
    let c = lite_consumer(env, &unique("h7_lite_assign_cg"))
        .pull_batch_size(32)
        .build()
        .await?;
    let queues = c.queues(&topic).await?;
    ensure!(queues.len() == 1);
    let q = queues[0].clone();
    ensure!(c.subscribe(&topic, "*").await.is_ok());
    ensure!(
        c.assign(&queues).await.is_err(),
        "assign after subscribe must fail"
    );
    c.unsubscribe(&topic).await;
    c.close().await;

    let c = lite_consumer(env, &unique("h7_lite_assign_cg2"))
        .pull_batch_size(32)
        .build()
        .await?;
    c.assign(std::slice::from_ref(&q)).await?;
    ensure!(c.assignment() == std::slice::from_ref(&q));
    let mut batch = Vec::new();
    while batch.is_empty() {
        batch = c.poll().await?;
    }
    ensure!(offsets(&batch)[0] == 0, "first poll {:?}", offsets(&batch));
    c.seek(&q, 5).await?;
    let after_seek = next_batch(&c).await?;
    ensure!(
        offsets(&after_seek)[0] == 5,
        "after seek {:?}",
        offsets(&after_seek)
    );
    c.seek_to_begin(&q).await?;
    ensure!(offsets(&next_batch(&c).await?)[0] == 0);
    let at = c.offset_for_time(&q, middle).await?;
    ensure!(at == 10, "offset for time {at}");
    c.seek_to_time(&q, middle).await?;
    ensure!(offsets(&next_batch(&c).await?)[0] == 10);
    c.seek_to_end(&q).await?;
    ensure!(c.seek(&q, 99).await.is_err(), "seek out of range must fail");
    tokio::time::sleep(Duration::from_millis(300)).await;
    ensure!(c.poll().await?.is_empty(), "messages after seek to end");
    c.pause(std::slice::from_ref(&q));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    send_bodies(&producer, &topic, 15..16).await?;
    ensure!(c.poll().await?.is_empty(), "a paused queue was pulled");
    c.resume(std::slice::from_ref(&q));
    let mut stream = Box::pin(c.stream());
    let m = tokio::time::timeout(LIMIT, stream.next())
        .await?
        .expect("stream ended");
    ensure!(m.queue_offset() == 15 && m.body().as_ref() == b"body-15");
    producer.close().await;
    c.close().await;
    ensure!(c.poll().await.is_err(), "poll after close");
    Ok(())
}

async fn next_batch(c: &LitePullConsumer) -> anyhow::Result<Vec<ReceivedMessage>> {
    let deadline = Instant::now() + LIMIT;
    loop {
        let batch = c.poll().await?;
        if !batch.is_empty() {
            return Ok(batch);
        }
        ensure!(Instant::now() < deadline, "nothing polled");
    }
}
