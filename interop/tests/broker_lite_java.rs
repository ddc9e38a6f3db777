//! Acceptance of broker-lite (name server + broker in this process) by the real Java client,
//! 4.9.8 and 5.x, through our programs in `interop/java/tools`: every send mode, push
//! consumers (concurrent, orderly, clustering, broadcasting), retry into `%RETRY%<group>`
//! and then `%DLQ%<group>`, delay levels, queries by key and id; every message consumed
//! with the body, keys, tags and user properties it was sent with. Also broker-lite's broker
//! registering with the Java name server.
//!
//! `INTEROP_BROKER=java cargo test -p interop --test broker_lite_java` runs the same tests
//! against the real Java broker, to tell a broker-lite fault from a test fault.
//! Fails (never skips) when Java or the cache from scripts/fetch-java.sh is missing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod broker_lite_support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use broker_lite_support::{Target, poll, unique};
use interop::{
    ConsumeSpec, ConsumerEvent, Delivery, JavaVersion, ProduceSpec, RunningConsumer, SendMode,
    SentMessage, check_each_once, message_mismatches,
};

const CONSUME_LIMIT: Duration = Duration::from_secs(60);

/// One test function per Java release for each scenario.
macro_rules! for_each_version {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn java_4_9_8() -> anyhow::Result<()> {
                super::$scenario(JavaVersion::V4_9_8).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn java_5() -> anyhow::Result<()> {
                super::$scenario(JavaVersion::V5).await
            }
        }
    )*};
}

for_each_version!(
    send_modes_round_trip,
    batch_round_trip,
    orderly_consumer_keeps_queue_order,
    clustering_shares_the_queues,
    broadcasting_gives_everyone_everything,
    reconsume_later_goes_to_retry_then_dlq,
    delay_levels_are_not_early,
    query_by_key_and_id,
    lite_broker_registers_with_java_namesrv,
    tag_and_sql_filters,
    orderly_failures_go_to_dlq,
    clustering_member_leaves,
);

/// Successful deliveries only (a failed one is delivered again).
fn acknowledged(deliveries: &[Delivery]) -> Vec<Delivery> {
    deliveries
        .iter()
        .filter(|d| d.status == "CONSUME_SUCCESS" || d.status == "SUCCESS")
        .cloned()
        .collect()
}

fn assert_each_once(what: &str, sent: &[SentMessage], got: &[Delivery]) {
    if let Err(report) = check_each_once(sent, got) {
        panic!("{what}:\n{report}");
    }
}

/// Waits until the consumer's latest rebalance of `topic` lists `cids` consumers.
async fn wait_for_group_size(
    consumer: &RunningConsumer,
    topic: &str,
    cids: usize,
) -> anyhow::Result<()> {
    consumer
        .wait_for(
            &format!("a rebalance of {topic} with {cids} consumers"),
            CONSUME_LIMIT,
            |events| {
                events
                    .iter()
                    .rev()
                    .find_map(|e| match e {
                        ConsumerEvent::Allocate(a) if a.topic.as_deref() == Some(topic) => {
                            Some(a.cids.len() == cids)
                        }
                        _ => None,
                    })
                    .unwrap_or(false)
            },
        )
        .await?;
    Ok(())
}

