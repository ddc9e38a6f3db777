//! Helper of `scripts/bench-broker.sh`: small, fast measurements against any broker (Java
//! or broker-lite) through the SDK, so the script needs no JVM for them.
//!
//! ```text
//! bench-probe wait-port ADDR                    epoch ns when ADDR accepts a connection
//! bench-probe wait-serving ADDR                 epoch ns when ADDR answers a request
//!                                               (GET_BROKER_RUNTIME_INFO, any response code)
//! bench-probe wait-registered NAMESRV BROKER    epoch ns when NAMESRV's cluster info lists BROKER
//! bench-probe create-topic BROKER NAMESRV TOPIC QUEUES
//!                                               create TOPIC with QUEUES queues, wait for its route
//! bench-probe count BROKER TOPIC QUEUES         messages stored in TOPIC (sum of max offsets)
//! ```
//!
//! The waits poll every millisecond for at most 120 s, so start-up times in the tens of
//! milliseconds are measured, not rounded to a poll interval.

use std::net::TcpStream;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use interop::sdk_ops::{create_topic, wait_for_route};
use rocketmq::protocol::header::GetMaxOffsetRequestHeader;
use rocketmq::protocol::request::{GetClusterInfo, GetMaxOffset};
use rocketmq::protocol::{RemotingCommand, RequestCode};
use rocketmq::remoting::RemotingClient;

const LIMIT: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(1);

fn epoch_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

fn usage() -> anyhow::Error {
    anyhow::anyhow!(
        "usage: bench-probe wait-port ADDR | wait-serving ADDR | \
         wait-registered NAMESRV BROKER_NAME | \
         create-topic BROKER NAMESRV TOPIC QUEUES | count BROKER TOPIC QUEUES"
    )
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str).ok_or_else(usage);
    let deadline = Instant::now() + LIMIT;
    match arg(0)? {
        "wait-port" => {
            let addr = arg(1)?.parse().context("ADDR must be ip:port")?;
            while TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
                if Instant::now() > deadline {
                    bail!("{addr} did not accept within {LIMIT:?}");
                }
                std::thread::sleep(POLL);
            }
            println!("{}", epoch_ns());
        }
        "wait-serving" => {
            // A listener can be bound before the broker behind it is ready (the kernel
            // completes connections that nobody accepts yet): only an answer counts.
            let addr = arg(1)?;
            let client = RemotingClient::builder()
                .connect_timeout(Duration::from_millis(200))
                .build();
            loop {
                let request = RemotingCommand::request(RequestCode::GET_BROKER_RUNTIME_INFO);
                if client
                    .invoke(addr, request, Duration::from_millis(500))
                    .await
                    .is_ok()
                {
                    break;
                }
                if Instant::now() > deadline {
                    bail!("{addr} did not answer within {LIMIT:?}");
                }
                client.close_connection(addr).await;
                tokio::time::sleep(POLL).await;
            }
            println!("{}", epoch_ns());
        }
        "wait-registered" => {
            let (namesrv, broker) = (arg(1)?, arg(2)?);
            let client = RemotingClient::builder()
                .connect_timeout(Duration::from_millis(200))
                .request_timeout(Duration::from_secs(2))
                .build();
            loop {
                if let Ok(info) = client.call(namesrv, &GetClusterInfo).await
                    && info.broker_addr_table.get(broker).is_some()
                {
                    break;
                }
                if Instant::now() > deadline {
                    bail!("{broker} did not register with {namesrv} within {LIMIT:?}");
                }
                tokio::time::sleep(POLL).await;
            }
            println!("{}", epoch_ns());
        }
        "create-topic" => {
            let (broker, namesrv, topic) = (arg(1)?, arg(2)?, arg(3)?);
            let queues: i32 = arg(4)?.parse().context("QUEUES must be a number")?;
            let client = RemotingClient::builder().build();
            create_topic(&client, broker, topic, queues).await?;
            let route = wait_for_route(&client, namesrv, topic).await?;
            let writable: i32 = route.queues.iter().map(|q| q.write_queue_nums).sum();
            if writable != queues {
                bail!("{topic} has {writable} write queues in its route, expected {queues}");
            }
            println!("{topic}: {queues} queues");
        }
        "count" => {
            let (broker, topic) = (arg(1)?, arg(2)?);
            let queues: i32 = arg(3)?.parse().context("QUEUES must be a number")?;
            let client = RemotingClient::builder().build();
            let mut total = 0i64;
            for queue_id in 0..queues {
                let max = client
                    .call(
                        broker,
                        &GetMaxOffset(GetMaxOffsetRequestHeader {
                            topic: topic.to_owned(),
                            queue_id,
                            ..Default::default()
                        }),
                    )
                    .await
                    .with_context(|| format!("GET_MAX_OFFSET {topic}/{queue_id}"))?;
                total += max.offset;
            }
            println!("{total}");
        }
        _ => return Err(usage()),
    }
    Ok(())
}
