//! The raw pull consumer (Java `DefaultMQPullConsumer`): read every queue of a topic from
//! the group's committed offset to the end, then commit.
//!
//! ```text
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run -p examples --example consumer_pull -- TopicTest
//! ```

use rocketmq::consumer::PullConsumer;
use rocketmq::protocol::request::PullStatus;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let topic = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "TopicTest".to_owned());
    let consumer = PullConsumer::builder()
        .group("example_pull")
        .build()
        .await?;
    for queue in consumer.queues(&topic).await? {
        let mut offset = consumer.committed_offset(&queue).await?.unwrap_or(0);
        loop {
            let found = consumer.pull(&queue, "*", offset, 32).await?;
            for m in &found.messages {
                println!(
                    "{}:{} {}",
                    queue.queue_id,
                    m.queue_offset(),
                    String::from_utf8_lossy(m.body())
                );
            }
            offset = found.next_begin_offset;
            if found.status != PullStatus::Found {
                break;
            }
        }
        consumer.commit_offset(&queue, offset).await?;
    }
    consumer.close().await;
    Ok(())
}