async fn send_modes_round_trip(version: JavaVersion) -> anyhow::Result<()> {
    let target = Target::start(version).await?;
    let client = target.client(version)?;
    let topic = unique("SendModes");
    target.create_topic(&topic, 4).await?;

    let mut sent = Vec::new();
    for (mode, count) in [
        (SendMode::Sync, 4),
        (SendMode::Async, 4),
        (SendMode::Oneway, 4),
    ] {
        let mut spec = ProduceSpec::new(&topic, mode, count);
        spec.body_prefix = format!("{mode:?}");
        spec.tags = format!("Tag{mode:?}");
        sent.extend(client.produce(&spec).await?);
    }
    // Bodies over 4 KiB are compressed by the client; the broker must keep the flag.
    let mut big = ProduceSpec::new(&topic, SendMode::Sync, 2);
    big.body_prefix = "big".into();
    big.body_size = 6000;
    sent.extend(client.produce(&big).await?);

    let mut offsets = BTreeSet::new();
    for s in &sent {
        if s.status == "ONEWAY" {
            continue;
        }
        assert_eq!(s.status, "SEND_OK", "{s:?}");
        assert_eq!(
            s.broker_name.as_deref(),
            Some(target.broker_name()),
            "{s:?}"
        );
        assert!((0..4).contains(&s.queue_id), "{s:?}");
        assert!(
            offsets.insert((s.queue_id, s.queue_offset)),
            "two messages got queue {} offset {}",
            s.queue_id,
            s.queue_offset
        );
        let id = s.offset_msg_id.as_deref().unwrap_or_default();
        assert_eq!(id.len(), 32, "offset msg id {id:?}");
    }

    let mut spec = ConsumeSpec::new(&topic, &unique("SendModesG"));
    spec.expect = sent.len();
    let run = client.consume(&spec)?.finish(CONSUME_LIMIT).await?;
    assert_each_once(target.label(), &sent, &run.deliveries);
    for d in &run.deliveries {
        let s = sent.iter().find(|s| s.msg_id == d.message.msg_id).unwrap();
        if s.status != "ONEWAY" {
            assert_eq!(
                (d.message.queue_id, d.message.queue_offset),
                (s.queue_id, s.queue_offset),
                "delivered where the send result said: {s:?}"
            );
            assert_eq!(d.message.offset_msg_id, s.offset_msg_id);
        }
        assert_eq!(d.message.topic, topic);
        assert_eq!(d.message.reconsume_times, 0);
        assert!(d.message.store_timestamp >= d.message.born_timestamp - 1000);
        assert_eq!(d.message.born_host, "127.0.0.1");
        assert_eq!(
            d.message.store_host.as_deref(),
            Some(format!("/{}", target.broker_addr()).as_str())
        );
        if d.message.body.len() < 4096 {
            // Java's UtilAll.crc32 of the stored (uncompressed) body.
            assert_eq!(d.message.body_crc, java_crc32(&d.message.body), "{d:?}");
        }
        check_properties(version, &target, s, &d.message, Stored::Plain);
    }
    target.stop().await
}

/// How a delivered message got where it is.
#[derive(Clone, Copy)]
enum Stored<'a> {
    /// Sent and delivered as is.
    Plain,
    /// Sent with a delay level, re-put by the schedule into its topic.
    Delayed,
    /// Sent back by `group` (delay level 1) and delivered from its retry topic.
    Retry { group: &'a str },
    /// Sent back by `group` past its max reconsume times: in its DLQ.
    Dlq { group: &'a str },
}

/// Checks every property of a delivered message (except the consumer's MIN_OFFSET,
/// MAX_OFFSET and CONSUME_START_TIME) against what the Java broker of the client's
/// generation stores: checked against the Java brokers with INTEROP_BROKER=java.
fn check_properties(
    version: JavaVersion,
    target: &Target,
    sent: &SentMessage,
    got: &interop::ReceivedMessage,
    stored: Stored<'_>,
) {
    let mut expected: BTreeMap<String, String> = sent.user_properties.clone();
    let mut put = |k: &str, v: &str| {
        expected.insert(k.to_owned(), v.to_owned());
    };
    put("CLUSTER", target.cluster_name());
    put("UNIQ_KEY", &sent.msg_id);
    if let Some(tags) = &sent.tags {
        put("TAGS", tags);
    }
    if let Some(keys) = &sent.keys {
        put("KEYS", keys);
    }
    if version == JavaVersion::V5 {
        // 5.x's buildMsgContext adds them to every single send.
        put("MSG_REGION", "DefaultRegion");
        put("TRACE_ON", "true");
        put("WAIT", "true");
    }
    let origin = sent.offset_msg_id.clone().unwrap_or_default();
    match stored {
        Stored::Plain => {}
        Stored::Delayed => {
            // 4.9.8 drops WAIT from a plain send only; the delay rewrite stores it again.
            put("WAIT", "true");
            put("DELAY", &sent.delay_level.to_string());
            put("REAL_TOPIC", &sent.topic);
            put("REAL_QID", &sent.queue_id.to_string());
        }
        Stored::Retry { group } | Stored::Dlq { group } => {
            put("WAIT", "false");
            put("ORIGIN_MESSAGE_ID", &origin);
            put("RETRY_TOPIC", &sent.topic);
            put("REAL_TOPIC", &format!("%RETRY%{group}"));
            put("REAL_QID", "0");
            let dlq = matches!(stored, Stored::Dlq { .. });
            put("DELAY", if dlq { "0" } else { "1" });
        }
    }
    let mut actual = got.properties.clone();
    for consumer_side in ["MIN_OFFSET", "MAX_OFFSET", "CONSUME_START_TIME"] {
        actual.remove(consumer_side);
    }
    assert_eq!(
        actual,
        expected,
        "properties of {} on {}",
        sent.msg_id,
        target.label()
    );
}

/// `java.util.zip.CRC32` of `data`, masked to 31 bits as Java's `UtilAll.crc32` does.
fn java_crc32(data: &[u8]) -> i32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    (!crc & 0x7FFF_FFFF) as i32
}

