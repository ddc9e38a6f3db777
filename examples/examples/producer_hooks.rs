//! Send hooks and RPC hooks: observe every send attempt (Java `SendMessageHook`) and every
//! request on the wire (Java `RPCHook`, e.g. for ACL signing); plus latency fault
//! tolerance and a namespace.
//!
//! ```text
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run -p examples --example producer_hooks -- TopicTest
//! ```

use rocketmq::producer::{Producer, SendContext, SendHook, SendOutcome};
use rocketmq::protocol::RemotingCommand;
use rocketmq::protocol::message::Message;
use rocketmq::remoting::RpcHook;

fn micros_since_epoch() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros())
}

/// Prints each attempt with its round-trip time.
struct Timing;

impl SendHook for Timing {
    fn before_send(&self, ctx: &mut SendContext) {
        ctx.props
            .insert("start_us".into(), micros_since_epoch().to_string());
    }

    fn after_send(&self, ctx: &SendContext, outcome: SendOutcome<'_>) {
        let start: u128 = ctx
            .props
            .get("start_us")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        print!("[{} us] ", micros_since_epoch().saturating_sub(start));
        match outcome {
            SendOutcome::Sent(r) => println!(
                "{} -> {} ok, offset {}",
                ctx.queue.topic, ctx.broker_addr, r.queue_offset
            ),
            SendOutcome::Oneway => println!("{} -> {} (oneway)", ctx.queue.topic, ctx.broker_addr),
            SendOutcome::Failed(err) => {
                println!("{} -> {} failed: {err}", ctx.queue.topic, ctx.broker_addr)
            }
        }
    }
}

/// Adds a header field to every request (an ACL hook would sign the request here).
struct Tag;

impl RpcHook for Tag {
    fn before_request(&self, _addr: &str, request: &mut RemotingCommand) -> rocketmq::Result<()> {
        request.ext_fields_mut().insert("x-example", "1");
        Ok(())
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let topic = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "TopicTest".to_owned());
    let producer = Producer::builder()
        .group("example_hooks")
        .send_hook(Timing)
        .rpc_hook(Tag)
        .latency_fault_tolerance(true)
        .build()
        .await?;
    producer
        .send(Message::new(topic.as_str(), "observed"))
        .await?;
    producer.close().await;
    Ok(())
}
