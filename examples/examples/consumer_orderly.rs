//! An orderly consumer (Java `ordermessage.Consumer`): each queue is consumed in order,
//! one batch at a time, while this consumer holds the queue's lock on the broker. A batch
//! that cannot be handled yet is suspended and comes again. Pairs with `producer_ordered`.
//!
//! ```text
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run -p examples --example consumer_orderly -- TopicTest
//! ```

use std::time::Duration;

use rocketmq::consumer::{
    ConsumeFrom, OrderlyContext, OrderlyListener, OrderlyStatus, PushConsumer, ReceivedMessage,
};

/// Prints each message; suspends the first delivery of every fifth message to show the
/// retry in place.
struct Steps;

impl OrderlyListener for Steps {
    async fn consume(&self, msgs: Vec<ReceivedMessage>, ctx: &mut OrderlyContext) -> OrderlyStatus {
        for m in &msgs {
            if m.queue_offset() % 5 == 0 && m.reconsume_times() == 0 {
                println!(
                    "queue {} offset {}: not yet",
                    m.queue_id(),
                    m.queue_offset()
                );
                ctx.set_suspend_time(Duration::from_millis(500));
                return OrderlyStatus::Suspend;
            }
            println!(
                "queue {} offset {}: {}",
                m.queue_id(),
                m.queue_offset(),
                String::from_utf8_lossy(m.body())
            );
        }
        OrderlyStatus::Success
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let topic = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "TopicTest".to_owned());
    let consumer = PushConsumer::builder()
        .group("example_orderly")
        .subscribe(topic.as_str(), "*")
        .consume_from(ConsumeFrom::FirstOffset)
        .orderly_listener(Steps)
        .build()
        .await?;
    tokio::signal::ctrl_c().await?;
    consumer.close().await;
    Ok(())
}