async fn batch_round_trip(version: JavaVersion) -> anyhow::Result<()> {
    let target = Target::start(version).await?;
    let client = target.client(version)?;
    let topic = unique("Batch");
    target.create_topic(&topic, 2).await?;
    let mut spec = ProduceSpec::new(&topic, SendMode::Batch, 12);
    spec.batch_size = 4;
    let sent = client.produce(&spec).await?;
    for batch in sent.chunks(4) {
        for (i, s) in batch.iter().enumerate() {
            assert_eq!(s.status, "SEND_OK", "{s:?}");
            assert_eq!(
                s.batch_msg_id.as_ref(),
                Some(&s.msg_id),
                "ids in message order"
            );
            // One batch goes to one queue at consecutive offsets.
            assert_eq!(s.queue_id, batch[0].queue_id);
            assert_eq!(s.queue_offset, batch[0].queue_offset + i as i64);
        }
    }
    let mut c = ConsumeSpec::new(&topic, &unique("BatchG"));
    c.expect = sent.len();
    let run = client.consume(&c)?.finish(CONSUME_LIMIT).await?;
    assert_each_once(target.label(), &sent, &run.deliveries);
    for d in &run.deliveries {
        let s = sent.iter().find(|s| s.msg_id == d.message.msg_id).unwrap();
        assert_eq!(
            (d.message.queue_id, d.message.queue_offset),
            (s.queue_id, s.queue_offset)
        );
        assert_eq!(d.message.offset_msg_id, s.offset_msg_id);
    }
    target.stop().await
}

async fn orderly_consumer_keeps_queue_order(version: JavaVersion) -> anyhow::Result<()> {
    let target = Target::start(version).await?;
    let client = target.client(version)?;
    let topic = unique("Orderly");
    target.create_topic(&topic, 4).await?;

    let mut spec = ProduceSpec::new(&topic, SendMode::Orderly, 24);
    spec.order_keys = 4;
    spec.keys = "{k} key-{i}".into();
    let sent = client.produce(&spec).await?;
    let mut queue_of_key = BTreeMap::new();
    for s in &sent {
        let key = s.order_key.clone().unwrap();
        let q = *queue_of_key.entry(key).or_insert(s.queue_id);
        assert_eq!(q, s.queue_id, "one order key, one queue: {s:?}");
    }

    // Every message is suspended once, then acknowledged: the queue must not move on
    // before its head is acknowledged.
    let mut c = ConsumeSpec::new(&topic, &unique("OrderlyG"));
    c.orderly = true;
    c.fail_first = 1;
    c.expect = sent.len() * 2;
    let run = client.consume(&c)?.finish(CONSUME_LIMIT).await?;
    let acked = acknowledged(&run.deliveries);
    assert_each_once(target.label(), &sent, &acked);

    let mut per_queue: BTreeMap<i32, Vec<&Delivery>> = BTreeMap::new();
    for d in &run.deliveries {
        per_queue.entry(d.mq_queue_id).or_default().push(d);
    }
    for (q, ds) in per_queue {
        // Pairs: (suspended, acknowledged) of the same message, in queue-offset order.
        assert_eq!(ds.len() % 2, 0, "queue {q}: {} deliveries", ds.len());
        let mut last = -1;
        for pair in ds.chunks(2) {
            let (first, again) = (&pair[0], &pair[1]);
            assert_eq!(
                first.message.msg_id, again.message.msg_id,
                "queue {q} moved on"
            );
            assert_eq!(first.status, "SUSPEND_CURRENT_QUEUE_A_MOMENT");
            assert_eq!(again.status, "SUCCESS");
            assert!(
                first.message.queue_offset > last,
                "queue {q}: offset {} after {last}",
                first.message.queue_offset
            );
            last = first.message.queue_offset;
        }
    }
    target.stop().await
}

