//! The SDK consumers against broker-lite in-process: push (concurrent and orderly,
//! clustering and broadcasting, retry to DLQ), offsets across restarts, offset reset,
//! lite pull and raw pull, and a build/close leak check.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod sdk_consumer_support;

use std::time::Duration;

use anyhow::Context;
use broker_lite::BrokerLite;
use broker_lite::config::BrokerLiteConfig;
use rocketmq::consumer::{ConsumeFrom, PushConsumer};
use sdk_consumer_support::{Env, Record, Recorder, exactly_once, unique};

const LIMIT: Duration = Duration::from_secs(60);

async fn lite() -> anyhow::Result<(BrokerLite, Env)> {
    let mut config = BrokerLiteConfig::default();
    config.broker.message_delay_level =
        "1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s".into();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_concurrent_exactly_once() -> anyhow::Result<()> {
    let (lite, env) = lite().await?;
    let topic = env.topic("h7_push", 4).await?;
    let sent = env.produce(&topic, 40, "TagA").await?;
    let record = Record::new();
    let consumer = PushConsumer::builder()
        .namesrv_addr(env.namesrv.as_str())
        .group(unique("h7_cg"))
        .subscribe(topic.as_str(), "TagA")
        .consume_from(ConsumeFrom::FirstOffset)
        .listener(Recorder {
            name: "a".into(),
            record: record.clone(),
            fail_below: 0,
        })
        .build()
        .await?;
    let got = record
        .wait_count(sent.len(), LIMIT)
        .await
        .context("deliveries")?;
    let expected: Vec<String> = (0..40).map(|i| format!("body-{i}")).collect();
    exactly_once(&got, &expected)?;
    consumer.close().await;
    lite.shutdown().await;
    Ok(())
}
