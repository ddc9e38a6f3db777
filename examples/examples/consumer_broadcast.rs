//! A broadcasting consumer (Java `broadcast.PushConsumer`): every member of the group gets
//! every message; offsets are kept in `~/.rocketmq_offsets/<client id>/<group>/offsets.json`.
//!
//! ```text
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run -p examples --example consumer_broadcast -- TopicTest
//! ```

use rocketmq::consumer::{ConsumeStatus, MessageModel, PushConsumer};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let topic = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "TopicTest".to_owned());
    let consumer = PushConsumer::builder()
        .group("example_broadcast")
        .message_model(MessageModel::Broadcasting)
        .subscribe(topic.as_str(), "*")
        .listener_fn(|msgs| async move {
            for m in &msgs {
                println!("{} {}", m.msg_id(), String::from_utf8_lossy(m.body()));
            }
            ConsumeStatus::Success
        })
        .build()
        .await?;
    tokio::signal::ctrl_c().await?;
    consumer.close().await;
    Ok(())
}