async fn orderly_failures_go_to_dlq(version: JavaVersion) -> anyhow::Result<()> {
    let target = Target::start(version).await?;
    let client = target.client(version)?;
    let topic = unique("OrderlyDlq");
    let group = unique("OrderlyDlqG");
    target.create_topic(&topic, 1).await?;
    let mut spec = ProduceSpec::new(&topic, SendMode::Orderly, 2);
    spec.order_keys = 1;
    let sent = client.produce(&spec).await?;

    // An orderly consumer retries locally (SUSPEND_CURRENT_QUEUE_A_MOMENT) up to
    // maxReconsumeTimes, then sends the message back itself (SEND_MESSAGE_V2 to the
    // retry topic with reconsumeTimes >= maxReconsumeTimes), which the broker stores in the
    // DLQ; the queue then moves on.
    let mut c = ConsumeSpec::new(&topic, &group);
    c.orderly = true;
    c.fail_first = u32::MAX;
    c.max_reconsume = Some(1);
    let failing = client.consume(&c)?;
    failing
        .wait_deliveries(sent.len() * 2, CONSUME_LIMIT)
        .await?;
    let dlq_topic = format!("%DLQ%{group}");
    target.wait_for_route(&dlq_topic).await?;
    let mut dlq = ConsumeSpec::new(&dlq_topic, &unique("OrderlyDlqReader"));
    dlq.expect = sent.len();
    let dead = client.consume(&dlq)?.finish(CONSUME_LIMIT).await?;
    let failing = failing.stop().await?;

    assert_each_once(target.label(), &sent, &dead.deliveries);
    let order: Vec<(String, i32)> = failing
        .deliveries
        .iter()
        .map(|d| (d.message.msg_id.clone(), d.message.reconsume_times))
        .collect();
    let expected: Vec<(String, i32)> = sent
        .iter()
        .flat_map(|s| [(s.msg_id.clone(), 0), (s.msg_id.clone(), 1)])
        .collect();
    assert_eq!(
        order, expected,
        "local retries, in queue order, then the next message"
    );
    target.stop().await
}

async fn clustering_shares_the_queues(version: JavaVersion) -> anyhow::Result<()> {
    let target = Target::start(version).await?;
    let client = target.client(version)?;
    let topic = unique("Clustering");
    let group = unique("ClusteringG");
    target.create_topic(&topic, 4).await?;

    let mut spec = ConsumeSpec::new(&topic, &group);
    spec.instance = Some("c1".into());
    let c1 = client.consume(&spec)?;
    spec.instance = Some("c2".into());
    let c2 = client.consume(&spec)?;
    wait_for_group_size(&c1, &topic, 2).await?;
    wait_for_group_size(&c2, &topic, 2).await?;

    let sent = client
        .produce(&ProduceSpec::new(&topic, SendMode::Sync, 16))
        .await?;
    poll("16 deliveries in the group", CONSUME_LIMIT, async || {
        (c1.deliveries().len() + c2.deliveries().len() >= sent.len()).then_some(())
    })
    .await
    .map_err(|e| {
        e.context(format!(
            "c1: {}\nc2: {}",
            c1.diagnostics(),
            c2.diagnostics()
        ))
    })?;
    let r1 = c1.stop().await?;
    let r2 = c2.stop().await?;
    let all: Vec<Delivery> = r1
        .deliveries
        .iter()
        .chain(&r2.deliveries)
        .cloned()
        .collect();
    assert_each_once(target.label(), &sent, &all);
    assert!(
        !r1.deliveries.is_empty() && !r2.deliveries.is_empty(),
        "both consumers must get a share: {} and {}",
        r1.deliveries.len(),
        r2.deliveries.len()
    );
    let queues = |ds: &[Delivery]| -> BTreeSet<i32> { ds.iter().map(|d| d.mq_queue_id).collect() };
    let (q1, q2) = (queues(&r1.deliveries), queues(&r2.deliveries));
    assert!(
        q1.is_disjoint(&q2),
        "a queue consumed by both: {q1:?} {q2:?}"
    );
    target.stop().await
}

