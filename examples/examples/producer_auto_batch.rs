//! Automatic batching (Java 5.x `setAutoBatch(true)`): many tasks each send one message
//! at a time and wait for it, and the producer carries their messages to the broker in
//! shared batch requests. Each task still gets its own message's id and offset. A send
//! hook counts the requests.
//!
//! ```text
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run -p examples --example producer_auto_batch -- TopicTest 16 2000
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rocketmq::producer::{Producer, SendContext, SendHook};
use rocketmq::protocol::message::Message;

/// Counts the send requests that leave the producer.
struct CountRequests(Arc<AtomicUsize>);

impl SendHook for CountRequests {
    fn before_send(&self, _ctx: &mut SendContext) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let topic = args.next().unwrap_or_else(|| "TopicTest".to_owned());
    let senders: usize = args.next().map_or(Ok(16), |n| n.parse())?;
    let per_sender: usize = args.next().map_or(Ok(2000), |n| n.parse())?;

    let requests = Arc::new(AtomicUsize::new(0));
    let producer = Producer::builder()
        .group("example_auto_batch")
        .auto_batch(true)
        // A message waits at most this long for its batch (Java's default is 10 ms).
        .batch_max_delay(Duration::from_millis(5))
        .send_hook(CountRequests(Arc::clone(&requests)))
        .build()
        .await?;

    let started = Instant::now();
    let mut tasks = Vec::new();
    for s in 0..senders {
        let producer = producer.clone();
        let topic = topic.clone();
        tasks.push(tokio::spawn(async move {
            let mut last = None;
            for i in 0..per_sender {
                let sent = producer
                    .send(Message::new(
                        topic.as_str(),
                        format!("sender {s} message {i}"),
                    ))
                    .await?;
                last = Some(sent);
            }
            anyhow::Ok(last)
        }));
    }
    for task in tasks {
        if let Some(sent) = task.await?? {
            println!(
                "last of a sender: {} at {:?} offset {}",
                sent.msg_id, sent.queue, sent.queue_offset
            );
        }
    }
    let elapsed = started.elapsed();
    let total = senders * per_sender;
    println!(
        "{total} messages in {} requests, {:.0} msg/s",
        requests.load(Ordering::Relaxed),
        total as f64 / elapsed.as_secs_f64()
    );
    producer.close().await;
    Ok(())
}
