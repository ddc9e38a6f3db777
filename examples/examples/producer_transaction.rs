//! Transactional messages (Java `TransactionProducer`): the message is delivered only if
//! the local transaction commits; undecided ones are resolved when the broker asks.
//!
//! ```text
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run -p examples --example producer_transaction -- TopicTest
//! ```

use std::time::Duration;

use rocketmq::producer::{LocalTransactionState, TransactionProducer};
use rocketmq::protocol::message::{Message, StoredMessage};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let topic = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "TopicTest".to_owned());
    // Called by the broker for transactions left undecided (here: the "maybe" ones).
    let checker = |half: StoredMessage| async move {
        println!("broker asks about {:?}", half.message.unique_key());
        LocalTransactionState::Commit
    };
    let producer = TransactionProducer::builder(checker)
        .group("example_tx")
        .build()
        .await?;
    for (body, decision) in [
        ("pay order 1", LocalTransactionState::Commit),
        ("pay order 2", LocalTransactionState::Rollback),
        ("pay order 3 (maybe)", LocalTransactionState::Unknown),
    ] {
        let result = producer
            .send(Message::new(topic.as_str(), body), |msg: &Message| {
                println!("local transaction for {:?}", msg.unique_key());
                async move { decision }
            })
            .await?;
        println!("{body}: {:?}", result.local_state);
    }
    // Stay up until the broker's check of the undecided one (about a minute by default).
    tokio::time::sleep(Duration::from_secs(90)).await;
    producer.close().await;
    Ok(())
}
