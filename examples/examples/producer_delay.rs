//! Delayed messages: a delay level (every broker; level 3 is 10 s by default) and, on 5.x
//! brokers, an exact delivery time (Java `ScheduledMessageProducer`, `TimerMessageProducer`).
//!
//! ```text
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run -p examples --example producer_delay -- TopicTest
//! ```

use std::time::{Duration, SystemTime};

use rocketmq::producer::Producer;
use rocketmq::protocol::message::Message;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let topic = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "TopicTest".to_owned());
    let producer = Producer::builder().group("example_delay").build().await?;

    let mut by_level = Message::new(topic.as_str(), "delivered in 10 s");
    by_level.set_delay_level(3);
    producer.send(by_level).await?;

    // 5.x brokers only: delivered at a given time.
    let mut at_time = Message::new(topic.as_str(), "delivered in 30 s");
    at_time.set_deliver_time(SystemTime::now() + Duration::from_secs(30));
    producer.send(at_time).await?;

    println!("sent; watch them arrive later");
    producer.close().await;
    Ok(())
}
