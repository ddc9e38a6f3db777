//! Per-key ordered messages (Java `ordermessage.Producer`): every message of one order
//! goes to the same queue, so an orderly consumer sees them in send order.
//!
//! ```text
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run -p examples --example producer_ordered -- TopicTest
//! ```

use rocketmq::producer::Producer;
use rocketmq::protocol::message::Message;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let topic = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "TopicTest".to_owned());
    let producer = Producer::builder().group("example_ordered").build().await?;
    for order in 0..5 {
        let key = format!("order-{order}");
        for step in ["created", "paid", "shipped", "delivered"] {
            let mut msg = Message::new(topic.as_str(), format!("{key} {step}"));
            msg.set_keys([key.as_str()]);
            let sent = producer.send_ordered(msg, &key).await?;
            println!(
                "{key} {step} -> queue {} offset {}",
                sent.queue.queue_id, sent.queue_offset
            );
        }
    }
    producer.close().await;
    Ok(())
}
