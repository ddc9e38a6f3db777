//! The SDK push consumer against the real Java name server and broker (4.9.8 and the
//! newest 5.x in the cache), next to the real Java client: messages from the Java producer
//! consumed once with identical content, a group shared with Java push consumers, orderly
//! order across failures and a rebalance, the retry schedule into the DLQ, broadcasting,
//! `mqadmin resetOffsetByTime` moving the running consumer, `mqadmin consumerStatus`
//! showing its running info, and close/reopen resuming from the committed offset.
//! The same scenarios run against broker-lite with the Java client 5.x and Java's mqadmin.
//! The scenarios live in `sdk_consumer_support`.
//!
//! The broker runs with every delay level at one second (`messageDelayLevel`), so the
//! retry schedule takes seconds. Fails (never skips) when Java RocketMQ is not in the cache.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod sdk_consumer_support;

use anyhow::Context;
use interop::JavaVersion;
use sdk_consumer_support::{Target, common_scenarios, mixed, offsets, with_java};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumers_against_java_4_9_8() -> anyhow::Result<()> {
    against_java(JavaVersion::V4_9_8).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumers_against_java_5() -> anyhow::Result<()> {
    against_java(JavaVersion::V5).await
}

/// The same scenarios with broker-lite as name server and broker, the Java client 5.x
/// next to the SDK, Java's mqadmin talking to broker-lite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumers_against_broker_lite_with_java_clients() -> anyhow::Result<()> {
    let mut config = Target::quick_retries();
    config.broker.enable_property_filter = true;
    let target = Target::start_lite(config)
        .await?
        .with_java_client(JavaVersion::V5)?;
    let result = scenarios(&target).await;
    target.finish(result).await
}

async fn against_java(version: JavaVersion) -> anyhow::Result<()> {
    let delays = ["1s"; 18].join(" ");
    let conf = [
        ("messageDelayLevel", delays.as_str()),
        ("enablePropertyFilter", "true"),
    ];
    let target = Target::start_java(version, &conf)
        .await?
        .with_java_client(version)?;
    let result = scenarios(&target).await;
    target.finish(result).await
}

async fn scenarios(t: &Target) -> anyhow::Result<()> {
    with_java::java_producer(t)
        .await
        .context("Java producer -> SDK")?;
    mixed::mixed_group(t)
        .await
        .context("group shared with Java")?;
    for strategy in ["AVG_BY_CIRCLE", "CONSISTENT_HASH"] {
        mixed::strategy_shared(t, strategy)
            .await
            .with_context(|| format!("{strategy} shared with Java"))?;
    }
    with_java::sql_filter(t)
        .await
        .context("SQL92 subscription")?;
    offsets::consumer_status(t)
        .await
        .context("mqadmin consumerStatus")?;
    common_scenarios(t).await
}
