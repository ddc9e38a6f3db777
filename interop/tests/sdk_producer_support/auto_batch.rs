//! Automatic batching (`ProducerBuilder::auto_batch`): sends made one at a time leave in
//! fewer requests, and every caller gets its own message's result, pointing at the
//! message as stored.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use rocketmq::Error;
use rocketmq::producer::{Producer, SendContext, SendHook};
use rocketmq::protocol::message::Message;
use rocketmq::protocol::{MessageQueue, ResponseCode};

use super::names::unique;
use super::{Env, check_same, message, new_topic, pull_sent};

/// Counts the requests a producer sends, and the messages in them.
#[derive(Default)]
struct Requests {
    requests: AtomicUsize,
    batches: AtomicUsize,
}

struct Count(Arc<Requests>);

impl SendHook for Count {
    fn before_send(&self, ctx: &mut SendContext) {
        self.0.requests.fetch_add(1, Ordering::Relaxed);
        // A batch's own properties hold only `WAIT`; its body is the encoded messages.
        if ctx.message.tags().is_none() {
            self.0.batches.fetch_add(1, Ordering::Relaxed);
        }
    }
}

pub(super) async fn auto_batch(env: &Env) -> anyhow::Result<()> {
    let topic = new_topic(env, "SdkAutoBatch", super::QUEUES).await?;
    let requests = Arc::new(Requests::default());
    let producer = Producer::builder()
        .namesrv_addr(env.namesrv.clone())
        .group(unique("autobatch"))
        .auto_batch(true)
        .batch_max_delay(Duration::from_millis(50))
        .send_hook(Count(Arc::clone(&requests)))
        .build()
        .await?;

    // Asynchronous sends from one loop: while the first batch of each tag is on its way
    // (a network round trip), the loop holds the rest, so far fewer requests than
    // messages leave.
    const ASYNC: usize = 200;
    let mut pending = Vec::new();
    for i in 0..ASYNC {
        let m = message(&topic, i);
        pending.push((m.clone(), producer.send_async(m).await?));
    }
    let mut results = Vec::new();
    for (sent, future) in pending {
        results.push((sent, future.await?));
    }
    let sent_requests = requests.requests.load(Ordering::Relaxed);
    ensure!(
        sent_requests <= ASYNC / 2 && requests.batches.load(Ordering::Relaxed) > 0,
        "{sent_requests} requests ({} batches) for {ASYNC} messages",
        requests.batches.load(Ordering::Relaxed)
    );
    // Synchronous sends from many tasks at once, and sends to one queue.
    let queue = MessageQueue {
        topic: topic.clone(),
        broker_name: env.broker_name.clone(),
        queue_id: 1,
    };
    let mut tasks = Vec::new();
    for i in ASYNC..ASYNC + 40 {
        let producer = producer.clone();
        let queue = queue.clone();
        let m = message(&topic, i);
        tasks.push(tokio::spawn(async move {
            let result = if i % 2 == 0 {
                producer.send_to_queue(m.clone(), &queue).await
            } else {
                producer.send(m.clone()).await
            };
            (m, i, result)
        }));
    }
    for task in tasks {
        let (m, i, result) = task.await?;
        let result = result.with_context(|| format!("sync send {i}"))?;
        if i % 2 == 0 {
            ensure!(result.queue == queue, "send {i} to queue 1: {result:?}");
        }
        results.push((m, result));
    }
    // Every result names its own message where it is stored.
    for (sent, result) in &results {
        ensure!(result.queue.topic == topic, "{result:?}");
        check_same(sent, &pull_sent(env, result).await?, Some(result))
            .with_context(|| format!("message {:?}", sent.user_property("idx")))?;
    }
    let mut ids: Vec<&str> = results.iter().map(|(_, r)| r.msg_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    ensure!(ids.len() == results.len(), "message ids repeat");

    // A message the client refuses fails alone; one not batched (delayed) goes straight
    // out.
    match producer.send(Message::new(topic.clone(), "")).await {
        Err(Error::InvalidField { .. }) => {}
        other => bail!("empty body: {other:?}"),
    }
    let mut delayed = message(&topic, 900);
    delayed.set_delay_level(1);
    let before = requests.requests.load(Ordering::Relaxed);
    producer.send(delayed).await.context("delayed send")?;
    ensure!(requests.requests.load(Ordering::Relaxed) == before + 1);

    // A batch the broker refuses answers every sender in it with the refusal (auto
    // topic creation is off: the name server knows no such topic).
    let missing = unique("SdkAutoBatchMissing");
    let mut refused = Vec::new();
    for i in 0..20 {
        refused.push(producer.send_async(message(&missing, i)).await?);
    }
    for (i, future) in refused.into_iter().enumerate() {
        match future.await {
            Err(Error::Broker { code, .. }) if code == ResponseCode::TOPIC_NOT_EXIST => {}
            other => bail!("send {i} to a missing topic: {other:?}"),
        }
    }

    // Closing sends what is still held and answers it.
    let mut last = Vec::new();
    for i in 1000..1050 {
        let m = message(&topic, i);
        last.push((m.clone(), producer.send_async(m).await?));
    }
    producer.close().await;
    for (sent, future) in last {
        let result = future.await.context("send held at close")?;
        check_same(&sent, &pull_sent(env, &result).await?, Some(&result))?;
    }
    match producer.send(message(&topic, 2000)).await {
        Err(Error::Shutdown) => Ok(()),
        other => bail!("send after close: {other:?}"),
    }
}
