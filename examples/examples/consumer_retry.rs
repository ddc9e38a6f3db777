//! Redelivery (Java `ConsumeConcurrentlyStatus.RECONSUME_LATER`): a failed message comes
//! back through the group's retry topic with a growing reconsume count and, after the
//! maximum, lands in `%DLQ%<group>`. Also shows a consume hook and partial success.
//!
//! ```text
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run -p examples --example consumer_retry -- TopicTest
//! ```

use rocketmq::consumer::{
    ConsumeContext, ConsumeHook, ConsumeHookContext, ConsumeStatus, MessageListener, PushConsumer,
    ReceivedMessage,
};

/// Fails every message whose body contains "fail"; in a batch, acknowledges the ones
/// before the first failure.
struct Picky;

impl MessageListener for Picky {
    async fn consume(&self, msgs: Vec<ReceivedMessage>, ctx: &mut ConsumeContext) -> ConsumeStatus {
        for (i, m) in msgs.iter().enumerate() {
            let body = String::from_utf8_lossy(m.body());
            if body.contains("fail") {
                println!(
                    "{} attempt {}: failing",
                    m.msg_id(),
                    m.reconsume_times() + 1
                );
                if i == 0 {
                    return ConsumeStatus::ReconsumeLater;
                }
                ctx.set_ack_index(i - 1);
                return ConsumeStatus::Success;
            }
            println!("{} ok: {body}", m.msg_id());
        }
        ConsumeStatus::Success
    }
}

/// Times each batch (Java `ConsumeMessageHook`).
struct Timing;

impl ConsumeHook for Timing {
    fn name(&self) -> &str {
        "timing"
    }

    fn after(&self, ctx: &ConsumeHookContext<'_>) {
        println!(
            "  {} messages of {:?}: {:?} in {:?}",
            ctx.messages.len(),
            ctx.queue,
            ctx.status,
            ctx.elapsed
        );
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let topic = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "TopicTest".to_owned());
    let consumer = PushConsumer::builder()
        .group("example_retry")
        .subscribe(topic.as_str(), "*")
        .consume_batch_size(4)
        .max_reconsume_times(3)
        .consume_hook(Timing)
        .listener(Picky)
        .build()
        .await?;
    tokio::signal::ctrl_c().await?;
    consumer.close().await;
    Ok(())
}
