//! Acceptance of broker-lite's transactions by the real Java `TransactionMQProducer`, 4.9.8
//! and 5.x (our program `TransactionProduce`): half messages committed or rolled back by the
//! local transaction at once, and left unknown then settled when broker-lite checks back
//! (CHECK_TRANSACTION_STATE) with the producer's `checkLocalTransaction` answering commit or
//! rollback. The topic is then read with the Java push consumer: committed messages arrive
//! once with the body, keys and tags they were sent with; rolled-back ones never arrive.
//!
//! `INTEROP_BROKER=java cargo test -p interop --test broker_lite_java_tx` runs the same test
//! against the real Java broker (its own check timing: about a minute).
//! Fails (never skips) when Java or the cache from scripts/fetch-java.sh is missing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod broker_lite_support;

use std::collections::BTreeMap;
use std::time::Duration;

use broker_lite_support::{Target, unique};
use interop::{ConsumeSpec, JavaVersion, TxMode, TxSpec};

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

for_each_version!(transactions_commit_rollback_and_check);

async fn transactions_commit_rollback_and_check(version: JavaVersion) -> anyhow::Result<()> {
    let target = Target::start_with(version, |broker| {
        broker.transaction_timeout = Duration::from_secs(1);
        broker.transaction_check_interval = Duration::from_secs(1);
    })
    .await?;
    let client = target.client(version)?;
    let topic = unique("Tx");
    target.create_topic(&topic, 2).await?;

    // Two messages of each mode, interleaved.
    let mut spec = TxSpec::new(&topic, &unique("TxProducer"), &TxMode::ALL, 8);
    if matches!(target, Target::Java(_)) {
        // The Java broker checks a minute after the send at the earliest.
        spec.check_timeout = Duration::from_secs(150);
    }
    let run = client.transaction_produce(&spec).await?;
    let mode_of = |i: usize| TxMode::ALL[i % TxMode::ALL.len()];

    for s in &run.sent {
        let mode = mode_of(s.index);
        assert_eq!(s.mode, mode.arg(), "{s:?}");
        assert_eq!(s.send_status.as_deref(), Some("SEND_OK"), "{s:?}");
        let local = match mode {
            TxMode::Commit => "COMMIT_MESSAGE",
            TxMode::Rollback => "ROLLBACK_MESSAGE",
            TxMode::UnknownCommit | TxMode::UnknownRollback => "UNKNOW",
        };
        assert_eq!(s.local_state.as_deref(), Some(local), "{s:?}");
        // Like the Java broker of each release: 5.x answers the half message's send with
        // `transactionId` = its unique id, 4.9.8 leaves the field out.
        let expected_tx_id = match version {
            JavaVersion::V4_9_8 => None,
            _ => Some(s.msg_id.as_str()),
        };
        assert_eq!(s.transaction_id.as_deref(), expected_tx_id, "{s:?}");
    }

    // Only the unknown messages are checked, each answered as its mode says, and the check
    // carries the message as it was sent.
    for c in &run.checks {
        let s = usize::try_from(c.index)
            .ok()
            .and_then(|i| run.sent.get(i))
            .unwrap_or_else(|| panic!("check of an unknown message: {c:?}"));
        assert!(
            mode_of(s.index).needs_check(),
            "{} checked a message its producer had settled: {c:?}",
            target.label()
        );
        assert_eq!(c.msg_id.as_deref(), Some(s.msg_id.as_str()), "{c:?}");
        assert_eq!(c.topic.as_deref(), Some(topic.as_str()), "{c:?}");
        let answer = if mode_of(s.index).commits() {
            "COMMIT_MESSAGE"
        } else {
            "ROLLBACK_MESSAGE"
        };
        assert_eq!(c.answer, answer, "{c:?}");
    }
    for s in &run.sent {
        if mode_of(s.index).needs_check() {
            assert!(
                run.checks.iter().any(|c| c.index == s.index as i64),
                "never checked: {s:?}"
            );
        }
    }

    // Read the topic: the committed messages arrive, then a few more check rounds pass to
    // give a wrongly committed message the time to show up too.
    let committed: BTreeMap<&str, _> = run
        .sent
        .iter()
        .filter(|s| mode_of(s.index).commits())
        .map(|s| (s.msg_id.as_str(), s))
        .collect();
    let consumer = client.consume(&ConsumeSpec::new(&topic, &unique("TxConsumer")))?;
    consumer
        .wait_deliveries(committed.len(), CONSUME_LIMIT)
        .await?;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let got = consumer.stop().await?.deliveries;

    let mut seen = BTreeMap::new();
    for d in &got {
        let m = &d.message;
        let Some(s) = committed.get(m.msg_id.as_str()) else {
            let what = run.sent.iter().find(|s| s.msg_id == m.msg_id);
            panic!(
                "{} delivered a message that was not committed: {m:?}\nsent as {what:?}",
                target.label()
            );
        };
        assert_eq!(m.topic, topic, "{m:?}");
        assert_eq!(m.body, s.body, "body of {s:?}");
        assert_eq!(m.keys, s.keys, "keys of {s:?}");
        assert_eq!(m.tags, s.tags, "tags of {s:?}");
        assert_eq!(
            m.properties.get("idx").map(String::as_str),
            Some(s.index.to_string().as_str()),
            "{m:?}"
        );
        *seen.entry(s.index).or_insert(0) += 1;
    }
    for s in committed.values() {
        assert_eq!(
            seen.get(&s.index),
            Some(&1),
            "{}: committed message {} ({}) delivered {:?} times",
            target.label(),
            s.index,
            s.mode,
            seen.get(&s.index)
        );
    }
    target.stop().await
}