async fn clustering_member_leaves(version: JavaVersion) -> anyhow::Result<()> {
    let target = Target::start(version).await?;
    let client = target.client(version)?;
    let topic = unique("Leave");
    let group = unique("LeaveG");
    target.create_topic(&topic, 4).await?;
    let mut spec = ConsumeSpec::new(&topic, &group);
    spec.instance = Some("stays".into());
    let stays = client.consume(&spec)?;
    spec.instance = Some("leaves".into());
    let leaves = client.consume(&spec)?;
    wait_for_group_size(&stays, &topic, 2).await?;
    wait_for_group_size(&leaves, &topic, 2).await?;
    let first = client
        .produce(&ProduceSpec::new(&topic, SendMode::Sync, 8))
        .await?;
    poll("the first 8 deliveries", CONSUME_LIMIT, async || {
        (stays.deliveries().len() + leaves.deliveries().len() >= first.len()).then_some(())
    })
    .await?;

    // A clean shutdown persists the leaver's offsets and unregisters it: the broker tells
    // the other member, which takes every queue over from the committed offsets.
    let left = leaves.stop().await?;
    assert!(!left.deliveries.is_empty(), "the leaver had a share");
    wait_for_group_size(&stays, &topic, 1).await?;
    let mut p = ProduceSpec::new(&topic, SendMode::Sync, 8);
    p.body_prefix = "second".into();
    let second = client.produce(&p).await?;
    let all_sent: Vec<SentMessage> = first.iter().chain(&second).cloned().collect();
    stays
        .wait_for("every message", CONSUME_LIMIT, |ev| {
            let got: BTreeSet<&str> = ev
                .iter()
                .filter_map(|e| match e {
                    ConsumerEvent::Msg(d) => Some(d.message.msg_id.as_str()),
                    _ => None,
                })
                .collect();
            let left_ids: BTreeSet<&str> = left
                .deliveries
                .iter()
                .map(|d| d.message.msg_id.as_str())
                .collect();
            all_sent
                .iter()
                .all(|s| got.contains(s.msg_id.as_str()) || left_ids.contains(s.msg_id.as_str()))
        })
        .await?;
    let stayed = stays.stop().await?;
    let all: Vec<Delivery> = left
        .deliveries
        .iter()
        .chain(&stayed.deliveries)
        .cloned()
        .collect();
    assert_each_once(target.label(), &all_sent, &all);
    target.stop().await
}

async fn broadcasting_gives_everyone_everything(version: JavaVersion) -> anyhow::Result<()> {
    let target = Target::start(version).await?;
    let client = target.client(version)?;
    let topic = unique("Broadcast");
    let group = unique("BroadcastG");
    target.create_topic(&topic, 4).await?;
    let sent = client
        .produce(&ProduceSpec::new(&topic, SendMode::Sync, 12))
        .await?;

    let mut spec = ConsumeSpec::new(&topic, &group);
    spec.broadcast = true;
    spec.expect = sent.len();
    spec.instance = Some("b1".into());
    let b1 = client.consume(&spec)?;
    spec.instance = Some("b2".into());
    let b2 = client.consume(&spec)?;
    for run in [
        b1.finish(CONSUME_LIMIT).await?,
        b2.finish(CONSUME_LIMIT).await?,
    ] {
        assert_each_once(target.label(), &sent, &run.deliveries);
    }
    target.stop().await
}

