//! The main job, self-contained: starts broker-lite (name server + broker) in this
//! process over a temporary directory, sends messages with the SDK's producer and reads
//! them back with a push consumer. Nothing else needs to run.
//!
//! ```text
//! cargo run -p examples --example quickstart -- 10
//! ```

use std::time::Duration;

use broker_lite::BrokerLite;
use rocketmq::consumer::{ConsumeFrom, ConsumeStatus, PushConsumer};
use rocketmq::producer::Producer;
use rocketmq::protocol::message::Message;
use tokio::sync::mpsc;

const TOPIC: &str = "QuickStart";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let count: usize = std::env::args().nth(1).map_or(Ok(10), |n| n.parse())?;

    let broker = BrokerLite::start().await?;
    let namesrv = broker.namesrv_addr().to_string();
    println!(
        "broker-lite: name server {namesrv}, broker {}, store {}",
        broker.broker_addr(),
        broker.dir().display()
    );

    // The topic is created on the first send (auto-create is on by default).
    let producer = Producer::builder()
        .namesrv_addr(namesrv.as_str())
        .group("quickstart_producer")
        .build()
        .await?;
    for i in 0..count {
        let mut msg = Message::new(TOPIC, format!("Hello RocketMQ {i}"));
        msg.set_tags("TagA");
        msg.set_keys([format!("key-{i}")]);
        let sent = producer.send(msg).await?;
        println!(
            "sent     {:?} msg_id={} queue={} offset={}",
            sent.status, sent.msg_id, sent.queue.queue_id, sent.queue_offset
        );
    }

    let (tx, mut rx) = mpsc::unbounded_channel();
    let consumer = PushConsumer::builder()
        .namesrv_addr(namesrv.as_str())
        .group("quickstart_consumer")
        .subscribe(TOPIC, "TagA")
        .consume_from(ConsumeFrom::FirstOffset)
        .listener_fn(move |msgs| {
            let tx = tx.clone();
            async move {
                for m in msgs {
                    let line = format!(
                        "received msg_id={} queue offset={} body={:?}",
                        m.msg_id(),
                        m.queue_offset(),
                        String::from_utf8_lossy(m.body())
                    );
                    if tx.send(line).is_err() {
                        return ConsumeStatus::ReconsumeLater;
                    }
                }
                ConsumeStatus::Success
            }
        })
        .build()
        .await?;

    let mut received = 0;
    while received < count {
        match tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
            Ok(Some(line)) => {
                println!("{line}");
                received += 1;
            }
            _ => anyhow::bail!("only {received} of {count} messages arrived within 30 s"),
        }
    }
    println!("all {count} messages sent and consumed");

    consumer.close().await;
    producer.close().await;
    broker.shutdown().await;
    Ok(())
}
