//! Failing listeners: the retry schedule into the dead-letter queue (concurrent and
//! orderly), success after retries, and the consume timeout's send-back.

use std::sync::Arc;
use std::time::Duration;

use anyhow::ensure;
use rocketmq::consumer::ConsumeStatus;

use super::{Env, Got, Record, Recorder, orderly_recorder, push, unique};

/// A message failing every time arrives 1 + 2 times with growing reconsume counts, then
/// lands in `%DLQ%<group>` (read back with the SDK's pull consumer) and comes no more.
pub(crate) async fn retry_then_dlq(env: &Env) -> anyhow::Result<()> {
    retries(env, "h7_retry", i32::MAX, Some(2)).await
}

/// A message failing twice arrives three times (reconsume counts 0, 1, 2) and stays
/// consumed.
pub(crate) async fn retry_then_success(env: &Env) -> anyhow::Result<()> {
    retries(env, "h7_retry_ok", 2, None).await
}

/// Orderly: a message failing every time is retried in place (the reconsume count is
/// the consumer's own), and after the maximum goes to `%DLQ%<group>`; the queue then
/// moves on.
pub(crate) async fn orderly_dlq(env: &Env) -> anyhow::Result<()> {
    let topic = env.topic("h7_orderly_dlq", 1).await?;
    let group = unique("h7_orderly_dlq_cg");
    let record = Record::new();
    let consumer = push(env, &group, &topic)
        .max_reconsume_times(2)
        .suspend_time(Duration::from_millis(100))
        .orderly_listener_fn(orderly_recorder("o", &record, |g| {
            g.body_text() == "body-0"
        }))
        .build()
        .await?;
    env.produce(&topic, 2, "T").await?;
    let got = record
        .wait("body-1 after the DLQ", env.limit, |g| {
            g.iter().any(|x| x.body_text() == "body-1")
        })
        .await?;
    let first: Vec<i32> = got
        .iter()
        .filter(|g| g.body_text() == "body-0")
        .map(|g| g.reconsume_times)
        .collect();
    ensure!(first == [0, 1, 2], "body-0 deliveries {first:?}");
    let dlq = env.dead_letters(&group).await?;
    ensure!(
        dlq.len() == 1 && dlq[0].body_text() == "body-0",
        "DLQ: {dlq:?}"
    );
    consumer.close().await;
    Ok(())
}

/// A message held by the listener past the consume timeout is sent back and comes again
/// (with a reconsume count of 1) while the first call still runs.
pub(crate) async fn consume_timeout(env: &Env) -> anyhow::Result<()> {
    let topic = env.topic("h7_timeout", 1).await?;
    let record = Record::new();
    let sink = Arc::clone(&record);
    // First deliveries are held for 6 s, far past the 1 s timeout.
    let consumer = push(env, &unique("h7_timeout_cg"), &topic)
        .consume_timeout(Duration::from_secs(1))
        .listener_fn(move |msgs| {
            let first = msgs.iter().any(|m| m.reconsume_times() == 0);
            for m in &msgs {
                sink.push(Got::of("slow", m));
            }
            async move {
                if first {
                    tokio::time::sleep(Duration::from_secs(6)).await;
                }
                ConsumeStatus::Success
            }
        })
        .build()
        .await?;
    env.produce(&topic, 1, "T").await?;
    let got = record
        .wait("the redelivery", env.limit, |g| {
            g.iter().any(|x| x.reconsume_times >= 1)
        })
        .await?;
    ensure!(got[0].reconsume_times == 0 && got[0].body_text() == "body-0");
    consumer.close().await;
    Ok(())
}

/// One message to a fresh one-queue topic, consumed by a listener failing while its
/// reconsume count is below `fail_below`: it arrives three times (reconsume counts 0, 1,
/// 2, body and topic as sent). With `max` retries (`Some(2)`: the third delivery fails
/// too) it then lands in `%DLQ%<group>`. Either way it comes no more.
async fn retries(env: &Env, prefix: &str, fail_below: i32, max: Option<i32>) -> anyhow::Result<()> {
    let topic = env.topic(prefix, 1).await?;
    let group = unique(&format!("{prefix}_cg"));
    let record = Record::new();
    let mut builder = push(env, &group, &topic);
    if let Some(max) = max {
        builder = builder.max_reconsume_times(max);
    }
    let consumer = builder
        .listener(Recorder::new("r", &record).failing_below(fail_below))
        .build()
        .await?;
    env.produce(&topic, 1, "T").await?;
    let got = record.wait_count(3, env.limit).await?;
    let times: Vec<i32> = got.iter().map(|g| g.reconsume_times).collect();
    ensure!(times == [0, 1, 2], "reconsume counts {times:?}");
    ensure!(
        got.iter()
            .all(|g| g.body_text() == "body-0" && g.topic == topic)
    );
    if max.is_some() {
        let found = env.dead_letters(&group).await?;
        ensure!(
            found.len() == 1 && found[0].body_text() == "body-0",
            "DLQ: {found:?}"
        );
    }
    record
        .still(3, Duration::from_secs(2), "delivered again")
        .await?;
    consumer.close().await;
    Ok(())
}