async fn reconsume_later_goes_to_retry_then_dlq(version: JavaVersion) -> anyhow::Result<()> {
    let target = Target::start(version).await?;
    let client = target.client(version)?;
    let topic = unique("Retry");
    let group = unique("RetryG");
    let retry_topic = format!("%RETRY%{group}");
    let dlq_topic = format!("%DLQ%{group}");
    target.create_topic(&topic, 2).await?;
    // The Java consumer reads the retry topic's route when it starts; creating the topic
    // first (as the broker does on the group's first heartbeat) spares the client's 30 s
    // route refresh.
    target.create_topic(&retry_topic, 1).await?;
    let sent = client
        .produce(&ProduceSpec::new(&topic, SendMode::Sync, 2))
        .await?;

    // Always RECONSUME_LATER with delay level 1 (1 s), at most 2 reconsumes: each message
    // is delivered with reconsumeTimes 0, 1, 2 and then goes to the DLQ.
    let mut spec = ConsumeSpec::new(&topic, &group);
    spec.fail_first = u32::MAX;
    spec.max_reconsume = Some(2);
    spec.retry_delay_level = 1;
    let failing = client.consume(&spec)?;
    failing
        .wait_deliveries(sent.len() * 3, CONSUME_LIMIT)
        .await?;

    target.wait_for_route(&dlq_topic).await?;
    let mut dlq = ConsumeSpec::new(&dlq_topic, &unique("DlqReader"));
    dlq.expect = sent.len();
    let dead = client.consume(&dlq)?.finish(CONSUME_LIMIT).await?;
    let failing = failing.stop().await?;

    assert_each_once(target.label(), &sent, &dead.deliveries);
    for d in &dead.deliveries {
        let s = sent.iter().find(|s| s.msg_id == d.message.msg_id).unwrap();
        check_properties(
            version,
            &target,
            s,
            &d.message,
            Stored::Dlq { group: &group },
        );
        assert_eq!(d.mq_topic, dlq_topic);
        assert_eq!(d.message.topic, dlq_topic);
        assert!(d.message.reconsume_times >= 2, "{d:?}");
    }
    assert_eq!(
        failing.deliveries.len(),
        sent.len() * 3,
        "no delivery after the DLQ"
    );
    for s in &sent {
        let ds: Vec<&Delivery> = failing
            .deliveries
            .iter()
            .filter(|d| d.message.msg_id == s.msg_id)
            .collect();
        let times: Vec<i32> = ds.iter().map(|d| d.message.reconsume_times).collect();
        assert_eq!(times, [0, 1, 2], "reconsumeTimes of {}", s.msg_id);
        let from: Vec<&str> = ds.iter().map(|d| d.mq_topic.as_str()).collect();
        assert_eq!(from, [topic.as_str(), &retry_topic, &retry_topic]);
        for d in &ds {
            let stored = if d.message.reconsume_times == 0 {
                Stored::Plain
            } else {
                Stored::Retry { group: &group }
            };
            check_properties(version, &target, s, &d.message, stored);
            assert_eq!(d.status, "RECONSUME_LATER");
            assert_eq!(d.message.topic, topic, "the client restores the topic");
            let m = message_mismatches(s, &d.message);
            assert!(m.is_empty(), "retried message changed: {m:?}");
        }
        for w in ds.windows(2) {
            assert!(
                w[1].arrived_at >= w[0].arrived_at + 1000,
                "retry with delay level 1 (1 s) came after {} ms",
                w[1].arrived_at - w[0].arrived_at
            );
        }
    }
    target.stop().await
}

