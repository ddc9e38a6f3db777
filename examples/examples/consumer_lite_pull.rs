//! The lite pull consumer (Java `LitePullConsumerSubscribe` / `LitePullConsumerAssign`):
//! poll batches as a `Stream`, commit by hand; or assign a queue and seek in it.
//!
//! ```text
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run -p examples --example consumer_lite_pull -- TopicTest
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run -p examples --example consumer_lite_pull -- TopicTest assign
//! ```

use futures_util::StreamExt;
use rocketmq::consumer::{ConsumeFrom, LitePullConsumer};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let topic = args.next().unwrap_or_else(|| "TopicTest".to_owned());
    let assign = args.next().as_deref() == Some("assign");

    let consumer = LitePullConsumer::builder()
        .group("example_lite_pull")
        .consume_from(ConsumeFrom::FirstOffset)
        .auto_commit(false)
        .build()
        .await?;
    if assign {
        // Read the first queue from its beginning, 32 at a time.
        let queues = consumer.queues(&topic).await?;
        let first = queues.first().cloned();
        if let Some(queue) = first {
            consumer.assign(std::slice::from_ref(&queue)).await?;
            consumer.seek_to_begin(&queue).await?;
            for m in consumer.poll().await? {
                println!("{} {}", m.queue_offset(), String::from_utf8_lossy(m.body()));
            }
        }
    } else {
        consumer.subscribe(&topic, "*").await?;
        let mut stream = Box::pin(consumer.stream().take(100));
        let mut seen = 0;
        while let Some(m) = stream.next().await {
            println!(
                "{}:{} {}",
                m.queue_id(),
                m.queue_offset(),
                String::from_utf8_lossy(m.body())
            );
            seen += 1;
            if seen % 10 == 0 {
                consumer.commit_sync().await?;
            }
        }
        consumer.commit_sync().await?;
    }
    consumer.close().await;
    Ok(())
}
