//! Starts many sends at once and collects their results (Java `AsyncProducer`).
//!
//! ```text
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run -p examples --example producer_async -- TopicTest 100
//! ```

use rocketmq::producer::Producer;
use rocketmq::protocol::message::Message;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let topic = args.next().unwrap_or_else(|| "TopicTest".to_owned());
    let count: usize = args.next().map_or(Ok(100), |n| n.parse())?;

    let producer = Producer::builder()
        .group("example_async")
        // At most this many sends wait for their answers; further sends wait their turn.
        .max_async_in_flight(64)
        .build()
        .await?;
    let mut pending = Vec::with_capacity(count);
    for i in 0..count {
        let msg = Message::new(topic.as_str(), format!("async {i}"));
        pending.push(producer.send_async(msg).await?);
    }
    let mut ok = 0;
    for future in pending {
        match future.await {
            Ok(_) => ok += 1,
            Err(err) => eprintln!("send failed: {err}"),
        }
    }
    println!("{ok}/{count} sent");
    producer.close().await;
    Ok(())
}
