//! Large bodies are compressed above a threshold (4 KiB by default); the algorithm is
//! selectable (ZLIB by default, LZ4 and ZSTD for 4.9.4+ consumers).
//!
//! ```text
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run -p examples --example producer_compression -- TopicTest zstd
//! ```

use rocketmq::producer::Producer;
use rocketmq::protocol::message::{CompressionType, Message};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let topic = args.next().unwrap_or_else(|| "TopicTest".to_owned());
    let kind = args.next().unwrap_or_else(|| "zlib".to_owned());
    let compression = CompressionType::from_name(&kind)
        .ok_or_else(|| anyhow::anyhow!("unknown compression {kind}: zlib, lz4 or zstd"))?;
    let producer = Producer::builder()
        .group("example_compression")
        .compression(compression)
        .compress_threshold(4096)
        .build()
        .await?;
    let body = "a fairly repetitive report line\n".repeat(1000);
    let sent = producer.send(Message::new(topic.as_str(), body)).await?;
    println!(
        "sent {} compressed with {}",
        sent.msg_id,
        compression.name()
    );
    producer.close().await;
    Ok(())
}
