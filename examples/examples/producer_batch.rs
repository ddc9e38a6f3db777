//! Sends many small messages in few requests (Java `SimpleBatchProducer` and
//! `SplitBatchProducer`): `send_batch` for one batch, `send_batch_split` to cut a long list
//! into batches under the size limit.
//!
//! ```text
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run -p examples --example producer_batch -- TopicTest 1000
//! ```

use rocketmq::producer::Producer;
use rocketmq::protocol::message::Message;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let topic = args.next().unwrap_or_else(|| "TopicTest".to_owned());
    let count: usize = args.next().map_or(Ok(1000), |n| n.parse())?;

    let producer = Producer::builder().group("example_batch").build().await?;
    let small: Vec<Message> = (0..3)
        .map(|i| Message::new(topic.as_str(), format!("batch item {i}")))
        .collect();
    let sent = producer.send_batch(small).await?;
    println!("one batch: ids {}", sent.msg_id);

    let many: Vec<Message> = (0..count)
        .map(|i| Message::new(topic.as_str(), vec![b'x'; 1024 + i % 100]))
        .collect();
    let results = producer.send_batch_split(many).await?;
    println!("{count} messages in {} batches", results.len());
    producer.close().await;
    Ok(())
}
