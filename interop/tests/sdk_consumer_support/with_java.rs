//! The SDK push consumer reading what the real Java producer sent: content identical,
//! tag and SQL-92 filters applied by the broker.

use std::time::Duration;

use interop::{ProduceSpec, SendMode, SentMessage};
use rocketmq::consumer::Expression;

use super::{Env, Target, each_sent_once, push, recording, unique};

/// Java's producer sends plain, large (compressed) and differently tagged messages; the
/// SDK consumer subscribed to `TagA` gets each `TagA` message once, identical.
pub(crate) async fn java_producer(t: &Target) -> anyhow::Result<()> {
    let java = t.java_client()?;
    let topic = t.env.topic("h7_jprod", 4).await?;
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
    consume_each_once(&t.env, &topic, "TagA".into(), &sent, Duration::from_secs(1)).await
}

/// An SQL-92 subscription: the broker (with `enablePropertyFilter=true`) delivers only
/// the messages whose properties match.
pub(crate) async fn sql_filter(t: &Target) -> anyhow::Result<()> {
    let topic = t.env.topic("h7_jsql", 2).await?;
    let sent = t
        .java_client()?
        .produce(&ProduceSpec::new(&topic, SendMode::Sync, 20))
        .await?;
    let wanted: Vec<SentMessage> = sent
        .into_iter()
        .filter(|s| s.index == 3 || s.index >= 15)
        .collect();
    let sql = Expression::sql("n = 'v3' OR (idx >= 15 AND colour = 'blue')");
    consume_each_once(&t.env, &topic, sql, &wanted, Duration::from_secs(2)).await
}

/// A new group subscribed to `topic` with `expression` gets each of `wanted` once,
/// identical, and nothing else arrives within `settle` after the last.
async fn consume_each_once(
    env: &Env,
    topic: &str,
    expression: Expression,
    wanted: &[SentMessage],
    settle: Duration,
) -> anyhow::Result<()> {
    let builder = push(env, &unique("h7_jfilter_cg"), topic).subscribe(topic, expression);
    let (consumer, record) = recording(builder, "sdk").await?;
    record.wait_count(wanted.len(), env.limit).await?;
    tokio::time::sleep(settle).await;
    each_sent_once(wanted, &record.all())?;
    consumer.close().await;
    Ok(())
}