async fn delay_levels_are_not_early(version: JavaVersion) -> anyhow::Result<()> {
    let target = Target::start(version).await?;
    let client = target.client(version)?;
    let topic = unique("Delay");
    target.create_topic(&topic, 2).await?;
    let mut spec = ConsumeSpec::new(&topic, &unique("DelayG"));
    spec.expect = 4;
    let consumer = client.consume(&spec)?;
    consumer.wait_ready(CONSUME_LIMIT).await?;

    let mut sent = Vec::new();
    for level in [1, 2] {
        let mut p = ProduceSpec::new(&topic, SendMode::Sync, 2);
        p.delay_level = level;
        p.body_prefix = format!("delay{level}");
        sent.extend(client.produce(&p).await?);
    }
    let run = consumer.finish(CONSUME_LIMIT).await?;
    assert_each_once(target.label(), &sent, &run.deliveries);
    for d in &run.deliveries {
        let s = sent.iter().find(|s| s.msg_id == d.message.msg_id).unwrap();
        // Test delay levels: level n is n seconds.
        let due = d.message.born_timestamp + i64::from(s.delay_level) * 1000;
        assert!(
            d.arrived_at >= due,
            "level {} message arrived {} ms early",
            s.delay_level,
            due - d.arrived_at
        );
        assert_eq!(d.message.topic, topic);
        assert_eq!(d.mq_topic, topic);
        assert_eq!(
            d.message.queue_id, s.queue_id,
            "back in the queue it was sent to"
        );
        check_properties(version, &target, s, &d.message, Stored::Delayed);
    }
    target.stop().await
}

async fn query_by_key_and_id(version: JavaVersion) -> anyhow::Result<()> {
    let target = Target::start(version).await?;
    let client = target.client(version)?;
    let topic = unique("Query");
    target.create_topic(&topic, 2).await?;
    let shared = unique("shared");
    let mut spec = ProduceSpec::new(&topic, SendMode::Sync, 3);
    spec.keys = format!("qk-{{i}}-{shared} {shared}");
    let sent = client.produce(&spec).await?;
    let wait = Duration::from_secs(10);

    use interop::Lookup;
    let mut lookups = vec![Lookup::Key(shared.clone())];
    for s in &sent {
        lookups.push(Lookup::Key(format!("qk-{}-{shared}", s.index)));
    }
    let first = &sent[0];
    lookups.push(Lookup::Id(first.offset_msg_id.clone().unwrap()));
    lookups.push(Lookup::Id(first.msg_id.clone()));
    lookups.push(Lookup::Uniq(first.msg_id.clone()));
    let outcomes = client.query(&topic, &lookups, 1, wait).await?;

    let check = |what: &Lookup, found: &[interop::ReceivedMessage], expected: &[&SentMessage]| {
        let ids: BTreeSet<&str> = found.iter().map(|m| m.msg_id.as_str()).collect();
        let want: BTreeSet<&str> = expected.iter().map(|s| s.msg_id.as_str()).collect();
        assert_eq!(ids, want, "{what:?} on {}", target.label());
        for m in found {
            let s = expected.iter().find(|s| s.msg_id == m.msg_id).unwrap();
            let diff = message_mismatches(s, m);
            assert!(diff.is_empty(), "{what:?}: {diff:?}");
            assert_eq!(m.offset_msg_id, s.offset_msg_id, "{what:?}");
            assert_eq!((m.queue_id, m.queue_offset), (s.queue_id, s.queue_offset));
        }
    };
    let all: Vec<&SentMessage> = sent.iter().collect();
    // Keys: the shared key finds all three (the client asks for at least one, so allow the
    // index a moment: every message was acknowledged before the query started).
    check(&lookups[0], &outcomes[0].found, &all);
    for (i, s) in sent.iter().enumerate() {
        check(&lookups[i + 1], &outcomes[i + 1].found, &[s]);
    }
    for k in sent.len() + 1..lookups.len() {
        check(&lookups[k], &outcomes[k].found, &[first]);
    }
    // A key nobody used finds nothing (Java answers "no message" for it).
    let none = client
        .query(&topic, &[Lookup::Key(unique("absent"))], 1, Duration::ZERO)
        .await?;
    assert!(none[0].found.is_empty(), "{:?}", none[0]);
    assert!(none[0].error.is_some(), "the client reports no message");
    target.stop().await
}

