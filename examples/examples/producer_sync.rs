//! Sends messages one by one and waits for each (Java `Producer` quick start).
//!
//! ```text
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run -p examples --example producer_sync -- TopicTest 10
//! ```

use rocketmq::producer::Producer;
use rocketmq::protocol::message::Message;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let topic = args.next().unwrap_or_else(|| "TopicTest".to_owned());
    let count: usize = args.next().map_or(Ok(10), |n| n.parse())?;

    // The name server comes from NAMESRV_ADDR unless set with `.namesrv_addr(..)`.
    let producer = Producer::builder().group("example_sync").build().await?;
    for i in 0..count {
        let mut msg = Message::new(topic.as_str(), format!("Hello RocketMQ {i}"));
        msg.set_tags("TagA");
        msg.set_keys([format!("key-{i}")]);
        msg.put_user_property("index", i.to_string())?;
        let sent = producer.send(msg).await?;
        println!(
            "{:?} msg_id={} queue={}:{} offset={}",
            sent.status,
            sent.msg_id,
            sent.queue.broker_name,
            sent.queue.queue_id,
            sent.queue_offset
        );
    }
    producer.close().await;
    Ok(())
}
