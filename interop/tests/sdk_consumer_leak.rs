//! Leak check: 200 build/close cycles of an SDK producer (plain and automatically
//! batching, in turn) and push consumer against broker-lite in-process leave no tokio
//! tasks, file descriptors or memory growth behind.
//! Alone in its test binary, so the process-wide counts (descriptors, memory) are not
//! disturbed by other tests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod sdk_consumer_support;

use std::time::Duration;

use anyhow::{Context, ensure};
use broker_lite::config::BrokerLiteConfig;
use sdk_consumer_support::{Target, push_plain};

const LIMIT: Duration = Duration::from_secs(60);

/// Counts of what the process holds: tokio tasks alive, open file descriptors, resident
/// memory in KiB. The in-process broker's own store files (it opens a queue's file when
/// it first writes or flushes it) are not the clients' and are left out.
fn counts() -> (usize, usize, u64) {
    let tasks = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    let store = std::env::temp_dir().join("broker-lite-");
    let store = store.to_string_lossy();
    let fds = std::fs::read_dir("/proc/self/fd").map_or(0, |dir| {
        dir.filter_map(Result::ok)
            .filter(|fd| {
                std::fs::read_link(fd.path())
                    .map_or(true, |to| !to.to_string_lossy().starts_with(store.as_ref()))
            })
            .count()
    });
    let pages: u64 = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|p| p.parse().ok()))
        .unwrap_or(0);
    (tasks, fds, pages * 4)
}

/// Builds and closes a producer and a push consumer (each with its own client) 200
/// times; afterwards the process holds as many tasks and sockets as before and its memory
/// grew by less than 32 MiB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_close_cycles_leave_nothing_behind() -> anyhow::Result<()> {
    let target = Target::start_lite(BrokerLiteConfig::default()).await?;
    let env = &target.env;
    let topic = env.topic("h7_leak", 2).await?;
    env.produce(&topic, 4, "T").await?;
    let cycle = |i: usize| {
        let topic = topic.clone();
        async move {
            // Every other cycle the producer batches automatically; its sends wait
            // together (one batch on its way, the rest held with a timer).
            let producer = if i.is_multiple_of(2) {
                env.producer().await?
            } else {
                env.batching_producer().await?
            };
            let mut sends = Vec::new();
            for n in 0..4 {
                sends.push(
                    producer
                        .send_async(rocketmq::protocol::message::Message::new(
                            topic.as_str(),
                            format!("leak-{i}-{n}"),
                        ))
                        .await?,
                );
            }
            for send in sends {
                send.await?;
            }
            let consumer = push_plain(env, &format!("h7_leak_cg_{}", i % 3), &topic)
                .listener_fn(|_msgs| async { rocketmq::consumer::ConsumeStatus::Success })
                .build()
                .await?;
            let deadline = std::time::Instant::now() + LIMIT;
            while consumer.assigned_queues().is_empty() {
                ensure!(
                    std::time::Instant::now() < deadline,
                    "cycle {i}: no queue assigned"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            consumer.close().await;
            producer.close().await;
            anyhow::Ok(())
        }
    };
    for i in 0..5 {
        cycle(i).await?;
    }
    let settle = |limit: (usize, usize)| async move {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let now = counts();
            if (now.0 <= limit.0 && now.1 <= limit.1) || std::time::Instant::now() > deadline {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let before = settle((usize::MAX, usize::MAX)).await;
    let before = settle((before.0, before.1)).await;
    for i in 5..205 {
        cycle(i).await.with_context(|| format!("cycle {i}"))?;
    }
    let after = settle((before.0, before.1)).await;
    eprintln!("leak check: (tasks, fds, rss KiB) before {before:?}, after {after:?}");
    ensure!(
        after.0 <= before.0,
        "tasks: {} before, {} after 200 cycles",
        before.0,
        after.0
    );
    ensure!(
        after.1 <= before.1,
        "file descriptors: {} before, {} after",
        before.1,
        after.1
    );
    ensure!(
        after.2 < before.2 + 32 * 1024,
        "resident memory: {} KiB before, {} KiB after",
        before.2,
        after.2
    );
    target.stop().await
}
