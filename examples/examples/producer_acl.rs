//! Sends messages to a broker with ACL enabled: every request is signed with an access key
//! and secret key (Java `AclClientRPCHook`). A refusal (bad secret, unknown key, no
//! permission on the topic) comes back as the broker's code and remark.
//!
//! ```text
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run -p examples --example producer_acl -- rocketmq2 12345678 TopicTest 3
//! ```

use rocketmq::acl::Credentials;
use rocketmq::producer::Producer;
use rocketmq::protocol::message::Message;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let access_key = args.next().unwrap_or_else(|| "rocketmq2".to_owned());
    let secret_key = args.next().unwrap_or_else(|| "12345678".to_owned());
    let topic = args.next().unwrap_or_else(|| "TopicTest".to_owned());
    let count: usize = args.next().map_or(Ok(3), |n| n.parse())?;

    // Credentials are only ever given explicitly; the name server comes from NAMESRV_ADDR
    // unless set with `.namesrv_addr(..)`.
    let producer = Producer::builder()
        .group("example_acl")
        .credentials(Credentials::new(access_key, secret_key))
        .build()
        .await?;
    for i in 0..count {
        match producer
            .send(Message::new(topic.as_str(), format!("Hello ACL {i}")))
            .await
        {
            Ok(sent) => println!("{:?} msg_id={}", sent.status, sent.msg_id),
            Err(err) if err.is_access_denied() => {
                eprintln!("refused by the broker's ACL: {err}");
                break;
            }
            Err(err) => return Err(err.into()),
        }
    }
    producer.close().await;
    Ok(())
}
