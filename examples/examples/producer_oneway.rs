//! Fire-and-forget sends: no answer, no retry (Java `OnewayProducer`), e.g. for logs.
//!
//! ```text
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run -p examples --example producer_oneway -- TopicTest 10
//! ```

use rocketmq::producer::Producer;
use rocketmq::protocol::message::Message;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let topic = args.next().unwrap_or_else(|| "TopicTest".to_owned());
    let count: usize = args.next().map_or(Ok(10), |n| n.parse())?;

    let producer = Producer::builder().group("example_oneway").build().await?;
    for i in 0..count {
        producer
            .send_oneway(Message::new(topic.as_str(), format!("log line {i}")))
            .await?;
    }
    println!("{count} messages written");
    producer.close().await;
    Ok(())
}
