//! The push consumer's own behaviour: exactly once with content as sent, members of a
//! group splitting the queues, two groups on one client, pause and resume, flow control
//! and consume hooks; and the raw pull consumer.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::{Context, ensure};
use rocketmq::consumer::{AveragelyByCircle, ConsumeFrom, PullConsumer, PushConsumer};
use rocketmq::protocol::request::PullStatus;

use super::{
    CountingHook, Env, Got, Record, Recorder, SharedHook, bodies, exactly_once, members, push,
    recording, send_bodies, unique, wait_split,
};

/// Every message once, with its tags, keys and properties as sent.
pub(crate) async fn concurrent_exactly_once(env: &Env) -> anyhow::Result<()> {
    let topic = env.topic("h7_push", 4).await?;
    let sent = env.produce(&topic, 40, "TagA").await?;
    let builder = push(env, &unique("h7_cg"), &topic).subscribe(topic.as_str(), "TagA || TagB");
    let (consumer, record) = recording(builder, "a").await?;
    let got = record.wait_count(sent.len(), env.limit).await?;
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
    record
        .still(40, Duration::from_millis(500), "extra deliveries")
        .await?;
    consumer.close().await;
    Ok(())
}

/// Two members of one group: disjoint queues covering the topic, each message once.
pub(crate) async fn two_members_split(env: &Env) -> anyhow::Result<()> {
    let topic = env.topic("h7_split", 8).await?;
    let group = unique("h7_split_cg");
    let record = Record::new();
    let members = members(&["m1", "m2"], &record, || {
        push(env, &group, &topic).allocate_strategy(AveragelyByCircle)
    })
    .await?;
    let queues = wait_split(&members, &topic, 8).await?;
    ensure!(queues[0].len() == 4 && queues[1].len() == 4, "{queues:?}");
    // AVG_BY_CIRCLE: queue i to the member at position i mod 2 of the sorted ids.
    let sent = env.produce(&topic, 64, "T").await?;
    let got = record.wait_count(sent.len(), env.limit).await?;
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

/// The raw pull consumer: offsets, time search, commit and read back.
pub(crate) async fn raw_pull(env: &Env) -> anyhow::Result<()> {
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

/// A blocked listener: the queue holds at most the cached-message limit plus one pull;
/// hooks see every batch before and after.
pub(crate) async fn flow_control_and_hooks(env: &Env) -> anyhow::Result<()> {
    let topic = env.topic("h7_flow", 1).await?;
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let hooks = Arc::new(CountingHook::default());
    let g2 = Arc::clone(&gate);
    let consumer = push(env, &unique("h7_flow_cg"), &topic)
        .pull_threshold_for_queue(10)
        .pull_batch_size(8)
        .consume_threads(2)
        .consume_hook(SharedHook(Arc::clone(&hooks)))
        .listener_fn(move |_msgs| {
            let gate = Arc::clone(&g2);
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
    let deadline = std::time::Instant::now() + env.limit;
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
pub(crate) async fn shared_client(env: &Env) -> anyhow::Result<()> {
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
                .listener(Recorder::new(&format!("c{i}"), &record))
                .build()
                .await?,
        );
    }
    env.produce(&topic, 6, "T").await?;
    let got = record.wait_count(12, env.limit).await?;
    for name in ["c0", "c1"] {
        let mine: Vec<Got> = got.iter().filter(|g| g.consumer == name).cloned().collect();
        exactly_once(&mine, &bodies(0..6)).with_context(|| name.to_owned())?;
    }
    for group in &groups {
        let info = env.running_info(group, client.client_id(), true).await?;
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
pub(crate) async fn pause_and_resume(env: &Env) -> anyhow::Result<()> {
    let topic = env.topic("h7_pause", 2).await?;
    env.produce(&topic, 6, "T").await?;
    let (consumer, record) = recording(push(env, &unique("h7_pause_cg"), &topic), "p").await?;
    record.wait_count(6, env.limit).await?;
    consumer.pause();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let producer = env.producer().await?;
    send_bodies(&producer, &topic, 6..7).await?;
    record
        .still(6, Duration::from_secs(2), "consumed while paused")
        .await?;
    consumer.resume();
    record.wait_count(7, env.limit).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    exactly_once(&record.all(), &bodies(0..7))?;
    producer.close().await;
    consumer.close().await;
    Ok(())
}
