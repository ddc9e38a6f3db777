//! Orderly consumption: per-queue order across failures and a rebalance.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::ensure;
use interop::{ProduceSpec, SendMode};
use rocketmq::protocol::message::Message;

use super::{Got, Record, Target, in_queue_order, orderly_recorder, push, unique, wait_split};

/// Ordered sends (four order keys, so one queue per key) consumed in queue order, each
/// batch failing once, while a second member joins mid-stream and takes half the queues.
/// The Java producer sends when the target has the Java client, else the SDK's.
pub(crate) async fn orderly(t: &Target) -> anyhow::Result<()> {
    let env = &t.env;
    let topic = env.topic("h7_orderly", 4).await?;
    let group = unique("h7_orderly_cg");
    let record = Record::new();
    let member = |name: &str| {
        push(env, &group, &topic)
            .instance_name(name)
            .suspend_time(Duration::from_millis(100))
            .orderly_listener_fn(orderly_recorder(name, &record, |g| g.reconsume_times < 1))
    };
    let first = member("o1").build().await?;
    send_ordered(t, &topic, 0).await?;
    record
        .wait("half consumed", env.limit, |g| {
            g.iter().filter(|x| x.reconsume_times >= 1).count() >= 20
        })
        .await?;
    let second = member("o2").build().await?;
    send_ordered(t, &topic, 1).await?;
    let got = record
        .wait("80 successful deliveries", env.limit, |g| {
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
    ensure!(
        split.iter().all(|s| s.len() == 2),
        "orderly split {split:?}"
    );
    first.close().await;
    second.close().await;
    Ok(())
}

/// Batch `batch` (0 or 1) of 40 ordered sends over four order keys, distinct bodies.
async fn send_ordered(t: &Target, topic: &str, batch: usize) -> anyhow::Result<()> {
    if let Some(java) = t.java() {
        let mut spec = ProduceSpec::new(topic, SendMode::Orderly, 40);
        spec.order_keys = 4;
        if batch > 0 {
            spec.body_prefix = "late".into();
        }
        java.produce(&spec).await?;
        return Ok(());
    }
    let producer = t.env.producer().await?;
    for i in batch * 40..(batch + 1) * 40 {
        let mut m = Message::new(topic, format!("body-{i}"));
        m.set_keys([format!("k{i}")]);
        producer
            .send_ordered(m, &format!("order-{}", i % 4))
            .await?;
    }
    producer.close().await;
    Ok(())
}
