//! A push consumer (Java `quickstart.Consumer`): subscribes to a topic and prints every
//! message until Ctrl-C, then closes (offsets written, group left).
//!
//! ```text
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run -p examples --example consumer_push -- TopicTest "TagA || TagB"
//! ```

use rocketmq::consumer::{ConsumeFrom, ConsumeStatus, PushConsumer};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let topic = args.next().unwrap_or_else(|| "TopicTest".to_owned());
    let expression = args.next().unwrap_or_else(|| "*".to_owned());

    // The name server comes from NAMESRV_ADDR unless set with `.namesrv_addr(..)`.
    let consumer = PushConsumer::builder()
        .group("example_push")
        .subscribe(topic.as_str(), expression.as_str())
        .consume_from(ConsumeFrom::FirstOffset)
        .listener_fn(|msgs| async move {
            for m in &msgs {
                println!(
                    "{} queue={}:{} offset={} tags={:?} body={}",
                    m.msg_id(),
                    m.broker_name(),
                    m.queue_id(),
                    m.queue_offset(),
                    m.tags(),
                    String::from_utf8_lossy(m.body())
                );
            }
            ConsumeStatus::Success
        })
        .build()
        .await?;
    tokio::signal::ctrl_c().await?;
    consumer.close().await;
    Ok(())
}