async fn tag_and_sql_filters(version: JavaVersion) -> anyhow::Result<()> {
    let target = Target::start(version).await?;
    let client = target.client(version)?;
    let topic = unique("Filter");
    // One queue: messages are delivered in send order, so once the last matching message
    // (sent last) arrives, a wrongly passed earlier one would have arrived too.
    target.create_topic(&topic, 1).await?;
    let mut spec = ProduceSpec::new(&topic, SendMode::Sync, 8);
    spec.tags = "Tag{i}".into();
    spec.props.push(("num".into(), "{i}".into()));
    let sent = client.produce(&spec).await?;

    let mut by_tag = ConsumeSpec::new(&topic, &unique("TagG"));
    by_tag.expr = "Tag1 || Tag4 || Tag7".into();
    by_tag.expect = 3;
    let mut by_sql = ConsumeSpec::new(&topic, &unique("SqlG"));
    by_sql.sql = Some("num > 2 AND colour = 'blue' AND TAGS <> 'Tag5'".into());
    by_sql.expect = 4;
    let (tag_run, sql_run) = (client.consume(&by_tag)?, client.consume(&by_sql)?);
    let (tag_run, sql_run) =
        tokio::join!(tag_run.finish(CONSUME_LIMIT), sql_run.finish(CONSUME_LIMIT));
    let pick = |idx: &[usize]| -> Vec<SentMessage> {
        sent.iter()
            .filter(|s| idx.contains(&s.index))
            .cloned()
            .collect()
    };
    assert_each_once("tag filter", &pick(&[1, 4, 7]), &tag_run?.deliveries);
    assert_each_once("SQL92 filter", &pick(&[3, 4, 6, 7]), &sql_run?.deliveries);
    target.stop().await
}

async fn lite_broker_registers_with_java_namesrv(version: JavaVersion) -> anyhow::Result<()> {
    use broker_lite::broker::Broker;
    use interop::{JavaClient, JavaNameServer, ScratchDir, sdk_ops};
    use rocketmq::remoting::RemotingClient;

    let namesrv = JavaNameServer::start(version).await?;
    let dir = ScratchDir::new("broker-lite-java-namesrv")?;
    let config = broker_lite_support::lite_config(Some((&dir, &namesrv.addr())));
    let (cluster, name) = (config.cluster_name.clone(), config.broker_name.clone());
    let broker = Broker::start(tokio::net::TcpListener::bind("127.0.0.1:0").await?, config).await?;
    let sdk = RemotingClient::builder().build();
    let info = sdk_ops::wait_for_broker(&sdk, &namesrv.addr(), &name).await?;
    assert_eq!(
        info.broker_addr_table[&name].master_addr(),
        Some(broker.addr().to_string().as_str())
    );
    assert_eq!(
        info.cluster_addr_table[&cluster],
        std::slice::from_ref(&name)
    );

    let client = JavaClient::new(version, &namesrv.addr())?;
    let list = client.admin(&["clusterList"]).await?;
    assert!(
        list.contains(&cluster)
            && list.contains(&name)
            && list.contains(&broker.addr().to_string()),
        "{list}"
    );

    let topic = unique("ViaJavaNamesrv");
    sdk_ops::create_topic(&sdk, &broker.addr().to_string(), &topic, 4).await?;
    let route = sdk_ops::wait_for_route(&sdk, &namesrv.addr(), &topic).await?;
    assert_eq!(route.queues[0].write_queue_nums, 4);

    let sent = client
        .produce(&ProduceSpec::new(&topic, SendMode::Sync, 6))
        .await?;
    for s in &sent {
        assert_eq!(s.broker_name.as_deref(), Some(name.as_str()));
    }
    let mut spec = ConsumeSpec::new(&topic, &unique("ViaJavaNamesrvG"));
    spec.expect = sent.len();
    let run = client.consume(&spec)?.finish(CONSUME_LIMIT).await?;
    assert_each_once(
        "broker-lite via the Java name server",
        &sent,
        &run.deliveries,
    );

    // A clean shutdown unregisters from the Java name server.
    broker.shutdown().await;
    poll("unregistration", Duration::from_secs(30), async || {
        let info = sdk
            .call(
                &namesrv.addr(),
                &rocketmq::protocol::request::GetClusterInfo,
            )
            .await
            .ok()?;
        (!info.broker_addr_table.contains_key(&name)).then_some(())
    })
    .await?;
    namesrv.stop().await
}
